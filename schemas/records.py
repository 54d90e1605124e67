"""Frozen dataclasses passed between stages (kraken-style: the only things stages exchange)."""
from __future__ import annotations

from dataclasses import dataclass, field

BBox = tuple[int, int, int, int]  # x0, y0, x1, y1 in page pixels


@dataclass(frozen=True)
class Normalized:
    """One field's value after normalisation.

    Attributes:
        value: the canonical value (CONTRACT.md "Values"), or None when empty or unreadable.
        conf: 0..1, how sure normalisation is (recognition confidence is combined later).
        flags: reasons for review, each `reason` (the pipeline adds `:field`).
        code: an administrative-unit code for places, when matched.
        steps: what was done, for the audit trail ("nfc", "tone_placement", "lexicon:Trần").
    """

    value: str | None
    conf: float = 1.0
    flags: tuple[str, ...] = ()
    code: str | None = None
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Word:
    """One recognised word with its box and Tesseract confidence (0..100)."""

    text: str
    conf: float
    bbox: BBox


@dataclass(frozen=True)
class OcrCell:
    """The recognition of one table cell or form value: text, 0..1 confidence, box, words."""

    text: str
    conf: float
    bbox: BBox
    words: tuple[Word, ...] = ()
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldResult:
    """A record field as written: normalised value, raw OCR text, confidence and flags."""

    value: str | None
    raw: str | None
    conf: float
    flags: tuple[str, ...] = ()
    code: str | None = None


@dataclass(frozen=True)
class PageError:
    """A page that could not be processed: where, at which stage, and why (one line)."""

    source_file: str
    page: int
    stage: str
    reason: str


@dataclass(frozen=True)
class ProcessingStep:
    """One step applied to a page, for provenance (name and parameters)."""

    name: str
    params: dict = field(default_factory=dict)
