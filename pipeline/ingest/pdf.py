"""The one wrapper around poppler (through pdf2image): page count, page size, one-page render.

Every poppler failure becomes a one-line BadInputError naming the file (and page), or a
MissingDependencyError naming the Debian package, so callers never see pdf2image's exceptions.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from pipeline.ingest.pixels import hotich_limit_only, limit_text
from schemas.errors import BadInputError, MissingDependencyError

POPPLER_ADVICE = "poppler is not installed; install it with: sudo apt-get install poppler-utils"
# pdfinfo/pdftoppm are killed after this long: a pathological PDF must not hang a worker.
POPPLER_TIMEOUT_S = 120
_SIZE = re.compile(r"([\d.]+)\s*x\s*([\d.]+)\s*pts")


@dataclass(frozen=True)
class PdfPageSize:
    """A page's MediaBox in PostScript points (1/72 inch)."""

    width_pt: float
    height_pt: float

    def pixels(self, dpi: int) -> int:
        """Pixel count of this page rasterised at `dpi`."""
        return round(self.width_pt / 72 * dpi) * round(self.height_pt / 72 * dpi)


def _reason(err_text: str) -> str:
    """Poppler's stderr as one short line (its first meaningful message)."""
    lines = [ln.strip() for ln in err_text.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith("Unable to get page count")] or ["no output"]
    if any("Incorrect password" in ln for ln in lines):
        return "encrypted PDF (a password is needed to open it)"
    return "not a readable PDF (poppler: " + lines[0][:160] + ")"


def _pdfinfo(path: Path, first: int | None = None, last: int | None = None) -> dict:
    from pdf2image import pdfinfo_from_path
    from pdf2image.exceptions import (PDFPageCountError, PDFPopplerTimeoutError,
                                      PopplerNotInstalledError)

    if Path(path).stat().st_size == 0:
        raise BadInputError(f"{path}: empty file (0 bytes)")
    try:
        return pdfinfo_from_path(str(path), first_page=first, last_page=last,
                                 timeout=POPPLER_TIMEOUT_S)
    except PopplerNotInstalledError:
        raise MissingDependencyError(POPPLER_ADVICE) from None
    except PDFPageCountError as e:
        raise BadInputError(f"{path}: {_reason(str(e))}") from None
    except PDFPopplerTimeoutError:
        raise BadInputError(f"{path}: pdfinfo gave no answer in {POPPLER_TIMEOUT_S} s") from None


def page_count(path: Path) -> int:
    """Number of pages of a PDF.

    Raises:
        BadInputError: empty, damaged, encrypted or not a PDF.
        MissingDependencyError: poppler-utils is not installed.
    """
    pages = _pdfinfo(path).get("Pages", 0)
    if not isinstance(pages, int) or pages < 1:
        raise BadInputError(f"{path}: PDF has no pages")
    return pages


def page_size(path: Path, page: int) -> PdfPageSize:
    """Size of 1-based `page`, from pdfinfo's "Page N size: W x H pts" line.

    Raises:
        BadInputError, MissingDependencyError: as page_count.
    """
    info = _pdfinfo(path, page, page)
    for key, value in info.items():
        if key.startswith("Page") and key.endswith("size"):
            m = _SIZE.search(str(value))
            if m:
                return PdfPageSize(float(m.group(1)), float(m.group(2)))
    m = _SIZE.search(str(info.get("Page size", "")))
    if not m:
        raise BadInputError(f"{path} page {page}: pdfinfo reports no page size")
    return PdfPageSize(float(m.group(1)), float(m.group(2)))


def render_page(path: Path, page: int, dpi: int, max_pixels: int) -> Image.Image:
    """Rasterise ONE page (1-based) at `dpi`, refusing pages above `max_pixels` before
    poppler allocates them (a 200-inch MediaBox must not take the worker's memory).

    Raises:
        BadInputError: damaged page, over the pixel limit, or poppler rendered nothing.
        MissingDependencyError: poppler-utils is not installed.
    """
    from pdf2image import convert_from_path
    from pdf2image.exceptions import PDFPopplerTimeoutError, PopplerNotInstalledError

    size = page_size(path, page)
    # A scan renders at its own resolution; `dpi` is for pages that are not one scan image.
    dpi = scan_dpi(path, page, size) or dpi
    if size.pixels(dpi) > max_pixels:
        raise BadInputError(
            f"{path} page {page}: page too large ({size.width_pt:.0f}x{size.height_pt:.0f} pt "
            f"is {size.pixels(dpi) / 1e6:.3g} Mpx at {dpi} dpi; {limit_text(max_pixels)})")
    try:
        with hotich_limit_only():  # checked above, before poppler allocates the page
            images = convert_from_path(str(path), dpi=dpi, first_page=page, last_page=page,
                                       timeout=POPPLER_TIMEOUT_S)
    except PopplerNotInstalledError:
        raise MissingDependencyError(POPPLER_ADVICE) from None
    except PDFPopplerTimeoutError:
        raise BadInputError(f"{path} page {page}: pdftoppm gave no image in "
                            f"{POPPLER_TIMEOUT_S} s") from None
    except (OSError, ValueError) as e:  # PIL could not parse pdftoppm's output
        raise BadInputError(f"{path} page {page}: damaged page ({e})") from None
    if not images:
        raise BadInputError(f"{path} page {page}: poppler rendered no image (damaged page)")
    images[0].info["dpi"] = (dpi, dpi)  # pdftoppm's PPM carries none
    return images[0]


def scan_dpi(path: Path, page: int, size: PdfPageSize, lo: int = 150,
             hi: int = 600) -> int | None:
    """The resolution a scanned page was captured at, from `pdfimages -list`: when one image
    covers the whole page, its ppi (clamped to lo..hi); else None (vector or mixed page).

    Rendering a scan at its own resolution keeps pixels 1:1 (no resampling blur, no 2.25x
    pixel cost of turning a 200 dpi scan into 300 dpi) and record bboxes in scan pixels.
    """
    try:
        proc = subprocess.run(["pdfimages", "-list", "-f", str(page), "-l", str(page), str(path)],
                              capture_output=True, text=True, timeout=POPPLER_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None  # the render step reports a missing poppler or a damaged file
    if proc.returncode != 0:
        return None
    images = []
    for line in proc.stdout.splitlines()[2:]:
        cols = line.split()
        if len(cols) >= 14 and cols[2] == "image":
            try:
                images.append((int(cols[3]), int(cols[4]), float(cols[12]), float(cols[13])))
            except ValueError:
                continue
    if len(images) != 1:
        return None
    width, height, xppi, yppi = images[0]
    covers = (abs(width / xppi * 72 - size.width_pt) < 0.05 * size.width_pt
              and abs(height / yppi * 72 - size.height_pt) < 0.05 * size.height_pt)
    if not covers or abs(xppi - yppi) > 1:
        return None
    return int(min(max(round(xppi), lo), hi))


def poppler_version() -> str | None:
    """pdftoppm's version ("22.02.0"), or None when poppler-utils is not installed."""
    import subprocess

    try:
        proc = subprocess.run(["pdftoppm", "-v"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"version\s+([\d.]+)", proc.stderr + proc.stdout)
    return m.group(1) if m else None


def check_poppler() -> str:
    """Confirm poppler-utils is installed (before a batch with PDFs starts).

    Raises:
        MissingDependencyError: naming the Debian package.
    """
    version = poppler_version()
    if version is None:
        raise MissingDependencyError(POPPLER_ADVICE)
    return version
