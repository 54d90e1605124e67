"""What the layout readers (ledger, form) hand to field extraction."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ocr.recognize import CellText, TextLine
from schemas.layout import PageLayout

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
        labels: form pages: (field, label text as read, label box) per label found.
    """

    row: int
    bbox: BBox
    cells: dict[str, CellText]
    flags: tuple[str, ...] = ()
    labels: tuple[tuple[str, str, BBox], ...] = ()


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
        book_year: the year the page's heading gives ("Năm 1960"), None when absent.
        layout_info: what was detected (grid, columns and their fields, rows, labels, title),
            for the layout picture and the volume profile.
        misfit: why the volume profile given does not fit this page (None: it fits, or none
            was given).
    """

    layout: str | None
    register_type: str | None
    title: str = ""
    entries: tuple[Entry, ...] = ()
    other_lines: tuple[tuple[str, TextLine], ...] = ()
    notes: tuple[str, ...] = ()
    ocr_seconds: float = 0.0
    book_year: int | None = None
    layout_info: PageLayout | None = None
    misfit: str | None = None


_BOOK_YEAR = re.compile(r"\bn[aăâ]m\s*[:.]?\s*(1[89]\d\d|20[0-2]\d)\b", re.IGNORECASE)


def book_year(texts: list[str], lo: int = 1880, hi: int = 2021) -> int | None:
    """The year of the register from its heading lines ("Quyển số: 12 – Năm 1961")."""
    for t in texts:
        m = _BOOK_YEAR.search(t)
        if m and lo <= int(m.group(1)) <= hi:
            return int(m.group(1))
    return None
