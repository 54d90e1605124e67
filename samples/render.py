"""Render one register page (ledger or form) from canonical entries: page furniture (authority
line, title, book and year), the entries in the volume's design, then the scan degradation,
with the ground truth mapped into the final page's pixels.
"""
from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image

from samples import degrade
from samples.design import VolumeDesign
from samples.fonts import load_font
from samples.form import draw_form
from samples.ledger import draw_ledger
from samples.signoff import draw_signoff, stamp_over
from samples.textstyle import abbreviate_place, print_value
from samples.truth import ColumnTruth, EntryTruth, PageTruth, record_id
from samples.typeset import InkPage, draw_line, line_height
from schemas.fields import all_fields, field_kind

A4_INCHES = (11.693, 8.268)  # long side, short side
SIGNOFF_RATE = 0.6  # pages with the clerk's signature and seal under the entries


@dataclass(frozen=True)
class RenderedPage:
    """A finished page: the image as stored, its bytes when stored as JPEG, and its truth."""

    image: Image.Image
    jpeg: bytes | None
    truth: PageTruth


def page_size(layout: str, dpi: int, paper: tuple[float, float] = A4_INCHES,
              orientation: str | None = None) -> tuple[int, int]:
    """The page in pixels: A4 unless `paper` (long, short inches) says otherwise; landscape
    for ledgers and portrait for forms unless `orientation` says otherwise.

    Both sides are rounded to a whole number of PDF points (1/72 inch), so the PDF page size
    is exact and `pdftoppm -r DPI` gives back exactly this many pixels (with 595.2 pt it
    rounds 2976 px up to 2977).
    """
    q = dpi // math.gcd(dpi, 72)
    long_, short = (max(q, round(x * dpi / q) * q) for x in paper)
    landscape = layout == "ledger" if orientation is None else orientation == "landscape"
    return (long_, short) if landscape else (short, long_)


def _furniture(ink: InkPage, design: VolumeDesign, page: int, width: int, height: int,
               rng: random.Random) -> tuple[int, str, tuple, tuple[str, ...]]:
    """Draw the authority line, title, book number and year; return where entries may start,
    the title, its box and the other header lines as printed."""
    book_rng = random.Random(f"{design.volume_id}:furniture")  # the same on every page
    size = design.font_size
    small = load_font(design.printed_face, max(8, int(size * 0.85)))
    title_font = load_font(design.printed_face, int(size * book_rng.uniform(1.6, 1.9)), True)
    mx = int(width * 0.07)
    y = int(height * book_rng.uniform(0.045, 0.06))
    lines: list[str] = []
    asc = small.getmetrics()[0]
    draw_line(ink, "printed", mx, y + asc, design.authority, small, rng)
    lines.append(design.authority)
    book = f"Quyển số: {design.book_no}"
    year = f"Năm {design.year}"
    combined = book_rng.random() < 0.4
    if not combined:
        draw_line(ink, "printed", width - mx - small.getlength(book), y + asc, book, small, rng)
        lines.append(book)
    y += int(line_height(small) * 1.6)
    title = design.title
    tw = title_font.getlength(title)
    tasc = title_font.getmetrics()[0]
    tx = (width - tw) / 2 + rng.uniform(-0.01, 0.01) * width
    title_box = draw_line(ink, "printed", tx, y + tasc, title, title_font, rng)
    y = title_box[3] + int(size * 0.4)
    sub = f"{book} – {year}" if combined else year
    draw_line(ink, "printed", (width - small.getlength(sub)) / 2, y + asc, sub, small, rng)
    lines.append(sub)
    y += int(line_height(small) * 1.8)
    if design.first_page_no is not None:
        num = str(design.first_page_no + page - 1)
        nfont = load_font(design.face, max(8, int(size * 0.8)))
        draw_line(ink, "printed", (width - nfont.getlength(num)) / 2, height - int(height * 0.025),
                  num, nfont, rng)
    return y, title, title_box, tuple(lines)


def printed_entry(design: VolumeDesign, entry: dict, rng: random.Random) -> tuple[dict, dict]:
    """The truth fields (null where the book has no column) and the texts to print."""
    present = {c.field for c in design.columns}
    fields = {f: (entry.get(f) if f in present else None) for f in all_fields(design.register_type)}
    texts = {f: print_value(f, v, design.style, rng) for f, v in fields.items() if f in present}
    for f, values in design.extra_values:  # columns no record has (printed, never truth)
        texts[f] = rng.choice(values) if values and rng.random() < 0.9 else None
    return fields, texts


def render_page(design: VolumeDesign, page: int, entries: list[dict], degrade_level: str,
                seed: int) -> RenderedPage:
    """Render one page.

    Args:
        design: the volume design.
        page: 1-based page position in the volume.
        entries: canonical entries (samples/people.py) to print on this page, in order.
        degrade_level: none, light, moderate or heavy.
        seed: the volume seed (the page's randomness derives from it, the volume and page).

    Returns:
        The final image, its JPEG bytes (None when lossless), and the page truth.
    """
    rng = random.Random(f"{seed}:{design.volume_id}:page:{page}")
    nprng = np.random.default_rng(rng.getrandbits(64))
    width, height = page_size(design.layout, design.dpi, design.paper, design.orientation)
    ink = InkPage.blank(width, height)
    if page in design.blank_pages:
        return _blank_leaf(design, page, ink, degrade_level, rng, nprng)
    top, title, title_box, header_lines = _furniture(ink, design, page, width, height, rng)
    canon, texts = zip(*(printed_entry(design, e, rng) for e in entries)) if entries else ((), ())
    mx = int(width * (rng.uniform(0.055, 0.075) if design.layout == "ledger" else rng.uniform(0.09, 0.11)))
    bottom = height - int(height * 0.06)
    columns: list = []
    if design.layout == "ledger":
        alternates = {i: {f: abbreviate_place(v, rng) for f, v in t.items()
                          if v is not None and field_kind(f) == "place"} for i, t in enumerate(canon)}
        columns, drawn = draw_ledger(ink, design, list(texts), top, bottom, mx, width - mx, rng,
                                     alternates)
    else:
        drawn = draw_form(ink, design, list(texts), top, bottom, mx, width - mx, rng)

    marks = []
    if drawn and design.stamp_rate and rng.random() < design.stamp_rate:
        seal = "UBHC" if design.authority.startswith(("UBHC", "Ủy ban Hành chính")) else "UBND"
        marks.append(stamp_over(rng, design.printed_face, design.font_size, seal,
                                rng.choice(drawn).bbox))
    if rng.random() < SIGNOFF_RATE:
        free_top = max(d.bbox[3] for d in drawn) + design.font_size if drawn else top
        seal = "UBHC" if design.authority.startswith(("UBHC", "Ủy ban Hành chính")) else "UBND"
        marks += draw_signoff(ink, design.printed_face, design.font_size, seal, free_top,
                             height - int(height * 0.035), width - mx, rng)
    image, jpeg, params, m, mark_boxes = _scan(ink, design, degrade_level, marks, rng, nprng)

    def tb(box):
        return degrade.map_bbox(box, m, width, height)

    entry_truths = []
    for row, (fields, d) in enumerate(zip(canon, drawn), start=1):
        cells = {f: d.cells.get(f) for f in fields}
        entry_truths.append(EntryTruth(
            record_id=record_id(design.volume_id, page, row), row=row, bbox=tb(d.bbox),
            fields=fields, cells=cells, cell_bboxes={f: tb(b) for f, b in d.cell_bboxes.items()}))
    truth = PageTruth(
        page=page, width=width, height=height, dpi=design.dpi, skew=params.skew,
        layout=design.layout, register_type=design.register_type, title=title,
        title_bbox=tb(title_box), header_lines=header_lines, marks=tuple(mark_boxes),
        columns=tuple(ColumnTruth(c.field, c.header, c.group, tb(c.bbox)) for c in columns),
        entries=tuple(entry_truths))
    return RenderedPage(image=image, jpeg=jpeg, truth=truth)


def _scan(ink: InkPage, design: VolumeDesign, degrade_level: str, marks: list,
          rng: random.Random, nprng: np.random.Generator):
    """The clean page scanned: (image as stored, its JPEG bytes or None, scan parameters, the
    clean-to-scan page matrix, the marks' boxes on the scan)."""
    width, height = ink.printed.size
    params = degrade.choose_params(degrade_level, rng, width, height, design.dpi)
    rgb = degrade.scan(ink, design.ink, design.form_ink, params, nprng, design.dpi)
    degrade.extras(rgb, design.degrade_extra, nprng)
    m = degrade.page_matrix(params, width, height)
    mark_boxes = degrade.blend_marks(rgb, marks, m, params)
    if params.jpeg_quality is None:
        return Image.fromarray(rgb, "RGB"), None, params, m, mark_boxes
    jpeg = degrade.encode_jpeg(rgb, params.jpeg_quality, design.dpi)
    return Image.open(io.BytesIO(jpeg)).convert("RGB"), jpeg, params, m, mark_boxes


def _blank_leaf(design: VolumeDesign, page: int, ink: InkPage, degrade_level: str,
                rng: random.Random, nprng: np.random.Generator) -> RenderedPage:
    """A leaf left blank: nothing but paper, or (near-blank) a pencilled page number or a
    crossed-out "Bỏ trống" note in a corner, then the same scan as the book's other pages."""
    width, height = ink.printed.size
    if rng.random() < 0.5:
        font = load_font(design.face, max(8, int(design.font_size * 0.8)))
        note = rng.choice([str(page), "Bỏ trống", "-"])
        draw_line(ink, "typed", width * rng.uniform(0.75, 0.9), height * rng.uniform(0.03, 0.06), note, font, rng)
    image, jpeg, params, _, _ = _scan(ink, design, degrade_level, [], rng, nprng)
    truth = PageTruth(page=page, width=width, height=height, dpi=design.dpi, skew=params.skew,
                      layout=design.layout, register_type=design.register_type, title="",
                      title_bbox=(0, 0, 0, 0), header_lines=(), marks=(), columns=(), entries=())
    return RenderedPage(image=image, jpeg=jpeg, truth=truth)
