"""Write a book's workbook (.xlsx) with openpyxl in write-only mode (rows streamed to disk,
so memory stays flat however long the book)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from schemas.atomic import atomic_path

SHEET_TITLES = {"birth": "KhaiSinh", "death": "KhaiTu", "marriage": "KetHon"}


def _clean(text: str) -> str:
    # Control characters are not allowed in .xlsx cells (openpyxl refuses them); OCR can
    # produce them, and dropping them loses nothing a person could read.
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def write_workbook(path: Path, register_type: str, header: list[str],
                   rows: Iterable[list[str]]) -> int:
    """Write one sheet: the header row, then one row per case, every cell as text.

    Cells are text so that entry numbers keep leading zeros and dates stay "01.02.1965".

    Args:
        path: the .xlsx to write (atomically).
        register_type: names the sheet (KhaiSinh, KhaiTu, KetHon).
        header: the column names.
        rows: the cases' cells, in header order.
    Returns:
        The number of case rows written.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_TITLES.get(register_type, register_type))
    ws.append(header)
    n = 0
    for cells in rows:
        # An empty cell is left out (None) rather than written as "": same file for the
        # import, and openpyxl writes a third fewer cells.
        ws.append([_clean(c) if c else None for c in cells])
        n += 1
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return n
