"""One PDF per case: page 1 the entry's region of the cleaned scan, page 2 the whole page.

Page 1 is the entry's pixels exactly (lossless PNG, embedded by img2pdf without re-encoding),
at the scan's resolution. Page 2 shows the whole page for context as a JPEG whose long side
is at most `page_max_px` (printed at the original size): a page holds ~10-20 entries and
every one of their PDFs carries it, so a full-resolution lossless page would multiply a
book's size twentyfold. All of a book's PDFs go into one zip beside its workbook.
"""
from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import img2pdf
from PIL import Image

from pipeline.export.common import atomic_path, safe_name
from pipeline.export.moj import MojRow
from schemas.outdir import page_image_path


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


def _dpi(page: Image.Image) -> tuple[float, float]:
    dpi = page.info.get("dpi")
    return (float(dpi[0]), float(dpi[1])) if dpi and dpi[0] and dpi[1] else (300.0, 300.0)


def page_preview(page: Image.Image, max_px: int, quality: int) -> bytes:
    """The whole page as a JPEG, long side at most `max_px`, printing at the page's size.

    Args:
        page: the decoded cleaned page.
        max_px: longest side in pixels (the page is never enlarged).
        quality: JPEG quality 1..95.
    Returns:
        JPEG bytes (embedded as is by img2pdf).
    """
    scale = min(1.0, max_px / max(page.size))
    img = page if page.mode in ("L", "RGB") else page.convert("RGB" if "A" in page.mode or page.mode == "P" else "L")
    if scale < 1.0:
        img = img.resize((max(1, round(page.width * scale)), max(1, round(page.height * scale))),
                         Image.Resampling.LANCZOS)
    dx, dy = _dpi(page)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, dpi=(dx * scale, dy * scale))
    return buf.getvalue()


def case_pdf(preview: bytes, page: Image.Image, bbox: tuple[int, int, int, int], margin: int) -> bytes:
    """A two-page PDF: the entry's region, then the whole page.

    Args:
        preview: the whole page as image bytes for page 2 (page_preview; embedded as is).
        page: the decoded cleaned page (to crop page 1 from).
        bbox: the entry's x0, y0, x1, y1 in page pixels.
        margin: pixels added around the box.
    Returns:
        The PDF bytes.
    Raises:
        ValueError: the box is empty or outside the page.
    """
    crop = page.crop(crop_box(bbox, margin, page.size))
    buf = io.BytesIO()
    # Same resolution as the page, so the crop prints at the size of the entry on paper.
    crop.save(buf, format="PNG", compress_level=1, dpi=_dpi(page))
    # img2pdf's own PDF writer: a little faster than its pikepdf engine for two images.
    return img2pdf.convert([buf.getvalue(), preview], engine=img2pdf.Engine.internal)


def pdf_name(book: str, entry_no: str, taken: set[str], record_id: str) -> str:
    """`<book>_<entry number>.pdf`, made unique within the zip (record position appended)."""
    name = f"{safe_name(book)}_{safe_name(entry_no)}.pdf"
    if name in taken:
        position = "-".join(record_id.rsplit(":", 2)[1:])  # page-row from the record id
        name = f"{name[:-4]}_{safe_name(position)}.pdf"
    taken.add(name)
    return name


def write_case_zip(out: Path, volume_id: str, rows: Iterable[MojRow], zip_path: Path,
                   book: str, entry_column: str, margin: int, page_max_px: int = 1240,
                   page_quality: int = 60) -> tuple[list[CasePdf], list[MissingScan]]:
    """Write every case's PDF into one zip, decoding each page image once.

    Args:
        out: the output folder (page images under OUT/pages/<volume>/).
        volume_id: the book's volume.
        rows: the cases, in workbook order.
        zip_path: where the zip goes (written atomically).
        book: the book number used in PDF names.
        entry_column: the workbook column holding the entry number (for names).
        margin: pixels around each entry's box.
        page_max_px, page_quality: the whole-page preview's size and JPEG quality.
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
                with Image.open(img_path) as im:
                    im.load()
                    page = im if im.mode in ("1", "L", "RGB") else im.convert("RGB")
                    page.info.setdefault("dpi", im.info.get("dpi"))
                preview = page_preview(page, page_max_px, page_quality)
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
                    data = case_pdf(preview, page, r.bbox, margin)
                except ValueError as e:
                    missing.append(MissingScan(r.record_id, f"{img_path.name}: {e}"))
                    continue
                name = pdf_name(book, r.values.get(entry_column, ""), taken, r.record_id)
                zf.writestr(name, data)
                names[i] = CasePdf(r.record_id, name)
    return [names[i] for i in sorted(names)], missing
