"""Ledger pages: a ruled table, one entry per row, under one or two header rows.

The marriage register's header has two levels: group cells ("Chồng" / "Vợ") spanning their
sub-columns, while ungrouped columns (Số, Ngày đăng ký, Ghi chú) span both header rows.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from samples.design import Column, VolumeDesign
from samples.fonts import FACE_BY_NAME, load_font
from samples.typeset import BBox, InkPage, draw_line, fit_lines, line_height, wrap

SHORT_FIELDS = {"entry_no", "sex", "ethnicity", "husband_ethnicity", "wife_ethnicity"}


@dataclass(frozen=True)
class DrawnEntry:
    """Where one entry landed on the clean page: its box, cell boxes and printed text."""

    bbox: BBox
    cells: dict[str, str | None]
    cell_bboxes: dict[str, BBox]


@dataclass(frozen=True)
class DrawnColumn:
    field: str
    header: str
    group: str | None
    bbox: BBox


def column_number(i: int, style: str) -> str:
    """The printed number of column i: "3", "(3)" or "Cột 3"."""
    return {"plain": str(i), "paren": f"({i})", "cot": f"Cột {i}"}[style]


def _col_edges(design: VolumeDesign, x0: int, x1: int) -> list[int]:
    total = sum(c.weight for c in design.columns)
    edges = [x0]
    acc = 0.0
    for c in design.columns:
        acc += c.weight
        edges.append(int(round(x0 + (x1 - x0) * acc / total)))
    edges[-1] = x1
    return edges


def _hline(ink: InkPage, x0: int, x1: int, y: int, w: int) -> None:
    ink.draw("printed").rectangle([x0, y - w // 2, x1, y - w // 2 + w - 1], fill=255)


def _vline(ink: InkPage, x: int, y0: int, y1: int, w: int) -> None:
    ink.draw("printed").rectangle([x - w // 2, y0, x - w // 2 + w - 1, y1], fill=255)


def _centered_text(ink: InkPage, layer: str, text: str, box: BBox, face: str, size: int,
                   bold: bool, rng: random.Random, max_lines: int = 4) -> list[str]:
    """Wrap and centre `text` in `box` (header cells); return the printed lines."""
    pad = max(2, size // 5)
    width = box[2] - box[0] - 2 * pad
    size = _word_fit(text, face, size, width, bold)
    font, lines = fit_lines(text, face, size, width, max_lines, bold)
    lh = line_height(font)
    ascent, _ = font.getmetrics()
    top = (box[1] + box[3]) / 2 - lh * len(lines) / 2
    for i, line in enumerate(lines):
        w = font.getlength(line)
        draw_line(ink, layer, (box[0] + box[2]) / 2 - w / 2, top + i * lh + ascent, line, font, rng)
    return lines


def _word_fit(text: str, face: str, size: int, width: float, bold: bool) -> int:
    """The largest size (down to 60%) at which the longest word of a header fits on one line:
    printers set a smaller header rather than break a word ("Nam/N" + "ữ")."""
    longest = max(text.split(), key=len)
    s = size
    while s > size * 0.6 and load_font(face, s, bold).getlength(longest) > width:
        s -= 1
    return s


def _header_height(cols: list[Column], edges: list[int], face: str, size: int, bold: bool) -> int:
    pad = max(2, size // 5)
    lines = 1
    for i, c in enumerate(cols):
        width = edges[i + 1] - edges[i] - 2 * pad
        _, ls = fit_lines(c.header, face, _word_fit(c.header, face, size, width, bold), width, 4, bold)
        lines = max(lines, len(ls))
    return lines * line_height(load_font(face, size, bold)) + 3 * pad


def _draw_header(ink: InkPage, design: VolumeDesign, edges: list[int], top: int, x0: int, x1: int,
                 book: random.Random, rng: random.Random) -> tuple[list[DrawnColumn], int, int]:
    """Draw the header row(s) and the optional column-number row.

    Returns:
        The header columns, the height of the group row (0 without groups) and the y where
        the body rows start.
    """
    cols = list(design.columns)
    lw = design.line_width
    hsize = max(8, int(design.font_size * book.uniform(0.8, 0.92)))
    bold = design.header_bold
    group_h = 0
    if any(c.group for c in cols):
        group_h = line_height(load_font(design.printed_face, hsize, True)) + hsize // 2
    head_bottom = top + group_h + _header_height(cols, edges, design.printed_face, hsize, bold)
    i = 0
    while i < len(cols):  # group cells over runs of columns of the same group
        j = i
        while j < len(cols) and cols[j].group == cols[i].group:
            j += 1
        if cols[i].group is not None:
            gbox = (edges[i], top, edges[j], top + group_h)
            _centered_text(ink, "printed", cols[i].group, gbox, design.printed_face, hsize, True, rng, 1)
            _hline(ink, edges[i], edges[j], top + group_h, lw)
        i = j
    drawn: list[DrawnColumn] = []
    for i, c in enumerate(cols):
        box = (edges[i], top + group_h if c.group else top, edges[i + 1], head_bottom)
        lines = _centered_text(ink, "printed", c.header, box, design.printed_face, hsize, bold, rng)
        drawn.append(DrawnColumn(c.field, " ".join(lines), c.group,
                                 (box[0] + lw, box[1] + lw, box[2] - lw, box[3] - lw)))
    _hline(ink, x0, x1, head_bottom, lw + (1 if book.random() < 0.5 else 0))
    body_top = head_bottom
    if design.number_row:  # "1 2 3 ..." under the headers, as printed registers have
        nsize = max(8, int(design.font_size * 0.7))
        nh = line_height(load_font(design.face, nsize)) + nsize // 2
        for i in range(len(cols)):
            _centered_text(ink, "printed", column_number(i + 1, design.number_style),
                           (edges[i], body_top, edges[i + 1], body_top + nh),
                           design.printed_face, nsize, False, rng, 1)
        body_top += nh
        _hline(ink, x0, x1, body_top, lw)
    return drawn, group_h, body_top


def _draw_grid(ink: InkPage, design: VolumeDesign, edges: list[int], top: int, group_h: int,
               body_top: int, row_h: int, x0: int, x1: int, heavy_top: bool) -> None:
    cols = design.columns
    lw = design.line_width
    table_bottom = body_top + row_h * design.rows_per_page
    for e in range(1, design.rows_per_page + 1):
        _hline(ink, x0, x1, body_top + e * row_h, lw)
    for i, x in enumerate(edges):
        # Inside a group, sub-column rules start under the group cell ("Chồng" spans them).
        inner = 0 < i < len(cols) and cols[i - 1].group is not None and cols[i - 1].group == cols[i].group
        _vline(ink, x, top + group_h if inner else top, table_bottom, lw)
    _hline(ink, x0, x1, top, lw + (1 if heavy_top else 0))


def draw_ledger(ink: InkPage, design: VolumeDesign, entries: list[dict[str, str | None]],
                top: int, bottom: int, x0: int, x1: int, rng: random.Random,
                alternates: dict[int, dict[str, str]] | None = None
                ) -> tuple[list[DrawnColumn], list[DrawnEntry]]:
    """Draw the table and its entries between `top` and `bottom`.

    Args:
        ink: the page's masks.
        design: the volume design (columns, font, line width, rows per page).
        entries: per entry, field -> printed text (None: empty cell), for the book's columns.
        top, bottom, x0, x1: the table's area on the clean page.
        rng: the page's random source (text placement jitter).
        alternates: per entry index, field -> a shorter text to print when the normal one
            does not fit its cell (abbreviated places).

    Returns:
        The header columns (with their header-cell boxes) and the entries as drawn.
    """
    book = random.Random(f"{design.volume_id}:ledger")  # the printed form: same on every page
    edges = _col_edges(design, x0, x1)
    columns, group_h, body_top = _draw_header(ink, design, edges, top, x0, x1, book, rng)
    font = load_font(design.face, design.font_size)
    lh = line_height(font)
    row_h = min((bottom - body_top) // design.rows_per_page, int(lh * 3.4))
    _draw_grid(ink, design, edges, top, group_h, body_top, row_h, x0, x1, book.random() < 0.5)

    lw = design.line_width
    typewriter = FACE_BY_NAME[design.face].style == "typewriter"
    jitter = design.font_size * 0.03
    pad = max(3, design.font_size // 4)
    max_lines = max(1, (row_h - lw * 2) // lh)
    drawn: list[DrawnEntry] = []
    for r, entry in enumerate(entries):
        y0 = body_top + r * row_h
        cells: dict[str, str | None] = {}
        boxes: dict[str, BBox] = {}
        intensity = rng.uniform(0.8, 1.0)  # a fresh or tired ribbon, per typing session
        dx = rng.uniform(-1, 1) * pad * 0.6  # the carriage never lands twice in one place
        # One typed line per row: every cell's first line shares the row's line, placed so
        # that a two-line cell still fits.
        line_top = y0 + lw + pad * 0.5 + rng.uniform(0, max(0.0, row_h - 2 * lh - pad)) * 0.6
        for i, c in enumerate(design.columns):
            cell = (edges[i] + lw, y0 + lw, edges[i + 1] - lw, y0 + row_h - lw)
            boxes[c.field] = cell
            text = entry.get(c.field)
            if not text:
                cells[c.field] = None
                continue
            width = cell[2] - cell[0] - 2 * pad
            short = (alternates or {}).get(r, {}).get(c.field)
            if short and len(wrap(text, font, width)) > max_lines:
                text = short  # a clerk short of room abbreviates ("P. Bạch Mai, Q. HBT")
            f, lines = fit_lines(text, design.face, design.font_size, width, max_lines)
            flh = line_height(f)
            ascent, _ = f.getmetrics()
            # Start at the row's line unless the wrapped block would cross the bottom rule.
            ytop = max(cell[1], min(line_top + rng.uniform(-jitter, jitter),
                                    cell[3] - flh * len(lines) - 1))
            for k, line in enumerate(lines):
                w = f.getlength(line)
                if c.field in SHORT_FIELDS:
                    x = (cell[0] + cell[2]) / 2 - w / 2 + dx
                else:
                    x = cell[0] + pad + max(0.0, dx)
                x = min(max(x, cell[0] + 1), cell[2] - w - 1) if w < cell[2] - cell[0] - 2 else cell[0] + 1
                draw_line(ink, "typed", x, ytop + k * flh + ascent, line, f, rng,
                          intensity=intensity, typewriter=typewriter, jitter=jitter)
            cells[c.field] = " ".join(lines)
        drawn.append(DrawnEntry((x0, y0, x1, y0 + row_h), cells, boxes))
    return columns, drawn
