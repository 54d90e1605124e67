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
        bleed: strength 0..1 of the reverse page's typing showing through thin paper.
        gutter: (edge, width, depth): the shadow of the book's binding along one edge.
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
    bleed: float = 0.0
    gutter: tuple[str, int, float] | None = None


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
        "moderate": (1.5, (0.5, 0.9), (2.0, 4.5), (0.08, 0.25), 0.6, (40, 250), 0.75, (60, 78)),
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
    gutter = None
    if rng.random() < 0.5 * yellow:
        edge = rng.choice(["left", "right"])
        gutter = (edge, int(width * rng.uniform(0.03, 0.08)), round(rng.uniform(0.08, 0.25) * yellow, 3))
    return ScanParams(
        bleed=round(rng.uniform(0.02, 0.06) * yellow, 3) if rng.random() < 0.6 else 0.0,
        gutter=gutter,
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


def _smooth_field(nprng: np.random.Generator, width: int, height: int, cells: int,
                  lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """A smooth random field with values in lo..hi (low-frequency unevenness), float32 HxW.

    Scaling happens on the small grid, so the full-size field costs one resize.
    """
    gw = cells
    gh = max(2, int(cells * height / width))
    small = nprng.random((gh, gw)).astype(np.float32)
    # Cubic to 1/8 size then linear: as smooth to the eye, 5x cheaper than cubic at full size.
    mid = cv2.resize(small, (max(2, width // 8), max(2, height // 8)), interpolation=cv2.INTER_CUBIC)
    mid = lo + (hi - lo) * np.clip(mid, 0.0, 1.0)
    return cv2.resize(mid, (width, height), interpolation=cv2.INTER_LINEAR)


@lru_cache(maxsize=2)
def _noise_tile(width: int, height: int) -> np.ndarray:
    """A fixed N(0,1) field (int8, x32) larger than the page; pages take shifted windows of it.
    Drawing fresh Gaussian noise per page costs more than the rest of the scan."""
    rng = np.random.default_rng(12345)
    tile = rng.standard_normal((height + 64, width + 64), dtype=np.float32) * 32.0
    return np.clip(tile, -127, 127).astype(np.int8)


def _noise(nprng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A window of the fixed noise tile at a random offset (int8, N(0,1) x 32; a view)."""
    dy, dx = (int(v) for v in nprng.integers(0, 64, 2))
    return _noise_tile(width, height)[dy:dy + height, dx:dx + width]


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
        top = 1.0 - p.fade
        a_type *= _smooth_field(nprng, w, h, 7, max(0.15, top - p.fade_var), top)
        top = 1.0 - 0.6 * p.fade
        a_print *= _smooth_field(nprng, w, h, 5, max(0.3, top - 0.5 * p.fade_var), top)
    if p.specks:
        _specks(a_print, p, nprng, dpi)
    if p.bleed > 0:
        # The other side's typing, mirrored and diffused through the paper.
        back = cv2.GaussianBlur(np.asarray(ink.typed)[:, ::-1], (0, 0), 3.5 * dpi / 300.0)
        a_print = np.maximum(a_print, back.astype(np.float32) * (p.bleed / 255.0))
    # out = paper*light*(1-a_print)*(1-a_type) + printed*a_print*(1-a_type) + typed*a_type,
    # computed per channel from three weight planes (3x cheaper than blending RGB twice).
    keep = 1.0 - a_type
    k_print = a_print * keep
    k_paper = keep - k_print
    if p.paper_var > 0:
        k_paper *= _smooth_field(nprng, w, h, 4, 1.0 - p.paper_var, 1.0)
    if p.gutter is not None:
        edge, gw, depth = p.gutter
        ramp = (1.0 - depth * np.linspace(1.0, 0.0, gw, dtype=np.float32) ** 2)[None, :]
        if edge == "left":
            k_paper[:, :gw] *= ramp
        else:
            k_paper[:, w - gw:] *= ramp[:, ::-1]
    noise = _noise(nprng, w, h) if p.noise > 0 else None
    channels = []
    for c in range(3):  # OpenCV: one pass per term, saturating to uint8 at the end
        ch = cv2.addWeighted(k_paper, float(p.paper[c]), k_print, float(printed_rgb[c]), 0.0)
        if noise is None:
            channels.append(cv2.addWeighted(ch, 1.0, a_type, float(typed_rgb[c]), 0.0, dtype=cv2.CV_8U))
            continue
        ch = cv2.addWeighted(ch, 1.0, a_type, float(typed_rgb[c]), 0.0)
        channels.append(cv2.addWeighted(ch, 1.0, noise, p.noise / 32.0, 0.0, dtype=cv2.CV_8U))
    out = cv2.merge(channels)
    if p.borders:
        _borders(out, p, nprng)
    return out


def blend_marks(out: np.ndarray, marks, m: np.ndarray, p: ScanParams) -> list[BBox]:
    """Print small marks (signature, seal) onto the scan in place, through the same page map.

    Inks are blended multiplicatively (a stamp's red lets the text under it show through).
    Only each mark's own region is warped and blended, which keeps this cheap.

    Returns:
        Each mark's box on the final page.
    """
    h, w = out.shape[:2]
    boxes = []
    for mark in marks:
        x0, y0, x1, y1 = map_bbox(mark.bbox, m, w, h)
        boxes.append((x0, y0, x1, y1))
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        local = m.copy()  # mark-local pixels -> region pixels
        local[:, 2] += m[:, :2] @ np.array(mark.origin, np.float64) - np.array([x0, y0], np.float64)
        a = cv2.warpAffine(np.asarray(mark.mask), local, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR)
        if p.blur > 0:
            a = cv2.GaussianBlur(a, (0, 0), p.blur)
        a = a.astype(np.float32)[..., None] * ((1.0 - 0.5 * p.fade) / 255.0)
        absorb = 1.0 - np.array(mark.rgb, np.float32) / 255.0
        region = out[y0:y1, x0:x1].astype(np.float32) * (1.0 - a * absorb)
        out[y0:y1, x0:x1] = np.clip(region, 0, 255).astype(np.uint8)
    return boxes


def encode_jpeg(rgb: np.ndarray, quality: int, dpi: int) -> bytes:
    """The stored scan's bytes: JPEG at `quality`, with the dpi in its JFIF header."""
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, "JPEG", quality=quality, dpi=(dpi, dpi))
    return buf.getvalue()


def extras(rgb: np.ndarray, kinds: tuple[str, ...], nprng: np.random.Generator) -> None:
    """Damage some books have beyond the scan, in place: "stains" (brown water or tea rings),
    "uneven_light" (a page lit from one side), "carbon" (a faded carbon copy: low contrast,
    soft strokes)."""
    if not kinds:
        return
    h, w = rgb.shape[:2]
    f = rgb.astype(np.float32)
    if "carbon" in kinds:
        f = cv2.GaussianBlur(f, (0, 0), 0.9)
        paper = np.percentile(f[::8, ::8], 90, axis=(0, 1))
        f = paper + (f - paper) * float(nprng.uniform(0.45, 0.65))  # ink reaches only half-way
    if "uneven_light" in kinds:
        angle = nprng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:h:8, 0:w:8].astype(np.float32)
        ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)
        ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
        light = cv2.resize(1.0 - float(nprng.uniform(0.18, 0.35)) * ramp, (w, h))
        f *= light[..., None]
    if "stains" in kinds:
        for _ in range(int(nprng.integers(1, 4))):
            cx, cy = nprng.uniform(0, w), nprng.uniform(0, h)
            r = nprng.uniform(0.04, 0.12) * min(w, h)
            yy, xx = np.ogrid[0:h, 0:w]
            d = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / r
            a = (np.clip(1.0 - d, 0, 1) * 0.12 + np.exp(-((d - 1.0) ** 2) / 0.004) * 0.18).astype(np.float32)
            tint = np.array([0.35, 0.55, 0.85], np.float32)  # brown: blue absorbed most
            f *= 1.0 - a[..., None] * tint
    np.clip(f, 0, 255, out=f)
    rgb[...] = f.astype(np.uint8)
