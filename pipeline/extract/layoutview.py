"""The layout picture: what the page reader detected, drawn over the cleaned page (pure: pixels
and a PageLayout in, pixels or HTML out).

Drawn: the title line and register type (blue), the ruled grid's columns with their field and
header text (green: mapped from the header; amber: inferred from the cells; violet: from the
volume profile; red: unmapped), the header band, the column-number row (orange), each entry
row or form block (thin green, numbered) and the form labels (violet, with their field).
OpenCV's fonts have no Vietnamese letters: labels in the picture are ASCII (field names and the
accent-folded header); the HTML view beside it gives the header text as read.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import jinja2
import numpy as np

from ocr.vocab import fold
from pipeline import i18n
from schemas.layout import PageLayout

# The picture's width at most (pixels): enough to read the labels, small enough to open fast.
MAX_WIDTH = 1800
# BGR colours
BLUE, GREEN, AMBER, VIOLET, RED, ORANGE, GREY = ((200, 90, 20), (40, 150, 40), (0, 160, 230),
                                                 (170, 60, 160), (30, 30, 220), (0, 120, 255),
                                                 (120, 120, 120))
HOW_COLOUR = {"header": GREEN, "inferred": AMBER, "profile": VIOLET, "none": RED}
_TEMPLATES = Path(__file__).resolve().parent / "templates"


def _text(img: np.ndarray, text: str, org: tuple[int, int], colour, scale: float,
          thick: int = 1) -> None:
    """ASCII text with a white halo, so it reads over ink and ruling."""
    t = fold(text) if not text.isascii() else text
    cv2.putText(img, t, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick + 3, cv2.LINE_AA)
    cv2.putText(img, t, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick, cv2.LINE_AA)


def _tint(img: np.ndarray, box, colour, alpha: float = 0.18) -> None:
    x0, y0, x1, y1 = box
    roi = img[y0:y1, x0:x1]
    if roi.size:
        roi[:] = (roi * (1 - alpha) + np.array(colour, dtype=np.float32) * alpha).astype(np.uint8)


def draw_layout(gray: np.ndarray, layout: PageLayout) -> np.ndarray:
    """The layout drawn over the page (BGR, at most MAX_WIDTH wide)."""
    s = min(1.0, MAX_WIDTH / max(gray.shape[1], 1))
    small = cv2.resize(gray, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else gray
    img = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)

    def sc(box):
        return tuple(int(round(v * s)) for v in box)

    fs = max(0.35, img.shape[1] / 3600)  # font scale for the picture's width
    line_h = int(28 * fs / 0.5)
    head = f"type: {layout.register_type or '?'}   layout: {layout.kind or '?'}"
    if layout.title_bbox is not None:
        tb = sc(layout.title_bbox)
        cv2.rectangle(img, tb[:2], tb[2:], BLUE, 2)
        head += f"   title: {layout.title}"
    else:
        head += "   (no title found)"
    _text(img, head, (10, line_h), BLUE, fs * 1.1, 2)
    if layout.kind == "ledger" and layout.grid_bbox is not None:
        _draw_grid(img, layout, sc, fs, line_h)
    for i, box in enumerate(layout.entries, 1):
        b = sc(box)
        cv2.rectangle(img, (b[0] + 2, b[1] + 2), (b[2] - 2, b[3] - 2), GREEN, 1)
        _text(img, f"#{i}", (max(b[0] - int(40 * fs / 0.5), 0), b[1] + line_h), GREEN, fs)
    for lab in layout.labels:
        b = sc(lab.bbox)
        cv2.rectangle(img, b[:2], b[2:], VIOLET, 2)
        _text(img, lab.field, (b[0], max(b[1] - 4, line_h)), VIOLET, fs * 0.9)
    return img


def _draw_grid(img, layout: PageLayout, sc, fs: float, line_h: int) -> None:
    gx0, gy0, gx1, gy1 = sc(layout.grid_bbox)
    cv2.rectangle(img, (gx0, gy0), (gx1, gy1), GREY, 2)
    bands = [sc((0, a, 0, b))[1::2] for a, b in layout.bands]
    if layout.header_bands and bands:
        hy1 = bands[min(layout.header_bands, len(bands)) - 1][1]
        _tint(img, (gx0, gy0, gx1, hy1), BLUE, 0.08)
    if layout.number_row is not None and layout.number_row < len(bands):
        y0, y1 = bands[layout.number_row]
        _tint(img, (gx0, y0, gx1, y1), ORANGE, 0.25)
        _text(img, "column numbers", (gx1 + 6, y1 - 4), ORANGE, fs * 0.9)
    for i, c in enumerate(layout.columns):
        x0, x1 = sc((c.x0, 0, c.x1, 0))[::2]
        colour = HOW_COLOUR.get(c.how, RED) if c.field else RED
        cv2.line(img, (x0, gy0), (x0, gy1), colour, 2)
        _tint(img, (x0 + 2, gy0 - 2 * line_h - 4, x1 - 2, gy0 - 2), colour, 0.15)
        # column number and field above the grid, the header's first words under it
        _text(img, f"{i + 1} {c.field or 'UNMAPPED'}", (x0 + 3, gy0 - line_h - 6), colour, fs * 0.85,
              2 if c.field else 1)
        words = fold(" ".join(t for t in (c.group, c.header) if t))
        room = max(int((x1 - x0) / (fs * 20)), 3)
        _text(img, words[:room], (x0 + 3, gy0 - 6), colour, fs * 0.75)
    cv2.line(img, (gx1, gy0), (gx1, gy1), GREY, 2)


def write_png(path: Path, img: np.ndarray) -> bytes:
    """PNG bytes of the picture (the caller writes them atomically)."""
    ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise ValueError(f"{path}: the picture could not be encoded")
    return buf.tobytes()


def layout_html(volume_id: str, pages: list[tuple[int, str, PageLayout]], lang: str = "vi") -> str:
    """The HTML view: each page's picture and its table of columns (field, header text as read,
    x-range on the page) or form labels. `pages`: (page number, picture file, layout)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True)
    i18n.install(env, lang)
    return env.get_template("layout.html").render(volume_id=volume_id, pages=pages, lang=lang)
