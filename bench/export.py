"""Benchmark `hotich export` (moj workbook, csv, case PDFs) and `hotich report` at scale.

    PYTHONPATH=. .venv/bin/python -m bench.export [--records 500000] [--baseline 50000]
        [--per-book 1000] [--pdf-cases 5000] [--keep DIR]

Records are generated at the record level (no rendering): a pool of synthetic entries from
samples/people.py is dealt into books of --per-book records with fresh entry numbers, pages
(20 entries a page) and confidences, and written with schemas/parquet_io.write_volume.
Each phase runs in its own child process so its peak RSS is its own:
    moj       every book's workbook, checks and violations (PDFs off: see pdf)
    csv       one CSV per register type
    report    the HTML report
    pdf       case PDFs (crop + whole page) for the first books, --pdf-cases cases in all,
              from a 300 dpi A4 page image shared by every page (hard links)
The same phases run first on --baseline records, so the output gives ratios measured in the
same run: time should grow ~linearly (ratio ~ records ratio) and peak memory stay flat
(ratio ~ 1).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PHASES = ("moj", "csv", "report")
ROWS_PER_PAGE = 20


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not getrusage's ru_maxrss, which Linux
    carries over from the parent across fork+exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(out: Path, records: int, per_book: int, seed: int = 1) -> dict:
    """Write `records` records in books of `per_book` (birth 60%, death 25%, marriage 15%)."""
    from samples.people import volume_entries
    from schemas.fields import all_fields, place_fields
    from schemas.parquet_io import write_volume

    rng = random.Random(seed)
    pools = {t: volume_entries(t, rng, 1980, 2000, twin_rate=0.0) for t in ("birth", "death", "marriage")}
    books = max(1, records // per_book)
    made = 0
    for b in range(books):
        rtype = "birth" if b % 20 < 12 else "death" if b % 20 < 17 else "marriage"
        year = 1960 + b % 60
        vol = f"{rtype[0].upper()}-{year}-{b:05d}"
        pool = pools[rtype]
        n = per_book if b < books - 1 else records - made
        rows = []
        for i in range(n):
            e = pool[(b * 131 + i) % len(pool)]
            page, row = i // ROWS_PER_PAGE + 1, i % ROWS_PER_PAGE + 1
            rec = {"record_id": f"{vol}:{page:04d}:{row:02d}", "source_file": f"scans/{vol}.pdf",
                   "page": page, "row": row, "bbox": [150, 400 + 150 * (row - 1), 2330, 540 + 150 * (row - 1)],
                   "layout": "ledger", "image_sha256": "0" * 64, "config_hash": "bench",
                   "pipeline_version": "bench", "review_status": None}
            flags = []
            for f in all_fields(rtype):
                v = e.get(f)
                if f == "entry_no":
                    v = str(i + 1)
                elif f == "registration_date" and v:
                    v = f"{year}{v[4:]}"
                conf = 0.6 + 0.4 * rng.random()
                rec[f], rec[f + "_raw"], rec[f + "_conf"] = v, v, conf
                if f in place_fields(rtype):
                    rec[f + "_code"] = None
                if conf < 0.8 and v is not None:
                    flags.append(f"low_confidence:{f}")
            rec["flags"] = flags
            rec["needs_review"] = bool(flags)
            rec["review_status"] = "accepted" if flags and rng.random() < 0.9 else None
            rows.append(rec)
        write_volume(out, rtype, vol, rows)
        made += n
    return {"records": made, "books": books}


def page_image(path: Path) -> None:
    """A 300 dpi A4 grey page with ruling and text-like marks (what a cleaned scan weighs)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    img = np.full((3508, 2480), 250, np.uint8)
    for r in range(ROWS_PER_PAGE + 1):
        img[400 + 150 * r: 403 + 150 * r, 150:2330] = 20
    for _ in range(9000):
        y, x = rng.integers(410, 3400), rng.integers(160, 2300)
        img[y:y + 22, x:x + rng.integers(8, 30)] = rng.integers(0, 90)
    # Light speckle, as a cleaned (denoised, deskewed) scan keeps.
    speck = rng.random(img.shape) < 0.01
    img[speck] = rng.integers(150, 250, int(speck.sum()))
    Image.fromarray(img).save(path, dpi=(300, 300))


def link_pages(out: Path, image: Path, books: list[tuple[str, str]], cases: int) -> list[str]:
    """Give the first books' pages one shared image (hard links), up to `cases` cases."""
    import pyarrow.parquet as pq
    from schemas.outdir import page_image_path
    from schemas.parquet_io import volume_path

    chosen, total = [], 0
    for rtype, vol in books:
        if total >= cases:
            break
        pages = set(pq.read_table(volume_path(out, rtype, vol), columns=["page"]).column("page").to_pylist())
        for p in pages:
            dst = page_image_path(out, vol, p)
            dst.parent.mkdir(parents=True, exist_ok=True)
            if not dst.exists():
                os.link(image, dst)
        chosen.append(vol)
        total += pq.read_metadata(volume_path(out, rtype, vol)).num_rows
    return chosen


def run_phase(phase: str, out: Path, dest: Path, volumes: list[str]) -> dict:
    """One phase, timed, in this process (the child)."""
    t0 = time.perf_counter()
    info: dict = {}
    if phase == "moj":
        from pipeline.export.moj_export import export_moj
        books = export_moj(out, dest, pdfs=False)
        info = {"cases": sum(b.written for b in books), "held_back": sum(b.held_back for b in books)}
    elif phase == "csv":
        from pipeline.export.csv_export import export_csv
        paths = export_csv(out, dest)
        info = {"bytes": sum(p.stat().st_size for p in paths)}
    elif phase == "report":
        from pipeline.report import write_report
        info = {"bytes": write_report(out, dest / "report.html").stat().st_size}
    elif phase == "pdf":
        from pipeline.export.mapping import load_mapping
        from pipeline.export.common import volumes as all_volumes
        from pipeline.export.moj_export import export_book
        mapping = load_mapping()
        books = [export_book(out, dest, rtype, vol, mapping) for rtype, vol in all_volumes(out) if vol in volumes]
        zips = sum((b.folder / f"{b.folder.name}_pdf.zip").stat().st_size for b in books)
        info = {"cases": sum(b.written for b in books), "zip_bytes": zips}
    info.update(seconds=time.perf_counter() - t0, peak_rss_mb=_peak_rss_mb())
    return info


def child(phase: str, out: Path, dest: Path, volumes: list[str]) -> dict:
    cmd = [sys.executable, "-m", "bench.export", "--phase", phase, "--out", str(out), "--dest", str(dest),
           "--volumes", ",".join(volumes)]
    res = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=os.getcwd()))
    if res.returncode:
        raise SystemExit(f"phase {phase} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def measure(root: Path, records: int, per_book: int, pdf_cases: int) -> dict:
    out = root / f"out{records}"
    t0 = time.perf_counter()
    gen = generate(out, records, per_book)
    gen["seconds"] = time.perf_counter() - t0
    results = {"generate": gen}
    print(f"  {records:>7} records  generated in {gen['seconds']:.1f} s ({gen['books']} books)", flush=True)
    for phase in PHASES:
        results[phase] = child(phase, out, root / f"{phase}{records}", [])
        print(f"  {records:>7} records  {phase:<6} {results[phase]['seconds']:7.1f} s  "
              f"peak RSS {results[phase]['peak_rss_mb']:6.0f} MB", flush=True)
    if pdf_cases:
        from pipeline.export.common import volumes as all_volumes
        image = root / "page.png"
        if not image.exists():
            page_image(image)
        chosen = link_pages(out, image, all_volumes(out), pdf_cases)
        results["pdf"] = child("pdf", out, root / f"pdf{records}", chosen)
        r = results["pdf"]
        print(f"  {records:>7} records  pdf    {r['seconds']:7.1f} s  peak RSS {r['peak_rss_mb']:6.0f} MB"
              f"  ({r['cases']} cases, {r['cases'] / r['seconds']:.0f} PDFs/s)", flush=True)
    return results


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=500_000)
    ap.add_argument("--baseline", type=int, default=50_000)
    ap.add_argument("--per-book", type=int, default=1000)
    ap.add_argument("--pdf-cases", type=int, default=5000, help="case PDFs to make (0: none)")
    ap.add_argument("--keep", type=Path, default=None, help="work in DIR and keep it")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--dest", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--volumes", default="", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.phase:  # child process
        print(json.dumps(run_phase(a.phase, a.out, a.dest, [v for v in a.volumes.split(",") if v])))
        return
    root = a.keep or Path(tempfile.mkdtemp(prefix="hotich-bench-export-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        print(f"baseline: {a.baseline} records", flush=True)
        base = measure(root, a.baseline, a.per_book, a.pdf_cases)
        print(f"full: {a.records} records", flush=True)
        full = measure(root, a.records, a.per_book, a.pdf_cases)
        ratio = a.records / a.baseline
        print(f"\nrecords ratio {ratio:.1f}x (full / baseline)")
        print(f"{'phase':<8}{'seconds':>10}{'time ratio':>12}{'peak MB':>10}{'RSS ratio':>11}{'per 1k rec':>12}")
        for phase in PHASES + (("pdf",) if a.pdf_cases else ()):
            b, f = base[phase], full[phase]
            n = f.get("cases", a.records) if phase == "pdf" else a.records
            print(f"{phase:<8}{f['seconds']:>10.1f}{f['seconds'] / b['seconds']:>12.2f}"
                  f"{f['peak_rss_mb']:>10.0f}{f['peak_rss_mb'] / b['peak_rss_mb']:>11.2f}"
                  f"{1000 * f['seconds'] / n:>11.2f}s")
        print(json.dumps({"baseline": base, "full": full}))
    finally:
        if a.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
