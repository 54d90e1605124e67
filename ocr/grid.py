"""Ledger tables: find the ruling grid of a cleaned page.

Morphological line detection: long straight ink runs (opening with a long thin kernel)
are line fragments; fragments at about the same height (width) are one ruling line, however
broken, faded or slightly curved. Full-width horizontal lines cut the table into bands (the
header band, then one band per entry row); partial horizontal lines inside the header band
are group underlines (the marriage register's "Chồng" / "Vợ" over their sub-columns);
vertical lines running through the body are the column boundaries.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

BBox = tuple[int, int, int, int]


@dataclass(frozen=True)
class Rule:
    """One ruling line. `pos` is y (horizontal) or x (vertical); `lo`..`hi` its extent along
    the line; `cover` the inked share of that extent (broken lines have less)."""

    pos: int
    lo: int
    hi: int
    cover: float

    @property
    def length(self) -> int:
        return self.hi - self.lo


@dataclass(frozen=True)
class TableGrid:
    """The ruling of one ledger table.

    Attributes:
        bbox: x0, y0, x1, y1 of the table.
        bands: (y0, y1) between consecutive full-width horizontal lines, top to bottom.
        cols: x of the column boundaries through the body, left to right (n columns: n+1).
        partial: horizontal lines shorter than the table (group underlines in the header).
        line_mask: uint8 mask (255 = ruling pixel, slightly dilated) to whiten before reading.
    """

    bbox: BBox
    bands: tuple[tuple[int, int], ...]
    cols: tuple[int, ...]
    partial: tuple[Rule, ...]
    line_mask: np.ndarray

    @property
    def n_cols(self) -> int:
        return len(self.cols) - 1


def ink_mask(gray: np.ndarray, block: int = 31, c: int = 8) -> np.ndarray:
    """Local-contrast ink mask (255 = ink): keeps faded lines that a global threshold loses."""
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                 block, c)


def _fragments(mask: np.ndarray, horizontal: bool, min_len: int) -> np.ndarray:
    """Long straight runs of ink along one axis (the opening keeps nothing shorter)."""
    k = (min_len, 1) if horizontal else (1, min_len)
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, k))


def find_rules(frag: np.ndarray, horizontal: bool, tol: int, max_thick: int) -> list[Rule]:
    """Group line fragments lying at about the same position into ruling lines.

    Args:
        frag: fragment mask from `_fragments`.
        horizontal: True for horizontal lines.
        tol: fragments whose centres differ by at most this (chained) are one line; this is
            what tolerates slight curvature.
        max_thick: fragments thicker than this are blobs (filled areas), not lines.

    Returns:
        Rules sorted by position.
    """
    n, _, stats, cents = cv2.connectedComponentsWithStats(frag, connectivity=8)
    items = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        # mean thickness (area / length), not the box's: a line left slightly sloped by
        # deskew has a tall box but stays thin
        if horizontal:
            thick, lo, hi, pos = area / max(w, 1), x, x + w, cents[i][1]
        else:
            thick, lo, hi, pos = area / max(h, 1), y, y + h, cents[i][0]
        if thick <= max_thick:
            items.append((pos, lo, hi))
    items.sort()
    groups: list[list[tuple[float, int, int]]] = []
    for it in items:
        if groups and it[0] - groups[-1][-1][0] <= tol:
            groups[-1].append(it)
        else:
            groups.append([it])
    rules = []
    for g in groups:
        lo, hi = min(t[1] for t in g), max(t[2] for t in g)
        spans = sorted((t[1], t[2]) for t in g)
        covered, end = 0, -1
        for a, b in spans:
            if b > end:
                covered += b - max(a, end)
                end = b
        # position: length-weighted mean of the fragments' centres
        wsum = sum(t[2] - t[1] for t in g)
        pos = sum(t[0] * (t[2] - t[1]) for t in g) / max(wsum, 1)
        rules.append(Rule(int(round(pos)), int(lo), int(hi), covered / max(hi - lo, 1)))
    return rules


def _merge_close(values: list[int], tol: int) -> list[int]:
    out: list[int] = []
    for v in sorted(values):
        if out and v - out[-1] <= tol:
            out[-1] = (out[-1] + v) // 2
        else:
            out.append(v)
    return out


# Pages larger than this (pixels, longest side: 300 dpi and up) are searched at half size:
# ruling lines survive halving, and the morphology and component passes cost a quarter.
# Halving a 200-dpi page turns bold header text into line-like runs.
HALVE_ABOVE = 3000


def detect_grid(gray: np.ndarray) -> TableGrid | None:
    """Find the ledger table of a cleaned, deskewed page.

    Returns:
        The TableGrid (in the page's pixels), or None when the page has no ruled table
        (a form page, a blank page).
    """
    h, w = gray.shape
    if max(h, w) <= HALVE_ABOVE:
        return _detect_grid(gray)
    small = cv2.resize(gray, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    g = _detect_grid(small)
    if g is None:
        return None
    mask = cv2.resize(g.line_mask, (w, h), interpolation=cv2.INTER_NEAREST)
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    return TableGrid(bbox=tuple(2 * v for v in g.bbox), bands=tuple((2 * a, 2 * b) for a, b in g.bands),
                     cols=tuple(2 * c for c in g.cols),
                     partial=tuple(Rule(2 * r.pos, 2 * r.lo, 2 * r.hi, r.cover) for r in g.partial),
                     line_mask=mask)


def _detect_grid(gray: np.ndarray) -> TableGrid | None:
    h, w = gray.shape
    ink = ink_mask(gray)
    unit = max(w, h) / 1000.0  # ~3.5 px at 300 dpi A4; scales every tolerance with the page
    hfrag = _fragments(ink, True, max(int(15 * unit), 15))
    vfrag = _fragments(ink, False, max(int(15 * unit), 15))
    tol = max(int(3 * unit), 3)
    thick = max(int(6 * unit), 4)
    hrules = [r for r in find_rules(hfrag, True, tol, thick) if r.length * r.cover > 0.1 * w]
    vrules = [r for r in find_rules(vfrag, False, tol, thick) if r.length * r.cover > 0.05 * h]
    if len(hrules) < 2 or len(vrules) < 2:
        return None
    longest = max(r.length for r in hrules)
    long_h = [r for r in hrules if r.length > 0.6 * longest]
    # the ends of a broken line may be missing: take the outermost ends of the long lines
    # that agree with another one
    los = sorted(r.lo for r in long_h)
    his = sorted(r.hi for r in long_h)
    x0 = los[1] if len(los) > 1 else los[0]
    x1 = his[-2] if len(his) > 1 else his[0]
    # verticals within the horizontal lines' extent (a page edge or binding shadow just
    # outside the table is a long vertical too)
    vin = [r for r in vrules if x0 - 4 * tol <= r.pos <= x1 + 4 * tol]
    if len(vin) < 2:
        return None
    vlong = max(r.length for r in vin)
    longv = [r for r in vin if r.length > 0.5 * vlong]
    # where the table starts and ends: the outermost ends that two verticals agree on
    los, his = sorted(r.lo for r in longv), sorted(r.hi for r in longv)
    top = los[1] if len(los) > 1 and los[1] - los[0] > 4 * tol else los[0]
    bottom = his[-2] if len(his) > 1 and his[-1] - his[-2] > 4 * tol else his[-1]
    # Column boundaries: vertical lines inked over most of the table's lower part (the
    # body); header-only dividers do not reach it.
    lower = (top + 0.6 * (bottom - top), bottom)
    cols = []
    for r in vin:
        overlap = max(0.0, min(r.hi, lower[1]) - max(r.lo, lower[0]))
        if overlap * r.cover >= 0.4 * (lower[1] - lower[0]) or _faded_through(r, (top, bottom), overlap, lower):
            cols.append(r.pos)
    cols = _merge_close(cols, tol * 2)
    # a table without outer vertical borders: its edges are the horizontal lines' ends
    if not cols or cols[0] > x0 + 6 * tol:
        cols.insert(0, x0)
    if cols[-1] < x1 - 6 * tol:
        cols.append(x1)
    if len(cols) < 4:  # a ledger has columns; boxes around form entries have two sides
        return None
    full, partial = _split_rules(hfrag, [r for r in hrules if top - 4 * tol <= r.pos <= bottom + 4 * tol],
                                 cols, tol, (top, bottom))
    ys = _merge_close([r.pos for r in full], tol * 2)
    # a table drawn without its top / bottom line: close it where the verticals end, if
    # they really run on past the last line (a bold title's stems above a column line are
    # taken into its rule, but cover little of the way)
    if not ys or (top < ys[0] - 8 * tol and _columns_run(vfrag, cols, top, ys[0], tol)):
        ys.insert(0, top)
    if bottom > ys[-1] + 8 * tol and _columns_run(vfrag, cols, ys[-1], bottom, tol):
        ys.append(bottom)
    if len(ys) < 3:
        return None
    bands = tuple((ys[i], ys[i + 1]) for i in range(len(ys) - 1) if ys[i + 1] - ys[i] > 4 * tol)
    # only fragments on the accepted rules are whitened later: a bold "TT" or a long
    # underscore in a header is a fragment too, but no rule passes through it
    hrule = [(y, cols[0], cols[-1]) for y in ys] + [(r.pos, r.lo, r.hi) for r in partial]
    vrule = [(x, ys[0], ys[-1]) for x in cols]
    lines = cv2.bitwise_or(_on_rules(hfrag, hrule, True, 2 * tol), _on_rules(vfrag, vrule, False, 2 * tol))
    lines = _bridge(lines, tol)
    return TableGrid(bbox=(cols[0], ys[0], cols[-1], ys[-1]), bands=bands, cols=tuple(cols),
                     partial=tuple(partial), line_mask=lines)


# A faded or broken column line: inked over this share of its run at least, its run spanning
# this share of the table's height.
FADED_COVER, FADED_SPAN = 0.15, 0.7


def _faded_through(r: Rule, ends: tuple[int, int], overlap: float, lower: tuple[float, float]) -> bool:
    """A column line faded to fragments: it still runs through most of the table, or from
    the header down past the table's middle before it fades out. Header-only dividers stop
    at the header; text never stacks 15-unit strokes at one x down half a table."""
    height = ends[1] - ends[0]
    through = (r.length >= FADED_SPAN * height and r.cover >= FADED_COVER
               and overlap >= 0.5 * (lower[1] - lower[0]))
    from_top = r.lo <= ends[0] + 0.15 * height and r.hi >= ends[0] + 0.5 * height and r.cover >= 0.3
    return through or from_top


def _columns_run(vfrag: np.ndarray, cols: list[int], y0: int, y1: int, tol: int) -> bool:
    """Do most column lines have line ink over most of y0..y1?"""
    if y1 - y0 < 2:
        return True
    runs = [float(vfrag[y0:y1, max(x - tol, 0): x + tol + 1].any(axis=1).mean()) >= 0.6 for x in cols]
    return 2 * sum(runs) >= len(runs)


def _split_rules(hfrag: np.ndarray, rules: list[Rule], cols: list[int], tol: int,
                 ends: tuple[int, int]) -> tuple[list[Rule], list[Rule]]:
    """Full-width lines (inked in every column: band boundaries) vs partial ones (some
    column has no ink on them: group underlines). Per-column ink tolerates broken lines;
    the lines where the verticals start and end (`ends`) close the table, however broken.

    Below the header (the first two full lines), a faded line that runs from the first
    column to the last and is inked in half the columns is full too. Inside the header
    that would be the group underlines side by side, which look like one line with gaps,
    and whose bands must stay whole for the group labels to reach their columns."""
    full, rest = [], []
    for r in rules:
        if min(abs(r.pos - ends[0]), abs(r.pos - ends[1])) <= 2 * tol:
            full.append(r)
            continue
        strip = hfrag[max(r.pos - 2 * tol, 0): r.pos + 2 * tol + 1].any(axis=0)
        shares = []
        for a, b in zip(cols[:-1], cols[1:]):
            m = max((b - a) // 10, 1)
            seg = strip[a + m: b - m]
            shares.append(float(seg.mean()) if seg.size else 0.0)
        if min(shares) >= 0.1:
            full.append(r)
        else:
            rest.append((r, shares))
    header_end = sorted(r.pos for r in full)[1] if len(full) > 1 else None
    partial = []
    for r, shares in rest:
        if (header_end is not None and r.pos > header_end + 2 * tol and r.lo < cols[1] and r.hi > cols[-2]
                and 2 * sum(sh >= 0.1 for sh in shares) >= len(shares)):
            full.append(r)  # faded
        elif max(shares) >= 0.5 and min(shares) < 0.05 and r.cover >= 0.6:  # drawn solid
            partial.append(r)
    full.sort(key=lambda r: r.pos)
    return full, partial


def _on_rules(frag: np.ndarray, rules: list[tuple[int, int, int]], horizontal: bool,
              tol: int) -> np.ndarray:
    """The fragments whose centre line lies within `tol` of a rule's position and that
    overlap its extent: `rules` are (position, lo, hi). A bold word just past the end of a
    group underline is no part of it (at 200 dpi "thích" opens into a line-like run)."""
    n, lab, stats, cents = cv2.connectedComponentsWithStats(frag, connectivity=8)
    if n <= 1 or not rules:
        return np.zeros_like(frag)
    c = cents[1:, 1] if horizontal else cents[1:, 0]
    if horizontal:
        lo, hi = stats[1:, cv2.CC_STAT_LEFT], stats[1:, cv2.CC_STAT_LEFT] + stats[1:, cv2.CC_STAT_WIDTH]
    else:
        lo, hi = stats[1:, cv2.CC_STAT_TOP], stats[1:, cv2.CC_STAT_TOP] + stats[1:, cv2.CC_STAT_HEIGHT]
    r = np.asarray(rules, dtype=np.float64)
    near = np.abs(c[:, None] - r[None, :, 0]) <= tol
    inside = (lo[:, None] <= r[None, :, 2] + tol) & (hi[:, None] >= r[None, :, 1] - tol)
    keep = np.zeros(n, dtype=bool)
    keep[1:] = (near & inside).any(axis=1)
    return (keep[lab] * 255).astype(np.uint8)


def _bridge(lines: np.ndarray, tol: int) -> np.ndarray:
    """Thicken the line mask a little across the line so that antialiased edges and
    slightly curved parts are whitened too."""
    k = max(tol // 2, 1)
    a = cv2.dilate(lines, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 2 * k + 1)))
    b = cv2.dilate(lines, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * k + 1, 1)))
    return cv2.bitwise_or(a, b)
