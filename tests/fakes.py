"""Cheap, deterministic stand-ins for the page reader, for orchestration tests (crash safety,
caching, failure isolation). They are picklable, so they run in real worker processes."""
from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from pipeline.ingest.inputs import image_sha256
from schemas.pages import PageResult


@dataclass(frozen=True)
class FakePage:
    """A page reader that makes 3 birth records per page from the image's hash.

    Attributes:
        log: file to which each call appends "volume page" (counts recognitions across
            worker processes).
        raise_on / hang_on / crash_on: volume page numbers that raise, sleep forever, or
            kill their worker process.
        sleep: seconds each page takes (to give SIGKILL tests something to interrupt).
    """

    log: str | None = None
    raise_on: tuple[int, ...] = ()
    hang_on: tuple[int, ...] = ()
    crash_on: tuple[int, ...] = ()
    sleep: float = 0.0

    def __call__(self, task, image, cfg, engine) -> PageResult:
        if self.log:
            with open(self.log, "a") as f:
                f.write(f"{task.volume_id} {task.page}\n")
        if task.page in self.raise_on:
            raise RuntimeError("simulated OCR failure")
        if task.page in self.hang_on:
            time.sleep(3600)
        if task.page in self.crash_on:
            os._exit(139)
        if self.sleep:
            time.sleep(self.sleep)
        sha = image_sha256(image)
        h, w = image.shape[:2]
        records = []
        for row in (1, 2, 3):
            records.append({
                "record_id": f"{task.volume_id}:{task.page:04d}:{row:02d}",
                "page": task.page, "row": row, "bbox": [0, row * 10, w, row * 10 + 9],
                "layout": "ledger", "entry_no": f"{task.page * 10 + row}",
                "entry_no_raw": f"{task.page * 10 + row}", "entry_no_conf": 0.99,
                "full_name": f"Nguyễn Văn {sha[row:row + 4]}",
                "full_name_raw": f"NGUYỄN VĂN {sha[row:row + 4]}", "full_name_conf": 0.5 + row / 10,
                "flags": ["low_confidence:full_name"] if row == 3 else [],
                "needs_review": row == 3, "review_status": "unreviewed",
            })
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format="PNG")
        lines = ({"bbox": [0, 0, w, 10], "words": [{"text": "SỔ", "conf": 90.0,
                                                     "bbox": [0, 0, 10, 10]}],
                  "field": None, "row": None},)
        return PageResult(task=task, image_sha256=sha, register_type=task.register_type or "birth",
                          layout="ledger", records=tuple(records), cleaned_png=buf.getvalue(),
                          lines=lines, timings={"ocr": 0.001})


def page_image(seed: int, size: tuple[int, int] = (120, 90)) -> Image.Image:
    """A small page with some 'ink' that differs by seed (not blank)."""
    rng = np.random.default_rng(seed)
    im = Image.new("L", size, 235)
    d = ImageDraw.Draw(im)
    for _ in range(6):
        x, y = int(rng.integers(0, size[0] - 30)), int(rng.integers(0, size[1] - 10))
        d.rectangle([x, y, x + int(rng.integers(8, 30)), y + 6], fill=20)
    d.text((5, 5), f"p{seed}", fill=0)
    return im


def image_folder(dest: Path, n: int, seed0: int = 0, fmt: str = "png") -> Path:
    """A folder of n page images named page1..pageN (natural order matters: page10 > page9)."""
    dest.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        page_image(seed0 + i).save(dest / f"page{i}.{fmt}")
    return dest


def read_calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@dataclass(frozen=True)
class FakeRecogniserPage:
    """FakePage whose fields carry an F_perr by the primary recogniser it is asked to read
    with (cfg.primary): `perr` maps "tesseract"/"aster" to the value. Each call appends
    "volume page primary" to `log`."""

    log: str
    perr: tuple[tuple[str, float], ...] = (("tesseract", 0.002), ("aster", 0.004))

    def __call__(self, task, image, cfg, engine) -> PageResult:
        import dataclasses

        with open(self.log, "a") as f:
            f.write(f"{task.volume_id} {task.page} {cfg.primary}\n")
        r = FakePage()(task, image, cfg, engine)
        p = dict(self.perr)[cfg.primary]
        recs = []  # 12 records, 24 read fields: enough for the decision (MIN_FIELDS)
        for k in range(4):
            for rec in r.records:
                row = 3 * k + rec["row"]
                recs.append({**rec, "row": row, "record_id": f"{task.volume_id}:{task.page:04d}:{row:02d}",
                             "entry_no_perr": p, "full_name_perr": p})
        return dataclasses.replace(r, records=tuple(recs))
