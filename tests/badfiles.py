"""Makers of each kind of bad input the batch must survive (tiny files, made on the fly)."""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image

from tests.fakes import page_image


def minimal_pdf(objects: list[str], trailer_extra: str = "") -> bytes:
    """A PDF with correct xref offsets from object bodies (object i+1 = objects[i])."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R {trailer_extra} >>\n"
              f"startxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def encrypted_pdf(path: Path) -> Path:
    """A one-page PDF locked with a user password (the /U entry matches no empty password)."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
            "<< /Filter /Standard /V 1 /R 2 /O <" + "ab" * 32 + "> /U <" + "cd" * 32
            + "> /P -44 >>"]
    path.write_bytes(minimal_pdf(objs, "/Encrypt 4 0 R /ID [<" + "01" * 16 + "> <" + "01" * 16 + ">]"))
    return path


def huge_page_pdf(path: Path) -> Path:
    """A valid one-page PDF whose page is 200 x 200 inches (a bomb when rasterised)."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] >>"]
    path.write_bytes(minimal_pdf(objs))
    return path


def pdf_of_pages(path: Path, seeds: list[int], dpi: int = 50) -> Path:
    """A real multi-page PDF of page_image()s (PIL's PDF writer; poppler reads it)."""
    ims = [page_image(s).convert("RGB") for s in seeds]
    ims[0].save(path, save_all=True, append_images=ims[1:], resolution=dpi)
    return path


def truncated(path: Path, source: Path, keep: float = 0.5) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def huge_png_header(path: Path, width: int = 12000, height: int = 9000) -> Path:
    """A PNG whose header claims width x height pixels (a decompression bomb's signature)."""
    buf = io.BytesIO()
    Image.new("1", (8, 8), 1).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    ihdr = 8 + 8  # signature, then length + b"IHDR"
    data[ihdr:ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:ihdr + 13])) & 0xFFFFFFFF
    data[ihdr + 13:ihdr + 17] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))
    return path


def tiff_with_bad_page(path: Path, bad: int = 1, frames: int = 3, seed0: int = 0) -> Path:
    """A multi-page TIFF whose frame `bad` (0-based) has undecodable data."""
    ims = [page_image(seed0 + i) for i in range(frames)]
    ims[0].save(path, save_all=True, append_images=ims[1:], compression="tiff_deflate")
    data = bytearray(path.read_bytes())
    with Image.open(path) as im:
        im.seek(bad)
        off, n = im.tag_v2[273][0], im.tag_v2[279][0]
    data[off:off + n] = b"\x00" * n
    path.write_bytes(bytes(data))
    return path


def blank_png(path: Path, size: tuple[int, int] = (120, 90)) -> Path:
    Image.new("L", size, 240).save(path)
    return path
