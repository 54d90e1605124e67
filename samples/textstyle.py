"""How a register prints canonical values: the typist's conventions of one volume.

Pure functions from a canonical value (samples/people.py, CONTRACT.md "Values") to the
string printed on the page. The truth keeps both, so the page reader is scored on reading
what is printed and the normaliser on recovering the canonical value.
"""
from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

from schemas.fields import field_kind

DATE_STYLES: tuple[str, ...] = ("slash", "slash0", "dash", "dot", "words", "words_short")
TONE_MARKS = "\u0300\u0301\u0309\u0303\u0323"  # grave, acute, hook, tilde, dot below


@dataclass(frozen=True)
class PrintStyle:
    """One volume's printing conventions.

    Attributes:
        name_case: "title" ("Nguyễn Văn An") or "upper" ("NGUYỄN VĂN AN").
        date_style: one of DATE_STYLES ("slash" 12/3/1965, "slash0" 12/03/1965,
            "dash" 12-03-1965, "dot" 12.3.1965, "words" ngày 12 tháng 3 năm 1965,
            "words_short" 12 tháng 3 năm 1965).
        sex_style: "namnu" (Nam/Nữ) or "traigai" (Trai/Gái, old birth books).
        abbreviate: probability that a place is abbreviated ("P. Bạch Mai, Q. HBT").
        death_time: probability that a date of death carries an hour ("6 giờ 15 ngày ...").
        new_tone: print new-style tone placement (hoà, thuỷ) as some later books do.
        nationality_abbrev: print "VN" for "Việt Nam".
    """

    name_case: str = "title"
    date_style: str = "slash"
    sex_style: str = "namnu"
    abbreviate: float = 0.0
    death_time: float = 0.0
    new_tone: bool = False
    nationality_abbrev: bool = False


def print_name(name: str, style: PrintStyle) -> str:
    return name.upper() if style.name_case == "upper" else name


def print_date(iso: str, style: PrintStyle, rng: random.Random | None = None,
               with_time: bool = False) -> str:
    """A canonical ISO date ("1965-03-12", "1965-03", "1965") as the volume prints it."""
    parts = iso.split("-")
    y = parts[0]
    if len(parts) == 1:
        return y
    m = int(parts[1])
    s = style.date_style
    if len(parts) == 2:
        if s in ("words", "words_short"):
            return f"tháng {m} năm {y}"
        sep = {"dash": "-", "dot": "."}.get(s, "/")
        return f"{m:02d}{sep}{y}" if s in ("slash0", "dash") else f"{m}{sep}{y}"
    d = int(parts[2])
    if s == "slash":
        text = f"{d}/{m}/{y}"
    elif s == "slash0":
        text = f"{d:02d}/{m:02d}/{y}"
    elif s == "dash":
        text = f"{d:02d}-{m:02d}-{y}"
    elif s == "dot":
        text = f"{d}.{m}.{y}"
    elif s == "words":
        text = f"ngày {d} tháng {m} năm {y}"
    else:
        text = f"{d} tháng {m} năm {y}"
    if with_time and rng is not None:
        hour, minute = rng.randint(0, 23), rng.choice([0, 5, 10, 15, 20, 30, 40, 45, 50])
        clock = f"{hour} giờ {minute:02d}" if minute else f"{hour} giờ"
        text = f"{clock} {text}" if s == "words" else f"{clock} ngày {text}"
    return text


def print_sex(sex: str, style: PrintStyle) -> str:
    if style.sex_style == "traigai":
        return {"Nam": "Trai", "Nữ": "Gái"}[sex]
    return sex


# Place words and their abbreviations in real books.
_UNIT_ABBREV = {"Phường": "P.", "Quận": "Q.", "Xã": "X.", "Huyện": "H.", "Thị xã": "TX.",
                "Bệnh viện": "BV", "Nhà hộ sinh": "NHS"}
_DISTRICT_ABBREV = {"Hai Bà Trưng": "HBT", "Hoàn Kiếm": "HK", "Đống Đa": "ĐĐ", "Ba Đình": "BĐ",
                    "Hoàng Mai": "HM"}
_CITY_ABBREV = {"Hà Nội": "HN", "Hải Phòng": "HP"}


def abbreviate_place(place: str, rng: random.Random) -> str:
    """One of the abbreviations a clerk might use for a canonical place."""
    parts = [p.strip() for p in place.split(",")]
    out = []
    short_district = rng.random() < 0.4
    for p in parts:
        for unit, ab in _UNIT_ABBREV.items():
            if p.startswith(unit + " "):
                rest = p[len(unit) + 1:]
                if unit == "Quận" and short_district and rest in _DISTRICT_ABBREV:
                    rest = _DISTRICT_ABBREV[rest]
                p = f"{ab} {rest}"
                break
        else:
            p = _CITY_ABBREV.get(p, p)
        out.append(p)
    if len(out) == 3 and rng.random() < 0.3:
        out = out[:2]  # the city is implied in a Hanoi book
    return (" - " if rng.random() < 0.25 else ", ").join(out)


def new_style_tone(text: str) -> str:
    """Move tone marks to the new-style position in -oa/-oe/-uy syllables (hòa -> hoà)."""

    def fix(m: re.Match) -> str:
        word = unicodedata.normalize("NFD", m.group(0))
        base = "".join(c for c in word if c not in TONE_MARKS).lower()
        bare = unicodedata.normalize("NFC", base)
        if not re.search(r"(oa|oe|uy)$", bare) or bare.endswith("quy"):
            return m.group(0)
        tones = [i for i, c in enumerate(word) if c in TONE_MARKS]
        if len(tones) != 1:
            return m.group(0)
        i = tones[0]
        mark = word[i]
        rest = word[:i] + word[i + 1:]
        if i >= len(rest):  # already on the last vowel
            return m.group(0)
        return unicodedata.normalize("NFC", rest + mark)

    return re.sub(r"\w+", fix, text)


def print_value(field: str, value: str | None, style: PrintStyle, rng: random.Random) -> str | None:
    """The printed text of one field (None stays None: an empty cell).

    Args:
        field: a contract field name (its kind decides the conventions used).
        value: the canonical value.
        style: the volume's conventions.
        rng: decides per-value choices (abbreviation, a time on a date of death).
    """
    if value is None:
        return None
    kind = field_kind(field)
    if kind == "name":
        text = print_name(value, style)
    elif kind == "date":
        text = print_date(value, style, rng, with_time=(field == "date_of_death"
                                                         and rng.random() < style.death_time))
    elif kind == "sex":
        text = print_sex(value, style)
    elif kind == "place" and rng.random() < style.abbreviate:
        text = abbreviate_place(value, rng)
    elif kind == "nationality" and style.nationality_abbrev and value == "Việt Nam":
        text = "VN"
    else:
        text = value
    if style.new_tone:
        text = new_style_tone(text)
    return text
