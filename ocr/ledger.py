"""Read a ledger page: header cells (one or two levels) -> column fields, then one entry per
body row, cell by cell.

Header structure comes from the ruling: inside the header band a partial horizontal line
(a group underline) splits a column's header into an upper and a lower piece, and upper
pieces of neighbouring columns with no vertical line between them are one spanning group
cell ("Chồng" over "Họ và tên", "Ngày sinh"...). The text decides the rest: the band under
the header is a second header row when its cells read like header words, and a row of
column numbers ("(1) (2) ...") is skipped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from configs.loader import Config, RegisterConfig
from ocr.entry import Entry
from ocr.grid import TableGrid
from ocr.headers import ColumnHeader, ColumnMap, header_likeness, is_column_numbers, map_columns
from ocr.recognize import CellText, PageInk, TextLine, read_box

BBox = tuple[int, int, int, int]
MAX_HEADER_BANDS = 3


@dataclass(frozen=True)
class LedgerRead:
    """A ledger page as read: column fields, entries, header lines, Tesseract time."""

    columns: ColumnMap | None
    headers: tuple[ColumnHeader, ...]
    entries: tuple[Entry, ...]
    header_lines: tuple[TextLine, ...]
    register_type: str | None
    notes: tuple[str, ...]
    seconds: float


def _tol(grid: TableGrid) -> int:
    x0, y0, x1, y1 = grid.bbox
    return max(int(max(x1 - x0, y1 - y0) / 300), 3)


def _has_vline(grid: TableGrid, x: int, y0: int, y1: int, tol: int) -> bool:
    """Is there a vertical ruling line at x over most of y0..y1?"""
    if y1 - y0 < 3:
        return False
    strip = grid.line_mask[y0 + tol: max(y1 - tol, y0 + tol + 1), max(x - tol, 0): x + tol + 1]
    return strip.size > 0 and float(strip.any(axis=1).mean()) >= 0.5


def header_pieces(grid: TableGrid, band: tuple[int, int]) -> list[tuple[BBox, list[int]]]:
    """Header cells of one header band: (box, columns it covers), top pieces first.

    A column's band is cut where a partial (group) line crosses its middle; an upper piece
    spans neighbouring columns when they are cut at the same height and no vertical line
    separates them there.
    """
    tol = _tol(grid)
    y0, y1 = band
    cols = grid.cols
    cuts: list[tuple[int, ...]] = []
    for i in range(grid.n_cols):
        mid = (cols[i] + cols[i + 1]) // 2
        cs = sorted({p.pos for p in grid.partial
                     if p.lo - tol <= mid <= p.hi + tol and y0 + 3 * tol < p.pos < y1 - 3 * tol})
        cuts.append(tuple(cs))
    pieces: list[tuple[BBox, list[int]]] = []
    lower: list[tuple[BBox, list[int]]] = []
    i = 0
    while i < grid.n_cols:
        if not cuts[i]:
            lower.append(((cols[i], y0, cols[i + 1], y1), [i]))
            i += 1
            continue
        cut = cuts[i][0]
        j = i
        while (j + 1 < grid.n_cols and cuts[j + 1] and abs(cuts[j + 1][0] - cut) <= 2 * tol
               and not _has_vline(grid, cols[j + 1], y0, cut, tol)):
            j += 1
        pieces.append(((cols[i], y0, cols[j + 1], cut), list(range(i, j + 1))))
        for k in range(i, j + 1):
            lower.append(((cols[k], cut, cols[k + 1], y1), [k]))
        i = j + 1
    return pieces + lower


def _read_band_cells(engine, page: PageInk, grid: TableGrid, band: tuple[int, int],
                     inset: int) -> list[CellText]:
    return [read_box(engine, page, (grid.cols[i], band[0], grid.cols[i + 1], band[1]), inset=inset)
            for i in range(grid.n_cols)]


def read_headers(engine, page: PageInk, grid: TableGrid, cfg: Config
                 ) -> tuple[list[ColumnHeader], int, list[TextLine], dict[int, list[CellText]], float]:
    """Read the header: per-column ColumnHeader, the index of the first body band, the header
    lines (for ALTO), the band cells already read while deciding, and Tesseract seconds."""
    tol = _tol(grid)
    seconds = 0.0
    lines: list[TextLine] = []
    group_text: list[list[str]] = [[] for _ in range(grid.n_cols)]
    own_text: list[list[str]] = [[] for _ in range(grid.n_cols)]
    for box, covered in header_pieces(grid, grid.bands[0]):
        c = read_box(engine, page, box, inset=tol)
        seconds += c.seconds
        lines.extend(c.lines)
        for k in covered:
            (group_text if len(covered) > 1 else own_text)[k].append(c.text)
    first_body = 1
    read_cache: dict[int, list[CellText]] = {}
    regs = list(cfg.registers.values())
    for b in range(1, min(MAX_HEADER_BANDS, len(grid.bands))):
        cells = _read_band_cells(engine, page, grid, grid.bands[b], tol)
        seconds += sum(c.seconds for c in cells)
        texts = [c.text for c in cells]
        if is_column_numbers(texts):
            first_body = b + 1
            continue
        if header_likeness(texts, regs, cfg.header_match) >= 0.6:
            # a second header row: what was above becomes the group text
            for k, c in enumerate(cells):
                if c.text:
                    group_text[k].extend(own_text[k])
                    own_text[k] = [c.text]
                lines.extend(c.lines)
            first_body = b + 1
            continue
        read_cache[b] = cells
        break
    headers = [ColumnHeader(" ".join(g) or None, " ".join(o)) for g, o in zip(group_text, own_text)]
    return headers, first_body, lines, read_cache, seconds


def choose_register(headers: list[ColumnHeader], cfg: Config) -> tuple[str | None, ColumnMap | None]:
    """Without a readable title: the register type whose vocabulary maps clearly more
    columns (a strict winner), else None."""
    scored = []
    for rtype, reg in cfg.registers.items():
        cm = map_columns(headers, reg, cfg.header_match)
        scored.append((sum(f is not None for f in cm.fields), rtype, cm))
    scored.sort(key=lambda t: -t[0])
    if len(scored) > 1 and scored[0][0] > scored[1][0]:
        return scored[0][1], scored[0][2]
    return None, None


def read_ledger(engine, page: PageInk, grid: TableGrid, cfg: Config,
                register_type: str | None) -> LedgerRead:
    """Read a ledger page.

    Args:
        engine: a SINGLE_LINE tesserocr engine.
        page: the prepared page (ruling whitened).
        grid: its table.
        cfg: the configuration (header vocabulary, thresholds).
        register_type: known type (task or title), or None to decide from the headers.

    Returns:
        LedgerRead; `register_type` None and no entries when the type stays unknown.
    """
    notes: list[str] = []
    headers, first_body, hlines, cache, seconds = read_headers(engine, page, grid, cfg)
    flags: list[str] = []
    if register_type is None:
        register_type, cm = choose_register(headers, cfg)
        if register_type is None:
            notes.append("register type unrecognised: no title and the column headers match no "
                         "register clearly")
            return LedgerRead(None, tuple(headers), (), tuple(hlines), None, tuple(notes), seconds)
        notes.append(f"no readable title; type {register_type} decided from column headers")
        flags.append("layout_uncertain")
    reg: RegisterConfig = cfg.registers[register_type]
    cm = map_columns(headers, reg, cfg.header_match)
    if cm.unmapped:
        names = ", ".join(f"{i + 1} {headers[i].text!r}" for i in cm.unmapped)
        notes.append(f"unmapped column(s): {names}")
        flags.append("unmapped_column")
    if sum(f is not None for f in cm.fields) < 2:
        notes.append("column headers unreadable: fewer than two columns mapped")
        return LedgerRead(cm, tuple(headers), (), tuple(hlines), register_type, tuple(notes), seconds)
    tol = _tol(grid)
    entries = []
    for b in range(first_body, len(grid.bands)):
        y0, y1 = grid.bands[b]
        cells: dict[str, CellText] = {}
        extra_ink = False
        for i, f in enumerate(cm.fields):
            box = (grid.cols[i], y0, grid.cols[i + 1], y1)
            if f is None:
                extra_ink = extra_ink or _has_ink(page, box, tol)
                continue
            c = cache[b][i] if b in cache else read_box(engine, page, box, inset=tol)
            seconds += c.seconds if b not in cache else 0.0
            cells[f] = c
        if cache.get(b):
            seconds += sum(c.seconds for c in cache[b])
        if all(c.empty for c in cells.values()):
            continue  # an unused ruled row
        entries.append(Entry(row=len(entries) + 1, bbox=(grid.bbox[0], y0, grid.bbox[2], y1),
                             cells=cells, flags=tuple(flags)))
    return LedgerRead(cm, tuple(headers), tuple(entries), tuple(hlines), register_type,
                      tuple(notes), seconds)


def _has_ink(page: PageInk, box: BBox, inset: int) -> bool:
    x0, y0, x1, y1 = box
    crop = page.ink[y0 + inset: y1 - inset, x0 + inset: x1 - inset]
    return bool(crop.size) and int(np.count_nonzero(crop)) > page.char_h * page.char_h * 0.5
