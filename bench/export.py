"""Benchmark `hotich export` (moj workbook, csv, case PDFs) and `hotich report` at scale.

    PYTHONPATH=. .venv/bin/python -m bench.export [--records 500000] [--baseline 50000]
        [--per-book 1000] [--pdf-cases N] [--workers N] [--ab-cases 400] [--keep DIR]

Records are generated at the record level (no rendering): a pool of synthetic entries from
samples/people.py is dealt into books of --per-book records with fresh entry numbers, pages
(20 entries a page) and confidences, and written with schemas/parquet_io.write_volume.
Each phase runs in its own child process so its peak RSS is its own:
    moj       every book's workbook, checks and violations (PDFs off: see pdf)
    csv       one CSV per register type
    report    the HTML report
    pdf       `hotich export --format moj` with its case PDFs (crop + whole page), as
              export_books runs it with --workers processes, one book per task, for every
              book (or the first books holding --pdf-cases cases), from one 300 dpi A4 page
              image shared by every page (hard links). To keep the disk flat, each book's
              zip is deleted as soon as its size is recorded (the bench only: 500k PDFs
              would need ~150 GB). Peak RSS: this phase's process and its largest worker.
The same phases run first on --baseline records, so the output gives ratios measured in the
same run: time should grow ~linearly (ratio ~ records ratio) and peak memory stay flat
(ratio ~ 1). Before them, `pdf-ab` times the former case-PDF path (bench/pdf_old.py) and the
current one (pipeline/export/pdfcases.py) on the same --ab-cases cases in one process.
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


def _peak_rss_mb(pid: int | str = "self") -> float:
    """A process's peak resident memory (VmHWM). Not getrusage's ru_maxrss, which Linux
    carries over from the parent across fork+exec."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_mb() -> float:
    """The largest peak RSS among this process's live children (the export's workers)."""
    import psutil

    peak = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            peak = max(peak, _peak_rss_mb(child.pid))
        except OSError:  # exited meanwhile
            pass
    return peak


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
    """A 300 dpi A4 page as `hotich run` leaves a cleaned scan: grey paper (~233) with a fine
    grain, ruling and text-like marks, written as pipeline/extract/page.py writes pages (cv2 PNG,
    Huffman only, no resolution stored). ~2.2 MB, what page.py measured for a real page."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(0)
    img = np.full((3508, 2480), 250, np.uint8)
    for r in range(ROWS_PER_PAGE + 1):
        img[400 + 150 * r: 403 + 150 * r, 150:2330] = 20
    for _ in range(9000):
        y, x = rng.integers(410, 3400), rng.integers(160, 2300)
        img[y:y + 22, x:x + rng.integers(8, 30)] = rng.integers(0, 90)
    # Soft ink edges and the paper's grain, which a cleaned (flattened, deskewed) scan keeps.
    img = cv2.GaussianBlur(img, (3, 3), 0).astype(np.float32) * (233 / 250)
    img += cv2.GaussianBlur(rng.normal(0, 4, img.shape).astype(np.float32), (5, 5), 0)
    ok, buf = cv2.imencode(".png", np.clip(img, 0, 255).astype(np.uint8),
                           [cv2.IMWRITE_PNG_COMPRESSION, 1,
                            cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_HUFFMAN_ONLY])
    path.write_bytes(buf.tobytes())


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


def pdf_phase(out: Path, dest: Path, volumes: list[str], workers: int) -> dict:
    """Export the books of `volumes` with their case PDFs, `workers` at a time; each book's
    zip is measured and deleted as it finishes."""
    from pipeline.export.common import volumes as all_volumes
    from pipeline.export.mapping import load_mapping
    from pipeline.export.moj_export import BookExport, book_jobs, export_books

    wanted = set(volumes)
    jobs = book_jobs(out, dest, [b for b in all_volumes(out) if b[1] in wanted], load_mapping())
    zip_bytes = [0]
    workers_peak = [0.0]

    def done(b: BookExport) -> None:
        zp = b.folder / f"{b.folder.name}_pdf.zip"
        if zp.exists():
            zip_bytes[0] += zp.stat().st_size
            zp.unlink()  # the bench only: disk stays flat over 500k PDFs
        workers_peak[0] = max(workers_peak[0], _children_peak_mb())  # workers are still alive

    books = export_books(jobs, workers, done)
    failed = [f"{b.volume_id}: {b.error}" for b in books if b.error]
    if failed:
        raise SystemExit("books failed: " + "; ".join(failed[:3]))
    cases = sum(b.written for b in books)
    return {"cases": cases, "books": len(books), "zip_bytes": zip_bytes[0],
            "bytes_per_case": zip_bytes[0] / max(1, cases), "workers": workers,
            "workers_peak_rss_mb": workers_peak[0]}


def compare_pdf_paths(out: Path, volume: str, cases: int) -> dict:
    """The former and the current case-PDF path on the same first `cases` cases of `volume`,
    one after the other in this process, PDFs kept in memory (no zip, no workbook)."""
    import cv2
    import numpy as np

    from bench import pdf_old
    from pipeline.export import pdfcases
    from pipeline.export.common import volumes as all_volumes
    from pipeline.export.mapping import load_mapping
    from schemas.outdir import page_image_path
    from schemas.parquet_io import read_records

    m = load_mapping()
    rtype = next(t for t, v in all_volumes(out) if v == volume)
    recs = sorted(read_records(out, rtype, volume).select(["page", "row", "bbox"]).to_pylist(),
                  key=lambda r: (r["page"], r["row"]))[:cases]
    pages = sorted({r["page"] for r in recs})
    result: dict = {"cases": len(recs), "pages": len(pages)}

    t0, size = time.perf_counter(), 0
    for p in pages:
        page = pdf_old.load_page(page_image_path(out, volume, p))
        preview = pdf_old.page_preview(page, m.pdf_page_max_px, m.pdf_page_quality)
        for r in (r for r in recs if r["page"] == p):
            size += len(pdf_old.case_pdf(preview, page, tuple(r["bbox"]), m.pdf_margin))
    result.update(old_s=time.perf_counter() - t0, old_bytes=size)

    t0, size, psnr = time.perf_counter(), 0, []
    for p in pages:
        page = pdfcases.load_page(page_image_path(out, volume, p))
        preview = pdfcases.page_preview(page, m.pdf_page_max_px, m.pdf_page_quality)
        for r in (r for r in recs if r["page"] == p):
            crop = pdfcases.crop_jpeg(page, tuple(r["bbox"]), m.pdf_margin, m.pdf_crop_quality)
            size += len(pdfcases.case_pdf(crop, preview))
            if len(psnr) < 20:  # how close the JPEG crop is to the lossless one (outside the clock)
                t1 = time.perf_counter()
                x0, y0, x1, y1 = pdfcases.crop_box(tuple(r["bbox"]), m.pdf_margin, page.size)
                got = cv2.imdecode(np.frombuffer(crop.data, np.uint8), cv2.IMREAD_UNCHANGED)
                psnr.append(cv2.PSNR(got, page.pixels[y0:y1, x0:x1]))
                t0 += time.perf_counter() - t1
    result.update(new_s=time.perf_counter() - t0, new_bytes=size, crop_psnr_db=min(psnr),
                  crop_quality=m.pdf_crop_quality)
    return result


def run_phase(phase: str, out: Path, dest: Path, volumes: list[str], workers: int = 1,
              ab_cases: int = 400) -> dict:
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
        info = pdf_phase(out, dest, volumes, workers)
    elif phase == "pdf-ab":
        info = compare_pdf_paths(out, volumes[0], ab_cases)
    info.update(seconds=time.perf_counter() - t0, peak_rss_mb=_peak_rss_mb())
    return info


def child(phase: str, out: Path, dest: Path, volumes: list[str], workers: int = 1,
          ab_cases: int = 400) -> dict:
    cmd = [sys.executable, "-m", "bench.export", "--phase", phase, "--out", str(out), "--dest", str(dest),
           "--volumes", ",".join(volumes), "--workers", str(workers), "--ab-cases", str(ab_cases)]
    res = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=os.getcwd()))
    if res.returncode:
        raise SystemExit(f"phase {phase} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _workers_rss(r: dict) -> str:
    return f" + largest worker {r['workers_peak_rss_mb']:.0f} MB" if r["workers"] > 1 else " (in process)"


def measure(root: Path, records: int, per_book: int, pdf_cases: int, workers: int) -> dict:
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
        results["pdf"] = child("pdf", out, root / f"pdf{records}", chosen, workers)
        r = results["pdf"]
        print(f"  {records:>7} records  pdf    {r['seconds']:7.1f} s  peak RSS {r['peak_rss_mb']:6.0f} MB"
              f"{_workers_rss(r)}  {r['cases']} cases in {r['books']} books,"
              f" {r['cases'] / r['seconds']:.0f} PDFs/s with {workers} worker(s),"
              f" {r['bytes_per_case'] / 1000:.0f} KB a case", flush=True)
    return results


def compare(root: Path, records: int, cases: int) -> dict:
    """Time the former and the current case-PDF path on the same cases (child process)."""
    from pipeline.export.common import volumes as all_volumes

    out = root / f"out{records}"
    image = root / "page.png"
    if not image.exists():
        page_image(image)
    first = all_volumes(out)[:1]
    link_pages(out, image, first, cases)
    r = child("pdf-ab", out, root / "ab", [first[0][1]], ab_cases=cases)
    n = r["cases"]
    print(f"  case PDF, same {n} cases ({r['pages']} pages), one process: former path "
          f"{1000 * r['old_s'] / n:.2f} ms and {r['old_bytes'] / n / 1000:.0f} KB a case, current "
          f"{1000 * r['new_s'] / n:.2f} ms and {r['new_bytes'] / n / 1000:.0f} KB: "
          f"{r['old_s'] / r['new_s']:.1f}x faster; JPEG crop q{r['crop_quality']} PSNR >= "
          f"{r['crop_psnr_db']:.1f} dB", flush=True)
    return r


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=500_000)
    ap.add_argument("--baseline", type=int, default=50_000)
    ap.add_argument("--per-book", type=int, default=1000)
    ap.add_argument("--pdf-cases", type=int, default=None,
                    help="case PDFs to make, whole books from the first (default: all; 0: none)")
    ap.add_argument("--workers", type=int, default=None,
                    help="pdf phase: export worker processes (default: the number of CPUs)")
    ap.add_argument("--ab-cases", type=int, default=400,
                    help="cases timed with the former and the current PDF path (0: skip)")
    ap.add_argument("--keep", type=Path, default=None, help="work in DIR and keep it")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--dest", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--volumes", default="", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.phase:  # child process
        print(json.dumps(run_phase(a.phase, a.out, a.dest, [v for v in a.volumes.split(",") if v],
                                   a.workers or 1, a.ab_cases)))
        return
    from pipeline.run.executors import available_cpus

    workers = a.workers or available_cpus()
    root = a.keep or Path(tempfile.mkdtemp(prefix="hotich-bench-export-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        print(f"baseline: {a.baseline} records", flush=True)
        base = measure(root, a.baseline, a.per_book,
                       a.baseline if a.pdf_cases is None else a.pdf_cases, workers)
        ab = compare(root, a.baseline, a.ab_cases) if a.ab_cases else None
        print(f"full: {a.records} records", flush=True)
        full = measure(root, a.records, a.per_book,
                       a.records if a.pdf_cases is None else a.pdf_cases, workers)
        ratio = a.records / a.baseline
        print(f"\nrecords ratio {ratio:.1f}x (full / baseline)")
        print(f"{'phase':<8}{'seconds':>10}{'time ratio':>12}{'peak MB':>10}{'RSS ratio':>11}{'per 1k rec':>12}")
        for phase in PHASES + (("pdf",) if a.pdf_cases != 0 else ()):
            b, f = base[phase], full[phase]
            n = f.get("cases", a.records) if phase == "pdf" else a.records
            print(f"{phase:<8}{f['seconds']:>10.1f}{f['seconds'] / b['seconds']:>12.2f}"
                  f"{f['peak_rss_mb']:>10.0f}{f['peak_rss_mb'] / b['peak_rss_mb']:>11.2f}"
                  f"{1000 * f['seconds'] / n:>11.2f}s")
        if a.pdf_cases != 0:
            b, f = base["pdf"], full["pdf"]
            print(f"pdf: {f['cases'] / f['seconds']:.0f} PDFs/s with {workers} worker(s) "
                  f"({b['cases'] / b['seconds']:.0f} on the baseline), {f['bytes_per_case'] / 1000:.0f} KB a "
                  f"case, peak RSS {f['peak_rss_mb']:.0f} MB{_workers_rss(f)} "
                  f"(baseline {b['peak_rss_mb']:.0f} MB{_workers_rss(b)})")
        print(json.dumps({"baseline": base, "full": full, "pdf_ab": ab}))
    finally:
        if a.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
