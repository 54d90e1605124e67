"""Cell and line recognition: find the text lines inside a box from ink, read each with one
Tesseract SINGLE_LINE call (via ocr/tesseract.py only) or the second recogniser (ocr/aster.py:
any engine with its own `read_line`), keep word boxes and confidences.

Empty boxes are decided from ink and never sent to Tesseract.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr.lines import dot_leaders, line_crop, segment
from ocr.tesseract import LineRead, read_line
from schemas.evidence import ReadEvidence

BBox = tuple[int, int, int, int]


@dataclass(frozen=True)
class TextLine:
    """One recognised line: page-pixel box, text, 0..1 confidence (lowest word), words as
    (text, conf 0..100, page bbox); with read_box(choices=True), the glyphs Tesseract
    weighed for each word (ReadEvidence, for the name repair), else None."""

    bbox: BBox
    text: str
    conf: float
    words: tuple[tuple[str, float, BBox], ...] = ()
    evidence: ReadEvidence | None = None


@dataclass(frozen=True)
class CellText:
    """The text of one table cell or form value, line by line.

    Attributes:
        bbox: the cell's box on the page.
        lines: its text lines, top to bottom (empty tuple: no ink).
        seconds: time spent in Tesseract for it.
        unread: a line of text-like ink that Tesseract returned nothing for (flagged: never
            taken for an empty cell, nor for a value whole when another line was read).
    """

    bbox: BBox
    lines: tuple[TextLine, ...] = ()
    seconds: float = 0.0
    unread: bool = False

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

    @property
    def evidence(self) -> ReadEvidence | None:
        """The glyph alternatives of its lines' words (None when none was read with them)."""
        words = tuple(w for l in self.lines if l.evidence is not None for w in l.evidence.words)
        return ReadEvidence(words) if words else None


@dataclass(frozen=True)
class PageInk:
    """A page prepared for reading: gray with ruling whitened, its ink mask, and the text
    scale (median character height in pixels) that sizes every tolerance."""

    gray: np.ndarray
    ink: np.ndarray
    char_h: float


# A page with less than this share of pixels this far below its paper's level holds no text
# (the same measure as the pipeline's blank-leaf test).
BLANK_BELOW_PAPER, NEARLY_BLANK = 40.0, 0.0005


# A register page holds a title, headers or labels and entries: hundreds of glyphs. A leaf
# with fewer glyph-sized marks than this (a pencilled page number, stains, specks) is blank.
# Measured on the test families (seeds 20-34): blank leaves 5-119 (one showing the next
# page's text through, 495), written pages 254-2571. A leaf between fails as a page with
# no entries (loud) rather than risk calling a one-entry page blank (silent).
NEAR_BLANK_GLYPHS = 100


def glyph_marks(gray: np.ndarray) -> int:
    """How many glyph-sized marks a page holds: components of its ink (ink_threshold, so a
    faded page counts) once long rules are taken out (a table's ruling joins the glyphs that
    touch it), between 1/400 and 1/25 of the page's height and no wider than four times
    their height (not specks, not stains)."""
    ink = ink_threshold(gray)
    h = gray.shape[0]
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink & ~long_runs(ink), connectivity=8)
    hs, ws = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    return int(((hs >= h / 400) & (hs <= h / 25) & (ws <= 4 * hs) & (ws >= 2)).sum())


def long_runs(ink_h: np.ndarray, ink_v: np.ndarray | None = None) -> np.ndarray:
    """Rules in an ink mask: horizontal runs of 1/25 of the page's width in `ink_h`, vertical
    runs of 1/40 of its height in `ink_v` (default `ink_h`), 40 pixels at least."""
    h, w = ink_h.shape
    kh = cv2.getStructuringElement(cv2.MORPH_RECT, (max(w // 25, 40), 1))
    kv = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(h // 40, 40)))
    return (cv2.morphologyEx(ink_h, cv2.MORPH_OPEN, kh)
            | cv2.morphologyEx(ink_h if ink_v is None else ink_v, cv2.MORPH_OPEN, kv))


def prepare_page(gray: np.ndarray, line_mask: np.ndarray | None = None, *,
                 leaders: bool = False) -> PageInk:
    """Whiten ruling lines (and dotted leaders), threshold ink, measure the text size.

    Args:
        gray: the cleaned page.
        line_mask: ruling pixels (255) from ocr.grid or the form's rules, or None.
        leaders: also whiten dotted leader lines (form pages).
    """
    g = gray if line_mask is None else np.where(line_mask > 0, np.uint8(255), gray)
    ink = ink_threshold(g)
    # Otsu on a nearly blank page puts the threshold inside the paper's noise. "Nearly
    # blank" is measured against the page's own paper: a faded page (darkest ink 170 on
    # paper 255) still holds text
    paper = float(np.median(g[::4, ::4]))
    if (g < paper - BLANK_BELOW_PAPER).mean() < NEARLY_BLANK:
        ink = np.zeros_like(ink)
    cc = cv2.connectedComponentsWithStats(ink, connectivity=8)
    g, ink, cc = _drop_edge_ink(g, ink, cc)
    char_h = char_height(ink, cc[2])
    g = _drop_enclosed_marks(g, char_h)
    if leaders:
        dots = dot_leaders(ink, char_h, cc)
        if dots.any():
            dots = cv2.dilate(dots, np.ones((3, 3), np.uint8))
            g = np.where(dots > 0, np.uint8(255), g)
            ink = np.where(dots > 0, np.uint8(0), ink)
    return PageInk(gray=g, ink=ink, char_h=char_h)


def _drop_edge_ink(g: np.ndarray, ink: np.ndarray, cc):
    """Ink touching the image's edge is the paper's shaded edge or the scanner bed, never
    the page's content (which keeps a margin): left in, its pieces read as "|", "R", "j"
    lines and stretched real lines out to the edge, where a line's first label was lost.
    Returns (gray, ink, cc) with it whitened out (its components emptied in cc: no second
    labelling of the page)."""
    n, lab, stats, cents = cc
    h, w = ink.shape
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    m = max(3, min(h, w) // 400)  # within a few pixels: the shading's pieces start at x=1
    edge = ((x < m) | (y < m) | (x + stats[:, cv2.CC_STAT_WIDTH] > w - m)
            | (y + stats[:, cv2.CC_STAT_HEIGHT] > h - m))
    edge[0] = False
    if not edge.any():
        return g, ink, cc
    g, ink, lab, stats = g.copy(), ink.copy(), lab.copy(), stats.copy()
    for c in np.flatnonzero(edge):
        cx, cy, cw, ch = (int(v) for v in stats[c, :4])
        mask = lab[cy:cy + ch, cx:cx + cw] == c
        ink[cy:cy + ch, cx:cx + cw][mask] = 0
        g[cy:cy + ch, cx:cx + cw][mask] = 255
        lab[cy:cy + ch, cx:cx + cw][mask] = 0
    stats[edge, 2:] = 0  # no width, height or area: no glyph, no dot
    return g, ink, (n, lab, stats, cents)


def _drop_enclosed_marks(g: np.ndarray, char_h: float) -> np.ndarray:
    """Whiten a dotted zero's dot (read 9, 6 or "09") so the glyph reads as the plain 0 it
    stands for. Holes are looked for in the strokes' core, at Otsu's level and halfway to
    the ink's own tone: at the ink threshold the dot's soft rim bridges it to the ring."""
    otsu, core = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    hist = np.cumsum(cv2.calcHist([g], [0], core, [256], [0, 256]).ravel())
    if hist[-1] == 0:
        return g
    ink_tone = float(np.searchsorted(hist, hist[-1] / 2))  # the inked pixels' median
    _, darker = cv2.threshold(g, (otsu + ink_tone) / 2, 255, cv2.THRESH_BINARY_INV)
    marks = enclosed_marks(core, char_h) + enclosed_marks(darker, char_h)
    if not marks:
        return g
    g = g.copy()
    h, w = g.shape
    for c in marks:
        x, y, cw, ch = cv2.boundingRect(c)
        x0, y0, x1, y1 = max(x - 1, 0), max(y - 1, 0), min(x + cw + 1, w), min(y + ch + 1, h)
        dot = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.drawContours(dot, [c - np.array([x0, y0], dtype=c.dtype)], -1, 255, cv2.FILLED)
        # the dot and its soft rim, not the ring's own core next to it
        rim = cv2.dilate(dot, np.ones((3, 3), np.uint8)) > 0
        g[y0:y1, x0:x1][rim & ((darker[y0:y1, x0:x1] == 0) | (dot > 0))] = 255
    return g


def enclosed_marks(ink: np.ndarray, char_h: float) -> list[np.ndarray]:
    """Outlines of ink lying wholly inside the hole of a glyph-sized component.

    No letter or digit has a separate mark inside its own hole (diacritics sit above or
    below it): what is there is a dotted or slashed-dot zero's dot, or a speck caught in
    an "o". Holes of anything larger than a few characters (a seal, a cell's ruling) are
    left alone, and so are holes off the glyph's middle (6, 9, a, e).
    """
    contours, hier = cv2.findContours(ink, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    if hier is None:
        return []
    parent = hier[0][:, 3]
    up = np.where(parent >= 0, parent[parent], -1)  # the outline whose hole holds it
    cand = np.flatnonzero((up >= 0) & (np.where(up >= 0, parent[up], 0) < 0))
    big = 2.5 * char_h
    out = []
    for i in cand:
        p = parent[i]
        qx, qy, qw, qh = cv2.boundingRect(contours[parent[p]])
        hx, hy, hw, hh = cv2.boundingRect(contours[p])
        x, y, w, h = cv2.boundingRect(contours[i])
        # a zero's hole is level with the glyph's middle and its dot sits in the hole's
        # middle, not a stroke's end against a wall
        if (qw <= big and qh <= big and w * h <= 0.5 * hw * hh
                and abs((hy + hh / 2) - (qy + qh / 2)) <= 0.15 * qh
                and abs((y + h / 2) - (hy + hh / 2)) <= hh / 4
                and abs((x + w / 2) - (hx + hw / 2)) <= hw / 4):
            out.append(contours[i])
    return out


# How far below the paper's level a pixel counts as ink (flattened pages: paper ~250).
INK_BELOW_PAPER = 15


def ink_threshold(gray: np.ndarray) -> np.ndarray:
    """Ink mask (255 = ink): Otsu, raised to catch faint typing.

    Otsu splits dark printed labels from paper and leaves a faint ribbon's strokes half
    out; broken into dots they are then lost as specks or leader dots. A pixel clearly
    below the paper's level (median of the flattened page) is ink too.
    """
    otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    hist = cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel()
    paper = float(np.searchsorted(np.cumsum(hist), gray.size / 2))  # the median, cheaply
    thr = max(otsu, min(paper - INK_BELOW_PAPER, 250.0))
    # gray < thr  <=>  gray <= ceil(thr) - 1
    _, ink = cv2.threshold(gray, float(np.ceil(thr) - 1), 255, cv2.THRESH_BINARY_INV)
    return ink


def char_height(ink: np.ndarray, stats: np.ndarray | None = None) -> float:
    """Median height of the glyph-sized connected components (pixels); 30 when no text.

    Args:
        ink: the ink mask.
        stats: its connected-component stats, when the caller has them already.
    """
    if stats is None:
        _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    hs = stats[1:, cv2.CC_STAT_HEIGHT]
    ws = stats[1:, cv2.CC_STAT_WIDTH]
    keep = hs[(hs >= 6) & (hs <= 300) & (ws <= 4 * hs)]
    return float(np.median(keep)) if keep.size >= 5 else 30.0


def find_lines(ink: np.ndarray, char_h: float) -> list[BBox]:
    """Text line boxes inside an ink crop (crop pixels), top to bottom (see ocr/lines)."""
    return [l.bbox for l in segment(ink, char_h).lines]


def line_image(gray: np.ndarray, box: BBox, char_h: float) -> tuple[np.ndarray, int, int]:
    """Crop one line with a white margin (Tesseract reads poorly at the very edge).

    Returns:
        (image, x offset, y offset) of the crop's origin on the page, before the margin.
    """
    x0, y0, x1, y1 = box
    crop = gray[y0:y1, x0:x1]
    return pad_line(crop, char_h), x0 - _margin(char_h), y0 - _margin(char_h)


def _margin(char_h: float) -> int:
    return max(int(char_h * 0.4), 4)


def pad_line(crop: np.ndarray, char_h: float) -> np.ndarray:
    """A white margin around a line crop (Tesseract reads poorly at the very edge)."""
    m = _margin(char_h)
    return cv2.copyMakeBorder(crop, m, m, m, m, cv2.BORDER_CONSTANT, value=255)


def read_engine_line(engine, img: np.ndarray, **kw) -> LineRead:
    """One line read by `engine`: a tesserocr engine, or one with its own read_line."""
    own = getattr(engine, "read_line", None)
    return own(img, **kw) if own is not None else read_line(engine, img, **kw)


def read_box(engine, page: PageInk, box: BBox, *, inset: int = 0,
             max_lines: int | None = None, strip: bool = True, choices: bool = False) -> CellText:
    """Read every text line inside `box` (page pixels).

    Args:
        engine: a tesserocr engine from ocr.tesseract.make_engine (SINGLE_LINE).
        page: the prepared page.
        box: x0, y0, x1, y1.
        inset: pixels to shrink the box by on every side (stay clear of ruling).
        max_lines: read only the first lines (a title region).
        strip: drop symbol-only noise words (see strip_noise); form lines keep them
            until the label colons are found.
        choices: keep Tesseract's glyph alternatives with each line (TextLine.evidence; a
            tesserocr engine only, ~2 ms a line more): name cells, for the name repair.
    """
    x0, y0, x1, y1 = box
    x0, y0, x1, y1 = x0 + inset, y0 + inset, x1 - inset, y1 - inset
    if x1 - x0 < 3 or y1 - y0 < 3:
        return CellText(box)
    lines = []
    seconds = 0.0
    unread = False
    ink = page.ink[y0:y1, x0:x1]
    seg = segment(ink, page.char_h)
    scale = upscale_factor(page.char_h)
    for line in seg.lines[:max_lines]:
        lx0, ly0, lx1, ly1 = line.bbox
        lb = (x0 + lx0, y0 + ly0, x0 + lx1, y0 + ly1)
        img = line_crop(page.gray[y0:y1, x0:x1], ink, seg, line)
        if scale > 1:
            img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        img = pad_line(img, page.char_h * scale)
        m = _margin(page.char_h * scale)
        if choices and getattr(engine, "read_line", None) is None:
            r = read_line(engine, img, choices=True)
        else:
            r = read_engine_line(engine, img)
        seconds += r.seconds
        tl = _to_page(r, lb, lb[0], lb[1], strip, scale, m)
        if tl.text:
            lines.append(tl)
        else:
            unread = True
    return CellText(box, tuple(lines), seconds, unread)


# Tesseract misses small text (a 200-dpi "Nam" with 15-px glyphs reads as nothing); lines
# whose glyphs are lower than this are upscaled before reading.
MIN_CHAR_H = 24.0


def upscale_factor(char_h: float) -> float:
    """How much to enlarge a line image before reading (1 = as is, at most 3)."""
    return 1.0 if char_h >= MIN_CHAR_H else min(MIN_CHAR_H / max(char_h, 1.0), 3.0)


def _to_page(r: LineRead, lb: BBox, ox: int, oy: int, strip: bool = True, scale: float = 1.0,
             margin: int = 0) -> TextLine:
    """Words to page pixels: remove the read image's margin and scale, add the line's origin."""

    def page_xy(v: int, o: int) -> int:
        return int(round((v - margin) / scale)) + o

    words = [(t, c, (page_xy(b[0], ox), page_xy(b[1], oy), page_xy(b[2], ox), page_xy(b[3], oy)))
             for t, c, b in r.words]
    if strip:
        words = strip_noise(words)
    if not words:
        return TextLine(lb, "", 0.0, ())
    return TextLine(lb, " ".join(w[0] for w in words), min(w[1] for w in words) / 100.0,
                    tuple(words), r.evidence)


def _is_symbol(text: str) -> bool:
    return not any(ch.isalnum() for ch in text)


def strip_noise(words: list) -> list:
    """Drop words made only of symbols at the ends of a value ("11.2.2009 °") and weak ones
    inside it: what is left of a speck next to text. Real punctuation is attached to a word
    ("P.", "Mai,") or, like the dash of "Việt Nam - Cu Ba", read with good confidence."""
    # no value word starts with a period or comma: what is there is a leader dot or a speck
    words = [(t.lstrip(".,„`'"), c, b) if t[:1] in ".,„`'" and len(t) > 1 else (t, c, b)
             for t, c, b in words]
    while words and _is_symbol(words[-1][0]):
        words.pop()
    while words and _is_symbol(words[0][0]):
        words.pop(0)
    return [w for w in words if not (_is_symbol(w[0]) and w[1] < 60 and w[0] not in "-–")]


# Re-read scalings: Tesseract rescales every line to its network's height, so a different
# input scale changes the resampling and breaks ties differently (measured on typewriter
# dates: 1.5x fixed most of the 0/6/9 confusions of the first read).
SCALES = {"scaled": 1.5, "scaled2": 2.0, "small": 0.75}


def _variant_image(page: PageInk, line: TextLine, variant: str
                   ) -> tuple[np.ndarray, float, int, tuple[int, int]]:
    """The line's crop prepared as `variant`: (image, its scale to page pixels, the white
    border added after scaling, the crop's page origin before its margin)."""
    img, ox, oy = line_image(page.gray, line.bbox, page.char_h)
    up = upscale_factor(page.char_h)
    if up > 1:
        img = cv2.resize(img, None, fx=up, fy=up, interpolation=cv2.INTER_CUBIC)
    if variant == "binary":
        _, img = cv2.threshold(img, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    elif variant in SCALES:
        f = SCALES[variant]
        img = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC if f > 1 else cv2.INTER_AREA)
        return cv2.copyMakeBorder(img, 8, 8, 8, 8, cv2.BORDER_CONSTANT, value=255), up * f, 8, (ox, oy)
    elif variant == "thin":
        img = cv2.dilate(img, np.ones((2, 2), np.uint8))
    elif variant == "bold":
        img = cv2.erode(img, np.ones((2, 2), np.uint8))
    else:
        raise ValueError(f"unknown re-read variant {variant!r}")
    return img, up, 0, (ox, oy)


def reread(engine, page: PageInk, line: TextLine, variant: str) -> LineRead:
    """A second opinion on one line with different preprocessing.

    Args:
        variant: "binary" (Otsu-thresholded crop), "scaled" (1.5x, more margin; also
            "scaled2", "small"), "thin" or "bold".
    """
    return read_engine_line(engine, _variant_image(page, line, variant)[0], with_boxes=True)


def reread_line(engine, page: PageInk, line: TextLine, variant: str = "binary"
                ) -> tuple[TextLine, float]:
    """`line` read again as `variant` (see reread), its words mapped back to page pixels.

    Returns:
        (the line as read again, Tesseract seconds).
    """
    img, scale, border, (ox, oy) = _variant_image(page, line, variant)
    r = read_engine_line(engine, img, with_boxes=True)
    return _to_page(r, line.bbox, ox, oy, strip=False, scale=scale, margin=border), r.seconds


def joined_read(engine, page: PageInk, lines: tuple[TextLine, ...]) -> LineRead:
    """Lines of one cell set side by side and read as one ("13/12/194" and a wrapped "7"
    become "13/12/1947"): a digit read alone on its own line has no context, and a
    typewriter 7 came back as a confident 1 there."""
    crops = [line_image(page.gray, l.bbox, page.char_h)[0] for l in lines]
    h = max(c.shape[0] for c in crops)
    gap = np.full((h, max(int(page.char_h * 0.3), 2)), 255, np.uint8)
    parts = []
    for c in crops:
        pad = h - c.shape[0]
        parts += [cv2.copyMakeBorder(c, pad // 2, pad - pad // 2, 0, 0, cv2.BORDER_CONSTANT, value=255), gap]
    img = np.hstack(parts[:-1])
    up = upscale_factor(page.char_h)
    if up > 1:
        img = cv2.resize(img, None, fx=up, fy=up, interpolation=cv2.INTER_CUBIC)
    return read_engine_line(engine, img, with_boxes=False)
