"""Turn a page's ink masks into a scan: paper, ink colours, skew, blur, fading, noise,
specks, dark scanner borders and JPEG artefacts.

Geometry is one affine map (rotation about the page centre plus a small shift) applied to
the ink; `map_bbox` applies the same map to truth boxes, so truth stays in final pixels.
"""
from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image

from samples.typeset import BBox, InkPage

LEVELS: tuple[str, ...] = ("none", "light", "moderate", "heavy")


@dataclass(frozen=True)
class ScanParams:
    """What one page's scan does to it (all sizes at the page's dpi).

    Attributes:
        skew: rotation in degrees (positive = counter-clockwise).
        shift: (dx, dy) pixels the paper moved on the scanner bed.
        blur: Gaussian sigma of the optics, pixels.
        noise: sensor noise standard deviation, grey levels.
        fade: overall ink loss 0..1; fade_var: how unevenly it is lost across the page.
        paper: the paper colour (RGB); paper_var: unevenness of its yellowing 0..1.
        specks: number of dust specks.
        borders: dark scanner-bed strips as (edge, width): edge in "left/right/top/bottom".
        jpeg_quality: JPEG quality of the stored scan (None: lossless).
    """

    skew: float
    shift: tuple[float, float]
    blur: float
    noise: float
    fade: float
    fade_var: float
    paper: tuple[int, int, int]
    paper_var: float
    specks: int
    borders: tuple[tuple[str, int], ...]
    jpeg_quality: int | None


def choose_params(level: str, rng: random.Random, width: int, height: int, dpi: int) -> ScanParams:
    """Draw scan parameters for one page at a degradation level.

    Raises:
        ValueError: unknown level.
    """
    if level not in LEVELS:
        raise ValueError(f"degrade level must be one of {', '.join(LEVELS)}, got {level!r}")
    k = dpi / 300.0
    if level == "none":
        return ScanParams(0.0, (0.0, 0.0), 0.0, 0.0, 0.0, 0.0, (252, 252, 250), 0.0, 0, (), None)
    # level -> (skew, blur range, noise range, fade range, yellowing, specks, border chance, jpeg)
    table = {
        "light": (0.5, (0.3, 0.6), (1.5, 3.5), (0.0, 0.12), 0.3, (0, 40), 0.3, (85, 93)),
        "moderate": (1.5, (0.5, 0.9), (3.0, 6.0), (0.08, 0.25), 0.6, (40, 250), 0.75, (65, 82)),
        "heavy": (3.0, (0.8, 1.4), (6.0, 11.0), (0.2, 0.45), 1.0, (250, 900), 0.95, (40, 60)),
    }
    skew_max, blur, noise, fade, yellow, specks, border_p, jpeg = table[level]
    y = yellow * rng.uniform(0.3, 1.0)
    paper = (int(248 - 10 * y), int(246 - 22 * y), int(240 - 55 * y))
    borders: list[tuple[str, int]] = []
    if rng.random() < border_p:
        for edge in rng.sample(["left", "right", "top", "bottom"], rng.choice([1, 1, 2])):
            span = width if edge in ("left", "right") else height
            borders.append((edge, int(span * rng.uniform(0.006, 0.022))))
    return ScanParams(
        skew=round(rng.uniform(-skew_max, skew_max), 3),
        shift=(round(rng.uniform(-8, 8) * k, 1), round(rng.uniform(-8, 8) * k, 1)),
        blur=round(rng.uniform(*blur) * k, 3), noise=round(rng.uniform(*noise), 2),
        fade=round(rng.uniform(*fade), 3), fade_var=round(rng.uniform(0.1, 0.5) * y + 0.05, 3),
        paper=paper, paper_var=round(0.04 + 0.08 * y, 3), specks=rng.randint(*specks),
        borders=tuple(borders), jpeg_quality=rng.randint(*jpeg),
    )


def page_matrix(p: ScanParams, width: int, height: int) -> np.ndarray:
    """The 2x3 affine map from clean-page to scan pixels."""
    m = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), p.skew, 1.0)
    m[0, 2] += p.shift[0]
    m[1, 2] += p.shift[1]
    return m


def map_bbox(bbox: BBox, m: np.ndarray, width: int, height: int) -> BBox:
    """Map a clean-page box through `m`: the axis-aligned box of its four corners, clipped."""
    x0, y0, x1, y1 = bbox
    pts = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=np.float64)
    out = pts @ m.T
    return (int(max(0, math.floor(out[:, 0].min()))), int(max(0, math.floor(out[:, 1].min()))),
            int(min(width, math.ceil(out[:, 0].max()))), int(min(height, math.ceil(out[:, 1].max()))))


def _smooth_field(nprng: np.random.Generator, width: int, height: int, cells: int) -> np.ndarray:
    """A smooth random field in 0..1 (low-frequency unevenness), float32 HxW."""
    gw = cells
    gh = max(2, int(cells * height / width))
    small = nprng.random((gh, gw)).astype(np.float32)
    # Cubic to 1/8 size then linear: as smooth to the eye, 5x cheaper than cubic at full size.
    mid = cv2.resize(small, (max(2, width // 8), max(2, height // 8)), interpolation=cv2.INTER_CUBIC)
    big = cv2.resize(np.clip(mid, 0.0, 1.0), (width, height), interpolation=cv2.INTER_LINEAR)
    return big


@lru_cache(maxsize=2)
def _noise_tile(width: int, height: int) -> np.ndarray:
    """A fixed N(0,1) field (int8, x32) larger than the page; pages take shifted windows of it.
    Drawing fresh Gaussian noise per page costs more than the rest of the scan."""
    rng = np.random.default_rng(12345)
    tile = rng.standard_normal((height + 64, width + 64), dtype=np.float32) * 32.0
    return np.clip(tile, -127, 127).astype(np.int8)


def _noise(nprng: np.random.Generator, width: int, height: int, sigma: float) -> np.ndarray:
    tile = _noise_tile(width, height)
    dy, dx = (int(v) for v in nprng.integers(0, 64, 2))
    window = tile[dy:dy + height, dx:dx + width]
    if nprng.random() < 0.5:
        window = window[::-1]
    return window.astype(np.float32) * (sigma / 32.0)


def _alpha(mask: Image.Image, m: np.ndarray, p: ScanParams) -> np.ndarray:
    a = np.asarray(mask)
    if p.skew or p.shift != (0.0, 0.0):
        a = cv2.warpAffine(a, m, (a.shape[1], a.shape[0]), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if p.blur > 0:
        a = cv2.GaussianBlur(a, (0, 0), p.blur)
    return a.astype(np.float32) * (1.0 / 255.0)


def _specks(alpha: np.ndarray, p: ScanParams, nprng: np.random.Generator, dpi: int) -> None:
    h, w = alpha.shape
    k = dpi / 300.0
    xs = nprng.integers(0, w, p.specks)
    ys = nprng.integers(0, h, p.specks)
    rs = nprng.gamma(1.2, 1.2, p.specks) * k
    vs = nprng.uniform(0.3, 0.9, p.specks)
    for x, y, r, v in zip(xs, ys, rs, vs):
        cv2.ellipse(alpha, (int(x), int(y)), (max(1, int(r)), max(1, int(r * nprng.uniform(0.4, 1.0)))),
                    float(nprng.uniform(0, 180)), 0, 360, float(v), -1)


def _borders(img: np.ndarray, p: ScanParams, nprng: np.random.Generator) -> None:
    """Darken the scanner bed seen beyond the paper's (skewed) edge on the chosen edges."""
    h, w, _ = img.shape
    t = math.tan(math.radians(p.skew))
    bed = nprng.uniform(15, 55)
    for edge, width in p.borders:
        if edge in ("left", "right"):
            ys = np.arange(h, dtype=np.float32)[:, None]
            reach = width + (ys - h / 2) * t * (1 if edge == "left" else -1)
            span = int(min(w, width + abs(h / 2 * t) + 6))
            xs = np.arange(span, dtype=np.float32)[None, :]
            inside = np.clip((xs - reach) / 3.0, 0, 1)  # 0 = bed, 1 = paper, soft 3 px edge
            region = img[:, :span] if edge == "left" else img[:, w - span:][:, ::-1]
        else:
            xs = np.arange(w, dtype=np.float32)[None, :]
            reach = width + (xs - w / 2) * t * (-1 if edge == "top" else 1)
            span = int(min(h, width + abs(w / 2 * t) + 6))
            ys = np.arange(span, dtype=np.float32)[:, None]
            inside = np.clip((ys - reach) / 3.0, 0, 1)
            region = img[:span, :] if edge == "top" else img[h - span:, :][::-1, :]
        shade = inside[..., None]
        bed_px = bed + nprng.standard_normal(region.shape[:2], dtype=np.float32)[..., None] * 4
        region[...] = np.clip(region * shade + bed_px * (1 - shade), 0, 255).astype(np.uint8)


def scan(ink: InkPage, typed_rgb: tuple[int, int, int], printed_rgb: tuple[int, int, int],
         p: ScanParams, nprng: np.random.Generator, dpi: int) -> np.ndarray:
    """Compose the scanned page (HxWx3 uint8, before JPEG) from the ink masks.

    Args:
        ink: the clean page's masks.
        typed_rgb, printed_rgb: ink colours of the typed text and of the printed form.
        p: scan parameters (choose_params).
        nprng: the page's numpy random source.
        dpi: page resolution (scales speck sizes).
    """
    w, h = ink.printed.size
    m = page_matrix(p, w, h)
    a_print = _alpha(ink.printed, m, p)
    a_type = _alpha(ink.typed, m, p)
    if p.fade > 0:
        fade = 1.0 - p.fade - p.fade_var * _smooth_field(nprng, w, h, 7)
        a_type *= np.clip(fade, 0.15, 1.0)
        a_print *= np.clip(1.0 - 0.6 * p.fade - 0.5 * p.fade_var * _smooth_field(nprng, w, h, 5), 0.3, 1.0)
    if p.specks:
        _specks(a_print, p, nprng, dpi)
    # out = paper*light*(1-a_print)*(1-a_type) + printed*a_print*(1-a_type) + typed*a_type,
    # computed per channel from three weight planes (3x cheaper than blending RGB twice).
    keep = 1.0 - a_type
    k_print = a_print * keep
    k_paper = (1.0 - a_print) * keep
    if p.paper_var > 0:
        k_paper *= 1.0 - p.paper_var * _smooth_field(nprng, w, h, 4)
    noise = _noise(nprng, w, h, p.noise) if p.noise > 0 else None
    out = np.empty((h, w, 3), np.uint8)
    for c in range(3):
        ch = k_paper * float(p.paper[c])
        ch += k_print * float(printed_rgb[c])
        ch += a_type * float(typed_rgb[c])
        if noise is not None:
            ch += noise
        np.clip(ch, 0, 255, out=ch)
        out[..., c] = ch
    if p.borders:
        _borders(out, p, nprng)
    return out


def encode_jpeg(rgb: np.ndarray, quality: int, dpi: int) -> bytes:
    """The stored scan's bytes: JPEG at `quality`, with the dpi in its JFIF header."""
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, "JPEG", quality=quality, dpi=(dpi, dpi))
    return buf.getvalue()
