"""Small pictures of the pages that need people most: the page scaled down, its flagged
entries outlined (red: waiting for review, amber: reviewed), embedded as a data: URI."""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc
from PIL import Image, ImageDraw

from pipeline.export.common import UNREVIEWED
from schemas.outdir import page_image_path
from schemas.records_io import read_records

WAITING, DONE = (228, 87, 46), (243, 167, 18)


@dataclass(frozen=True)
class Thumbnail:
    """One page picture for the report."""

    volume_id: str
    page: int
    flagged: int
    records: int
    data_uri: str
    width: int
    height: int


def page_thumbnail(png: Path, boxes: list[tuple[list[int], tuple[int, int, int]]], width: int = 640) -> tuple[str, int, int]:
    """The page at `width` pixels with the given boxes outlined, as a JPEG data URI.

    Returns:
        (data URI, width, height).
    Raises:
        OSError: the image cannot be read.
    """
    with Image.open(png) as im:
        page = im.convert("RGB")
    scale = width / page.width
    thumb = page.resize((width, max(1, round(page.height * scale))), Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(thumb)
    for bbox, colour in boxes:
        x0, y0, x1, y1 = (round(v * scale) for v in bbox)
        draw.rectangle([x0, y0, x1, y1], outline=colour, width=3)
    buf = io.BytesIO()
    thumb.save(buf, format="JPEG", quality=72, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode(), thumb.width, thumb.height


def worst_pages(out: Path, volumes: list[tuple[str, str]], page_rates: dict, n: int = 3) -> list[Thumbnail]:
    """Thumbnails of the `n` pages with most flagged entries (ties: lowest volume/page)."""
    ranked = sorted(((-fl, vol, page, recs, fl) for vol, pages in page_rates.items()
                     for page, (recs, fl) in pages.items() if fl > 0))[:n]
    types = {vol: rtype for rtype, vol in volumes}
    out_list = []
    for _, vol, page, recs, fl in ranked:
        png = page_image_path(out, vol, page)
        if not png.exists() or vol not in types:
            continue
        t = read_records(out, types[vol], vol,
                         columns=["page", "bbox", "needs_review", "review_status"])
        t = t.filter(pc.equal(t.column("page"), page))
        boxes = [(b, WAITING if s in UNREVIEWED else DONE)
                 for b, f, s in zip(t.column("bbox").to_pylist(), t.column("needs_review").to_pylist(),
                                    t.column("review_status").to_pylist()) if f and b and len(b) == 4]
        try:
            uri, w, h = page_thumbnail(png, boxes)
        except OSError:
            continue
        out_list.append(Thumbnail(vol, page, fl, recs, uri, w, h))
    return out_list
