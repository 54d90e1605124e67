"""The clerk's sign-off under the entries: a title line, a ballpoint signature and a red
round seal. Real register pages carry them; the page reader must not take them for entries.

They are drawn on their own small masks (`Mark`) because their inks (blue ballpoint, red
stamp pad) differ from the typewriter's, and they only cover a small part of the page.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from samples.fonts import load_font
from samples.typeset import BBox, InkPage, draw_line

SIGNER_TITLES = ("Cán bộ hộ tịch", "Người ghi sổ", "T/M {seal}", "Cán bộ Tư pháp – Hộ tịch",
                 "Chủ tịch")
BALLPOINT = (35, 45, 120)
STAMP_RED = (190, 45, 55)


@dataclass(frozen=True)
class Mark:
    """A non-text mark: its coverage mask placed at `origin` on the clean page, and its ink."""

    mask: Image.Image
    origin: tuple[int, int]
    rgb: tuple[int, int, int]

    @property
    def bbox(self) -> BBox:
        x, y = self.origin
        return (x, y, x + self.mask.width, y + self.mask.height)


def _signature(rng: random.Random, width: int, height: int, stroke: int) -> Image.Image:
    """A scribbled name: a smooth wandering line with a few loops, left to right."""
    img = Image.new("L", (width, height), 0)
    d = ImageDraw.Draw(img)
    n = rng.randint(5, 9)
    xs = np.linspace(stroke * 2, width - stroke * 2, n)
    ys = np.array([rng.uniform(0.25, 0.75) * height for _ in range(n)])
    t = np.linspace(0, n - 1, 40 * n)
    px = np.interp(t, range(n), xs)
    py = np.interp(t, range(n), ys)
    loops = rng.uniform(0.6, 1.6)  # loops per control point, not a regular coil
    envelope = np.interp(t, range(n), [rng.uniform(0.1, 1.0) for _ in range(n)])
    amp = height * rng.uniform(0.12, 0.3) * envelope
    px = px + amp * np.sin(t * loops * math.pi) * rng.uniform(0.4, 0.9)
    py = py + amp * np.cos(t * loops * math.pi)
    px = px + (height / 2 - py) * rng.uniform(0.1, 0.4)  # handwriting slants to the right
    d.line(list(zip(px.tolist(), py.tolist())), fill=rng.randint(190, 240), width=stroke, joint="curve")
    if rng.random() < 0.6:  # the underline flourish
        y = height * rng.uniform(0.75, 0.9)
        d.line([(width * 0.1, y), (width * rng.uniform(0.7, 0.95), y - height * 0.1)],
               fill=200, width=max(1, stroke - 1))
    return img


def _seal(rng: random.Random, radius: int, face: str, text: str) -> Image.Image:
    """A round seal: two rings, a star and the authority's name across the middle."""
    size = 2 * radius + 4
    img = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(img)
    c = size / 2
    ring = max(2, radius // 28)
    for r in (radius, radius * 0.78):
        d.ellipse([c - r, c - r, c + r, c + r], outline=255, width=ring)
    star = [(c + radius * 0.18 * math.cos(a) * (1 if k % 2 == 0 else 0.45),
             c - radius * 0.42 + radius * 0.18 * math.sin(a) * (1 if k % 2 == 0 else 0.45))
            for k, a in enumerate(np.linspace(-math.pi / 2, 1.5 * math.pi, 11)[:-1])]
    d.polygon(star, fill=255)
    font = load_font(face, max(8, radius // 5), True)
    w = font.getlength(text)
    d.text((c - w / 2, c + radius * 0.12), text, font=font, fill=255, anchor="ls")
    img = img.rotate(rng.uniform(-25, 25), resample=Image.BILINEAR)
    # Uneven stamp pad: some of the ring does not print.
    arr = np.asarray(img).astype(np.float32)
    yy, xx = np.mgrid[0:size, 0:size]
    ang = rng.uniform(0, 2 * math.pi)
    light = 0.55 + 0.45 * (0.5 + 0.5 * np.cos(np.arctan2(yy - c, xx - c) - ang))
    return Image.fromarray((arr * light * rng.uniform(0.7, 0.95)).astype(np.uint8), "L")


def draw_signoff(ink: InkPage, face: str, size: int, seal_text: str, free_top: int, free_bottom: int,
                 x_right: int, rng: random.Random) -> list[Mark]:
    """Draw the sign-off in the free band [free_top, free_bottom) at the right of the page.

    Returns:
        The signature and seal marks (empty when the band is too small).
    """
    radius = int(size * rng.uniform(2.6, 3.4))
    title_font = load_font(face, max(8, int(size * 0.9)))
    need = title_font.getmetrics()[0] + 2 * radius + size
    if free_bottom - free_top < need:
        return []
    title = rng.choice(SIGNER_TITLES).format(seal=seal_text)
    tw = title_font.getlength(title)
    cx = x_right - max(tw, 2 * radius) / 2 - size * rng.uniform(1, 4)
    y = free_top + size * rng.uniform(0.5, 1.5)
    draw_line(ink, "printed", cx - tw / 2, y + title_font.getmetrics()[0], title, title_font, rng)
    y += title_font.getmetrics()[0] + size * 0.5
    sw, sh = int(radius * 2.4), int(radius * 1.1)
    sig = Mark(_signature(rng, sw, sh, max(2, size // 12)),
               (int(cx - sw / 2 + rng.uniform(-size, size)), int(y)), BALLPOINT)
    marks = [sig]
    if rng.random() < 0.8:
        seal = _seal(rng, radius, face, seal_text)
        # The seal overlaps the left half of the signature, as officials stamp it.
        marks.append(Mark(seal, (int(cx - radius * 1.6), int(y - radius * 0.2)), STAMP_RED))
    return marks


def stamp_over(rng: random.Random, face: str, size: int, seal_text: str, box: BBox) -> Mark:
    """A seal stamped somewhere over `box` (an entry or a column), as clerks stamp corrections
    and copies: the text under it stays partly readable through the red ink."""
    radius = int(size * rng.uniform(2.4, 3.6))
    cx = rng.uniform(box[0] + radius, max(box[0] + radius + 1, box[2] - radius))
    cy = rng.uniform(box[1], max(box[1] + 1, box[3]))
    return Mark(_seal(rng, radius, face, seal_text), (int(cx - radius), int(cy - radius)), STAMP_RED)
