"""Write rendered pages as a scanned volume: multi-page PDF, multi-page TIFF, or a folder of
PNG/JPEG pages. Files are written to a hidden temporary name then renamed (atomic).

PDF pages embed the stored scan unchanged (img2pdf: JPEG bytes as they are, PNG losslessly)
with the page size set from the dpi, so `pdftoppm -r DPI` gives back the same pixel size.
"""
from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

import img2pdf
from PIL import Image

FORMATS: tuple[str, ...] = ("pdf", "tiff", "png", "jpeg")
SUFFIX = {"pdf": ".pdf", "tiff": ".tif"}


def _atomic_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; samples are for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _stored_bytes(image: Image.Image, jpeg: bytes | None, dpi: int) -> bytes:
    if jpeg is not None:
        return jpeg
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def write_volume(dest: Path, volume_id: str, fmt: str, pages: Iterable[tuple[Image.Image, bytes | None]],
                 dpi: int) -> Path:
    """Write one volume's pages; return the file (pdf/tiff) or folder (png/jpeg) written.

    Args:
        dest: the folder to write into.
        volume_id: names the file or folder.
        fmt: pdf, tiff, png or jpeg.
        pages: (image, stored JPEG bytes or None) per page, in order.
        dpi: the scan resolution recorded in the file.

    Raises:
        ValueError: unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    pages = list(pages)
    dest = Path(dest)
    if fmt == "pdf":
        path = dest / f"{volume_id}.pdf"
        data = img2pdf.convert([_stored_bytes(im, jp, dpi) for im, jp in pages],
                               layout_fun=img2pdf.get_fixed_dpi_layout_fun((dpi, dpi)),
                               nodate=True, producer="hotich samples")
        _atomic_bytes(path, data)
        return path
    if fmt == "tiff":
        path = dest / f"{volume_id}.tif"
        buf = io.BytesIO()
        first, *rest = [im for im, _ in pages]
        first.save(buf, "TIFF", save_all=True, append_images=rest, compression="tiff_deflate",
                   dpi=(dpi, dpi))
        _atomic_bytes(path, buf.getvalue())
        return path
    folder = dest / volume_id
    tmp = dest / f".{volume_id}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for i, (im, jp) in enumerate(pages, start=1):
        if fmt == "png":
            im.save(tmp / f"page-{i:04d}.png", "PNG", dpi=(dpi, dpi))
        else:
            data = jp
            if data is None:
                buf = io.BytesIO()
                im.save(buf, "JPEG", quality=92, dpi=(dpi, dpi))
                data = buf.getvalue()
            (tmp / f"page-{i:04d}.jpg").write_bytes(data)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return folder
