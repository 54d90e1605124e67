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

from PIL import Image

from schemas.errors import BadInputError
from schemas.outdir import page_image_path

VOLUME_ID = re.compile(r"^[^/\\\x00]+$")
CROP_MARGIN = 12  # px around the bbox, so ruling lines and touching strokes stay visible


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
        key = (str(path), path.stat().st_mtime_ns, tuple(bbox))
        with self._lock:
            if key in self._crops:
                self._crops.move_to_end(key)
                return self._crops[key]
        try:
            img = self._page(path)
        except (OSError, Image.DecompressionBombError) as e:
            raise BadInputError(f"{path}: cannot read page image: {e}") from e
        x0, y0, x1, y1 = bbox
        box = (max(0, x0 - CROP_MARGIN), max(0, y0 - CROP_MARGIN),
               min(img.width, x1 + CROP_MARGIN), min(img.height, y1 + CROP_MARGIN))
        if box[2] <= box[0] or box[3] <= box[1]:
            box = (0, 0, img.width, img.height)
        buf = io.BytesIO()
        img.crop(box).save(buf, format="PNG", optimize=False, compress_level=1)
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
