"""Test scaffolding for the review page: a small but real OUT folder.

Renders a generated birth ledger volume (samples.generator.render_volume) into
OUT/pages/<V>/<page>.png and writes the records a page reader would have produced, through
schemas.parquet_io.write_volume: bbox = the truth's entry box, raw = the printed cell text,
value = the truth, F_bbox = the truth's cell boxes, with deterministic mistakes:
- flagged errors: a wrong full_name with low confidence, flagged `low_confidence:full_name`;
- an unreadable date: value None, flagged `invalid_date:date_of_birth`;
- silent errors: a wrong value with high confidence and no flag (for spot checks);
- one flagged entry whose notes hold `<script>` (the page must show it as text).
"""
from __future__ import annotations

import copy
import hashlib
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from samples.generator import render_volume
from schemas.fields import all_fields
from schemas.outdir import page_image_path
from schemas.parquet_io import write_volume

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SCRIPT_NOTE = '<script>document.title="pwned"</script><b>bold?</b>'
COLUMNS = ("entry_no", "registration_date", "full_name", "sex", "date_of_birth", "place_of_birth",
           "ethnicity", "nationality", "hometown", "father_name", "mother_name", "declarant_name", "notes")
WIDTHS = (60, 120, 230, 60, 120, 300, 70, 90, 300, 220, 220, 220, 160)
HEADERS = ("Số", "Ngày đăng ký", "Họ và tên", "Giới tính", "Ngày sinh", "Nơi sinh", "Dân tộc",
           "Quốc tịch", "Quê quán", "Họ tên cha", "Họ tên mẹ", "Người đi khai", "Ghi chú")
ROW_H, HEAD_H, TOP, LEFT = 70, 60, 110, 30


@dataclass
class FixtureVolume:
    """A generated volume: where it is, the rows written, the truth, and what was planted."""

    out: Path
    register_type: str
    volume_id: str
    pages: int
    rows: list[dict]
    truth: dict[str, dict]
    flagged_name_errors: list[str] = field(default_factory=list)
    silent_errors: list[str] = field(default_factory=list)
    script_record: str | None = None


def printed(field_name: str, value: str | None) -> str:
    """How a cell is printed: dates as d/m/yyyy, everything else as is."""
    if value is None:
        return ""
    if "date" in field_name and len(value) == 10:
        y, m, d = value.split("-")
        return f"{int(d):02d}/{int(m):02d}/{y}"
    return value


def _strip_marks(text: str) -> str:
    nfd = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(c for c in nfd if not unicodedata.combining(c)))


def render_page(entries: list[dict], page: int, path: Path, variant: int = 0) -> list[tuple[int, int, int, int]]:
    """Draw a plain ledger page (for the benchmark, which needs one cheap page); return each
    entry's bbox. The test volumes use the real generator (samples.generator)."""
    font = ImageFont.truetype(FONT, 15)
    small = ImageFont.truetype(FONT, 13)
    width = LEFT * 2 + sum(WIDTHS)
    height = TOP + HEAD_H + ROW_H * max(len(entries), 1) + 60
    img = Image.new("L", (width, height), 250 - variant)
    d = ImageDraw.Draw(img)
    d.text((width // 2 - 150, 30), "SỔ ĐĂNG KÝ KHAI SINH", fill=0, font=ImageFont.truetype(FONT, 28))
    d.text((width - 160, 40), f"Trang {page}", fill=0, font=font)
    x = LEFT
    for w, h in zip(WIDTHS, HEADERS):
        d.rectangle([x, TOP, x + w, TOP + HEAD_H], outline=0, width=2)
        d.text((x + 4, TOP + 18), h, fill=0, font=small)
        x += w
    boxes = []
    for i, e in enumerate(entries):
        top = TOP + HEAD_H + i * ROW_H
        x = LEFT
        for w, col in zip(WIDTHS, COLUMNS):
            d.rectangle([x, top, x + w, top + ROW_H], outline=0, width=1)
            d.text((x + 4, top + 6), printed(col, e.get(col))[:40], fill=10, font=small)
            x += w
        boxes.append((LEFT, top, x, top + ROW_H))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return boxes


def _row(volume_id: str, page: int, row: int, bbox, values: dict, cells: dict, sha: str,
         boxes: dict | None = None) -> dict:
    r = {"record_id": f"{volume_id}:{page:04d}:{row:02d}", "source_file": f"scans/{volume_id}.pdf",
         "page": page, "row": row, "bbox": list(bbox), "layout": "ledger", "flags": [],
         "needs_review": False, "review_status": "unreviewed", "image_sha256": sha,
         "config_hash": "fixture", "pipeline_version": "0.1.0"}
    for f in all_fields("birth"):
        r[f] = values.get(f)
        r[f + "_raw"] = cells.get(f)
        r[f + "_conf"] = 0.97 if cells.get(f) else 0.0
        r[f + "_bbox"] = list((boxes or {})[f]) if f in (boxes or {}) else None
    return r


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _build(out: Path, pages: int, seed: int, dpi: int) -> FixtureVolume:
    images, truth_vol = render_volume("birth", "ledger", pages, seed, degrade="light", dpi=dpi)
    volume_id = truth_vol.volume_id
    truth: dict[str, dict] = {}
    rows: list[dict] = []
    fv = FixtureVolume(Path(out), "birth", volume_id, pages, rows, truth)
    for img, pt in zip(images, truth_vol.pages):
        path = page_image_path(out, volume_id, pt.page)
        path.parent.mkdir(parents=True, exist_ok=True)
        img.convert("L").save(path, compress_level=1)
        sha = _sha(path)
        for e in pt.entries:
            r = _row(volume_id, pt.page, e.row, e.bbox, e.fields, e.cells, sha, e.cell_bboxes)
            assert r["record_id"] == e.record_id
            truth[e.record_id] = dict(e.fields)
            rows.append(r)
    for k, r in enumerate(rows):
        rid = r["record_id"]
        if k % 4 == 1:  # a misread name, caught by low confidence
            r["full_name"] = _strip_marks(r["full_name"])
            r["full_name_raw"] = r["full_name"].upper()
            r["full_name_conf"] = 0.41 + 0.01 * k
            r["flags"] = ["low_confidence:full_name"]
            fv.flagged_name_errors.append(rid)
        elif k % 7 == 3:  # an unreadable date
            r["date_of_birth"] = None
            r["date_of_birth_raw"] = "1?/0?/19?2"
            r["date_of_birth_conf"] = 0.3
            r["flags"] = ["invalid_date:date_of_birth"]
        elif k == 2:  # OCR text can contain anything: the page must show it as text
            r["notes"] = r["notes_raw"] = SCRIPT_NOTE
            truth[rid]["notes"] = SCRIPT_NOTE
            r["notes_conf"] = 0.2
            r["flags"] = ["low_confidence:notes"]
            fv.script_record = rid
        elif k % 6 == 4:  # a silent error: wrong and sure of itself
            r["mother_name"] = _strip_marks(r["mother_name"] or "Trần Thị Lan")
            fv.silent_errors.append(rid)
        r["needs_review"] = bool(r["flags"])
    write_volume(out, "birth", volume_id, rows)
    return fv


_BUILT: dict[tuple, FixtureVolume] = {}


def build_out(out: Path, pages: int = 2, seed: int = 7, dpi: int = 150) -> FixtureVolume:
    """Write OUT/pages and OUT/records for one generated birth ledger volume into `out`, and
    return what was planted. Rendering is done once per process and parameters; later calls
    copy the finished folder (tests each get their own OUT)."""
    key = (pages, seed, dpi)
    if key not in _BUILT:
        _BUILT[key] = _build(Path(tempfile.mkdtemp(prefix="hotich-review-fixture-")) / "out", pages, seed, dpi)
    src = _BUILT[key]
    shutil.copytree(src.out, out, dirs_exist_ok=True)  # several volumes may share one OUT
    return FixtureVolume(Path(out), src.register_type, src.volume_id, src.pages, copy.deepcopy(src.rows),
                         copy.deepcopy(src.truth), list(src.flagged_name_errors), list(src.silent_errors),
                         src.script_record)


def rerun_rows(fv: FixtureVolume, image_changed: bool = False) -> list[dict]:
    """The rows an OCR rerun of the volume would produce: the original reading (no review
    work in them). With `image_changed` each page is rescanned (a mark is added to the stored
    image), so its image_sha256 changes."""
    rows = copy.deepcopy(fv.rows)
    for r in rows:
        r["review_status"] = "unreviewed"
    if image_changed:
        shas = {}
        for p in range(1, fv.pages + 1):
            path = page_image_path(fv.out, fv.volume_id, p)
            with Image.open(path) as im:
                img = im.copy()
            ImageDraw.Draw(img).rectangle([2, 2, 40, 40], fill=0)
            img.save(path, compress_level=1)
            shas[p] = _sha(path)
        for r in rows:
            r["image_sha256"] = shas[r["page"]]
    return rows
