"""Places: abbreviations expanded, unit words capitalised, text repaired (first version)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from normalize.text import clean_text


@dataclass(frozen=True)
class PlaceResult:
    """A normalised place: the text and an administrative-unit code when matched."""

    value: str | None
    conf: float
    flags: tuple[str, ...] = ()
    code: str | None = None
    steps: tuple[str, ...] = ()


ABBREVIATIONS = {"P.": "Phường", "Q.": "Quận", "TX.": "Thị xã", "H.": "Huyện", "X.": "Xã",
                 "TP.": "Thành phố", "T.": "Tỉnh", "TT.": "Thị trấn", "BV": "Bệnh viện",
                 "HBT": "Hai Bà Trưng", "HN": "Hà Nội", "NHS": "Nhà hộ sinh"}
_ABBR = re.compile(r"(?<![\w.])(" + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True))
                   + r")(?![\w])", re.I)


def normalize_place(raw: str | None) -> PlaceResult:
    """Expand abbreviations and clean a place cell (no unit matching yet)."""
    if raw is None or not raw.strip():
        return PlaceResult(None, 1.0)
    text = clean_text(raw)
    text = _ABBR.sub(lambda m: ABBREVIATIONS[m.group(1).upper()] + " ", text)
    text = " ".join(text.split())
    text = re.sub(r"\s+,", ",", text)
    if not re.search(r"[^\W\d_]|\d", text):
        return PlaceResult(None, 0.0, ("unreadable_place",))
    return PlaceResult(text, 1.0)
