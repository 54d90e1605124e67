"""Batch-layer benchmark: worker scaling, dask vs local, rerun cost, memory over a long volume.

    PYTHONPATH=. .venv/bin/python -m bench.batch                      # everything, defaults
    PYTHONPATH=. .venv/bin/python -m bench.batch --only long --long-pages 500 --long-reader light

Every figure is measured in the same run against a baseline from that run:
  1. `hotich run --type birth` (real page reader) on a generated ledger volume with 1 worker,
     then 2:
     throughput ratio (target >= 1.8 on 2 cores).
  2. the same with `--executor dask --workers 2` (LocalCluster) against `--workers 2`
     (target: within 10%), with the cluster's start-up time reported apart.
  3. a rerun with no change, as % of the first 2-worker run (target < 5%); pages that failed
     are retried by design, so their share is reported too; the long volume's rerun gives
     the cache's own cost over 500 pages.
  4. a long volume (a PDF of N pages) run with 2 workers while the whole process tree's RSS
     is sampled: RSS at 10%, 50% and 100% of the pages, and the peak. `--long-reader light`
     loads and re-encodes every page like the real reader (poppler render at the config's
     dpi, PNG of the page, 15 records) but skips Tesseract, so 500 pages fit in minutes;
     `--long-reader real` uses process_page.
Each run is a separate process, as an operator runs it. Results print as JSON and go to
bench/results/batch-<time>.json.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


# -- the light reader (runs in workers, so it must be importable) ---------------------------
@dataclass(frozen=True)
class LightPage:
    """Real page handling without OCR: gray conversion, PNG encoding, 15 records."""

    def __call__(self, task, image, cfg, engine):
        import cv2

        from schemas.pages import PageResult

        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        ok, png = cv2.imencode(".png", gray, [cv2.IMWRITE_PNG_COMPRESSION, 3])
        rows = tuple({"record_id": f"{task.volume_id}:{task.page:04d}:{r:02d}", "page": task.page,
                      "row": r, "bbox": [0, r * 100, gray.shape[1], r * 100 + 99],
                      "layout": "ledger", "full_name": f"Nguyễn Văn {task.page}-{r}",
                      "full_name_raw": f"NGUYỄN VĂN {task.page}-{r}", "full_name_conf": 0.9,
                      "flags": [], "needs_review": False} for r in range(1, 16))
        return PageResult(task=task, image_sha256="", register_type="birth", layout="ledger",
                          records=rows, cleaned_png=png.tobytes(), lines=(),
                          timings={"light": 0.0})


# -- helpers --------------------------------------------------------------------------------
def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _hotich(args: list[str]) -> tuple[float, int, dict]:
    """Run `hotich ...` in a fresh process; (wall seconds, exit code, last manifest)."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, env=_env(),
                       capture_output=True, text=True)
    wall = time.perf_counter() - t0
    out = Path(args[args.index("--out") + 1])
    runs = sorted((out / "runs").glob("*.json"))
    manifest = json.loads(runs[-1].read_text()) if runs else {}
    if p.returncode not in (0, 4):
        print(p.stderr, file=sys.stderr)
        raise SystemExit(f"hotich {' '.join(args)} failed with {p.returncode}")
    return wall, p.returncode, manifest


def _make_volume(dest: Path, pages: int, seed: int, dpi: int) -> Path:
    from samples.generator import generate

    (truth,) = generate(dest, pages=pages, seed=seed, types=("birth",), layouts=("ledger",),
                        degrade="moderate", dpi=dpi, duplicates=False)
    return dest / truth.source_file


def _long_pdf(dest: Path, pages: int, distinct: int, seed: int, dpi: int) -> Path:
    """A PDF of `pages` pages cycling through `distinct` generated ledger pages (JPEG
    embedded as is by img2pdf, so the file stays small and writing it is quick)."""
    import img2pdf

    from samples.generator import generate

    (truth,) = generate(dest / "src", pages=distinct, seed=seed, types=("birth",),
                        layouts=("ledger",), degrade="moderate", dpi=dpi, duplicates=False,
                        fmt="jpeg")
    jpgs = sorted((dest / "src" / truth.volume_id).glob("*.jpg"))
    data = img2pdf.convert([jpgs[i % len(jpgs)].read_bytes() for i in range(pages)],
                           layout_fun=img2pdf.get_fixed_dpi_layout_fun((dpi, dpi)))
    path = dest / f"LONG-{pages}.pdf"
    path.write_bytes(data)
    return path


def _tree_rss(proc: psutil.Process) -> tuple[int, int, int]:
    """(RSS of the main process, summed RSS of its descendants, largest descendant)."""
    try:
        main = proc.memory_info().rss
        kids = []
        for c in proc.children(recursive=True):
            try:
                kids.append(c.memory_info().rss)
            except psutil.Error:
                pass
        return main, sum(kids), max(kids, default=0)
    except psutil.Error:
        return 0, 0, 0


def _slots(out: Path) -> int:
    base = out / "cache" / "volumes"
    return sum(1 for _ in base.glob("*/[0-9]*.json")) if base.is_dir() else 0


def _child(args) -> int:
    """`--child`: one run_batch with the chosen reader (the long-volume run)."""
    from pipeline.run.runner import RunOptions, run_batch

    light = args.long_reader == "light"
    s = run_batch([Path(args.input)], RunOptions(
        out=Path(args.out), workers=args.workers, progress=False,
        page_fn=LightPage() if light else "pipeline.extract.page:process_page",
        engine_factory=None if light else "ocr.tesseract:make_engine"))
    print(s.describe(), file=sys.stderr)
    return int(s.exit_code)


def _long_run(pdf: Path, out: Path, pages: int, reader: str, workers: int) -> dict:
    cmd = [sys.executable, "-m", "bench.batch", "--child", "--input", str(pdf), "--out",
           str(out), "--long-reader", reader, "--workers", str(workers)]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stderr=subprocess.PIPE, text=True)
    proc = psutil.Process(p.pid)
    samples = []  # (seconds, pages done, main rss, workers rss, largest worker)
    while p.poll() is None:
        samples.append((time.perf_counter() - t0, _slots(out), *_tree_rss(proc)))
        time.sleep(0.25)
    err = p.stderr.read()
    wall = time.perf_counter() - t0
    if p.returncode not in (0, 4):
        raise SystemExit(f"long run failed ({p.returncode}): {err}")

    def at(frac: float) -> dict:
        target = max(1, int(round(frac * pages)))
        window = [s for s in samples if s[1] <= target] or samples[:1]
        s = max(window, key=lambda s: s[1])  # the last sample before the mark
        peak_main = max(x[2] for x in window)
        peak_tree = max(x[2] + x[3] for x in window)
        return {"pages_done": s[1], "main_mib": round(s[2] / 2**20, 1),
                "workers_mib": round(s[3] / 2**20, 1), "largest_worker_mib": round(s[4] / 2**20, 1),
                "peak_main_mib_so_far": round(peak_main / 2**20, 1),
                "peak_tree_mib_so_far": round(peak_tree / 2**20, 1)}

    # the same run again: every page cached, so this is the cost of the cache itself
    t1 = time.perf_counter()
    again = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True)
    rerun = time.perf_counter() - t1
    return {"pages": pages, "reader": reader, "workers": workers, "wall_s": round(wall, 1),
            "rerun_wall_s": round(rerun, 2), "rerun_pct_of_first": round(100 * rerun / wall, 2),
            "rerun_summary": again.stderr.strip().splitlines()[-1:],
            "pages_per_s": round(pages / wall, 3), "at_10": at(0.10), "at_50": at(0.50),
            "at_100": at(1.0), "samples": len(samples), "summary": err.strip().splitlines()[-1:]}


CONFIGS = (("local1", ["--workers", "1"]), ("local2", ["--workers", "2"]),
           ("dask2", ["--workers", "2", "--executor", "dask"]))


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _steady_rate(manifest: dict) -> float | None:
    """Pages per second between the first and the last page finished (start-up excluded:
    process and pool or cluster start, first engine)."""
    at = sorted(p["at_s"] for p in manifest.get("pages", []) if "at_s" in p)
    if len(at) < 3 or at[-1] <= at[0]:
        return None
    return round((len(at) - 1) / (at[-1] - at[0]), 4)


def _scaling(vol: Path, args) -> dict:
    """Each configuration `--repeat` times, interleaved (the machine is shared: a burst of
    someone else's load hits one repeat, not one configuration); best and median walls."""
    runs: dict[str, list[dict]] = {name: [] for name, _ in CONFIGS}
    for rep in range(args.repeat):
        for name, extra in CONFIGS:
            out = args.work / f"out-{name}-{rep}"
            load = os.getloadavg()[0]
            cpu0 = _cpu_children()
            wall, rc, m = _hotich(["run", str(vol), "--out", str(out), "--quiet", "--type",
                                   "birth", *extra])
            r = {"wall_s": round(wall, 2), "cpu_s": round(_cpu_children() - cpu0, 2),
                 "exit": rc, "loadavg_before": round(load, 2),
                 "executor_start_s": (m.get("executor") or {}).get("start_seconds"),
                 "processed": m["totals"]["processed"], "failed": m["totals"]["failed"],
                 "page_seconds_sum": round(sum(p["seconds"] for p in m["pages"]), 2),
                 "steady_pages_per_s": _steady_rate(m)}
            runs[name].append(r)
            print(f"{name}#{rep}: {r}", flush=True)
    cpu0 = _cpu_children()
    wall, rc, m = _hotich(["run", str(vol), "--out", str(args.work / "out-local2-0"), "--quiet",
                           "--type", "birth", "--workers", "2"])
    rerun = {"wall_s": round(wall, 2), "cpu_s": round(_cpu_children() - cpu0, 2), "exit": rc,
             "processed": m["totals"]["processed"], "cached": m["totals"]["cached"],
             "retried_failed": m["totals"]["failed"],
             "retry_seconds": round(sum(p["seconds"] for p in m["pages"]), 2)}
    print(f"rerun: {rerun}", flush=True)
    best = {k: min(r["wall_s"] for r in v) for k, v in runs.items()}
    med = {k: statistics.median(r["wall_s"] for r in v) for k, v in runs.items()}
    dask_start = min(r["executor_start_s"] or 0 for r in runs["dask2"])
    steady = {k: max(r["steady_pages_per_s"] or 0 for r in v) for k, v in runs.items()}
    return {
        "volume": str(vol), "pages": args.pages, "dpi": args.dpi, "repeat": args.repeat,
        "runs": runs, "rerun": rerun, "best_wall_s": best, "median_wall_s": med,
        "speedup_2_vs_1_best": round(best["local1"] / best["local2"], 3),
        "speedup_2_vs_1_median": round(med["local1"] / med["local2"], 3),
        "dask_vs_local2_time_best": round(best["dask2"] / best["local2"], 3),
        "dask_vs_local2_time_median": round(med["dask2"] / med["local2"], 3),
        "dask_cluster_start_s": dask_start,
        "best_steady_pages_per_s": steady,
        "steady_speedup_2_vs_1": round(steady["local2"] / steady["local1"], 3) if steady["local1"] else None,
        "steady_dask_vs_local2_rate": round(steady["dask2"] / steady["local2"], 3) if steady["local2"] else None,
        "rerun_pct_of_first_best": round(100 * rerun["wall_s"] / best["local2"], 2),
    }


# -- main -----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=12, help="pages of the scaling volume")
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--long-pages", type=int, default=500)
    ap.add_argument("--long-reader", choices=("light", "real"), default="light")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="scaling runs per configuration")
    ap.add_argument("--only", choices=("scaling", "long"), default=None)
    ap.add_argument("--work", type=Path, default=Path("/tmp/hotich-bench-batch"))
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--input", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return _child(args)

    import shutil
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    res: dict = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "cpus": os.cpu_count(), "loadavg_start": os.getloadavg(), "args": {
                     k: str(v) for k, v in vars(args).items() if k not in ("child", "input", "out")}}
    if args.only in (None, "scaling"):
        vol = _make_volume(args.work / "gen", args.pages, args.seed, args.dpi)
        res["scaling"] = _scaling(vol, args)
    if args.only in (None, "long"):
        pdf = _long_pdf(args.work / "long", args.long_pages, 10, args.seed + 1, args.dpi)
        res["long"] = _long_run(pdf, args.work / "out-long", args.long_pages, args.long_reader,
                                args.workers)
        res["long"]["pdf_mib"] = round(pdf.stat().st_size / 2**20, 1)
    res["loadavg_end"] = os.getloadavg()
    dest = ROOT / "bench" / "results"
    dest.mkdir(exist_ok=True)
    path = dest / f"batch-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(res, indent=2, ensure_ascii=False))
    print(json.dumps({k: v for k, v in res.items()}, indent=2, ensure_ascii=False))
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
