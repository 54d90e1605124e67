"""Text lines inside an ink crop, from connected components.

A row-profile split fails on tightly set Vietnamese text: stacked diacritics of one line and
descenders of the line above fill the gap between them. Instead, the middle part of every
glyph-sized component (its x-height core) is projected onto the rows; each run of cores is a
line, and every component (diacritics, dots, commas included) joins the line whose core is
nearest its centre. A line's image then keeps only its own components, so the neighbours'
accents do not leak into it.

Isolated specks (small components with no glyph nearby) belong to no line.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

BBox = tuple[int, int, int, int]


@dataclass(frozen=True)
class InkLine:
    """One text line in crop pixels: its box and the component labels it owns."""

    bbox: BBox
    labels: np.ndarray


@dataclass(frozen=True)
class Segmentation:
    """The crop's component labels and its lines, top to bottom."""

    labels: np.ndarray
    lines: tuple[InkLine, ...]


def _specks(stats: np.ndarray, lab: np.ndarray, char_h: float) -> np.ndarray:
    """Which components are isolated specks (bool per label).

    Small = under half a character both ways, not a hyphen (wide and flat). A small
    component within ~0.8 character widths of a glyph is text (diacritic, dot, comma);
    two small components stacked (a colon) are text.
    """
    n = stats.shape[0]
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    small = (h < 0.5 * char_h) & (w < 0.5 * char_h)
    small &= ~((w >= 2 * h) & (w >= 0.25 * char_h))
    small[0] = False
    if not small.any():
        return small
    big = ~small
    big[0] = False
    kx, ky = max(int(char_h * 0.8), 1), max(int(char_h * 0.5), 1)
    near = cv2.dilate(big[lab].astype(np.uint8),
                      cv2.getStructuringElement(cv2.MORPH_RECT, (2 * kx + 1, 2 * ky + 1)))
    touching = np.zeros(n, dtype=bool)
    touching[np.unique(lab[(near > 0) & small[lab]])] = True
    speck = small & ~touching
    idx = np.flatnonzero(speck)
    if 1 < idx.size < 200:
        xs, ys = stats[idx, cv2.CC_STAT_LEFT], stats[idx, cv2.CC_STAT_TOP]
        dx = np.abs(xs[:, None] - xs[None, :]) <= 0.2 * char_h
        dy = np.abs(ys[:, None] - ys[None, :])
        pair = dx & (dy > 0) & (dy <= char_h)
        speck[idx[pair.any(axis=1)]] = False
    return speck


def _nearest_core(cy: np.ndarray, starts: np.ndarray, ends: np.ndarray, char_h: float) -> np.ndarray:
    """Index of the core nearest each centre (-1 when further than 1.2 characters)."""
    d = np.maximum(starts[None, :] - cy[:, None], 0) + np.maximum(cy[:, None] - ends[None, :], 0)
    k = d.argmin(axis=1)
    return np.where(d[np.arange(cy.size), k] <= 1.2 * char_h, k, -1)


def _stack_marks(x0, y0, x1, y1, char_h) -> np.ndarray:
    """Group id per mark: marks stacked in one column (ê's circumflex under its tilde)
    form one unit, so the upper one follows the lower one to the letter."""
    n = x0.size
    parent = np.arange(n)

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if n < 400:  # pairwise is fine for a cell or a form page's worth of marks
        ov = (x0[:, None] < x1[None, :]) & (x1[:, None] > x0[None, :])
        gap = np.maximum(y0[None, :] - y1[:, None], y0[:, None] - y1[None, :])
        close = ov & (gap <= 0.2 * char_h)
        for i, j in zip(*np.nonzero(np.triu(close, 1))):
            parent[find(i)] = find(j)
    return np.array([find(i) for i in range(n)])


def _mark_lines(stats, marks, gids, line_of, cents, starts, ends, char_h) -> np.ndarray:
    """The line of each mark: that of the glyph nearest to it (2-D gap between boxes),
    stacked marks moving together. An accent over a capital is nearer that capital than
    the line above; a comma ending a wrapped line is nearer its last letter than the line
    below."""
    L, T = cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP
    W, H = cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT
    mx0 = stats[marks, L].astype(np.float32)
    mx1 = mx0 + stats[marks, W]
    my0 = stats[marks, T].astype(np.float32)
    my1 = my0 + stats[marks, H]
    grp = _stack_marks(mx0, my0, mx1, my1, char_h)
    for g in np.unique(grp):
        k = grp == g
        if k.sum() > 1:
            mx0[k], my0[k], mx1[k], my1[k] = mx0[k].min(), my0[k].min(), mx1[k].max(), my1[k].max()
    gx0 = stats[gids, L].astype(np.float32)
    gx1 = gx0 + stats[gids, W]
    gy0 = stats[gids, T].astype(np.float32)
    gy1 = gy0 + stats[gids, H]
    best = np.empty(marks.size, dtype=np.int64)
    dist = np.empty(marks.size, dtype=np.float32)
    # in chunks: a whole 400-dpi form page has thousands of marks and glyphs, and the full
    # marks x glyphs matrices would take several hundred MB
    step = max(1, 2_000_000 // max(gids.size, 1))
    for a in range(0, marks.size, step):
        s = slice(a, a + step)
        dx = np.maximum(np.maximum(gx0[None, :] - mx1[s, None], mx0[s, None] - gx1[None, :]), 0)
        dy = np.maximum(np.maximum(gy0[None, :] - my1[s, None], my0[s, None] - gy1[None, :]), 0)
        gap = np.hypot(dx, dy)
        best[s] = gap.argmin(axis=1)
        dist[s] = gap[np.arange(gap.shape[0]), best[s]]
    near = dist <= char_h
    fallback = _nearest_core(cents[marks, 1], starts, ends, char_h)
    return np.where(near, line_of[gids[best]], fallback)


def _split_core(density: np.ndarray, a: int, b: int, char_h: float) -> list[tuple[int, int]]:
    """A core run taller than one line's (tight leading: a "g" of one line and an "h" of
    the next make their cores touch) is cut at its thinnest row, recursively."""
    if b - a <= 0.9 * char_h:
        return [(a, b)]
    inner = density[a + 1: b - 1]
    if inner.size < 3:
        return [(a, b)]
    cut = a + 1 + int(np.argmin(inner))
    low = density[cut]
    if low > 0.5 * min(density[a:cut].max(), density[cut:b].max()):
        return [(a, b)]
    return _split_core(density, a, cut, char_h) + _split_core(density, cut + 1, b, char_h)


def segment(ink: np.ndarray, char_h: float) -> Segmentation:
    """Split an ink crop (255 = ink) into text lines.

    Args:
        ink: binary crop.
        char_h: the page's median glyph height in pixels.

    Returns:
        Segmentation; no lines when the crop holds no glyph-sized ink (an empty cell).
    """
    empty = Segmentation(np.zeros((1, 1), np.int32), ())
    if ink.size == 0 or not ink.any():
        return empty
    n, lab, stats, cents = cv2.connectedComponentsWithStats(ink, connectivity=8)
    h = stats[:, cv2.CC_STAT_HEIGHT]
    speck = _specks(stats, lab, char_h)
    # rules, boxes and stamps left in the crop are no text: they join no line (and are
    # whitened out of every line's image)
    speck |= (h > 4 * char_h) | (stats[:, cv2.CC_STAT_WIDTH] > 60 * char_h)
    speck[0] = False
    glyph = (h >= 0.45 * char_h) & (h <= 4 * char_h)
    glyph[0] = False
    glyph &= ~speck
    if not glyph.any():
        return empty
    cores = _cores(stats, glyph, ink.shape[0], char_h)
    tall = glyph & (h > 1.5 * char_h)
    bridged: list[int] = []
    if tall.any() and cores:
        # a component reaching into two lines' cores, those cores found without it
        normal = _cores(stats, glyph & ~tall, ink.shape[0], char_h)
        bridged = _bridging(stats, tall, normal)
        if bridged:
            solid = glyph.copy()
            solid[bridged] = False
            cores = _cores(stats, solid, ink.shape[0], char_h)
    if not cores:
        return empty
    starts = np.array([a for a, _ in cores])
    ends = np.array([b for _, b in cores])
    if bridged:
        n, lab, stats, cents = _cut_bridges(lab, stats, cents, bridged, starts, ends)
        grow = n - glyph.size
        glyph = np.concatenate([glyph, np.ones(grow, bool)])
        speck = np.concatenate([speck, np.zeros(grow, bool)])
    line_of = np.full(n, -1, dtype=np.int64)
    gids = np.flatnonzero(glyph)
    line_of[gids] = _nearest_core(cents[gids, 1], starts, ends, char_h)
    # marks (accents, dots, commas) follow the glyph they touch most closely in their
    # column: an accent over a capital sits nearer that capital than the line above
    marks = np.flatnonzero(~glyph & ~speck)
    marks = marks[marks > 0]
    if marks.size:
        line_of[marks] = _mark_lines(stats, marks, gids, line_of, cents, starts, ends, char_h)
    lines = []
    for k in range(len(cores)):
        own = np.flatnonzero(line_of == k)
        if own.size == 0 or not glyph[own].any():
            continue
        x0 = int(stats[own, cv2.CC_STAT_LEFT].min())
        y0 = int(stats[own, cv2.CC_STAT_TOP].min())
        x1 = int((stats[own, cv2.CC_STAT_LEFT] + stats[own, cv2.CC_STAT_WIDTH]).max())
        y1 = int((stats[own, cv2.CC_STAT_TOP] + stats[own, cv2.CC_STAT_HEIGHT]).max())
        lines.append(InkLine((x0, y0, x1, y1), own))
    return Segmentation(lab, tuple(_absorb_fragments(lines, char_h)))


def _cores(stats: np.ndarray, glyph: np.ndarray, height: int, char_h: float) -> list[tuple[int, int]]:
    """Row runs (start, end) of the glyphs' x-height cores (the middle 30% of each)."""
    rows = np.zeros(height + 1, dtype=np.int32)
    ys, hs = stats[glyph, cv2.CC_STAT_TOP], stats[glyph, cv2.CC_STAT_HEIGHT]
    lo = (ys + 0.35 * hs).astype(int)
    np.add.at(rows, lo, 1)
    np.add.at(rows, np.maximum((ys + 0.65 * hs).astype(int), lo + 1), -1)
    density = np.cumsum(rows)[:-1]
    idx = np.flatnonzero(np.diff(np.concatenate(([0], (density > 0).astype(np.int8), [0]))))
    cores = []
    for a, b in zip(idx[::2].tolist(), idx[1::2].tolist()):
        cores += _split_core(density, a, b, char_h)
    return cores


def _bridging(stats: np.ndarray, tall: np.ndarray, cores: list[tuple[int, int]]) -> list[int]:
    """Tall components reaching into two lines' cores or more: a descender of one line
    fused with a letter of the next (tight lines, a generous ink threshold). Whole, such a
    component joins one line and carries the other line's letter with it."""
    if len(cores) < 2:
        return []
    starts = np.array([a for a, _ in cores])
    ends = np.array([b for _, b in cores])
    out = []
    for c in np.flatnonzero(tall):
        y0 = stats[c, cv2.CC_STAT_TOP]
        y1 = y0 + stats[c, cv2.CC_STAT_HEIGHT]
        if int(((starts < y1) & (ends > y0)).sum()) >= 2:
            out.append(int(c))
    return out


def _cut_bridges(lab: np.ndarray, stats: np.ndarray, cents: np.ndarray, bridged: list[int],
                 starts: np.ndarray, ends: np.ndarray):
    """Cut each bridging component midway between the cores it reaches; every piece below
    the first gets a label of its own. Returns (n, lab, stats, cents) updated."""
    lab, stats, cents = lab.copy(), stats.copy(), cents.copy()
    new_stats, new_cents = [], []
    n = stats.shape[0]

    def measure(piece: int, x: int, y: int, w: int, h: int) -> tuple[list, list]:
        ys, xs = np.nonzero(lab[y:y + h, x:x + w] == piece)
        return ([x + xs.min(), y + ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1, ys.size],
                [x + xs.mean(), y + ys.mean()])

    for c in bridged:
        x, y, w, h = (int(v) for v in stats[c, :4])
        inside = np.flatnonzero((starts < y + h) & (ends > y))
        cuts = [y] + [int(ends[i] + starts[j]) // 2 for i, j in zip(inside[:-1], inside[1:])] + [y + h]
        pieces = []
        for a, b in zip(cuts[1:-1], cuts[2:]):
            win = lab[a:b, x:x + w]
            mask = win == c
            if mask.any():
                win[mask] = n
                pieces.append(n)
                n += 1
        for piece in pieces:
            st, ce = measure(piece, x, y, w, h)
            new_stats.append(st)
            new_cents.append(ce)
        if (lab[y:y + h, x:x + w] == c).any():
            stats[c], cents[c] = measure(c, x, y, w, h)
    if new_stats:
        stats = np.concatenate([stats, np.array(new_stats, dtype=stats.dtype)])
        cents = np.concatenate([cents, np.array(new_cents, dtype=cents.dtype)])
    return n, lab, stats, cents


def _is_fragment(line: InkLine, char_h: float) -> bool:
    x0, y0, x1, y1 = line.bbox
    return y1 - y0 < 0.6 * char_h and x1 - x0 < 0.6 * char_h


def _absorb_fragments(lines: list[InkLine], char_h: float) -> list[InkLine]:
    """A "line" of one mark-sized piece (a comma's tail below its line's core, a dot) touching
    a real line joins it: alone, Tesseract reads nothing in it and the cell looks part-read."""
    out = [l for l in lines if not _is_fragment(l, char_h)]
    if not out or len(out) == len(lines):
        return lines
    alone = []
    for frag in (l for l in lines if _is_fragment(l, char_h)):
        k = min(range(len(out)), key=lambda j: _vgap(out[j].bbox, frag.bbox))
        if _vgap(out[k].bbox, frag.bbox) > 0.5 * char_h:
            alone.append(frag)
            continue
        a, b = out[k].bbox, frag.bbox
        out[k] = InkLine((min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])),
                         np.concatenate([out[k].labels, frag.labels]))
    return sorted(out + alone, key=lambda l: l.bbox[1])


def _vgap(a: BBox, b: BBox) -> int:
    """Rows between two boxes (0 when they overlap in height)."""
    return max(a[1] - b[3], b[1] - a[3], 0)


def line_crop(gray: np.ndarray, ink: np.ndarray, seg: Segmentation, line: InkLine) -> np.ndarray:
    """The gray crop of one line with every other line's (and every speck's) ink whitened."""
    x0, y0, x1, y1 = line.bbox
    crop = gray[y0:y1, x0:x1].copy()
    lab = seg.labels[y0:y1, x0:x1]
    own = np.isin(lab, line.labels)
    foreign = ((ink[y0:y1, x0:x1] > 0) & ~own).astype(np.uint8)
    if foreign.any():
        # one pixel more: the anti-aliased rim of a foreign glyph is lighter than the ink cut
        foreign = cv2.dilate(foreign, np.ones((3, 3), np.uint8)).astype(bool) & ~own
        crop[foreign] = 255
    return crop


def dot_leaders(ink: np.ndarray, char_h: float, cc=None) -> np.ndarray:
    """Dotted leader lines ("Họ tên: ........ Phạm Ngọc Lan") as a mask to whiten.

    Only dot-sized components are considered. Dots closer than half a character in a row,
    running at least three characters, reveal a leader's height; then every dot at that
    height goes, also the few left between the words typed on the leader, except dots
    right after a letter (a period or comma of the value). Accents are dot-sized too but sit
    a letter apart and never run that long. `cc` is connectedComponentsWithStats(ink) when
    the caller has it.
    """
    n, lab, stats, cents = cc if cc is not None else cv2.connectedComponentsWithStats(ink, connectivity=8)
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    small = (w <= 0.35 * char_h) & (h <= 0.35 * char_h)
    small[0] = False
    if not small.any():
        return np.zeros_like(ink)
    dots = small[lab].astype(np.uint8)
    k = max(int(0.5 * char_h), 3)
    run = cv2.morphologyEx(dots, cv2.MORPH_CLOSE, np.ones((1, k), np.uint8))
    run = cv2.morphologyEx(run, cv2.MORPH_OPEN, np.ones((1, max(int(3 * char_h), 6)), np.uint8))
    ids = np.unique(lab[(run > 0) & (dots > 0)])
    ids = ids[ids > 0]
    if ids.size == 0:
        return np.zeros_like(ink)
    # rows holding a leader (by the dots' centres)
    rows = np.zeros(ink.shape[0], dtype=bool)
    band = max(int(0.2 * char_h), 1)
    for y in np.unique(cents[ids, 1].astype(int)):
        rows[max(y - band, 0): y + band + 1] = True
    on_row = small & rows[np.clip(cents[:, 1].astype(int), 0, ink.shape[0] - 1)]
    # punctuation hugging the letter before it stays
    glyphs = (~small).copy()
    glyphs[0] = False
    reach = max(int(0.15 * char_h), 1)
    after = cv2.dilate(glyphs[lab].astype(np.uint8), np.ones((1, 2 * reach + 1), np.uint8),
                       anchor=(0, 0))
    hugging = np.zeros(n, dtype=bool)
    hugging[np.unique(lab[(after > 0) & (dots > 0)])] = True
    keep = on_row & ~hugging
    keep[ids] = True
    return keep[lab].astype(np.uint8) * 255
