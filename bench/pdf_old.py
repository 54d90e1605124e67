"""The case-PDF path before the JPEG rewrite (git 3d1c16d pipeline/export/pdfcases.py), kept
only so bench/export.py can time it against pipeline.export.pdfcases in the same run.

Page decoded by PIL; preview by PIL LANCZOS + JPEG; crop saved as a lossless PNG; both given
to img2pdf.convert, which parses them again for their metadata.
"""
from __future__ import annotations

import io
from pathlib import Path

import img2pdf
from PIL import Image

from pipeline.export.pdfcases import crop_box


def _dpi(page: Image.Image) -> tuple[float, float]:
    dpi = page.info.get("dpi")
    return (float(dpi[0]), float(dpi[1])) if dpi and dpi[0] and dpi[1] else (300.0, 300.0)


def load_page(path: Path) -> Image.Image:
    with Image.open(path) as im:
        im.load()
        page = im if im.mode in ("1", "L", "RGB") else im.convert("RGB")
        page.info.setdefault("dpi", im.info.get("dpi"))
    return page


def page_preview(page: Image.Image, max_px: int, quality: int) -> bytes:
    scale = min(1.0, max_px / max(page.size))
    img = page
    if scale < 1.0:
        img = img.resize((max(1, round(page.width * scale)), max(1, round(page.height * scale))),
                         Image.Resampling.LANCZOS)
    dx, dy = _dpi(page)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, dpi=(dx * scale, dy * scale))
    return buf.getvalue()


def case_pdf(preview: bytes, page: Image.Image, bbox: tuple[int, int, int, int], margin: int) -> bytes:
    crop = page.crop(crop_box(bbox, margin, page.size))
    buf = io.BytesIO()
    crop.save(buf, format="PNG", compress_level=1, dpi=_dpi(page))
    return img2pdf.convert([buf.getvalue(), preview], engine=img2pdf.Engine.internal)
