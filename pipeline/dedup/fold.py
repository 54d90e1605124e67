"""Text keys for matching: diacritic-free folding, name parts, place canonical forms, dates.

Records arrive normalised (CONTRACT.md), but OCR damage that normalisation could not repair
survives: a lost tone mark (Trần -> Trân), a lost horn or hat (ư -> u, ơ -> o, ô -> o), đ read
as d, whole names typed in capitals without marks. Folding removes every mark and maps đ -> d,
so all of these become equal; the comparison levels then tell "equal" from "equal only when
folded" so that the model can weigh the two differently (Hương and Hường fold alike but are
different names).

Everything here is a pure function of one string; `map_unique` applies such a function to the
distinct values of a column only (a register has far fewer distinct names than records).
This module deliberately does not import normalize/ (built in parallel): dedup needs only
these few, stable keys.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^0-9a-z ]+")


def _fold_table() -> dict[int, str]:
    """Each precomposed Latin letter (U+00C0..U+1EFF) -> its base letter; đ -> d."""
    table = {}
    for cp in range(0xC0, 0x1F00):
        c = chr(cp)
        base = "".join(x for x in unicodedata.normalize("NFD", c) if not unicodedata.combining(x))
        if base != c and base.isascii():
            table[cp] = base
    table[ord("đ")], table[ord("Đ")] = "d", "D"
    return table


_FOLD = _fold_table()


def fold(text: str | None) -> str | None:
    """Lower case, no diacritics, đ -> d, single spaces; None stays None.

    >>> fold("Nguyễn Thị Thu Hằng"), fold("ĐẶNG  Văn Ưng")
    ('nguyen thi thu hang', 'dang van ung')
    """
    if text is None:
        return None
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    t = text.translate(_FOLD).casefold()
    if not t.isascii():  # marks the table does not know (combining leftovers, other scripts)
        t = "".join(c for c in unicodedata.normalize("NFD", t) if not unicodedata.combining(c))
    t = " ".join(t.split())
    return t or None


def exact(text: str | None) -> str | None:
    """The comparison form that keeps diacritics: NFC, case-folded, single spaces."""
    if text is None:
        return None
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    t = " ".join(text.casefold().split())
    return t or None


def name_part(text: str | None, part: str) -> str | None:
    """One part of a Vietnamese name "Họ Đệm... Tên": surname (first syllable), middle (the
    syllables between, "" when there are none) or given (last syllable); `full` is the whole.

    A one-syllable name is taken as a given name with unknown surname.
    """
    if text is None:
        return None
    return words_part(text.split(), part)


def words_part(words: list[str], part: str) -> str | None:
    """name_part on a name already split into words (None for no words)."""
    if not words:
        return None
    if part == "full":
        return " ".join(words)
    if part == "given":
        return words[-1]
    if part == "surname":
        return words[0] if len(words) > 1 else None
    if part == "middle":
        return " ".join(words[1:-1]) if len(words) > 1 else None
    raise ValueError(f"unknown name part {part!r}")


def skeleton(folded: str | None) -> str | None:
    """A coarse phonetic key: each folded syllable reduced to its consonant frame (vowels,
    where OCR and diacritic slips concentrate, removed; a syllable that is all vowels keeps its
    first letter). "nguyen van hung" -> "ngn vn hng"."""
    if folded is None:
        return None
    out = []
    for w in folded.split():
        frame = re.sub(r"[aeiouy]", "", w)
        out.append(frame or w[:1])
    return " ".join(out) or None


# Administrative unit words and their abbreviations (folded), removed from places so that
# "P. Bạch Mai, Q. Hai Bà Trưng, HN" and "Phường Bạch Mai, Quận Hai Bà Trưng, Hà Nội" agree.
_UNIT_WORDS = re.compile(r"\b(thanh pho|thi xa|thi tran|phuong|quan|huyen|tinh|xa|tp|tx|tt|"
                         r"p|q|h|x|t)\b")
# Institution and city phrases mapped to their usual abbreviation.
_PHRASES = (("benh vien", "bv"), ("nha ho sinh", "nhs"), ("ha noi", "hn"),
            ("ho chi minh", "hcm"), ("tai nha", "tn"))


def place_key(text: str | None) -> str | None:
    """Canonical folded place: punctuation and unit words removed, common phrases abbreviated.

    >>> place_key("Phường Bạch Mai, Quận Hai Bà Trưng, Hà Nội")
    'bach mai hai ba trung hn'
    >>> place_key("P. Bạch Mai, Q. Hai Bà Trưng, HN")
    'bach mai hai ba trung hn'
    """
    f = fold(text)
    if f is None:
        return None
    f = _NOT_WORD.sub(" ", f)
    for long, short in _PHRASES:
        f = f.replace(long, short)
    f = _UNIT_WORDS.sub(" ", f)
    f = _SPACES.sub(" ", f).strip()
    return f or None


def place_parts(text: str | None) -> tuple[str | None, str | None]:
    """(locality, area) of a place: the canonical keys of its first and last comma-separated
    parts, as Vietnamese addresses go from the ward or commune to the province. A place of one
    part (an institution, "Bệnh viện Phụ sản Thái Bình") has no locality, and its whole key as
    area (`area_of` finds the province at its end).

    >>> place_parts("Phường Tín Hoa, Quận Diệp Hiệp, Thái Bình")
    ('tin hoa', 'thai binh')
    >>> place_parts("Bệnh viện Phụ sản Thái Bình")
    (None, 'bv phu san thai binh')
    """
    if not text:
        return (None, None)
    parts = [k for k in (place_key(x) for x in text.split(",")) if k]
    if not parts:
        return (None, None)
    if len(parts) == 1:
        return (None, parts[0])
    return (parts[0], parts[-1])


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_date(text: str | None) -> tuple[int, int, int]:
    """(year, month, day) of an ISO reduced-precision date; 0 for each unknown part.

    >>> parse_date("1965-03-12"), parse_date("1965"), parse_date(None)
    ((1965, 3, 12), (1965, 0, 0), (0, 0, 0))
    """
    if not text:
        return (0, 0, 0)
    m = _DATE.match(text.strip())
    if not m:
        return (0, 0, 0)
    return (int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0))


def encode(column: pa.ChunkedArray | pa.Array | Sequence) -> tuple[np.ndarray, list]:
    """Dictionary-encode a string column: (codes int32 with -1 for null, distinct values)."""
    arr = column if isinstance(column, (pa.Array, pa.ChunkedArray)) else pa.array(column, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], pa.string())
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    enc = pc.dictionary_encode(arr)
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, enc.dictionary.to_pylist()


def map_unique(codes: np.ndarray, uniques: list, fn: Callable) -> tuple[np.ndarray, list]:
    """Apply `fn` to each distinct value and re-encode: (codes of fn(value), distinct results).

    Values that map to None (or "") get code -1. Cost is one call per distinct value.
    """
    results = [fn(u) for u in uniques]
    table: dict[str, int] = {}
    remap = np.empty(len(results) + 1, dtype=np.int32)
    for i, r in enumerate(results):
        if r is None or r == "":
            remap[i] = -1
        else:
            remap[i] = table.setdefault(r, len(table))
    remap[-1] = -1  # code -1 (null) indexes the last slot
    return remap[codes], list(table)
