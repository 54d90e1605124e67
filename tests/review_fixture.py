"""Test scaffolding for the review page: a small but real OUT folder.

Until a real `hotich run` exists, this renders synthetic ledger pages (samples/people.py
entries printed in a ruled table with DejaVu Sans) into OUT/pages/<V>/<page>.png and writes
the records a page reader would have produced, through schemas.parquet_io.write_volume:
raw = the printed cell text, value = the truth, with deterministic mistakes:
- flagged errors: a wrong full_name with low confidence, flagged `low_confidence:full_name`;
- an unreadable date: value None, flagged `invalid_date:date_of_birth`;
- silent errors: a wrong value with high confidence and no flag (for spot checks);
- one flagged entry whose notes hold `<script>` (the page must show it as text).
"""
from __future__ import annotations

import copy
import hashlib
import random
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from samples.people import volume_entries
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
    """Draw one ledger page; return each entry's bbox. `variant` shifts the ink slightly (a
    rescan), which changes the image hash."""
    font = ImageFont.truetype(FONT, 15)
    small = ImageFont.truetype(FONT, 13)
    width = LEFT * 2 + sum(WIDTHS)
    height = TOP + HEAD_H + ROW_H * max(len(entries), 1) + 60
    img = Image.new("L", (width, height), 250 - variant)
    d = ImageDraw.Draw(img)
    d.text((width // 2 - 150, 30), "SỔ ĐĂNG KÝ KHAI SINH", fill=0, font=ImageFont.truetype(FONT, 28))
    d.text((width - 160, 40), f"Trang {page}", fill=0, font=font)
    x = LEFT
    y0 = TOP
    for w, h in zip(WIDTHS, HEADERS):
        d.rectangle([x, y0, x + w, y0 + HEAD_H], outline=0, width=2)
        d.text((x + 4, y0 + 18), h, fill=0, font=small)
        x += w
    boxes = []
    for i, e in enumerate(entries):
        top = TOP + HEAD_H + i * ROW_H
        x = LEFT
        for w, col in zip(WIDTHS, COLUMNS):
            d.rectangle([x, top, x + w, top + ROW_H], outline=0, width=1)
            text = printed(col, e.get(col))
            # Wrap long cells onto two lines, as ledgers do.
            lines, cur = [], ""
            for word in text.split():
                if d.textlength(f"{cur} {word}".strip(), font=small) > w - 8 and cur:
                    lines.append(cur)
                    cur = word
                else:
                    cur = f"{cur} {word}".strip()
            lines.append(cur)
            for k, line in enumerate(lines[:3]):
                d.text((x + 4, top + 6 + k * 19), line, fill=10, font=small)
            x += w
        boxes.append((LEFT, top, x, top + ROW_H))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return boxes


def _row(volume_id: str, page: int, row: int, bbox, entry: dict, sha: str) -> dict:
    r = {"record_id": f"{volume_id}:{page:04d}:{row:02d}", "source_file": f"scans/{volume_id}.pdf",
         "page": page, "row": row, "bbox": list(bbox), "layout": "ledger", "flags": [],
         "needs_review": False, "review_status": "unreviewed", "image_sha256": sha,
         "config_hash": "fixture", "pipeline_version": "0.1.0"}
    for f in all_fields("birth"):
        r[f] = entry.get(f)
        r[f + "_raw"] = printed(f, entry.get(f)) or None
        r[f + "_conf"] = 0.97
    return r


def build_out(out: Path, volume_id: str = "HBT-KS-1972", pages: int = 2, rows_per_page: int = 8,
              seed: int = 7, variant: int = 0) -> FixtureVolume:
    """Write OUT/pages and OUT/records for one birth volume and return what was planted."""
    rng = random.Random(seed)
    entries = volume_entries("birth", rng, 1972, pages * rows_per_page)
    truth: dict[str, dict] = {}
    rows: list[dict] = []
    fv = FixtureVolume(Path(out), "birth", volume_id, pages, rows, truth)
    for p in range(1, pages + 1):
        chunk = entries[(p - 1) * rows_per_page: p * rows_per_page]
        if p == 1:
            chunk[2] = dict(chunk[2], notes=SCRIPT_NOTE)
        path = page_image_path(out, volume_id, p)
        boxes = render_page(chunk, p, path, variant)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        for i, (e, box) in enumerate(zip(chunk, boxes), start=1):
            r = _row(volume_id, p, i, box, e, sha)
            truth[r["record_id"]] = {f: e.get(f) for f in all_fields("birth")}
            rows.append(r)
    for k, r in enumerate(rows):
        rid = r["record_id"]
        if k % 4 == 1:  # a misread name, caught by low confidence
            r["full_name"] = _strip_marks(r["full_name"])
            r["full_name_raw"] = r["full_name"].upper()
            r["full_name_conf"] = 0.41 + 0.02 * k
            r["flags"] = ["low_confidence:full_name"]
            fv.flagged_name_errors.append(rid)
        elif k % 7 == 3:  # an unreadable date
            r["date_of_birth"] = None
            r["date_of_birth_raw"] = "1?/0?/19?2"
            r["date_of_birth_conf"] = 0.3
            r["flags"] = ["invalid_date:date_of_birth"]
        elif k % 6 in (0, 4) and k:  # a silent error: wrong and sure of itself
            r["mother_name"] = _strip_marks(r["mother_name"] or "Trần Thị Lan")
            fv.silent_errors.append(rid)
        if r["notes"] == SCRIPT_NOTE:
            r["flags"] = r["flags"] + ["low_confidence:notes"]
            r["notes_conf"] = 0.2
            fv.script_record = rid
        r["needs_review"] = bool(r["flags"])
    write_volume(out, "birth", volume_id, rows)
    return fv


def rerun_rows(fv: FixtureVolume, image_changed: bool = False) -> list[dict]:
    """The rows an OCR rerun of the volume would produce: the original reading (no review
    work in them). With `image_changed` the pages are re-rendered as a rescan (new hashes)."""
    rows = copy.deepcopy(fv.rows)
    for r in rows:
        r["review_status"] = "unreviewed"
    if image_changed:
        shas = {}
        for p in range(1, fv.pages + 1):
            entries = [dict(fv.truth[r["record_id"]]) for r in rows if r["page"] == p]
            if p == 1 and fv.script_record:
                entries[2]["notes"] = SCRIPT_NOTE
            path = page_image_path(fv.out, fv.volume_id, p)
            render_page(entries, p, path, variant=3)
            shas[p] = hashlib.sha256(path.read_bytes()).hexdigest()
        for r in rows:
            r["image_sha256"] = shas[r["page"]]
    return rows
