"""Form pages: one to four entries, each a block of "Label: value" lines.

Labels are printed on the blank form; values are typed after them (or at one tab stop).
Each block starts with its entry number line ("Số: 125"). Some books put short fields on one
line ("Giới tính: Nam    Dân tộc: Kinh    Quốc tịch: Việt Nam").
"""
from __future__ import annotations

import random

from samples.design import VolumeDesign
from samples.fonts import FACE_BY_NAME, load_font
from samples.ledger import DrawnEntry
from samples.typeset import BBox, InkPage, draw_line, line_height, union, wrap

# Short fields that share a line when the book's form has inline pairs.
INLINE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("entry_no", "registration_date"),
    ("sex", "ethnicity", "nationality"),
    ("husband_ethnicity", "husband_nationality"),
    ("wife_ethnicity", "wife_nationality"),
)


def form_lines(design: VolumeDesign) -> list[list[str]]:
    """The fields of each printed line, in order (one field per line unless inline pairs)."""
    fields = [c.field for c in design.columns]
    lines: list[list[str]] = []
    done: set[str] = set()
    for f in fields:
        if f in done:
            continue
        group = next((g for g in INLINE_GROUPS if f in g), None) if design.inline_pairs else None
        line = [g for g in group if g in fields] if group else [f]
        lines.append(line)
        done.update(line)
    return lines


def _entry_lines(design: VolumeDesign, entry: dict[str, str | None], text_width: float) -> int:
    """How many text lines one entry block takes (wrapped values included)."""
    font = load_font(design.face, design.font_size)
    labels = {c.field: c.header for c in design.columns}
    n = 0
    for line in form_lines(design):
        if len(line) > 1:
            n += 1
            continue
        used = font.getlength(labels[line[0]] + ": ")
        n += max(1, len(wrap(entry.get(line[0]) or "", font, text_width - used)))
    return n


def _dots(ink: InkPage, x0: float, x1: float, baseline: float, size: int, descent: int) -> None:
    """A printed dotted leader for the clerk to type on, just under the baseline."""
    d = ink.draw("printed")
    step = max(3, int(size * 0.3))
    r = max(1, size // 26)
    # Just under the descenders: the clerk typed on the line, the value's box stays clear of it.
    y = baseline + descent + r + 1
    x = x0 + step
    while x < x1:
        d.ellipse([x - r, y - r, x + r, y + r], fill=120)
        x += step


def draw_form(ink: InkPage, design: VolumeDesign, entries: list[dict[str, str | None]],
              top: int, bottom: int, x0: int, x1: int, rng: random.Random) -> list[DrawnEntry]:
    """Draw the entry blocks between `top` and `bottom`.

    Line spacing is the volume's (set so that a full page of `rows_per_page` typical entries
    fills the page); a page with fewer entries leaves the rest of the page blank.

    Returns:
        Each entry's block box, printed values (wrapped lines joined with one space) and
        value boxes (from the value's start to the end of its last line).
    """
    font = load_font(design.face, design.font_size)
    book_rng = random.Random(f"{design.volume_id}:form")  # the same on every page
    lfont = load_font(design.printed_face, design.font_size, design.header_bold and book_rng.random() < 0.5)
    base = line_height(font)
    ascent, descent = font.getmetrics()
    typical = len(form_lines(design)) + 1
    gap_lines = 1.6
    most = design.rows_per_page
    lh = (bottom - top) * book_rng.uniform(0.86, 0.97) / (most * typical + (most - 1) * gap_lines)
    lh = min(lh, base * 1.9)
    need = sum(_entry_lines(design, e, x1 - x0) for e in entries) + (len(entries) - 1) * gap_lines
    lh = int(max(base * 1.05, min(lh, (bottom - top) / max(need, 1))))
    labels = {c.field: c.header for c in design.columns}
    typewriter = FACE_BY_NAME[design.face].style == "typewriter"
    jitter = design.font_size * 0.03
    tab = x0 + max(lfont.getlength(labels[f] + ":") for f in labels) + design.font_size
    pad = design.font_size // 2
    y = top + pad
    drawn: list[DrawnEntry] = []
    for e, entry in enumerate(entries):
        if e > 0:
            if design.form_separator == "rule":
                w = design.line_width
                sep_y = int(y + lh * gap_lines / 2 - lh / 2)
                ink.draw("printed").rectangle([x0, sep_y - w // 2, x1, sep_y - w // 2 + w - 1], fill=255)
            y += int(lh * gap_lines)
        block_top = y
        cells: dict[str, str | None] = {}
        boxes: dict[str, BBox] = {}
        intensity = rng.uniform(0.8, 1.0)
        for line in form_lines(design):
            x = x0 + pad
            extra_lines = 0
            for k, f in enumerate(line):
                label = labels[f] + ":"
                if k > 0:
                    x += design.font_size * book_rng.uniform(1.5, 3.0)
                lbox = draw_line(ink, "printed", x, y + ascent, label, lfont, rng)
                vx = lbox[2] + lfont.getlength(" ")
                if design.form_align and len(line) == 1:
                    vx = max(vx, tab)
                if design.dotted:
                    end = x1 - pad if k == len(line) - 1 else vx + design.font_size * 6
                    _dots(ink, lbox[2], end, y + ascent, design.font_size, descent)
                vx += rng.uniform(-0.1, 0.3) * design.font_size
                text = entry.get(f)
                if not text:
                    cells[f] = None
                    x = lbox[2]
                    if design.dotted and k < len(line) - 1:
                        x = lbox[2] + design.font_size * 6
                    continue
                avail = x1 - pad - vx if len(line) == 1 else max(x1 - pad - vx, font.getlength(text) + 1)
                wrapped = wrap(text, font, avail)
                vboxes = []
                for i, part in enumerate(wrapped):
                    if i > 0 and design.dotted:
                        _dots(ink, vx, x1 - pad, y + i * lh + ascent, design.font_size, descent)
                    vboxes.append(draw_line(ink, "typed", vx, y + i * lh + ascent, part, font, rng,
                                            intensity=intensity, typewriter=typewriter, jitter=jitter))
                extra_lines = max(extra_lines, len(wrapped) - 1)
                cells[f] = " ".join(wrapped)
                boxes[f] = union(vboxes)
                x = boxes[f][2]
            y += lh * (1 + extra_lines)
        block = (x0, block_top - pad, x1, y - lh + base + pad)
        if design.form_separator == "box":
            w = design.line_width
            ink.draw("printed").rectangle(list(block), outline=255, width=w)
        drawn.append(DrawnEntry(block, cells, boxes))
    return drawn
