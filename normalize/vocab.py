"""Closed vocabularies: sex, the 54 ethnic groups, nationalities, entry numbers.

Matching is on the folded form (no diacritics, lowercase) so that OCR's diacritic slips
("Mương", "KINH") still find the official name; a fuzzy match (rapidfuzz) is accepted only
when it is clearly the best and is then flagged with a lower `conf`.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from normalize.text import clean_spaces, clean_text, fold

DATA = Path(__file__).resolve().parent / "data"

# Fuzzy acceptance (rapidfuzz ratio on folded text, 0..100): at least FUZZY_MIN, and ahead of
# the runner-up (a different official value) by FUZZY_MARGIN.
FUZZY_MIN = 80.0
FUZZY_MARGIN = 8.0


@dataclass(frozen=True)
class VocabResult:
    """A closed-vocabulary match."""

    value: str | None
    conf: float
    flags: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()


def _rows(name: str) -> list[list[str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return list(csv.reader((l for l in f if l.strip() and not l.startswith("#")), delimiter="\t"))


SEX_WORDS = {"nam": "Nam", "nu": "Nữ", "trai": "Nam", "gai": "Nữ", "nam gioi": "Nam",
             "nu gioi": "Nữ", "con trai": "Nam", "con gai": "Nữ", "m": "Nam", "f": "Nữ",
             "male": "Nam", "female": "Nữ", "ong": "Nam", "ba": "Nữ", "be trai": "Nam",
             "be gai": "Nữ", "chau trai": "Nam", "chau gai": "Nữ"}

# Nationalities: official short names, with the aliases and abbreviations registers use.
NATIONALITIES = {
    "Việt Nam": ("VN", "Viet Nam", "Việt-Nam", "VNDCCH", "Việt Nam Dân chủ Cộng hòa",
                 "CHXHCN Việt Nam", "Cộng hòa Xã hội Chủ nghĩa Việt Nam", "Việt"),
    "Trung Quốc": ("TQ", "Trung Hoa", "Hoa"), "Lào": ("CHDCND Lào",), "Campuchia": ("Cam-pu-chia", "Cao Miên", "Khơ-me"),
    "Liên Xô": ("LX", "Liên bang Xô viết"), "Nga": ("Liên bang Nga", "LB Nga"),
    "Pháp": (), "Hàn Quốc": ("Nam Triều Tiên", "Đại Hàn"), "Triều Tiên": ("Bắc Triều Tiên",),
    "Nhật Bản": ("Nhật",), "Hoa Kỳ": ("Mỹ", "USA", "Hợp chủng quốc Hoa Kỳ"),
    "Cu Ba": ("Cuba",), "Ba Lan": (), "Tiệp Khắc": ("Séc", "Tiệp"), "Hungary": ("Hung-ga-ri", "Hung"),
    "Bulgaria": ("Bun-ga-ri",), "Cộng hòa Dân chủ Đức": ("CHDC Đức", "Đông Đức"), "Đức": ("CHLB Đức",),
    "Mông Cổ": (), "Anh": ("Vương quốc Anh",), "Úc": ("Australia", "Ô-xtrây-li-a"),
    "Canada": ("Ca-na-đa",), "Thái Lan": (), "Đài Loan": (), "Singapore": ("Xinh-ga-po",),
    "Malaysia": ("Ma-lai-xi-a",), "Ấn Độ": (), "Philippines": ("Phi-líp-pin",),
}


@lru_cache(maxsize=1)
def _ethnic_index() -> tuple[dict[str, str], list[str], list[str]]:
    """folded alias -> official name; and parallel lists for fuzzy search."""
    index: dict[str, str] = {}
    ambiguous: set[str] = set()
    for row in _rows("ethnicities.tsv"):
        name = row[0]
        aliases = [a for a in (row[1].split(";") if len(row) > 1 else []) if a.strip()]
        for a in [name, *aliases]:
            key = _key(a)
            # An alias shared by two groups ("Xá Khao") decides nothing: official names win.
            if key in index and index[key] != name:
                if _key(index[key]) != key:
                    ambiguous.add(key)
                continue
            index[key] = name
    for key in ambiguous:
        if _key(index[key]) != key:
            index.pop(key, None)
    keys = list(index)
    return index, keys, [index[k] for k in keys]


def _key(s: str) -> str:
    """Folded key: no diacritics, no punctuation, no spaces ("H'Mông" -> "hmong")."""
    return re.sub(r"[^a-z0-9]", "", fold(s))


def _lookup(text: str, index: dict[str, str], keys: list[str], values: list[str],
            unknown: str) -> VocabResult:
    cleaned = clean_text(text)
    if not cleaned:
        return VocabResult(None, 1.0)
    key = _key(cleaned)
    if key in index:
        value = index[key]
        exact = _key(value) == key and fold(value) == fold(cleaned) and value == cleaned
        return VocabResult(value, 1.0, (), () if exact else (f"vocab:{value}",))
    # "Mông (Mèo)": try the part before a parenthesis, and each parenthesised part.
    parts = [p for p in re.split(r"[()\[\],;/]", cleaned) if p.strip()]
    for p in parts:
        if _key(p) in index:
            return VocabResult(index[_key(p)], 1.0, (), (f"vocab:{index[_key(p)]}",))
    hits = process.extract(key, keys, scorer=fuzz.ratio, limit=8)
    best = None
    runner = 0.0
    for k, score, _ in hits:
        v = index[k]
        if best is None:
            best = (v, score)
        elif v != best[0]:
            runner = max(runner, score)
    if best and best[1] >= FUZZY_MIN and best[1] - runner >= FUZZY_MARGIN and len(key) >= 3:
        conf = round(best[1] / 100 * 0.9, 3)
        return VocabResult(best[0], conf, ("vocab_fuzzy",), (f"fuzzy:{best[0]}",))
    return VocabResult(None, 0.0, (unknown,), ())


def normalize_ethnicity(text: str) -> VocabResult:
    """One of the 54 official names ("Mèo", "Mông (Mèo)" -> "Mông"), else None + flag."""
    index, keys, values = _ethnic_index()
    return _lookup(text, index, keys, values, "unknown_ethnicity")


@lru_cache(maxsize=1)
def _nation_index() -> tuple[dict[str, str], list[str], list[str]]:
    index: dict[str, str] = {}
    for name, aliases in NATIONALITIES.items():
        for a in (name, *aliases):
            index.setdefault(_key(a), name)
    keys = list(index)
    return index, keys, [index[k] for k in keys]


def normalize_nationality(text: str) -> VocabResult:
    """An official nationality name ("VN" -> "Việt Nam"); unknown ones kept, flagged."""
    index, keys, values = _nation_index()
    got = _lookup(text, index, keys, values, "unknown_nationality")
    if got.value is None and got.flags:
        # A nationality we do not list is still information: keep it, capitalised, flagged.
        cleaned = clean_text(text)
        if re.search(r"[^\W\d_]", cleaned):
            value = " ".join(w[:1].upper() + w[1:] for w in cleaned.split())
            return VocabResult(value, 0.6, ("unknown_nationality",), ("kept_text",))
    return got


def normalize_sex(text: str) -> VocabResult:
    """"Nam"/"Nữ" from "Nam", "nữ", "trai", "gái", "nam giới", "NỮ"...; else None + flag."""
    cleaned = clean_text(text)
    if not cleaned:
        return VocabResult(None, 1.0)
    key = " ".join(re.sub(r"[^a-z ]", " ", fold(cleaned)).split())
    if key in SEX_WORDS:
        # "nam"/"nu" folded equal their accented forms; OCR dropping ữ is the usual slip.
        return VocabResult(SEX_WORDS[key], 1.0, (), () if cleaned in ("Nam", "Nữ") else (f"vocab:{SEX_WORDS[key]}",))
    hits = process.extractOne(key, list(SEX_WORDS), scorer=fuzz.ratio)
    if hits and hits[1] >= 75 and len(key) >= 3:
        return VocabResult(SEX_WORDS[hits[0]], 0.7, ("vocab_fuzzy",), (f"fuzzy:{SEX_WORDS[hits[0]]}",))
    return VocabResult(None, 0.0, ("unknown_sex",), ())


_LABEL = re.compile(r"^\s*(?:s[oố0]|stt|s[oố]\s*tt|s[oố]\s*th[uứ]\s*t[uự]|no|n°|nº)\s*[.:]?\s*", re.I)
_CODE_DIGIT = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "i": "1",
                             "|": "1", "!": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2",
                             "G": "6", "g": "9", "q": "9"})
_CODE_DIGIT_CHARS = frozenset("OoDQlIi|!SsBZzGgq")


def normalize_code(text: str) -> VocabResult:
    """An entry number as written: "Số: 125" -> "125", "l25/1965" -> "125/1965".

    Look-alike letters become digits only inside parts that are digits in disguise (all
    characters digits or look-alikes); anything else is kept and flagged "code_not_numeric".
    """
    cleaned = clean_spaces(text)
    if not cleaned:
        return VocabResult(None, 1.0)
    s = _LABEL.sub("", cleaned)
    s = re.sub(r"\s*([/\-.])\s*", r"\1", s).strip(" .:;,'\"`")

    def fix(part: str) -> str:
        if part and all(c.isdigit() or c in _CODE_DIGIT_CHARS for c in part) and (
                any(c.isdigit() for c in part) or len(part) > 1):
            return part.translate(_CODE_DIGIT)
        return part

    fixed = "".join(fix(part) for part in re.split(r"([/\-.\s])", s))
    steps = ("label_removed",) if s != cleaned else ()
    if fixed != s:
        steps += ("digits_repaired",)
    if not fixed:
        return VocabResult(None, 0.0, ("unreadable_code",), steps)
    if not re.fullmatch(r"\d+(?:[/\-.][\dA-Za-zĐđ]+)*", fixed):
        return VocabResult(fixed, 0.5, ("code_not_numeric",), steps)
    # a part of one look-alike letter ("867 - l"): a digit misread, or a speck; no number to
    # trust either way
    if any(len(p) == 1 and p in _CODE_DIGIT_CHARS for p in re.split(r"[/\-.]", fixed)):
        return VocabResult(fixed, 0.5, ("code_not_numeric",), steps)
    # "6/198": a year after the slash has 4 digits (or 2): a digit was lost
    year = re.fullmatch(r"\d+/(\d+)", fixed)
    if year and len(year.group(1)) not in (2, 4):
        return VocabResult(fixed, 0.5, ("code_year_suffix",), steps)
    return VocabResult(fixed, 0.95 if "digits_repaired" in steps else 1.0, (), steps)
