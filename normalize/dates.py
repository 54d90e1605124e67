"""Dates as registers write them -> ISO 8601 with reduced precision.

Handles "12/3/1965", "12-03-65", "12.3.1965", "1965-03-12", "ngày 12 tháng 3 năm 1965",
"12 tháng 3 năm 1965", month words ("tháng Giêng", "tháng Chạp", "tháng mười hai"), a year
alone, "tháng 3/1965", a time before or after the date ("6 giờ 15 ngày 14/4/1972") and digits
damaged by OCR (O->0, l/I->1, S->5, B->8). Impossible dates (31/2) give None and
"invalid_date": a date is never shifted to make it fit.

The core is `parse_date(raw, register_year=None) -> Normalized`, pure and total.
"""
from __future__ import annotations

import calendar
from itertools import product
import re
import unicodedata

from normalize.text import clean_text
from schemas.records import Normalized

# Letters OCR gives for digits; applied only to tokens made entirely of digit-like characters.
DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "Ø": "0", "ø": "0",
                                  "l": "1", "I": "1",
                                  "i": "1", "|": "1", "!": "1", "]": "1", "[": "1", "S": "5",
                                  "s": "5", "B": "8", "Z": "2", "z": "2", "G": "6", "b": "6",
                                  "T": "7"})
# (g and q, OCR's 9 now and then, are left out: "6g15" is how registers write 6:15.)
_TOKEN = re.compile(r"[0-9OoDQØølIi|!\]\[SsBZzGbT]+")
# Words that may appear in a date field and must not be read as digits.
_WORDS = frozenset("ngay thang nam gio phut luc sang chieu toi trua dem hoi khoang vao ngay".split())

MONTH_WORDS = {"gieng": 1, "mot": 1, "hai": 2, "ba": 3, "tu": 4, "bon": 4, "nam": 5, "sau": 6,
               "bay": 7, "tam": 8, "chin": 9, "muoi": 10, "muoi mot": 11, "muoi hai": 12,
               "chap": 12}
_MONTH_WORD_RE = re.compile(
    r"thang\s+(muoi\s+mot|muoi\s+hai|muoi|gieng|chap|mot|hai|ba|tu|bon|nam(?=\s+nam)|sau|bay|tam|chin)\b", re.I)
# Foreign month names (French and English abbreviations) occasionally used in old books.
FOREIGN_MONTHS = {"jan": 1, "janv": 1, "janvier": 1, "january": 1, "feb": 2, "fev": 2, "fevr": 2,
                  "fevrier": 2, "february": 2, "mar": 3, "mars": 3, "march": 3, "apr": 4,
                  "avr": 4, "avril": 4, "april": 4, "may": 5, "mai": 5, "jun": 6, "juin": 6,
                  "june": 6, "jul": 7, "juil": 7, "juillet": 7, "july": 7, "aug": 8, "aout": 8,
                  "august": 8, "sep": 9, "sept": 9, "septembre": 9, "september": 9, "oct": 10,
                  "octobre": 10, "october": 10, "nov": 11, "novembre": 11, "november": 11,
                  "dec": 12, "decembre": 12, "december": 12}
_FOREIGN_RE = re.compile(r"(?<![a-z])(" + "|".join(sorted(FOREIGN_MONTHS, key=len, reverse=True))
                         + r")\.?(?![a-z])", re.I)
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9,
         "x": 10, "xi": 11, "xii": 12}
_ROMAN_RE = re.compile(r"(?<=[-/.\s])(xii|xi|x|ix|viii|vii|vi|v|iv|iii|ii|i)(?=\s*[-/.])", re.I)
# A Roman month as OCR reads it ("XT", "VH", "TIT" for XI, VII, III): Roman letters with
# look-alikes (T, l, | for I; H for II), between separators, a true Roman letter among them.
_ROMAN_OCR_RE = re.compile(r"(?<=[-/.])\s*([IVXTHl|]{1,5})\s*(?=[-/.])")
_ROMAN_OCR_MAP = str.maketrans({"T": "I", "l": "I", "|": "I"})
# Times: "6 giờ 15", "6g15", "6h15 phút", "06:15", with day-part words.
_TIME_RES = (
    re.compile(r"(?<!\d)(?:luc\s+|vao\s+luc\s+|hoi\s+)?\d{1,2}\s*(?:gio|g|h)(?![a-z])(?:\s*\d{1,2})?"
               r"(?:\s*(?:phut|ph|p)(?![a-z]))?(?:\s*(?:sang|chieu|toi|trua|dem))?", re.I),
    re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)"),
    re.compile(r"\b(?:sang|chieu|toi|trua|dem|luc|hoi|khoang|vao|sinh|ngay sinh|chet|mat|dang ky)\b"),
)
_COLON_SEPARATOR = re.compile(r"(?<![\d:])(\d{1,2})\s*:\s*(\d{1,2})(\s*[-/.]\s*\d{2,4})(?![\d:])")
# Calendar notes: a lunar date is not converted, only flagged.
_LUNAR = re.compile(r"\bam\s*lich\b|\b[aâ]l\b")
_LABEL_NUM = re.compile(r"(ngay|thang|nam)?\s*(\d+)")


def _roman_lookalike(m: re.Match) -> str:
    tok = m.group(1)
    fixed = tok.translate(_ROMAN_OCR_MAP).replace("H", "II").lower()
    if any(c in tok for c in "IVX") and fixed in ROMAN:
        return str(ROMAN[fixed])
    return m.group(0)


def _repair_digits(s: str) -> tuple[str, bool]:
    """Map look-alike letters to digits inside tokens that are digits in disguise.

    A token of look-alikes only is a number when it holds a real digit, is at least two
    characters long, or stands between date separators ("S/8/1965"); a lone "l" or "s" among
    words is more likely a letter.
    """
    changed = False

    def fix(m: re.Match) -> str:
        nonlocal changed
        tok = m.group(0)
        if tok.isdigit() or tok.lower() in _WORDS:
            return tok
        before = s[:m.start()].rstrip()[-1:]
        after = s[m.end():].lstrip()[:1]
        by_sep = (before != "" and before in "/-.") or (after != "" and after in "/-.")
        by_label = (re.search(r"(?:ngay|thang|nam)\s*$", s[max(0, m.start() - 8):m.start()], re.I)
                    or re.match(r"\s*(?:gio|thang|nam|h\b|g\b|phut)", s[m.end():], re.I))
        # "22 I 1991": a lone look-alike with numbers either side is the month.
        between = (re.search(r"\d\s+$", s[:m.start()]) is not None
                   and re.match(r"\s+\d", s[m.end():]) is not None)
        if any(c.isdigit() for c in tok) or len(tok) >= 2 or by_sep or by_label or between:
            changed = True
            return tok.translate(DIGIT_LOOKALIKES)
        return tok

    # Tokens must be whole (not part of a longer word): bound them by non-letters.
    out = re.sub(r"(?<![A-Za-z])" + _TOKEN.pattern + r"(?![A-Za-z])", fix, s)
    return out, changed


# A typewriter 0 that Tesseract read as 9 or 6 ("98/11/1937", "26/66/1977"): a day over 31
# or a month over 12 whose only fitting reading turns one such digit into 0 is taken as that,
# flagged date_repaired (never silently).
_ZERO_LOOKALIKES = "96"


def _zero_misread(tok: str, limit: int) -> tuple[str, bool]:
    """`tok` with one 9/6 read as 0 when it is out of 1..limit and exactly one such reading
    fits; else `tok` unchanged. Returns (token, repaired)."""
    # only a number no day (month) can be: "29/2/1900" stays invalid, not "20/2/1900"
    if len(tok) != 2 or int(tok) <= (12 if limit == 12 else 31):
        return tok, False
    fits = {c for c in (tok[:i] + "0" + tok[i + 1:] for i, ch in enumerate(tok) if ch in _ZERO_LOOKALIKES)
            if 1 <= int(c) <= limit}
    return (fits.pop(), True) if len(fits) == 1 else (tok, False)


# What a typewriter digit read as 9, 6 or 8 may really be: the 0 above all, but an 8 is as
# often a 3 ("1931" read "1981"). A year repair needs every reading but one ruled out.
_YEAR_DIGIT_MISREADS = {"9": "0", "6": "0", "8": "03"}


def zero_misread_year(y: str, lo: int, hi: int) -> int | None:
    """The one year in lo..hi that `y` (four digits, after hi: no date in a register is
    later than its year) reads as when some of its 9/6/8 are misread typewriter digits
    ("2019" in a 2010 book -> 2010, "1994" for a birth in a 1989 book -> 1904); None when
    none or several fit ("1981" in a 1965 book: 1901 or 1931)."""
    options = [_YEAR_DIGIT_MISREADS.get(ch, "") + ch for ch in y]
    fits = set()
    for cand in product(*options):
        v = int("".join(cand))
        if v != int(y) and lo <= v <= hi:
            fits.add(v)
    return fits.pop() if len(fits) == 1 else None


def _year(y: str, register_year: int | None, min_year: int, max_year: int) -> tuple[int | None, tuple[str, ...]]:
    """A 4-digit year as is; a 2-digit one resolved before the register year.

    Returns:
        (year or None, flags): "ambiguous_year" when no register year decides between
        19yy and 20yy.
    """
    if len(y) == 4:
        return int(y), ()
    if len(y) != 2:
        return None, ()
    yy = int(y)
    top = min(register_year, max_year) if register_year is not None else max_year
    cands = [c + yy for c in (2000, 1900, 1800) if min_year <= c + yy <= top]
    if not cands:
        return None, ()
    if register_year is None and len(cands) > 1 and cands[0] >= 2000:
        # Without context prefer the registers' main century but say it was a guess.
        return cands[1], ("ambiguous_year",)
    return cands[0], ()


def _assemble(tokens: list[tuple[str | None, str]]) -> tuple[str | None, str | None, str | None] | None:
    """Assign (label, digits) tokens to day / month / year slots; None when they do not fit."""
    slots: dict[str, str] = {}
    labelled = {"ngay": "d", "thang": "m", "nam": "y"}
    if len(tokens) > 3:
        return None
    if not any(lab for lab, _ in tokens):
        digits = [d for _, d in tokens]
        if len(digits) == 1:
            d = digits[0]
            if len(d) == 8:  # 12031965, or 19650312 when it starts with a plausible year
                if d[:2] in ("18", "19", "20") and 1 <= int(d[4:6]) <= 12:
                    return d[6:], d[4:6], d[:4]
                return d[:2], d[2:4], d[4:]
            if len(d) == 6:  # 120365
                return d[:2], d[2:4], d[4:]
            return None, None, d
        if len(digits) == 2:
            if len(digits[0]) == 4:
                return None, digits[1], digits[0]
            return None, digits[0], digits[1]
        if len(digits[0]) == 4:  # ISO order
            return digits[2], digits[1], digits[0]
        return digits[0], digits[1], digits[2]
    cursor = 0
    order = ("d", "m", "y")
    for lab, dig in tokens:
        if lab is not None:
            slot = labelled[lab]
        elif len(dig) == 4:
            slot = "y"
        else:
            free = [s for s in order[cursor:] if s not in slots]
            if not free:
                return None
            slot = free[0]
        if slot in slots:
            return None
        slots[slot] = dig
        cursor = order.index(slot) + 1
    return slots.get("d"), slots.get("m"), slots.get("y")


def parse_date(raw: str | None, register_year: int | None = None, *, min_year: int = 1880,
               max_year: int = 2021) -> Normalized:
    """Parse one date cell.

    Args:
        raw: the cell text (any string).
        register_year: the year of the register, to resolve two-digit years (a date in a
            register is not after the register's year).
        min_year, max_year: the window two-digit years resolve into.

    Returns:
        Normalized: value "YYYY-MM-DD", "YYYY-MM" or "YYYY"; None with "empty" semantics
        (no flag) for an empty cell, or None with a flag ("invalid_date", "unparsed_date")
        when the text cannot be a date.
    """
    if raw is None or not raw.strip():
        return Normalized(None, 1.0)
    steps: list[str] = []
    flags: list[str] = []
    text = clean_text(raw)
    # Diacritics off but case kept: "B" is 8 where "b" is 6.
    s = "".join(c for c in unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
                if not unicodedata.combining(c))
    lunar = bool(_LUNAR.search(s.lower()))
    # Month words and Roman months become numbers first (they contain look-alike letters).
    s = _MONTH_WORD_RE.sub(lambda m: "thang %d " % MONTH_WORDS[" ".join(m.group(1).lower().split())], s)
    s = _FOREIGN_RE.sub(lambda m: f"/{FOREIGN_MONTHS[m.group(1).lower()]}/", s)
    s = _ROMAN_RE.sub(lambda m: str(ROMAN[m.group(1).lower()]), s)
    s = _ROMAN_OCR_RE.sub(_roman_lookalike, s)
    if lunar:
        s = _LUNAR.sub(" ", s.lower())
    s, repaired = _repair_digits(s)
    s = s.lower()
    if repaired:
        steps.append("digits_repaired")
    # "07:07-1972": a separator misread as a colon, not a time (a time is never followed by
    # the rest of a date's numbers)
    s, colons = _COLON_SEPARATOR.subn(r"\1/\2\3", s)
    if colons:
        steps.append("separator_repaired")
    for rx in _TIME_RES[:2]:
        if rx.search(s):
            s = rx.sub(" ", s)
            steps.append("time_removed")
    s = _TIME_RES[2].sub(" ", s)
    tokens = [(m.group(1), m.group(2)) for m in _LABEL_NUM.finditer(s)]
    if not tokens:
        return Normalized(None, 0.0, ("unparsed_date",), steps=tuple(steps))
    # Leftover letters other than the date words mean something was not understood.
    rest = re.sub(r"ngay|thang|nam|\d+|[\s/.,\-:;()]", "", s)
    got = _assemble(tokens)
    if got is None:
        return Normalized(None, 0.0, ("unparsed_date",), steps=tuple(steps))
    d, m, y = got
    if y is None:
        return Normalized(None, 0.0, ("invalid_date",), steps=tuple(steps))
    year, yflags = _year(y, register_year, min_year, max_year)
    flags += yflags
    # No date in a register is later than its year; without one to go by (its own year
    # misread too: "2065" all down a 2005 page), none is later than the plausible window.
    over_register = year is not None and register_year is not None and year > register_year
    if year is not None and len(y) == 4 and (over_register or year > max_year):
        fixed = zero_misread_year(y, min_year, register_year if over_register else max_year)
        if fixed is not None:
            year = fixed
            steps.append("zero_repaired")
            flags.append("date_repaired")
        elif over_register:
            flags.append("after_register_year")
    if year is None or not 1800 <= year <= 2100:
        return Normalized(None, 0.0, ("invalid_date",), steps=tuple(steps))
    if d is not None and m is None:
        return Normalized(None, 0.0, ("invalid_date",), steps=tuple(steps))
    value = f"{year:04d}"
    if m is not None:
        m, fixed_m = _zero_misread(m, 12)
        if d is not None and 1 <= int(m) <= 12:
            d, fixed_d = _zero_misread(d, calendar.monthrange(year, int(m))[1])
        else:
            fixed_d = False
        if (fixed_m or fixed_d) and "zero_repaired" not in steps:
            steps.append("zero_repaired")
            flags.append("date_repaired")
        month = int(m)
        if not 1 <= month <= 12 or len(m) > 2:
            return Normalized(None, 0.0, ("invalid_date",), steps=tuple(steps))
        value += f"-{month:02d}"
        if d is not None:
            day = int(d)
            if len(d) > 2 or not 1 <= day <= calendar.monthrange(year, month)[1]:
                return Normalized(None, 0.0, ("invalid_date",), steps=tuple(steps))
            value += f"-{day:02d}"
    conf = 1.0
    if repaired:
        conf *= 0.95
    if colons:
        conf *= 0.7
        flags.append("date_repaired")
    if "zero_repaired" in steps:
        conf *= 0.7
    if "after_register_year" in flags:
        conf *= 0.5
    if len(y) == 2:
        steps.append(f"two_digit_year:{year}")
        conf *= 0.8 if yflags else 0.95
        if m is None:
            # Two digits and nothing else ("10") is as likely a day or a cut-off date as a year.
            conf *= 0.6
            flags.append("year_only_two_digits")
    # a "time" beside a bare year is more likely a misread day and month ("07:07 1972")
    if rest or ("time_removed" in steps and m is None):
        conf *= 0.8
        flags.append("date_extra_text")
    if lunar:
        conf *= 0.8
        flags.append("lunar_calendar")
    return Normalized(value, conf, tuple(dict.fromkeys(flags)), steps=tuple(steps))
