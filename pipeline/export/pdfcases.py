"""One PDF per case: page 1 the entry's region of the cleaned scan, page 2 the whole page.

Page 1 is the entry's pixels at the scan's resolution, so it prints at the entry's size on
paper; page 2 shows the whole page for context, long side at most `page_max_px`, printed at
the page's size (a page holds ~10-20 entries and every one of their PDFs carries it, so a
full-resolution page would multiply a book's size twentyfold). All of a book's PDFs go into
one zip beside its workbook.

Both pictures are JPEGs (libjpeg-turbo through cv2.imencode), grey when the page is grey,
embedded as they are (DCTDecode: no re-encoding) by img2pdf's document writer, which is given
their sizes, so nothing is parsed back. Each page image is decoded once for all its cases.
Against the former path (a PNG crop through PIL, img2pdf.convert re-reading both images, a
PIL LANCZOS preview), measured in one run on the same 400 cases of a 300 dpi page as `hotich
run` writes them: 18.2 ms and 374 KB a case before, 5.0 ms and 305 KB now, two thirds of it
the page's PNG decode (bench/README.md, `python -m bench.export`).

Why a JPEG crop, not the lossless PNG it was: PNG encoding was the largest per-case cost
(~3 ms against ~0.8 ms), and a cleaned page keeps the paper's grain, which PNG compresses
badly: a cleaned 200 dpi ledger entry of 1551x102 px is 85 KB as PNG, 40 KB as JPEG q90 at
41 dB PSNR (q85: 32 KB, 39 dB). Legibility is tested: Tesseract reads the entries' cells from
the q90 crop as well as from the lossless page (CER 6.7% vs 6.5% against the printed text;
q40 gives 7.5%), tests/test_export_run.py. `crop_quality` in configs/export_moj.yaml sets it.
"""
from __future__ import annotations

import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import cv2
import img2pdf
import numpy as np
from PIL import Image

from pipeline.export.common import safe_name
from pipeline.export.moj import MojRow
from schemas.atomic import atomic_path
from schemas.outdir import page_image_path

DEFAULT_DPI = 300.0  # cleaned pages are PNGs from cv2.imencode, which stores no resolution
PDF_MAX_PT = 14400.0  # PDF viewers' page size limit (200 in); larger pages get a UserUnit


@dataclass(frozen=True)
class PdfOptions:
    """How the case PDFs are made (configs/export_moj.yaml, `pdf:`, read by mapping.py).

    Attributes:
        margin: pixels added around the entry's box.
        page_max_px: the whole-page picture's longest side (never enlarged).
        page_quality: its JPEG quality (1..95).
        crop_quality: the entry picture's JPEG quality (50..100).
    """

    margin: int
    page_max_px: int
    page_quality: int
    crop_quality: int


@dataclass(frozen=True)
class PageScan:
    """A decoded page: 8-bit grey (h, w) or BGR (h, w, 3) pixels and its resolution."""

    pixels: np.ndarray
    dpi: tuple[float, float]

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.pixels.shape[1], self.pixels.shape[0]


@dataclass(frozen=True)
class Jpeg:
    """An encoded picture and the size it prints at.

    Attributes:
        data: JPEG bytes.
        width, height: pixels.
        grey: one channel (DeviceGray) or three (DeviceRGB).
        dpi: pixels per inch on paper, per axis.
    """

    data: bytes
    width: int
    height: int
    grey: bool
    dpi: tuple[float, float]


@dataclass(frozen=True)
class CasePdf:
    """A case's PDF as written into the book's zip."""

    record_id: str
    name: str


@dataclass(frozen=True)
class MissingScan:
    """A case whose page image (or entry box) is missing, so it cannot get its PDF."""

    record_id: str
    reason: str


def crop_box(bbox: tuple[int, int, int, int], margin: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The entry's box widened by `margin` pixels and clipped to the page.

    Raises:
        ValueError: the box is empty or outside the page.
    """
    w, h = size
    x0, y0, x1, y1 = bbox
    box = (max(0, x0 - margin), max(0, y0 - margin), min(w, x1 + margin), min(h, y1 + margin))
    if box[2] <= box[0] or box[3] <= box[1]:
        raise ValueError(f"entry box {list(bbox)} is empty or outside the {w}x{h} page")
    return box


def _dpi(path: Path) -> tuple[float, float]:
    # Header only: PIL reads the pHYs chunk without decoding the pixels.
    with Image.open(path) as im:
        dpi = im.info.get("dpi")
    return (float(dpi[0]), float(dpi[1])) if dpi and dpi[0] and dpi[1] else (DEFAULT_DPI, DEFAULT_DPI)


def _eight_bit(a: np.ndarray) -> np.ndarray:
    """8-bit grey or BGR, whatever the PNG held (16-bit, alpha, grey stored as colour)."""
    if a.dtype != np.uint8:
        a = (a >> 8).astype(np.uint8) if a.dtype == np.uint16 else cv2.convertScaleAbs(a)
    if a.ndim == 3 and a.shape[2] == 4:
        a = cv2.cvtColor(a, cv2.COLOR_BGRA2BGR)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 3 and np.array_equal(a[:, :, 0], a[:, :, 1]) and np.array_equal(a[:, :, 1], a[:, :, 2]):
        a = np.ascontiguousarray(a[:, :, 0])  # a grey page stored as colour: one channel is a third the bytes
    return a


def load_page(path: Path) -> PageScan:
    """Decode a cleaned page image once, for all its cases.

    cv2 decodes straight into a numpy array: 60 ms for a 300 dpi A4 page as `hotich run`
    writes it, against 66 ms for PIL and its copy into numpy.
    Raises:
        OSError: the file is missing or unreadable.
        ValueError: the file is not an image cv2 can decode.
    """
    raw = np.fromfile(path, dtype=np.uint8)  # OSError naming the file when it is missing
    a = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED) if raw.size else None
    if a is None:
        raise ValueError("not a decodable image")
    return PageScan(_eight_bit(a), _dpi(path))


def _jpeg(pixels: np.ndarray, quality: int, dpi: tuple[float, float]) -> Jpeg:
    ok, buf = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"JPEG encoding of a {pixels.shape} picture failed")
    return Jpeg(buf.tobytes(), pixels.shape[1], pixels.shape[0], pixels.ndim == 2, dpi)


def page_preview(page: PageScan, max_px: int, quality: int) -> Jpeg:
    """The whole page as a JPEG, long side at most `max_px`, printing at the page's size.

    INTER_AREA averages the pixels each output pixel covers, the usual filter for shrinking.
    Halving first (OpenCV's fast path for a whole factor) makes a 300 dpi A4 page's preview
    in 5 ms instead of 12 (PIL's LANCZOS, used before: 40 ms).
    """
    w, h = page.size
    scale = min(1.0, max_px / max(w, h))
    img = page.pixels
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        while img.shape[1] >= 2 * size[0] and img.shape[0] >= 2 * size[1]:
            img = cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA)
        if (img.shape[1], img.shape[0]) != size:
            img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    # Same paper size as the page: the dpi shrinks with the pixels.
    dpi = (page.dpi[0] * img.shape[1] / w, page.dpi[1] * img.shape[0] / h)
    return _jpeg(img, quality, dpi)


def crop_jpeg(page: PageScan, bbox: tuple[int, int, int, int], margin: int, quality: int) -> Jpeg:
    """The entry's region (bbox widened by `margin`) as a JPEG at the page's resolution.

    Raises:
        ValueError: the box is empty or outside the page.
    """
    x0, y0, x1, y1 = crop_box(bbox, margin, page.size)
    return _jpeg(page.pixels[y0:y1, x0:x1], quality, page.dpi)


def case_pdf(crop: Jpeg, preview: Jpeg) -> bytes:
    """A two-page PDF: the entry's region, then the whole page, each page the picture's size.

    img2pdf's document writer is given the pictures' sizes and colour, so (unlike
    img2pdf.convert) it parses neither JPEG again. No dates in the document: the same
    input gives the same bytes.
    """
    doc = img2pdf.pdfdoc(img2pdf.Engine.internal, "1.3", nodate=True)
    for im in (crop, preview):
        w_pt, h_pt = 72.0 * im.width / im.dpi[0], 72.0 * im.height / im.dpi[1]
        unit = img2pdf.find_scale(w_pt, h_pt) if max(w_pt, h_pt) > PDF_MAX_PT else None
        if unit:
            w_pt, h_pt = w_pt / unit, h_pt / unit
        doc.add_imagepage(img2pdf.Colorspace.L if im.grey else img2pdf.Colorspace.RGB,
                          im.width, im.height, img2pdf.ImageFormat.JPEG, im.data, None,
                          w_pt, h_pt, 0.0, 0.0, w_pt, h_pt, userunit=unit, depth=8)
    doc.finalize()
    return doc.tostring()


def pdf_name(book: str, entry_no: str, taken: set[str], record_id: str) -> str:
    """`<book>_<entry number>.pdf`, made unique within the zip (record position appended)."""
    name = f"{safe_name(book)}_{safe_name(entry_no)}.pdf"
    if name in taken:
        position = "-".join(record_id.rsplit(":", 2)[1:])  # page-row from the record id
        name = f"{name[:-4]}_{safe_name(position)}.pdf"
    taken.add(name)
    return name


def write_case_zip(out: Path, volume_id: str, rows: Iterable[MojRow], zip_path: Path,
                   book: str, entry_column: str,
                   options: PdfOptions) -> tuple[list[CasePdf], list[MissingScan]]:
    """Write every case's PDF into one zip, decoding each page image once.

    Args:
        out: the output folder (page images under OUT/pages/<volume>/).
        volume_id: the book's volume.
        rows: the cases, in workbook order.
        zip_path: where the zip goes (written atomically).
        book: the book number used in PDF names.
        entry_column: the workbook column holding the entry number (for names).
        options: margin and picture sizes and qualities.
    Returns:
        (PDFs written in row order, cases that could not get one).
    """
    rows = list(rows)
    by_page: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_page[r.page].append(i)
    names: dict[int, CasePdf] = {}
    missing: list[MissingScan] = []
    taken: set[str] = set()
    with atomic_path(zip_path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        for page_no in sorted(by_page):
            img_path = page_image_path(out, volume_id, page_no)
            try:
                page = load_page(img_path)
                preview = page_preview(page, options.page_max_px, options.page_quality)
            except (OSError, ValueError) as e:
                reason = f"page image {img_path} unreadable: {e}"
                missing += [MissingScan(rows[i].record_id, reason) for i in by_page[page_no]]
                continue
            for i in by_page[page_no]:
                r = rows[i]
                if r.bbox is None:
                    missing.append(MissingScan(r.record_id, "record has no entry box (bbox)"))
                    continue
                try:
                    crop = crop_jpeg(page, r.bbox, options.margin, options.crop_quality)
                except ValueError as e:
                    missing.append(MissingScan(r.record_id, f"{img_path.name}: {e}"))
                    continue
                name = pdf_name(book, r.values.get(entry_column, ""), taken, r.record_id)
                zf.writestr(name, case_pdf(crop, preview))
                names[i] = CasePdf(r.record_id, name)
    return [names[i] for i in sorted(names)], missing
