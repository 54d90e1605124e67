"""What the layout readers (ledger, form) hand to field extraction."""
from __future__ import annotations

from dataclasses import dataclass

from ocr.recognize import CellText, TextLine

BBox = tuple[int, int, int, int]


@dataclass(frozen=True)
class Entry:
    """One register entry found on a page.

    Attributes:
        row: 1-based position on the page, top to bottom.
        bbox: the entry's box on the cleaned page.
        cells: field -> its recognised text (fields the page has no column/label for are
            absent; fields present but blank have an empty CellText).
        flags: entry-level reasons for review (`unmapped_column`, `layout_uncertain`...).
    """

    row: int
    bbox: BBox
    cells: dict[str, CellText]
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PageRead:
    """Everything the layout stage read from one page.

    Attributes:
        layout: "ledger" | "form" | None (unrecognised).
        register_type: from the title (or the task), None when unknown.
        title: the title text as read ("" when none).
        entries: the entries, top to bottom.
        other_lines: recognised lines that belong to no entry field (title, headers), with
            their role, for ALTO: (role, TextLine).
        notes: human-readable reasons when something could not be recognised.
        ocr_seconds: time spent inside Tesseract.
    """

    layout: str | None
    register_type: str | None
    title: str = ""
    entries: tuple[Entry, ...] = ()
    other_lines: tuple[tuple[str, TextLine], ...] = ()
    notes: tuple[str, ...] = ()
    ocr_seconds: float = 0.0
