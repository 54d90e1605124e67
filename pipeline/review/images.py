"""Page images for the review page: the cleaned page (OUT/pages/<V>/<page>.png) and crops of
one entry by its bbox. Paths are never taken from the request: a volume id and a page number
are checked against the record index first, then the path is built by schemas.outdir and must
resolve inside OUT/pages (so `../` or a symlink out of OUT is refused)."""
from __future__ import annotations

import io
import re
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from PIL import Image

from schemas.errors import BadInputError
from schemas.outdir import page_image_path

VOLUME_ID = re.compile(r"^[^/\\\x00]+$")
CROP_MARGIN = 12  # px around the bbox, so ruling lines and touching strokes stay visible
CELL_MARGIN = 6  # px around a field's own cell: its ruling, not the neighbours' text
# A cell crop is enlarged until a line of its text (ink from the top of the tone marks to the
# bottom of the descenders) is at least this many pixels: the size of the value's own text
# on the page (review.css: td.value is 17px, whose letters span ~20px with marks).
TEXT_PX = 22
MAX_SCALE = 4.0


class ImageRefused(BadInputError):
    """A request named an image outside what the index knows (or outside OUT/pages)."""


def safe_page_path(out: Path, volume_id: str, page: int) -> Path:
    """The page image path, checked to stay inside OUT/pages.

    Raises:
        ImageRefused: a volume id with path separators or dots, or a path leaving OUT/pages.
    """
    if not VOLUME_ID.match(volume_id) or volume_id in (".", "..") or volume_id.startswith("."):
        raise ImageRefused(f"bad volume id {volume_id!r}")
    if page < 1:
        raise ImageRefused(f"bad page {page}")
    root = (Path(out) / "pages").resolve()
    path = page_image_path(out, volume_id, page).resolve()
    if not path.is_relative_to(root):
        raise ImageRefused(f"{volume_id}/{page}: outside the page folder")
    return path


class ImageCache:
    """Decoded pages and encoded crops, least recently used first out (pages are large:
    a 300 dpi A4 page is ~9 MB decoded, so only a few are kept)."""

    def __init__(self, pages: int = 4, crops: int = 256):
        self._pages: OrderedDict = OrderedDict()
        self._crops: OrderedDict = OrderedDict()
        self._max_pages, self._max_crops = pages, crops
        self._lock = threading.Lock()

    def _page(self, path: Path) -> Image.Image:
        key = (str(path), path.stat().st_mtime_ns)
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        with Image.open(path) as im:
            im.load()
            img = im.copy()
        with self._lock:
            self._pages[key] = img
            while len(self._pages) > self._max_pages:
                self._pages.popitem(last=False)
        return img

    def crop_png(self, path: Path, bbox: tuple[int, int, int, int]) -> bytes:
        """PNG bytes of the entry's box (plus a margin), clipped to the page.

        Raises:
            BadInputError: the page image cannot be read.
        """
        return self._cached(("entry", str(path), path.stat().st_mtime_ns, tuple(bbox)),
                            lambda: self._clip(path, bbox, CROP_MARGIN))

    def cell_png(self, path: Path, bbox: tuple[int, int, int, int]) -> bytes:
        """PNG bytes of one field's cell, scaled up so that its text lines are TEXT_PX high
        (never scaled down: a scan's own size is kept when its text is large already).

        Raises:
            BadInputError: the page image cannot be read.
        """
        def make() -> Image.Image:
            crop = self._clip(path, bbox, CELL_MARGIN).convert("L")
            h = text_line_height(np.asarray(crop))
            scale = 1.0 if not h else min(MAX_SCALE, max(1.0, TEXT_PX / h))
            if scale > 1.0:
                crop = crop.resize((round(crop.width * scale), round(crop.height * scale)),
                                   Image.Resampling.LANCZOS)
            return crop

        return self._cached(("cell", str(path), path.stat().st_mtime_ns, tuple(bbox)), make)

    def _clip(self, path: Path, bbox: tuple[int, int, int, int], margin: int) -> Image.Image:
        """The box plus a margin, clipped to the page (the whole page for an empty box)."""
        try:
            img = self._page(path)
        except (OSError, Image.DecompressionBombError) as e:
            raise BadInputError(f"{path}: cannot read page image: {e}") from e
        x0, y0, x1, y1 = bbox
        box = (max(0, x0 - margin), max(0, y0 - margin),
               min(img.width, x1 + margin), min(img.height, y1 + margin))
        if box[2] <= box[0] or box[3] <= box[1]:
            box = (0, 0, img.width, img.height)
        return img.crop(box)

    def _cached(self, key: tuple, make) -> bytes:
        """PNG bytes for key from the LRU, else make()'s image encoded and kept."""
        with self._lock:
            if key in self._crops:
                self._crops.move_to_end(key)
                return self._crops[key]
        buf = io.BytesIO()
        make().save(buf, format="PNG", optimize=False, compress_level=1)
        data = buf.getvalue()
        with self._lock:
            self._crops[key] = data
            while len(self._crops) > self._max_crops:
                self._crops.popitem(last=False)
        return data

    def size(self, path: Path) -> tuple[int, int]:
        """Width and height without decoding the pixels."""
        with Image.open(path) as im:
            return im.size


def text_line_height(gray: np.ndarray) -> int | None:
    """The median height in pixels of the text lines in a cell crop, from ink rows; ruling
    lines (rows or columns inked over most of the crop) are left out. None: no text.

    A tone mark separated from its letter by a gap of a pixel or two joins its line."""
    if gray.size == 0:
        return None
    ink = gray < min(160, int(gray.mean()) - 40)
    ink = ink[:, ink.mean(axis=0) < 0.6]  # vertical rules
    if ink.size == 0:
        return None
    ink = ink[ink.mean(axis=1) < 0.6]  # horizontal rules
    rows = ink.sum(axis=1) >= max(1, ink.shape[1] // 200)
    runs: list[list[int]] = []
    for y, on in enumerate(rows):
        if not on:
            continue
        if runs and y - runs[-1][1] <= 3:
            runs[-1][1] = y
        else:
            runs.append([y, y])
    heights = sorted(b - a + 1 for a, b in runs if b - a + 1 >= 4)
    return heights[len(heights) // 2] if heights else None
