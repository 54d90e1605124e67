"""Characters no register cell can hold: a cell with them is refused, never repaired.

Tesseract `vie` writes Latin letters (with Vietnamese marks), ASCII digits and punctuation.
Anything else in a cell (a control character, an emoji, a letter of another script, a digit of
another script such as Arabic-Indic "١٩٩٠") means the text did not come from the page as a
Vietnamese reader sees it: repairing it towards a name or a date would invent a confident
value from junk ("😀 Lê" -> "Lễ"). normalize.field refuses such a cell with the reason
`invalid_characters`.
"""
from __future__ import annotations

import re
import unicodedata

# Spacing accents and modifier letters OCR emits beside a vowel ("Hô`ng", "Thă ˆng"): the
# name normaliser attaches them, so they are no junk.
_MODIFIERS = range(0x02B0, 0x0300)
_VIET_LETTER = re.compile(r"[A-Za-zÀ-ỹĐđ]")


def invalid_characters(raw: str) -> list[str]:
    """The characters of `raw` that no Vietnamese register text has (in order, once each).

    Refused: control and format (zero-width), private-use, surrogate and unassigned code points (tab and newline are
    spacing); symbols of the "other" class (emoji, dingbats) and modifier symbols outside the
    spacing accents; letters of a non-Latin script; digits that are not ASCII digits.
    """
    bad: dict[str, None] = {}
    for ch in raw:
        if ch.isascii():
            if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r":
                bad[ch] = None
            continue
        cat = unicodedata.category(ch)
        if ord(ch) in _MODIFIERS or cat.startswith("M"):
            continue
        if cat in ("Cc", "Cf", "Co", "Cs", "Cn", "So", "Nd"):
            bad[ch] = None
        elif cat.startswith("L") and "LATIN" not in unicodedata.name(ch, ""):
            bad[ch] = None
    return list(bad)


def has_vietnamese_letter(raw: str) -> bool:
    """Whether `raw` has a Latin letter (plain or with Vietnamese marks, once composed)."""
    return bool(_VIET_LETTER.search(unicodedata.normalize("NFC", raw)))
