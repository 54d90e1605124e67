"""Sample generator speed: seconds per rendered page by resolution and degradation.

    PYTHONPATH=. .venv/bin/python -m bench.samples [--pages 3]

For each dpi (200, 300, 400) and layout, renders `--pages` pages with degrade none and
moderate, and prints wall and CPU seconds per page, with two ratios measured in the same run:
moderate/none (the cost of the scan simulation) and page/baseline, where the baseline is
encoding a blank page of the same size as JPEG (the floor any page writer pays). The machine
is shared: the load average at start and end is printed with the results.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import time

from PIL import Image

from samples.generator import render_volume
from samples.render import page_size


def _timed(fn) -> tuple[float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def _baseline(layout: str, dpi: int, pages: int) -> float:
    size = page_size(layout, dpi)

    def run():
        for _ in range(pages):
            Image.new("RGB", size, (240, 235, 220)).save(io.BytesIO(), "JPEG", quality=75)

    return _timed(run)[0] / pages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=3, help="pages per measurement")
    args = ap.parse_args()
    render_volume("birth", "ledger", 1, seed=0, dpi=200)  # warm font caches
    results = {"load_start": os.getloadavg()[0], "rows": []}
    for dpi in (200, 300, 400):
        for rtype, layout in (("birth", "ledger"), ("death", "form")):
            row = {"dpi": dpi, "layout": layout, "baseline_s": round(_baseline(layout, dpi, args.pages), 3)}
            for level in ("none", "moderate"):
                wall, cpu = _timed(lambda: render_volume(rtype, layout, args.pages, seed=1,
                                                         degrade=level, dpi=dpi))
                row[f"{level}_wall_s"] = round(wall / args.pages, 3)
                row[f"{level}_cpu_s"] = round(cpu / args.pages, 3)
            row["moderate_over_none"] = round(row["moderate_wall_s"] / row["none_wall_s"], 2)
            row["moderate_over_baseline"] = round(row["moderate_wall_s"] / row["baseline_s"], 1)
            results["rows"].append(row)
            print(json.dumps(row), flush=True)
    results["load_end"] = os.getloadavg()[0]
    print(json.dumps({"load_start": results["load_start"], "load_end": results["load_end"]}))


if __name__ == "__main__":
    main()
