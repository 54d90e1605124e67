"""Render short text lines as register-like images and read them with real Tesseract (vie).

Used by the confusion measurement (bench/ocr_confusions.py) and the name benchmark's
"genuinely OCR'd" set. Images: one line of black text on paper-white, a font picked from
the Debian font packages the project installs (DejaVu, Liberation, FreeFont, Noto, Gentium,
Charis), 20-40 px,
optionally uppercase (many registers write names in capitals), with mild blur and noise.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation2",
             "/usr/share/fonts/truetype/freefont")
# Further faces with Vietnamese coverage (fonts-noto-core, fonts-sil-gentiumplus,
# fonts-sil-charis): the confusion model learns from many letter shapes. (bench/names_eval.py
# reads its held-out names in yet other faces: croscore, Open Sans, Roboto.)
EXTRA_FACES = ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
               "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf", "/usr/share/fonts/truetype/noto/NotoSerif-Italic.ttf",
               "/usr/share/fonts/truetype/gentiumplus/GentiumPlus-Regular.ttf",
               "/usr/share/fonts/truetype/charis/CharisSIL-Regular.ttf")
# Decorative or unusable faces for register text.
_SKIP = ("Math", "ExtraLight")


@lru_cache(maxsize=1)
def fonts() -> tuple[str, ...]:
    """Paths of the usable .ttf faces (sorted, so a seed picks the same font everywhere)."""
    out = [str(p) for d in FONT_DIRS for p in sorted(Path(d).glob("*.ttf"))
           if not any(s in p.name for s in _SKIP)]
    out += [p for p in EXTRA_FACES if Path(p).is_file()]
    if not out:
        raise FileNotFoundError(f"no fonts in {FONT_DIRS}; install fonts-dejavu-core "
                                "fonts-liberation2 fonts-freefont-ttf")
    return tuple(out)


@dataclass(frozen=True)
class RenderSpec:
    """How one line was drawn (kept with each measurement)."""

    font: str
    size: int
    upper: bool
    blur: float
    noise: float


def random_spec(rng: random.Random, upper_rate: float = 0.25) -> RenderSpec:
    return RenderSpec(font=rng.choice(fonts()), size=rng.randint(20, 40),
                      upper=rng.random() < upper_rate, blur=rng.uniform(0.0, 1.2),
                      noise=rng.uniform(0.0, 24.0))


@lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def render_line(text: str, spec: RenderSpec, seed: int = 0) -> Image.Image:
    """A grayscale image of `text` drawn per `spec`."""
    if spec.upper:
        text = text.upper()
    font = _font(spec.font, spec.size)
    x0, y0, x1, y1 = font.getbbox(text)
    pad = spec.size // 2
    img = Image.new("L", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), 245)
    ImageDraw.Draw(img).text((pad - x0, pad - y0), text, font=font, fill=20)
    if spec.blur > 0.05:
        img = img.filter(ImageFilter.GaussianBlur(spec.blur))
    if spec.noise > 0:
        arr = np.asarray(img, dtype=np.float32)
        arr = arr + np.random.default_rng(seed).normal(0, spec.noise, arr.shape)
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return img


class LineReader:
    """One Tesseract engine (psm SINGLE_LINE) reading rendered lines."""

    def __init__(self) -> None:
        from ocr.tesseract import make_engine

        self.api = make_engine("vie", psm="SINGLE_LINE")

    def read(self, img: Image.Image) -> str:
        self.api.SetImage(img)
        return " ".join(self.api.GetUTF8Text().split())

    def read_with_choices(self, img: Image.Image):
        """(text, ReadEvidence or None): the read with the LSTM's alternatives per glyph."""
        from ocr.tesseract import CHOICE_MODE, glyph_evidence

        self.api.SetImage(img)
        self.api.SetVariable("lstm_choice_mode", CHOICE_MODE)
        self.api.Recognize()
        text = " ".join(self.api.GetUTF8Text().split())
        return text, glyph_evidence(self.api)

    def close(self) -> None:
        self.api.End()
