"""Drawing text onto ink masks: wrapping, typewriter jitter, and the boxes the truth needs.

A page is drawn as two 8-bit coverage masks (0 = no ink): `printed` for what the printer put
on the blank book (rules, titles, headers, form labels) and `typed` for what the clerk typed.
samples/degrade.py turns them into a coloured scan; they are kept apart because the two inks
differ in colour and fade differently.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from samples.fonts import load_font

BBox = tuple[int, int, int, int]


@dataclass
class InkPage:
    """The two ink masks of one page being drawn (mutable while drawing, then degraded)."""

    printed: Image.Image
    typed: Image.Image

    @classmethod
    def blank(cls, width: int, height: int) -> "InkPage":
        return cls(Image.new("L", (width, height), 0), Image.new("L", (width, height), 0))

    def draw(self, layer: str) -> ImageDraw.ImageDraw:
        return ImageDraw.Draw(self.printed if layer == "printed" else self.typed)


def line_height(font: ImageFont.FreeTypeFont) -> int:
    """Baseline-to-baseline distance used for wrapped lines (ascent + descent + a little)."""
    ascent, descent = font.getmetrics()
    return int(round((ascent + descent) * 1.05))


def wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap to `width` pixels; a word longer than the width is split by letters.

    The truth text of a wrapped cell is its lines joined with one space, so words are never
    split when they fit on a line of their own.
    """
    lines: list[str] = []
    cur = ""
    for word in text.split():
        cand = f"{cur} {word}" if cur else word
        if font.getlength(cand) <= width:
            cur = cand
            continue
        if cur:
            lines.append(cur)
        cur = word
        while font.getlength(cur) > width and len(cur) > 1:
            cut = len(cur) - 1
            while cut > 1 and font.getlength(cur[:cut]) > width:
                cut -= 1
            lines.append(cur[:cut])
            cur = cur[cut:]
    if cur:
        lines.append(cur)
    return lines


def fit_lines(text: str, face: str, size: int, width: float, max_lines: int,
              bold: bool = False, min_ratio: float = 0.7) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """Wrap `text` into at most `max_lines`, shrinking the font (as a typist would squeeze
    the words) down to `min_ratio` of `size` when needed. Returns the font and the lines
    (which may still exceed `max_lines` if nothing fits)."""
    s = size
    while True:
        font = load_font(face, s, bold)
        lines = wrap(text, font, width)
        if len(lines) <= max_lines or s <= size * min_ratio:
            return font, lines
        s = max(int(s * 0.9), 1)


def draw_line(ink: InkPage, layer: str, x: float, baseline: float, text: str,
              font: ImageFont.FreeTypeFont, rng: random.Random, *, intensity: float = 1.0,
              typewriter: bool = False, jitter: float = 0.0) -> BBox:
    """Draw one line of text with its baseline at `baseline`; return its box.

    Typewriter lines are struck character by character: each letter gets its own small
    vertical offset and ink strength, like the uneven hammers and ribbon of a real machine.

    Returns:
        (x0, top, x1, bottom): from `x` to the end of the advance, ascent to descent.
    """
    d = ink.draw(layer)
    ascent, descent = font.getmetrics()
    if not typewriter:
        v = int(255 * max(0.0, min(1.0, intensity * rng.uniform(0.9, 1.0))))
        d.text((x, baseline), text, font=font, fill=v, anchor="ls")
        width = font.getlength(text)
    else:
        cx = x
        for ch in text:
            adv = font.getlength(ch)
            if not ch.isspace():
                dy = rng.uniform(-jitter, jitter)
                strength = intensity * (rng.uniform(0.55, 0.8) if rng.random() < 0.06
                                        else rng.uniform(0.85, 1.0))
                d.text((cx, baseline + dy), ch, font=font, fill=int(255 * min(1.0, strength)),
                       anchor="ls")
            cx += adv
        width = cx - x
    return (int(x), int(baseline - ascent), int(round(x + width)), int(baseline + descent))


def union(boxes: list[BBox]) -> BBox:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))
