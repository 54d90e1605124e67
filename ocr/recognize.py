"""Cell and line recognition: find the text lines inside a box from ink, read each with one
Tesseract SINGLE_LINE call (via ocr/tesseract.py only), keep word boxes and confidences.

Empty boxes are decided from ink and never sent to Tesseract.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr.tesseract import LineRead, read_line

BBox = tuple[int, int, int, int]


@dataclass(frozen=True)
class TextLine:
    """One recognised line: page-pixel box, text, 0..1 confidence (lowest word), words as
    (text, conf 0..100, page bbox)."""

    bbox: BBox
    text: str
    conf: float
    words: tuple[tuple[str, float, BBox], ...] = ()


@dataclass(frozen=True)
class CellText:
    """The text of one table cell or form value, line by line.

    Attributes:
        bbox: the cell's box on the page.
        lines: its text lines, top to bottom (empty tuple: no ink).
        seconds: time spent in Tesseract for it.
    """

    bbox: BBox
    lines: tuple[TextLine, ...] = ()
    seconds: float = 0.0

    @property
    def text(self) -> str:
        """Wrapped lines joined with one space (CONTRACT.md)."""
        return " ".join(l.text for l in self.lines if l.text).strip()

    @property
    def conf(self) -> float:
        confs = [l.conf for l in self.lines if l.text]
        return min(confs) if confs else 0.0

    @property
    def empty(self) -> bool:
        return not self.lines


@dataclass(frozen=True)
class PageInk:
    """A page prepared for reading: gray with ruling whitened, its ink mask, and the text
    scale (median character height in pixels) that sizes every tolerance."""

    gray: np.ndarray
    ink: np.ndarray
    char_h: float


def prepare_page(gray: np.ndarray, line_mask: np.ndarray | None = None) -> PageInk:
    """Whiten ruling lines, threshold ink, and measure the text size.

    Args:
        gray: the cleaned page.
        line_mask: ruling pixels (255) from ocr.grid, or None (form pages).
    """
    g = gray if line_mask is None else np.where(line_mask > 0, np.uint8(255), gray)
    _, ink = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    # Otsu on a nearly blank page puts the threshold inside the paper's noise
    if (g < 160).mean() < 0.0005:
        ink = np.zeros_like(ink)
    return PageInk(gray=g, ink=ink, char_h=char_height(ink))


def char_height(ink: np.ndarray) -> float:
    """Median height of the glyph-sized connected components (pixels); 30 when no text."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    hs = stats[1:, cv2.CC_STAT_HEIGHT]
    ws = stats[1:, cv2.CC_STAT_WIDTH]
    keep = hs[(hs >= 6) & (hs <= 300) & (ws <= 4 * hs)]
    return float(np.median(keep)) if keep.size >= 5 else 30.0


def find_lines(ink: np.ndarray, char_h: float) -> list[BBox]:
    """Text lines inside an ink crop (255 = ink), as boxes in the crop's pixels.

    Rows with ink form segments; segments much lower than a line (Vietnamese stacked
    diacritics above, dots below, split off by the row profile) join their nearest
    neighbour. Specks (components under a third of a character high) are ignored.
    """
    if ink.size == 0:
        return []
    n, lab, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    min_h = max(char_h * 0.3, 3)
    keep = np.zeros(n, dtype=bool)
    heights = stats[:, cv2.CC_STAT_HEIGHT]
    areas = stats[:, cv2.CC_STAT_AREA]
    keep[1:] = (heights[1:] >= min_h) | (areas[1:] >= min_h * min_h)
    if not keep.any():
        return []
    # a glyph-sized component is needed somewhere: diacritics alone are not text
    if not (heights[1:][keep[1:]] >= char_h * 0.45).any():
        return []
    mask = keep[lab]
    # diacritics are smaller than min_h but belong to text: keep them when near kept ink
    small = (~keep[lab]) & (lab > 0)
    rows = mask.any(axis=1) | (small.any(axis=1) & _near(mask.any(axis=1), int(char_h * 0.5)))
    segs = _runs(rows)
    if not segs:
        return []
    segs = _merge_small(segs, char_h)
    out = []
    full = mask | small
    for y0, y1 in segs:
        cols = np.flatnonzero(full[y0:y1].any(axis=0))
        if cols.size:
            out.append((int(cols[0]), y0, int(cols[-1]) + 1, y1))
    return out


def _near(rows: np.ndarray, d: int) -> np.ndarray:
    k = np.ones(2 * d + 1, dtype=np.uint8)
    return np.convolve(rows.astype(np.uint8), k, mode="same") > 0


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    idx = np.flatnonzero(np.diff(np.concatenate(([0], flags.astype(np.int8), [0]))))
    return [(int(a), int(b)) for a, b in zip(idx[::2], idx[1::2])]


def _merge_small(segs: list[tuple[int, int]], char_h: float) -> list[tuple[int, int]]:
    """Join segments lower than ~half a character to their nearest neighbour."""
    segs = list(segs)
    changed = True
    while changed and len(segs) > 1:
        changed = False
        for i, (a, b) in enumerate(segs):
            if b - a >= char_h * 0.6:
                continue
            gap_up = a - segs[i - 1][1] if i > 0 else 1 << 30
            gap_dn = segs[i + 1][0] - b if i + 1 < len(segs) else 1 << 30
            j = i - 1 if gap_up <= gap_dn else i + 1
            lo, hi = min(a, segs[j][0]), max(b, segs[j][1])
            segs[min(i, j)] = (lo, hi)
            del segs[max(i, j)]
            changed = True
            break
    return segs


def line_image(gray: np.ndarray, box: BBox, char_h: float) -> tuple[np.ndarray, int, int]:
    """Crop one line with a white margin (Tesseract reads poorly at the very edge).

    Returns:
        (image, x offset, y offset) of the crop's origin on the page, before the margin.
    """
    x0, y0, x1, y1 = box
    crop = gray[y0:y1, x0:x1]
    m = max(int(char_h * 0.4), 4)
    return cv2.copyMakeBorder(crop, m, m, m, m, cv2.BORDER_CONSTANT, value=255), x0 - m, y0 - m


def read_box(engine, page: PageInk, box: BBox, *, inset: int = 0,
             max_lines: int | None = None) -> CellText:
    """Read every text line inside `box` (page pixels).

    Args:
        engine: a tesserocr engine from ocr.tesseract.make_engine (SINGLE_LINE).
        page: the prepared page.
        box: x0, y0, x1, y1.
        inset: pixels to shrink the box by on every side (stay clear of ruling).
        max_lines: read only the first lines (a title region).
    """
    x0, y0, x1, y1 = box
    x0, y0, x1, y1 = x0 + inset, y0 + inset, x1 - inset, y1 - inset
    if x1 - x0 < 3 or y1 - y0 < 3:
        return CellText(box)
    lines = []
    seconds = 0.0
    for lx0, ly0, lx1, ly1 in find_lines(page.ink[y0:y1, x0:x1], page.char_h)[:max_lines]:
        lb = (x0 + lx0, y0 + ly0, x0 + lx1, y0 + ly1)
        img, ox, oy = line_image(page.gray, lb, page.char_h)
        r = read_line(engine, img)
        seconds += r.seconds
        lines.append(_to_page(r, lb, ox, oy))
    return CellText(box, tuple(lines), seconds)


def _to_page(r: LineRead, lb: BBox, ox: int, oy: int) -> TextLine:
    words = tuple((t, c, (b[0] + ox, b[1] + oy, b[2] + ox, b[3] + oy)) for t, c, b in r.words)
    return TextLine(lb, r.text, r.conf, words)


def reread(engine, page: PageInk, line: TextLine, variant: str) -> LineRead:
    """A second opinion on one line with different preprocessing.

    Args:
        variant: "binary" (Otsu-thresholded crop) or "scaled" (1.5x, more margin).
    """
    img, _, _ = line_image(page.gray, line.bbox, page.char_h)
    if variant == "binary":
        _, img = cv2.threshold(img, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    elif variant == "scaled":
        img = cv2.resize(img, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC)
        img = cv2.copyMakeBorder(img, 8, 8, 8, 8, cv2.BORDER_CONSTANT, value=255)
    else:
        raise ValueError(f"unknown re-read variant {variant!r}")
    return read_line(engine, img, with_boxes=False)
