"""`hotich layout INPUT [--page N] --out DIR`: read pages as `hotich run` does (the same
process_page) and write the layout picture of each, with an HTML view (DIR/index.html).

    DIR/page-0001.png    the detected layout drawn over the cleaned page
    DIR/layout.json      each page's PageLayout (schemas/layout.py) and errors
    DIR/index.html       the pictures with their tables of columns / labels
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from configs.loader import load_config
from pipeline.extract.layoutview import draw_layout, layout_html, write_png
from pipeline.extract.page import process_page
from pipeline.ingest.inputs import load_scan, plan_volumes
from schemas.atomic import write_bytes_atomic, write_json_atomic
from schemas.errors import BadArgsError, BadInputError
from schemas.layout import PageLayout
from schemas.profile import VolumeProfile


@dataclass(frozen=True)
class LayoutView:
    """What was written: the HTML view, the pictures, and one line per page that failed."""

    index: Path
    pictures: tuple[Path, ...]
    failed: tuple[str, ...]


def picture_name(page: int) -> str:
    return f"page-{page:04d}.png"


def draw_page_file(png: bytes, layout: PageLayout) -> np.ndarray:
    """The layout picture from a cleaned page's PNG bytes."""
    gray = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise ValueError("the cleaned page image cannot be decoded")
    return draw_layout(gray, layout)


def write_layout_view(input_path: Path, dest: Path, engine_factory: Callable, *, page: int | None = None,
                      config_file: Path | None = None, register_type: str | None = None,
                      profile: VolumeProfile | None = None, lang: str = "vi") -> LayoutView:
    """Read the pages of one INPUT (or page `page`) and write their layout pictures.

    Raises:
        BadInputError: the INPUT cannot be read as a volume.
        BadArgsError: `page` is not a page of the volume.
    """
    cfg = load_config(config_file)
    (vol,) = plan_volumes([Path(input_path)], None, register_type)
    if vol.error:
        raise BadInputError(f"{input_path}: {vol.error}")
    tasks = vol.tasks
    if page is not None:
        if not 1 <= page <= len(tasks):
            raise BadArgsError(f"--page {page}: {input_path} has {len(tasks)} page(s)")
        tasks = (tasks[page - 1],)
    engine = engine_factory()
    dest = Path(dest)
    shown: list[tuple[int, str, PageLayout]] = []
    pictures, failed, facts = [], [], []
    for task in tasks:
        if profile is not None:
            task = replace(task, profile=profile)
        try:
            scan = load_scan(task, cfg.render_dpi)
        except BadInputError as e:
            failed.append(f"page {task.page}: {e.message}")
            continue
        result = process_page(task, scan.pixels, cfg, engine)
        errors = [f"[{e.stage}] {e.reason}" for e in result.errors]
        failed += [f"page {task.page}: {e}" for e in errors]
        layout = (PageLayout.from_dict(result.layout_info) if result.layout_info
                  else PageLayout(result.layout, result.register_type))
        facts.append({"page": task.page, "layout": layout.as_dict(), "errors": errors,
                      "blank": result.blank})
        if result.cleaned_png is None:
            continue
        path = dest / picture_name(task.page)
        write_bytes_atomic(path, write_png(path, draw_page_file(result.cleaned_png, layout)))
        pictures.append(path)
        shown.append((task.page, path.name, layout))
    write_json_atomic(dest / "layout.json", {"volume_id": vol.volume_id, "input": str(input_path),
                                             "pages": facts})
    index = dest / "index.html"
    write_bytes_atomic(index, layout_html(vol.volume_id, shown, lang).encode("utf-8"))
    return LayoutView(index, tuple(pictures), tuple(failed))
