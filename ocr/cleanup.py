"""Page image cleanup: each step a pure function on a numpy image (uint8), testable alone.

The order `clean_page` applies: grayscale -> scanner-border removal -> background flattening
-> denoise -> quarter-turn / half-turn correction (from glyph geometry, no OCR) -> deskew. Binarisation is not part of the
page cleanup: recognition reads grayscale (measured: binarised lines read worse on faded
print), and layout binarises for itself (`binarize`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

# Search window of the deskew (registers are skewed "a few degrees").
MAX_SKEW_DEG = 6.0
# Upside-down evidence (Orientation.upright) needed before a half turn. Scans are upright far
# more often than not, and the glyph measure is weak on some prints: bold sans text at 200 dpi
# merges letters into word blobs and scores |upright| <= 0.06 either way (demo hbt-kh-*:
# -0.059 on an upright page, which the old -0.04 cut turned upside down), while clear prints
# score >= 0.10 in magnitude (demo serif pages 0.10-0.26, generated 300-dpi pages >= 0.135).
HALF_TURN_EVIDENCE = 0.08


@dataclass(frozen=True)
class CleanedPage:
    """The cleaned page and what was done to it.

    Attributes:
        gray: the cleaned grayscale page (uint8, white background) that bboxes refer to.
        skew_deg: the measured skew that was undone (degrees, counter-clockwise positive).
        rotation: quarter turns applied (0, 90, 180, 270 degrees clockwise).
        border_px: pixels whitened as scanner border.
    """

    gray: np.ndarray
    skew_deg: float = 0.0
    rotation: int = 0
    border_px: int = 0


def to_gray(img: np.ndarray) -> np.ndarray:
    """Any loaded page (gray, RGB, RGBA, 16-bit, bool) as 8-bit grayscale.

    Raises:
        ValueError: not a 2-D or 3-D image array.
    """
    a = np.asarray(img)
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    elif a.dtype == np.uint16:
        a = (a >> 8).astype(np.uint8)
    elif a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    if a.ndim == 2:
        return np.ascontiguousarray(a)
    if a.ndim == 3 and a.shape[2] in (1, 3, 4):
        if a.shape[2] == 1:
            return np.ascontiguousarray(a[:, :, 0])
        code = cv2.COLOR_RGBA2GRAY if a.shape[2] == 4 else cv2.COLOR_RGB2GRAY
        return cv2.cvtColor(a, code)
    raise ValueError(f"not an image array: shape {a.shape}")


def border_mask(gray: np.ndarray, dark: int = 110, frac: float = 0.6) -> np.ndarray:
    """Dark scanner borders (True): edge rows/columns that are mostly dark.

    Scans inward from each edge while the row (column) is more than `frac` dark, then adds
    a small margin. Page content (text, ruling) never fills 60% of a row with ink except
    table lines, which are thin and not at the very edge.
    """
    h, w = gray.shape
    mask = np.zeros((h, w), bool)
    small = cv2.resize(gray, (max(w // 4, 1), max(h // 4, 1)), interpolation=cv2.INTER_AREA)
    d = small < dark
    row_dark, col_dark = d.mean(axis=1), d.mean(axis=0)

    def run(profile: np.ndarray) -> int:
        n = 0
        limit = len(profile) // 4  # a border is never a quarter of the page
        while n < limit and profile[n] > frac:
            n += 1
        return n

    top, bottom = run(row_dark), run(row_dark[::-1])
    left, right = run(col_dark), run(col_dark[::-1])
    pad = 2  # small-image pixels: the border's soft inner edge
    for n, sl in ((top, np.s_[: (top + pad) * 4, :]), (bottom, np.s_[h - (bottom + pad) * 4:, :]),
                  (left, np.s_[:, : (left + pad) * 4]), (right, np.s_[:, w - (right + pad) * 4:])):
        if n:
            mask[sl] = True
    return mask


def remove_border(gray: np.ndarray, dark: int = 110, frac: float = 0.6) -> tuple[np.ndarray, int]:
    """Whiten dark scanner borders (see border_mask).

    Returns:
        (image with borders set to white, number of pixels whitened).
    """
    mask = border_mask(gray, dark, frac)
    return np.where(mask, np.uint8(255), gray), int(mask.sum())


def flatten_background(gray: np.ndarray, block: int = 31) -> np.ndarray:
    """Divide out uneven illumination / yellowing: page / estimated background * 255.

    The background is estimated as a grey closing (max filter) on a 1/4-size image, which
    removes ink strokes narrower than `block` small pixels, then blurred and upscaled.
    """
    h, w = gray.shape
    small = cv2.resize(gray, (max(w // 4, 1), max(h // 4, 1)), interpolation=cv2.INTER_AREA)
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (block // 4 * 2 + 1, block // 4 * 2 + 1))
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, k)
    bg = cv2.GaussianBlur(bg, (0, 0), 3)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    out = cv2.divide(gray, np.maximum(bg, 1), scale=255)
    return out


def denoise(gray: np.ndarray, ksize: int = 3) -> np.ndarray:
    """Remove salt-and-pepper specks with a small median filter (cheap, keeps stroke edges)."""
    return cv2.medianBlur(gray, ksize)


def binarize(gray: np.ndarray) -> np.ndarray:
    """Ink mask (uint8, 255 = ink) by Otsu on the flattened page."""
    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return bw


def _profile_score(bw_small: np.ndarray, angle: float) -> float:
    h, w = bw_small.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    r = cv2.warpAffine(bw_small, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
    prof = r.sum(axis=1, dtype=np.float64)
    return float(np.square(np.diff(prof)).sum())


def _drop_edge_marks(bw: np.ndarray) -> np.ndarray:
    """Ink touching the image's edge is the scanner bed or the paper's edge (level with the
    image, not with the text), not the page's content."""
    n, lab, stats, _ = cv2.connectedComponentsWithStats((bw > 0).astype(np.uint8), connectivity=8)
    h, w = bw.shape
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    edge = (x == 0) | (y == 0) | (x + stats[:, cv2.CC_STAT_WIDTH] >= w) | (y + stats[:, cv2.CC_STAT_HEIGHT] >= h)
    edge[0] = False
    return np.where(edge[lab], np.uint8(0), bw) if edge.any() else bw


def estimate_skew(gray: np.ndarray, max_deg: float = MAX_SKEW_DEG) -> float:
    """The page's skew in degrees (rotate by this to straighten), by projection profiles.

    Horizontal ruling lines and text lines both make the row-sum profile sharpest when
    level; the sum of squared differences of the profile peaks there. Coarse (0.5 deg) then
    fine (0.05 deg) search on a downscaled ink mask.
    """
    h, w = gray.shape
    scale = min(1.0, 900.0 / max(h, w))
    # Threshold first, then shrink to ink coverage: shrunk first, a light ribbon's thin
    # strokes fade into the paper and what is left of the scanner's edge sets the angle.
    # Otsu alone splits a dark scanner edge from everything else, faint text included
    otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    paper = float(np.median(gray[::4, ::4]))
    _, ink = cv2.threshold(gray, max(otsu, paper - 40.0), 255, cv2.THRESH_BINARY_INV)
    bw = cv2.resize(ink, (max(int(w * scale), 1), max(int(h * scale), 1)), interpolation=cv2.INTER_AREA)
    bw = _drop_edge_marks(bw)
    if bw.mean() < 0.5:  # (nearly) blank page: nothing to measure
        return 0.0
    coarse = np.arange(-max_deg, max_deg + 1e-9, 0.5)
    best = max(coarse, key=lambda a: _profile_score(bw, a))
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.05)
    best = max(fine, key=lambda a: _profile_score(bw, a))
    return float(round(best, 2))


def rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    """Rotate by `angle` degrees (counter-clockwise positive) about the centre, same size,
    filling with white."""
    if abs(angle) < 1e-3:
        return gray
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


@dataclass(frozen=True)
class Orientation:
    """Text direction evidence, each in -1..1 (0: too little text to tell).

    Attributes:
        horizontal: > 0 when text lines run horizontally, < 0 when the page lies sideways.
        upright: > 0 upright, < 0 upside down (only meaningful when horizontal > 0).
    """

    horizontal: float
    upright: float


def orientation_scores(gray: np.ndarray) -> Orientation:
    """Measure text direction from glyph neighbours (ruling lines removed first).

    - Letters' nearest neighbours are the next letters of their line: is the nearest glyph
      beside or above/below? (Row/column profile sharpness fails: a ledger's text columns
      make the column profile the sharper one.)
    - Between neighbouring letters, bottoms align on the baseline while tops differ
      (ascenders, capitals); upside down it is the other way round.
    """
    h, w = gray.shape
    scale = min(1.0, 1600.0 / max(h, w))
    small = cv2.resize(gray, (max(int(w * scale), 1), max(int(h * scale), 1)),
                       interpolation=cv2.INTER_AREA)
    bw = binarize(small)
    k = max(int(max(bw.shape) * 0.04), 8)
    lines = (cv2.morphologyEx(bw, cv2.MORPH_OPEN, np.ones((1, k), np.uint8))
             | cv2.morphologyEx(bw, cv2.MORPH_OPEN, np.ones((k, 1), np.uint8)))
    bw = cv2.subtract(bw, cv2.dilate(lines, np.ones((3, 3), np.uint8)))
    _, _, stats, cents = cv2.connectedComponentsWithStats(bw, connectivity=8)
    stats, cents = stats[1:], cents[1:]
    size = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    ok = (size >= 4) & (size <= 80)
    if ok.sum() < 30:
        return Orientation(0.0, 0.0)
    stats, cents, size = stats[ok], cents[ok], size[ok]
    big = size >= 0.6 * np.median(size)  # marks (accents, dots) are too small to count
    stats, cents, size = stats[big], cents[big], size[big]
    if len(cents) < 30:
        return Orientation(0.0, 0.0)
    pts = np.ascontiguousarray(cents, dtype=np.float32)
    # nearest other glyph of every glyph (FLANN k-d tree: all of them, no sampling noise)
    index = cv2.flann_Index(pts, dict(algorithm=1, trees=2))
    nn, _ = index.knnSearch(pts, 2, params=dict(checks=32))
    pick = np.arange(len(pts))
    j = np.where(nn[:, 0] == pick, nn[:, 1], nn[:, 0]).astype(np.int64)
    near = pts - pts[j]
    horizontal = float((2 * np.count_nonzero(np.abs(near[:, 0]) > np.abs(near[:, 1])) - len(pick)) / len(pick))
    beside = np.abs(near[:, 0]) > 2 * np.abs(near[:, 1])
    if beside.sum() < 10:
        return Orientation(horizontal, 0.0)
    top = stats[:, cv2.CC_STAT_TOP].astype(float)
    bottom = top + stats[:, cv2.CC_STAT_HEIGHT]
    tol = 0.15 * float(np.median(stats[:, cv2.CC_STAT_HEIGHT]))
    a, b = pick[beside], j[beside]
    upright = float(np.mean(np.abs(top[a] - top[b]) > tol) - np.mean(np.abs(bottom[a] - bottom[b]) > tol))
    return Orientation(horizontal, upright)


def detect_rotation(gray: np.ndarray) -> int:
    """Clockwise quarter turns (0, 90, 180, 270 degrees) that make the page upright.

    A half turn needs clear evidence (HALF_TURN_EVIDENCE): on weak evidence the page is
    left as it is rather than flipped on noise.
    """
    o = orientation_scores(gray)
    turned = 0
    if o.horizontal < -0.2:
        turned = 90
        o = orientation_scores(turn(gray, 90))
    if o.upright < -HALF_TURN_EVIDENCE:
        turned += 180
    return turned % 360


def turn(gray: np.ndarray, degrees_cw: int) -> np.ndarray:
    """Rotate by a multiple of 90 degrees clockwise (lossless)."""
    k = (degrees_cw // 90) % 4
    if k == 0:
        return gray
    codes = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return cv2.rotate(gray, codes[k])


def clean_page(img: np.ndarray, *, flatten: bool = True, smooth: bool = True,
               confirm_turn: Callable[[np.ndarray], bool] | None = None) -> CleanedPage:
    """The whole cleanup chain.

    Args:
        img: the page as loaded (gray or RGB uint8).
        flatten: divide out the background (yellowing, uneven light).
        smooth: median-filter specks.
        confirm_turn: asked, with the page turned as proposed, whether a half turn really
            makes it upright (pipeline.extract.page asks Tesseract's orientation detector); False
            keeps the page the way up it came. On some prints (digits everywhere, serif
            capitals at 200 dpi) the glyph measure reads an upright page as upside down
            past HALF_TURN_EVIDENCE (-0.12 on a generated death ledger).

    Returns:
        CleanedPage with the image that every later stage (and every bbox) uses.
    """
    gray = to_gray(img)
    border = border_mask(gray)
    if flatten and border.any():
        # the border at the paper's own level while the background is measured: white, it
        # would pass for the paper beside it and leave a grey halo along the page's edge
        # (read as "|" lines); dark, it would darken that paper's estimate
        paper = np.uint8(np.median(gray[~border][::7]))
        gray = flatten_background(np.where(border, paper, gray))
    elif flatten:
        gray = flatten_background(gray)
    gray = np.where(border, np.uint8(255), gray)
    if smooth:
        gray = denoise(gray)
    rotation = detect_rotation(gray)
    if rotation in (180, 270) and confirm_turn is not None and not confirm_turn(turn(gray, rotation)):
        rotation -= 180
    gray = turn(gray, rotation)
    skew = estimate_skew(gray)
    gray = rotate(gray, skew)
    return CleanedPage(gray=gray, skew_deg=skew, rotation=rotation, border_px=int(border.sum()))
