"""The one decompression-bomb guard: a page above `max_pixels` is refused before any of its
pixels is decoded (or, for a PDF, before poppler renders it), with one message naming the one
limit. PIL's own guard (its MAX_IMAGE_PIXELS, 89 Mpx warning / 179 Mpx error) is held off
while hotich opens a page, so an operator never sees two different limits."""
from __future__ import annotations

import threading
import warnings
from contextlib import contextmanager
from typing import Iterator

from PIL import Image

# 100 Mpx is an A2 sheet at 400 dpi or A3 at 600 dpi, already ~300 MB as RGB: larger is a
# decompression bomb or a mistake. `hotich run --max-megapixels` changes it.
MAX_PAGE_PIXELS = 100_000_000
_pil_limit = threading.Lock()


def limit_text(max_pixels: int) -> str:
    """How every refusal states the limit."""
    return f"the limit is {max_pixels / 1e6:g} Mpx, set by --max-megapixels"


@contextmanager
def hotich_limit_only() -> Iterator[None]:
    """Open images with PIL's own size guard off; the caller checks the size against
    `max_pixels` right after opening (the header) and before loading (the pixels)."""
    with _pil_limit:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved
