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


def entry_height(design: VolumeDesign, entry: dict[str, str | None], text_width: float) -> int:
    """Height in pixels one entry block needs (wrapped values included)."""
    font = load_font(design.face, design.font_size)
    lh = int(line_height(font) * 1.25)
    n = 0
    labels = {c.field: c.header for c in design.columns}
    for line in form_lines(design):
        if len(line) > 1:
            n += 1
            continue
        f = line[0]
        used = font.getlength(labels[f] + ": ")
        n += max(1, len(wrap(entry.get(f) or "", font, text_width - used)))
    return n * lh


def draw_form(ink: InkPage, design: VolumeDesign, entries: list[dict[str, str | None]],
              top: int, bottom: int, x0: int, x1: int, rng: random.Random) -> list[DrawnEntry]:
    """Draw the entry blocks between `top` and `bottom`, spread down the page.

    Returns:
        Each entry's block box, printed values (wrapped lines joined with one space) and
        value boxes (from the value's start to the end of its last line).
    """
    font = load_font(design.face, design.font_size)
    lfont = load_font(design.face, design.font_size, design.header_bold and rng.random() < 0.5)
    lh = int(line_height(font) * 1.25)
    ascent, _ = font.getmetrics()
    labels = {c.field: c.header for c in design.columns}
    typewriter = FACE_BY_NAME[design.face].style == "typewriter"
    jitter = design.font_size * 0.03
    tab = x0 + max(lfont.getlength(labels[f] + ":") for f in labels) + design.font_size
    heights = [entry_height(design, e, x1 - x0) for e in entries]
    gap = max(lh, (bottom - top - sum(heights)) // max(1, len(entries)))
    gap = min(gap, lh * 3)
    y = top
    drawn: list[DrawnEntry] = []
    for e, entry in enumerate(entries):
        if e > 0:
            sep_y = y + gap // 2 - lh // 2
            if design.form_separator == "rule":
                w = design.line_width
                ink.draw("printed").rectangle([x0, sep_y - w // 2, x1, sep_y - w // 2 + w - 1], fill=255)
            y += gap
        block_top = y
        cells: dict[str, str | None] = {}
        boxes: dict[str, BBox] = {}
        intensity = rng.uniform(0.8, 1.0)
        for line in form_lines(design):
            x = x0
            extra_lines = 0
            for k, f in enumerate(line):
                label = labels[f] + ":"
                if k > 0:
                    x += design.font_size * rng.uniform(1.5, 3.0)
                lbox = draw_line(ink, "printed", x, y + ascent, label, lfont, rng)
                vx = lbox[2] + lfont.getlength(" ")
                if design.form_align and len(line) == 1:
                    vx = max(vx, tab)
                vx += rng.uniform(-0.15, 0.3) * design.font_size
                text = entry.get(f)
                if not text:
                    cells[f] = None
                    x = lbox[2]
                    continue
                avail = x1 - vx if len(line) == 1 else max(x1 - vx, font.getlength(text) + 1)
                wrapped = wrap(text, font, avail)
                vboxes = []
                for i, part in enumerate(wrapped):
                    vboxes.append(draw_line(ink, "typed", vx, y + (i * lh) + ascent, part, font, rng,
                                            intensity=intensity, typewriter=typewriter, jitter=jitter))
                extra_lines = max(extra_lines, len(wrapped) - 1)
                cells[f] = " ".join(wrapped)
                boxes[f] = union(vboxes)
                x = boxes[f][2]
            y += lh * (1 + extra_lines)
        drawn.append(DrawnEntry((x0, block_top, x1, y), cells, boxes))
    return drawn
