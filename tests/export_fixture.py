"""Test scaffolding: an output folder OUT as `hotich run` would leave it, built from synthetic
truth without OCR, for the export and report tests.

Pages are drawn as ruled ledgers (Pillow, DejaVu Sans); records carry the truth as value and
the printed cell text as raw; page JSON carries the cells' words with the boxes where they
were drawn; a run manifest lists per-page timings and one failed page; dedup files pair two
records. Planted problems for the import checks are listed in `Built.planted`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw, ImageFont

from samples.people import volume_entries
from schemas.arrow import CLUSTERS_SCHEMA
from schemas.fields import all_fields, place_fields
from schemas.outdir import page_image_path, page_lines_path, review_db_path, runs_dir
from schemas.parquet_io import write_volume

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
TITLES = {"birth": "SỔ ĐĂNG KÝ KHAI SINH", "death": "SỔ ĐĂNG KÝ KHAI TỬ", "marriage": "SỔ ĐĂNG KÝ KẾT HÔN"}
PAGE_W, PAGE_H, TOP, HEAD_H, ROW_H = 1500, 820, 110, 40, 100


@dataclass
class Built:
    """What the fixture wrote: volumes (type, id, year, pages), records by id, and the
    record ids of planted problems (duplicate, entry_year, month_year, year_only,
    unreviewed, reviewed, failed_page)."""

    out: Path
    volumes: list[tuple[str, str, int, int]] = field(default_factory=list)
    records: dict[str, dict] = field(default_factory=dict)
    planted: dict[str, list] = field(default_factory=dict)


def printed(field_name: str, value: str | None) -> str:
    """How a value is printed in the register (the raw OCR text of a perfect read)."""
    if value is None:
        return ""
    if "date" in field_name:
        parts = value.split("-")
        return "/".join(reversed(parts))  # 1965-03-12 -> 12/03/1965; 1965-03 -> 03/1965
    return value


def _columns(rtype: str) -> list[tuple[str, int, int]]:
    """(field, x0, x1) of every column, widths by field kind."""
    weights = {"entry_no": 0.6, "registration_date": 1.0, "sex": 0.5, "ethnicity": 0.6,
               "nationality": 0.8, "notes": 1.0}
    fields = list(all_fields(rtype))
    ws = [weights.get(f, 1.8 if f.endswith("name") else 1.1 if "date" in f else 2.2) for f in fields]
    total, x, cols = sum(ws), 20, []
    for f, w in zip(fields, ws):
        width = int((PAGE_W - 40) * w / total)
        cols.append((f, x, x + width))
        x += width
    return cols


def _words(draw, font, text: str, x: int, y: int, conf: float) -> list[dict]:
    out, pos = [], x
    for i, word in enumerate(text.split(" ")):
        if i:
            pos += draw.textlength(" ", font=font)
        x0, y0, x1, y1 = draw.textbbox((pos, y), word, font=font)
        draw.text((pos, y), word, font=font, fill=0)
        out.append({"text": word, "conf": round(conf, 3), "bbox": [int(x0), int(y0), int(x1) + 1, int(y1) + 1]})
        pos += draw.textlength(word, font=font)
    return out


def _wrap(draw, font, text: str, width: int) -> list[str]:
    lines, cur = [], ""
    for word in text.split(" "):
        trial = f"{cur} {word}".strip()
        if cur and draw.textlength(trial, font=font) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    return lines + ([cur] if cur else [])


def render_page(rtype: str, entries: list[dict], confs: list[dict]) -> tuple[bytes, list[dict], list[list[int]]]:
    """Draw one ledger page. Returns (PNG bytes, page lines with words, entry bboxes)."""
    img = Image.new("L", (PAGE_W, PAGE_H), 255)
    d = ImageDraw.Draw(img)
    font, small, big = (ImageFont.truetype(FONT, s) for s in (13, 11, 26))
    lines = [{"bbox": None, "words": _words(d, big, TITLES[rtype], 480, 30, 0.97), "field": None, "row": None}]
    lines[0]["bbox"] = [lines[0]["words"][0]["bbox"][0], lines[0]["words"][0]["bbox"][1],
                        lines[0]["words"][-1]["bbox"][2], lines[0]["words"][-1]["bbox"][3]]
    cols = _columns(rtype)
    bottom = TOP + HEAD_H + ROW_H * len(entries)
    for _, x0, x1 in cols:
        d.line([(x0, TOP), (x0, bottom)], fill=0)
    d.line([(cols[-1][2], TOP), (cols[-1][2], bottom)], fill=0)
    for y in [TOP, TOP + HEAD_H] + [TOP + HEAD_H + ROW_H * (i + 1) for i in range(len(entries))]:
        d.line([(20, y), (cols[-1][2], y)], fill=0)
    for f, x0, x1 in cols:
        d.text((x0 + 4, TOP + 12), f[:14], font=small, fill=0)
    boxes = []
    for r, (entry, conf) in enumerate(zip(entries, confs), start=1):
        y0 = TOP + HEAD_H + ROW_H * (r - 1)
        boxes.append([20, y0, cols[-1][2], y0 + ROW_H])
        for f, x0, x1 in cols:
            text = printed(f, entry.get(f))
            for k, part in enumerate(_wrap(d, font, text, x1 - x0 - 8)[:5]):
                words = _words(d, font, part, x0 + 4, y0 + 6 + 18 * k, conf[f])
                lines.append({"bbox": [words[0]["bbox"][0], words[0]["bbox"][1],
                                       words[-1]["bbox"][2], words[-1]["bbox"][3]],
                              "words": words, "field": f, "row": r})
    buf = io.BytesIO()
    img.save(buf, format="PNG", dpi=(150, 150))
    return buf.getvalue(), lines, boxes


def _record(rtype: str, vol: str, page: int, row: int, entry: dict, conf: dict, bbox, sha: str,
            src: str) -> dict:
    rec = {"record_id": f"{vol}:{page:04d}:{row:02d}", "source_file": src, "page": page, "row": row,
           "bbox": bbox, "layout": "ledger", "image_sha256": sha, "config_hash": "fixture",
           "pipeline_version": "0.1.0", "review_status": None}
    flags = []
    for f in all_fields(rtype):
        v = entry.get(f)
        raw = printed(f, v)
        rec[f], rec[f + "_raw"], rec[f + "_conf"] = v, raw or None, conf[f]
        if f in place_fields(rtype):
            rec[f + "_code"] = None
        if conf[f] < 0.8:
            flags.append(f"low_confidence:{f}")
    rec["flags"] = flags
    rec["needs_review"] = bool(flags)
    return rec


def build_out(out: Path, seed: int = 7, birth_pages: int = 3, rows_per_page: int = 5,
              review_db: bool = False) -> Built:
    """Write a complete OUT folder (records, page images and JSON, a run manifest, dedup).

    The birth book (KS-1972, entry numbers "n/1972") carries the planted problems: entry 4's
    number repeated on entry 5 (duplicate), entry 7 numbered "7/1971" though registered in
    1972 (entry_year), a month-year and a year-only date of birth, and flagged records left
    unreviewed as well as reviewed ones. Its page birth_pages+1 failed in the manifest.
    """
    out = Path(out)
    rng = random.Random(seed)
    built = Built(out=out, planted={k: [] for k in ("duplicate", "entry_year", "month_year",
                                                    "year_only", "unreviewed", "reviewed", "failed_page")})
    specs = [("birth", "KS-1972", 1972, birth_pages, "slash_year"),
             ("death", "KT-1980", 1980, 1, "plain"),
             ("marriage", "KH-1990", 1990, 1, "plain")]
    manifest_pages, manifest_errors = [], []
    for rtype, vol, year, pages, style in specs:
        entries = volume_entries(rtype, rng, year, pages * rows_per_page, no_style=style, twin_rate=0.0)
        if rtype == "birth":
            entries[4]["entry_no"] = entries[3]["entry_no"]
            entries[6]["entry_no"] = "7/1971"
            entries[1]["date_of_birth"] = "1971-06"
            entries[2]["date_of_birth"] = "1971"
        rows = []
        for p in range(1, pages + 1):
            chunk = entries[(p - 1) * rows_per_page: p * rows_per_page]
            confs = [{f: round(rng.uniform(0.86, 0.99), 3) for f in all_fields(rtype)} for _ in chunk]
            if rtype == "birth":  # low confidence on a couple of fields of some entries
                for c_i, c in enumerate(confs):
                    if (p * 10 + c_i) % 3 == 0:
                        c[rng.choice(["sex", "full_name", "date_of_birth"])] = round(rng.uniform(0.4, 0.75), 3)
            png, lines, boxes = render_page(rtype, chunk, confs)
            sha = hashlib.sha256(png).hexdigest()
            img_path = page_image_path(out, vol, p)
            img_path.parent.mkdir(parents=True, exist_ok=True)
            img_path.write_bytes(png)
            src = f"scans/{vol}.pdf"
            page_lines_path(out, vol, p).write_text(json.dumps({
                "volume_id": vol, "page": p, "source_file": src, "image_sha256": sha,
                "register_type": rtype, "layout": "ledger", "width": PAGE_W, "height": PAGE_H,
                "lines": lines}, ensure_ascii=False), encoding="utf-8")
            for r, (e, c, b) in enumerate(zip(chunk, confs, boxes), start=1):
                rows.append(_record(rtype, vol, p, r, e, c, b, sha, src))
            timings = {"load": 0.05 * p, "cleanup": 0.2, "layout": 0.1,
                       "ocr": 1.0 + 0.5 * p + rng.random(), "extract": 0.02}
            manifest_pages.append({"volume_id": vol, "page": p, "source_file": src, "index_in_file": p - 1,
                                   "status": "processed", "worker": 0, "records": len(chunk),
                                   "seconds": round(sum(timings.values()) + 0.01, 4), "timings": timings})
        if rtype == "birth":
            manifest_pages.append({"volume_id": vol, "page": pages + 1, "source_file": f"scans/{vol}.pdf",
                                   "index_in_file": pages, "status": "failed", "worker": 0,
                                   "records": None, "seconds": 0.05, "timings": {"load": 0.04}})
            manifest_errors.append({"volume_id": vol, "source_file": f"scans/{vol}.pdf", "page": pages + 1,
                                    "stage": "load", "reason": "page image unreadable: truncated JPEG"})
            built.planted["failed_page"].append((vol, pages + 1))
            ids = [r["record_id"] for r in rows]
            built.planted["duplicate"] += [ids[3], ids[4]]
            built.planted["entry_year"].append(ids[6])
            built.planted["month_year"].append(ids[1])
            built.planted["year_only"].append(ids[2])
            flagged = [r for r in rows if r["needs_review"] and r["record_id"] not in ids[1:7]]
            for i, r in enumerate(flagged):
                if i % 2 == 0:
                    r["review_status"] = "accepted"
                    built.planted["reviewed"].append(r["record_id"])
                else:
                    built.planted["unreviewed"].append(r["record_id"])
            for r in rows:  # planted-problem records must reach the checks by default
                if r["record_id"] in ids[1:7] and r["needs_review"]:
                    r["review_status"] = "corrected"
        write_volume(out, rtype, vol, rows)
        built.volumes.append((rtype, vol, year, pages))
        built.records.update({r["record_id"]: r | {"register_type": rtype, "volume_id": vol} for r in rows})

    runs = runs_dir(out)
    runs.mkdir(parents=True, exist_ok=True)
    now = dt.datetime(2024, 5, 1, 9, 0, 0)
    # The runner's manifest layout (pipeline/store/manifest.py): pages, and errors beside them.
    (runs / "20240501T090000Z-f1x7.json").write_text(json.dumps({
        "run_id": "20240501T090000Z-f1x7", "state": "partial", "started": now.isoformat(),
        "ended": (now + dt.timedelta(minutes=3)).isoformat(), "argv": ["run", "scans"],
        "config": {"hash": "fixture"}, "volumes": {}, "pages": manifest_pages,
        "errors": manifest_errors, "notes": [], "totals": {}}, indent=1), encoding="utf-8")

    ids = sorted(built.records)
    dedup = out / "dedup"
    dedup.mkdir(parents=True, exist_ok=True)
    cluster = {rid: rid for rid in ids}
    cluster[ids[1]] = ids[0]
    pq.write_table(pa.table({"record_id": ids, "cluster_id": [cluster[r] for r in ids]}, schema=pa.schema(list(CLUSTERS_SCHEMA)[:2])),
                   dedup / "clusters.parquet")
    pq.write_table(pa.table({"record_id_a": [ids[0]], "record_id_b": [ids[1]], "score": [0.93]}),
                   dedup / "pairs.parquet")
    if review_db:
        _review_db(out, built)
    return built


def _review_db(out: Path, built: Built) -> None:
    """A small review database in the review page's layout (record_state, corrections)."""
    path = review_db_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE record_state (register_type TEXT, volume_id TEXT, record_id TEXT, version INTEGER,
            status TEXT, image_sha256 TEXT, reviewer TEXT, at TEXT);
        CREATE TABLE corrections (register_type TEXT, volume_id TEXT, record_id TEXT, field TEXT,
            value TEXT, image_sha256 TEXT, reviewer TEXT, at TEXT);
        CREATE TABLE changes (id INTEGER PRIMARY KEY, at TEXT, reviewer TEXT, action TEXT,
            register_type TEXT, volume_id TEXT, record_id TEXT, field TEXT, old_value TEXT,
            new_value TEXT, image_sha256 TEXT);""")
    for i, rid in enumerate(built.planted["reviewed"]):
        at = f"2024-05-0{2 + i % 3}T10:00:00"
        con.execute("INSERT INTO record_state VALUES ('birth','KS-1972',?,1,'accepted',NULL,'lan',?)", (rid, at))
        con.execute("INSERT INTO changes (at, reviewer, action, register_type, volume_id, record_id)"
                    " VALUES (?, 'lan', 'accept', 'birth', 'KS-1972', ?)", (at, rid))
    con.commit()
    con.close()
