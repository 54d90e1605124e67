"""Tiny page painter for the layout/cleanup unit tests (PIL): ruled ledgers with one or two
header levels, broken lines, form pages. The full sample generator is samples/generator.py;
this one exists so that unit tests control exactly one property at a time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
SERIF_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(SERIF_BOLD if bold else SERIF, size)


def _wrap(text: str, f: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    cur = ""
    for word in text.split():
        trial = f"{cur} {word}".strip()
        if cur and f.getlength(trial) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines


@dataclass(frozen=True)
class Column:
    header: str
    width: float  # share of the table width
    group: str | None = None


@dataclass
class Ledger:
    image: Image.Image
    row_boxes: list[tuple[int, int, int, int]]
    col_x: list[int]
    row_y: list[int]


def ledger(columns: list[Column], rows: list[list[str]], *, title: str = "SỔ ĐĂNG KÝ KHAI SINH",
           size: tuple[int, int] = (1650, 1170), pt: int = 20, broken: float = 0.0,
           seed: int = 0, line_px: int = 2) -> Ledger:
    """A ruled ledger page. `broken` is the share of each ruling line erased in short gaps."""
    rng = np.random.default_rng(seed)
    w, h = size
    img = Image.new("L", size, 255)
    d = ImageDraw.Draw(img)
    tf = font(int(pt * 1.5), bold=True)
    d.text(((w - tf.getlength(title)) / 2, 40), title, font=tf, fill=0)
    x0, x1 = 60, w - 60
    total = sum(c.width for c in columns)
    xs = [x0]
    for c in columns:
        xs.append(xs[-1] + (x1 - x0) * c.width / total)
    xs = [int(round(x)) for x in xs]
    xs[-1] = x1
    bf = font(pt, bold=True)
    f = font(pt)
    lh = int(pt * 1.35)
    y = 130
    has_groups = any(c.group for c in columns)
    hlines = [y]
    vsegs: list[tuple[int, int, int]] = []  # x, y0, y1
    if has_groups:
        gy1 = y + lh + 16
        i = 0
        while i < len(columns):
            g = columns[i].group
            j = i
            while j + 1 < len(columns) and g and columns[j + 1].group == g:
                j += 1
            if g:
                d.text(((xs[i] + xs[j + 1] - bf.getlength(g)) / 2, y + 8), g, font=bf, fill=0)
                # the group's own bottom line
                d.line([(xs[i], gy1), (xs[j + 1], gy1)], fill=0, width=line_px)
            i = j + 1
        top_sub = gy1
    else:
        top_sub = y
    hy1 = top_sub + 2 * lh + 16
    for i, c in enumerate(columns):
        cy0 = top_sub if c.group else y
        lines = _wrap(c.header, bf, xs[i + 1] - xs[i] - 12)
        ty = (cy0 + hy1) / 2 - len(lines) * lh / 2
        for k, ln in enumerate(lines):
            d.text(((xs[i] + xs[i + 1] - bf.getlength(ln)) / 2, ty + k * lh), ln, font=bf, fill=0)
    hlines.append(hy1)
    for i in range(len(columns) + 1):
        # sub-column dividers inside one group start below the group row
        inner = 0 < i < len(columns) and columns[i - 1].group and columns[i - 1].group == columns[i].group
        vsegs.append((xs[i], top_sub if inner else y, 0))
    yy = hy1
    row_boxes = []
    for r in rows:
        wrapped = [_wrap(v or "", f, xs[i + 1] - xs[i] - 14) for i, v in enumerate(r)]
        n = max(2, max(len(wl) for wl in wrapped))
        rh = n * lh + 14
        for i, wl in enumerate(wrapped):
            for k, ln in enumerate(wl):
                d.text((xs[i] + 7, yy + 7 + k * lh), ln, font=f, fill=0)
        row_boxes.append((x0, yy, x1, yy + rh))
        yy += rh
        hlines.append(yy)
    for hy in hlines:
        d.line([(x0, hy), (x1, hy)], fill=0, width=line_px)
    for x, vy0, _ in vsegs:
        d.line([(x, vy0), (x, yy)], fill=0, width=line_px)
    if has_groups:
        pass
    a = np.array(img)
    if broken > 0:
        for hy in hlines:
            n_gaps = int((x1 - x0) * broken / 20)
            for gx in rng.integers(x0, x1 - 20, n_gaps):
                a[hy - line_px: hy + line_px + 1, gx: gx + 20] = 255
        for x, vy0, _ in vsegs:
            n_gaps = int((yy - vy0) * broken / 20)
            for gy in rng.integers(vy0, yy - 20, max(n_gaps, 0)):
                a[gy: gy + 20, x - line_px: x + line_px + 1] = 255
    return Ledger(Image.fromarray(a), row_boxes, xs, hlines)


def form(entries: list[list[tuple[str, str]]], *, title: str = "SỔ ĐĂNG KÝ KHAI SINH",
         size: tuple[int, int] = (1240, 1754), pt: int = 24) -> tuple[Image.Image, list[tuple]]:
    """A form page: each entry a block of 'Label: value' lines (one pair per line)."""
    w, h = size
    img = Image.new("L", size, 255)
    d = ImageDraw.Draw(img)
    tf = font(int(pt * 1.4), bold=True)
    d.text(((w - tf.getlength(title)) / 2, 60), title, font=tf, fill=0)
    f = font(pt)
    lh = int(pt * 1.6)
    y = 160
    boxes = []
    for e in entries:
        y0 = y
        for label, value in e:
            d.text((100, y), f"{label}: {value}", font=f, fill=0)
            y += lh
        boxes.append((90, y0, w - 90, y))
        y += lh
        d.line([(90, y - lh // 2), (w - 90, y - lh // 2)], fill=0, width=2)
    return img, boxes
