"""Unicode and spelling clean-up shared by every field kind.

OCR output and old data entry give Vietnamese in every encoding state: composed or decomposed,
with tone marks on the "new-style" vowel (hoà, thuỷ), doubled or stray combining marks,
typographic quotes and odd spaces. Everything here is pure and works per word:

- `split_tone("Hoà")` -> ("Hoa", 1): the letters with their quality marks (â ê ô ơ ư ă đ) and
  one tone number (0 ngang, 1 huyền, 2 sắc, 3 hỏi, 4 ngã, 5 nặng).
- `apply_tone("Hoa", 1)` -> "Hòa": the tone on the traditional vowel (hòa, thủy, khỏe, quý).
- `clean_text(raw)` -> NFC text with every word re-toned traditionally, single spaces.
- `fold(s)` -> ASCII skeleton for matching ("Đặng" -> "dang").
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Combining tone marks in tone-number order (index 0 = ngang has none).
TONE_MARKS = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_TONE_OF = {m: i for i, m in enumerate(TONE_MARKS) if m}
# Vowel quality marks and the base letters they may sit on.
_QUALITY_OK = {"\u0302": "aeoAEO", "\u0306": "aA", "\u031b": "ouOU"}
VOWELS = frozenset("aăâeêioôơuưy")
_MARKED_VOWELS = frozenset("ăâêôơư")

# Quotes, dashes and look-alikes OCR produces; mapped to plain ASCII.
_PUNCT = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "`": "'",
                        "\u00b4": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"',
                        "\u00bb": '"', "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-",
                        "\u2011": "-", "\u00a0": " ", "\u2009": " ", "\u200b": "", "\ufeff": "",
                        "\u00ad": "",
                        # fraction and division slashes: Tesseract's reading of a typed "/"
                        "\u2044": "/", "\u2215": "/",
                        # Icelandic eth for Đ/đ: a common legacy-encoding (VNI/TCVN) slip.
                        "\u00d0": "\u0110", "\u00f0": "\u0111"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")
# A word: letters, each possibly followed by (stray) combining marks; for names also digits
# (OCR's "Ch1́" for "Chí" keeps its tone).
_WORD = re.compile(r"(?:[^\W\d_][\u0300-\u036f]*)+")
_WORD_DIGITS = re.compile(r"(?:[^\W_][\u0300-\u036f]*)+")
_ORPHAN_MARKS_DIGITS = re.compile(r"(^|[^\w\u0300-\u036f]|_)[\u0300-\u036f]+")
# Combining marks that follow no letter (after a space, digit or punctuation) lost their letter.
_ORPHAN_MARKS = re.compile(r"(^|[^\w\u0300-\u036f]|[\d_])[\u0300-\u036f]+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:)\]])")
_SPACE_AFTER_OPEN = re.compile(r"([(\[])\s+")


def split_tone(word: str) -> tuple[str, int]:
    """Separate a word's tone from its letters, repairing stray marks.

    Quality marks on letters that cannot carry them and any other combining mark are OCR
    noise and dropped. When several tones appear, the first one wins.

    Args:
        word: any string (normally one syllable).

    Returns:
        (NFC letters with quality marks only, tone number 0..5).
    """
    out: list[str] = []
    tone = 0
    for ch in unicodedata.normalize("NFD", word):
        if not unicodedata.combining(ch):
            out.append(ch)
            continue
        t = _TONE_OF.get(ch)
        if t is not None:
            if tone == 0:
                tone = t
            continue
        ok = _QUALITY_OK.get(ch)
        # A quality mark belongs to the letter right before it (NFD puts tones, which we
        # took out, before it); anything else, or a doubled mark, is noise.
        if ok and out and out[-1] in ok:
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)), tone


def tone_index(letters: str) -> int | None:
    """Where the traditional orthography puts the tone in a toneless syllable.

    Rules: onset "qu"/"gi" are not part of the vowel; a vowel with a quality mark takes the
    tone (the last one: ươ -> ơ); in a closed syllable the last vowel; in an open one the
    first of two vowels (hòa, thủy, khỏe) or the middle of three (ngoài, khuỷu).

    Args:
        letters: NFC letters without tone marks, any case.

    Returns:
        The index in `letters` of the vowel to mark, or None when there is no vowel.
    """
    s = letters.lower()
    start = next((i for i, c in enumerate(s) if c in VOWELS), None)
    if start is None:
        return None
    end = start
    while end + 1 < len(s) and s[end + 1] in VOWELS:
        end += 1
    if end > start and s[start] == "u" and start > 0 and s[start - 1] == "q":
        start += 1
    elif end > start and s[start] == "i" and start == 1 and s[0] == "g":
        start += 1
    marked = [i for i in range(start, end + 1) if s[i] in _MARKED_VOWELS]
    if marked:
        return marked[-1]
    if end + 1 < len(s):
        return end
    n = end - start + 1
    return start if n <= 2 else start + 1


def apply_tone(letters: str, tone: int) -> str:
    """Put `tone` on the traditional vowel of `letters` (NFC, no tone yet)."""
    if not tone:
        return letters
    i = tone_index(letters)
    if i is None:
        # No vowel (an OCR-damaged word such as "Thṭ"): keep the mark on the last letter
        # rather than lose what the reading said about the tone.
        if not letters:
            return letters
        i = len(letters) - 1
    return unicodedata.normalize("NFC", letters[:i] + letters[i] + TONE_MARKS[tone] + letters[i + 1:])


@lru_cache(maxsize=65536)
def retone(word: str) -> str:
    """A word with stray marks repaired and its tone moved to the traditional place."""
    letters, tone = split_tone(word)
    return apply_tone(letters, tone)


# Spacing accents OCR emits beside the letter they belong to ("Hô`ng", "Nguyê~n").
_SPACING_ACCENTS = {"`": "\u0300", "\u00b4": "\u0301", "~": "\u0303", "^": "\u0302",
                    "\u02cb": "\u0300", "\u02ca": "\u0301", "\u02dc": "\u0303", "\u02c6": "\u0302"}
_SPACING_RE = re.compile(r"(?<=[^\W\d_])([`\u00b4~^\u02cb\u02ca\u02dc\u02c6]+)")


def attach_spacing_accents(s: str) -> str:
    """Turn a spacing accent right after a letter into the combining mark it stands for.

    Only for words (names, places): in other text "~" or "^" may be meant literally.
    """
    return _SPACING_RE.sub(lambda m: "".join(_SPACING_ACCENTS[c] for c in m.group(1)), s)


def clean_text(raw: str, *, word_digits: bool = False) -> str:
    """NFC, plain punctuation, control characters out, single spaces, traditional tones.

    Args:
        raw: any string.
        word_digits: treat digits inside words as letters (names: OCR reads i as 1), so a
            tone mark on them is kept rather than dropped as orphaned.

    Returns:
        The cleaned text ("" when nothing is left).
    """
    s = unicodedata.normalize("NFKC", raw).translate(_PUNCT)
    s = _CONTROL.sub(" ", s)
    orphans, word = (_ORPHAN_MARKS_DIGITS, _WORD_DIGITS) if word_digits else (_ORPHAN_MARKS, _WORD)
    s = orphans.sub(r"\1", unicodedata.normalize("NFC", s))
    s = word.sub(lambda m: retone(m.group(0)), s)
    s = unicodedata.normalize("NFC", s)
    s = _SPACE.sub(" ", s).strip()
    s = _SPACE_BEFORE_PUNCT.sub(r"\1", s)
    return _SPACE_AFTER_OPEN.sub(r"\1", s)


def clean_spaces(raw: str) -> str:
    """NFC, plain punctuation, no control characters, single spaces; words left as written
    (for codes and numbers, where re-toning letters would be wrong)."""
    s = unicodedata.normalize("NFKC", raw).translate(_PUNCT)
    s = _ORPHAN_MARKS.sub(r"\1", _CONTROL.sub(" ", s))
    return _SPACE.sub(" ", unicodedata.normalize("NFC", s)).strip()


_FOLD = str.maketrans({"đ": "d", "Đ": "D"})


_SPECK_PERIOD = re.compile(r"(?<=[^\W\d_]{3})\.(?=[^\W\d_])")


def speck_periods(s: str) -> str:
    """ "Phường.Kim Mã", "Suy.tim" -> a space: a period between a word of three letters or
    more and the next word, with no space, is a speck where the space was (abbreviations
    are shorter: "P.Bạch Mai", "TP.HCM", "T.rương" are left alone)."""
    return _SPECK_PERIOD.sub(" ", s)


@lru_cache(maxsize=65536)
def fold(s: str) -> str:
    """Lowercase ASCII skeleton: diacritics removed, đ -> d ("Đặng Thị" -> "dang thi")."""
    d = unicodedata.normalize("NFD", s.translate(_FOLD))
    return "".join(c for c in d if not unicodedata.combining(c)).lower()


def capitalize_word(word: str) -> str:
    """First letter upper, the rest lower ("NGUYỄN" -> "Nguyễn").

    A letter whose uppercase is two letters (ß) stays as it is, so that capitalising is
    idempotent.
    """
    if not word:
        return word
    first = word[0].upper()
    if len(first) != 1:
        first = word[0]
    rest = word[1:].lower()
    return first + rest
