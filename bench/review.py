"""Benchmark: the review pages' response times with 500k records under OUT.

    PYTHONPATH=. .venv/bin/python -m bench.review [--records 500000] [--per-volume 500]

Generates the records at the record level (no rendering: one page image is rendered once and
hard-linked where needed), starts the app, then times requests through Flask's test client and
through a real waitress server over HTTP on 127.0.0.1. The baseline, measured in the same run,
is what a page would cost without the index: reading the register type's Parquet dataset with
pyarrow and filtering one volume's flagged records. Prints median / p95 per page and the ratio
to the baseline; the target is < 300 ms for the queue and a record page.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from pipeline.review.app import create_app
from pipeline.review.settings import ReviewSettings
from samples.people import person_name, ward_address
from schemas.arrow import SCHEMAS
from schemas.fields import all_fields
from schemas.outdir import page_image_path
from schemas.parquet_io import volume_path, write_parquet_atomic

RT = "birth"
ROWS_PER_PAGE = 10


def _pools(rng: random.Random):
    names = [person_name(rng, rng.choice(["Nam", "Nữ"]), None, 1970) for _ in range(3000)]
    places = [ward_address(rng) for _ in range(300)]
    dates = [f"{y}-{m:02d}-{d:02d}" for y in range(1956, 2021) for m in (1, 4, 7, 10) for d in (3, 17, 28)]
    return names, places, dates


def volume_table(vol: str, n: int, pools, nrng: np.random.Generator, sha: str) -> pa.Table:
    """One volume's records, built column-wise (fast), ~12% flagged low_confidence:full_name."""
    names, places, dates = pools
    pages = np.arange(n) // ROWS_PER_PAGE + 1
    rows = np.arange(n) % ROWS_PER_PAGE + 1
    cols: dict[str, object] = {
        "record_id": [f"{vol}:{p:04d}:{r:02d}" for p, r in zip(pages, rows)],
        "source_file": [f"scans/{vol}.pdf"] * n,
        "page": pa.array(pages, pa.int32()), "row": pa.array(rows, pa.int32()),
        "bbox": [[30, 170 + 70 * (r - 1), 2200, 240 + 70 * (r - 1)] for r in rows],
        "layout": ["ledger"] * n,
    }
    pick = lambda pool: [pool[i] for i in nrng.integers(0, len(pool), n)]  # noqa: E731
    values = {"entry_no": [str(i + 1) for i in range(n)], "registration_date": pick(dates),
              "full_name": pick(names), "sex": pick(["Nam", "Nữ"]), "date_of_birth": pick(dates),
              "place_of_birth": pick(places), "ethnicity": ["Kinh"] * n, "nationality": ["Việt Nam"] * n,
              "hometown": pick(places), "father_name": pick(names), "mother_name": pick(names),
              "declarant_name": pick(names), "notes": [None] * n}
    flagged = nrng.random(n) < 0.12
    schema = SCHEMAS[RT]
    for f in all_fields(RT):
        cols[f] = values[f]
        cols[f + "_raw"] = values[f]
        conf = nrng.uniform(0.85, 1.0, n).astype(np.float32)
        if f == "full_name":
            conf[flagged] = nrng.uniform(0.2, 0.79, int(flagged.sum())).astype(np.float32)
        cols[f + "_conf"] = pa.array(conf, pa.float32())
        if f + "_code" in schema.names:
            cols[f + "_code"] = [None] * n
    cols["flags"] = [["low_confidence:full_name"] if x else [] for x in flagged]
    cols["needs_review"] = pa.array(flagged)
    cols["review_status"] = ["unreviewed"] * n
    cols["image_sha256"] = [sha] * n
    cols["config_hash"] = ["bench"] * n
    cols["pipeline_version"] = ["0.1.0"] * n
    return pa.table({name: cols[name] for name in schema.names}, schema=schema)


def generate(out: Path, records: int, per_volume: int, seed: int = 1) -> list[str]:
    """Write `records` birth records in volumes of `per_volume` under out/records."""
    from tests.review_fixture import render_page  # the one renderer; the bench only needs a page

    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    pools = _pools(rng)
    shared = out / "pages" / "_shared.png"
    render_page([{"full_name": pools[0][i], "entry_no": str(i + 1)} for i in range(ROWS_PER_PAGE)], 1, shared)
    sha = hashlib.sha256(shared.read_bytes()).hexdigest()
    vols = []
    for k in range(0, records, per_volume):
        vol = f"BENCH-{k // per_volume:05d}"
        write_parquet_atomic(volume_table(vol, min(per_volume, records - k), pools, nrng, sha),
                             volume_path(out, RT, vol))
        vols.append(vol)
    return vols


def link_pages(out: Path, vol: str, pages: int) -> None:
    for p in range(1, pages + 1):
        dst = page_image_path(out, vol, p)
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists():
            os.link(out / "pages" / "_shared.png", dst)


def _stats(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 2),
            "p95_ms": round(ms[max(0, int(len(ms) * 0.95) - 1)], 2), "max_ms": round(ms[-1], 2)}


def time_client(client, urls: list[str]) -> list[float]:
    out = []
    for u in urls:
        t = time.perf_counter()
        r = client.get(u)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (u, r.status_code)
    return out


def time_http(port: int, urls: list[str]) -> list[float]:
    out = []
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for u in urls:
        t = time.perf_counter()
        con.request("GET", u)
        r = con.getresponse()
        r.read()
        out.append((time.perf_counter() - t) * 1000)
        assert r.status == 200, (u, r.status)
    con.close()
    return out


def time_saves(client, record_ids: list[str]) -> list[float]:
    """POST a corrected full_name (audit + atomic rewrite of the volume file + re-index)."""
    out = []
    for rid in record_ids:
        url = f"/r/{RT}/{rid}"
        html = client.get(url).get_data(as_text=True)
        action = f"{url}/field/full_name"
        form = re.search(rf'action="{re.escape(action)}"(.*?)</form>', html, re.S).group(1)
        data = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
        t = time.perf_counter()
        r = client.post(action, data={**data, "value": "Nguyễn Thị Bench"})
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 302, (rid, r.status_code)
    return out


def baseline_queue(out: Path, vol: str) -> float:
    """The cost without an index: scan the dataset for one volume's flagged records, sorted."""
    t = time.perf_counter()
    d = ds.dataset(out / "records" / f"register_type={RT}", format="parquet", partitioning="hive")
    tab = d.to_table(columns=["record_id", "full_name", "full_name_conf", "needs_review"],
                     filter=(ds.field("volume_id") == vol) & (ds.field("needs_review") == True))  # noqa: E712
    pc.sort_indices(tab, [("full_name_conf", "ascending")])
    return (time.perf_counter() - t) * 1000


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=500_000)
    ap.add_argument("--per-volume", type=int, default=500)
    ap.add_argument("--out", type=Path, default=None, help="keep the generated OUT here")
    args = ap.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="hotich-bench-review-"))
    try:
        t0 = time.perf_counter()
        vols = generate(out, args.records, args.per_volume)
        gen_s = time.perf_counter() - t0
        rng = random.Random(2)
        timed = rng.sample(vols, 5)
        for v in timed:
            link_pages(out, v, args.per_volume // ROWS_PER_PAGE + 1)
        t0 = time.perf_counter()
        app = create_app(out, ReviewSettings(reviewer="bench"))
        index_s = time.perf_counter() - t0
        client = app.test_client()
        from pipeline.review.index import RecordIndex

        idx = RecordIndex(out)
        queue_urls = [f"/v/{RT}/{v}" for v in timed for _ in range(6)]
        rec_ids = [r["record_id"] for v in timed for r in idx.queue(RT, v, limit=6)]
        rec_ids += [f"{v}:{p:04d}:{r:02d}" for v in timed for p, r in ((3, 4), (17, 1), (40, 9))]
        record_urls = [f"/r/{RT}/{rid}" for rid in rec_ids]
        crop_urls = [f"/img/crop/{RT}/{rid}.png" for rid in rec_ids[:10]]
        name = idx.queue(RT, timed[0], limit=1)[0]["label"]
        search_urls = [f"/search?q={q}" for q in (name, "nguyen", "1965-04-17", "17/4/1965", "123")]

        # cold-ish record pages (the first of each volume reads its file) then warm
        time_client(client, ["/"])
        results = {
            "records": args.records, "volumes": len(vols), "generate_s": round(gen_s, 1),
            "index_build_s": round(index_s, 1),
            "volumes_page": _stats(time_client(client, ["/"] * 5)),
            "queue": _stats(time_client(client, queue_urls)),
            "record": _stats(time_client(client, record_urls)),
            "crop": _stats(time_client(client, crop_urls)),
            "search": _stats(time_client(client, search_urls)),
        }
        results["save"] = _stats(time_saves(client, rec_ids[:8]))
        t = time.perf_counter()
        idx.sync(force=True)
        results["sync_no_change_ms"] = round((time.perf_counter() - t) * 1000, 1)

        # the same pages over real HTTP (waitress, as `hotich review` serves them)
        from waitress import create_server

        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        # daemon thread: waitress has no clean cross-thread stop; it ends with the process
        threading.Thread(target=server.run, daemon=True).start()
        results["http_queue"] = _stats(time_http(server.effective_port, queue_urls))
        results["http_record"] = _stats(time_http(server.effective_port, record_urls))

        base = [baseline_queue(out, v) for v in timed[:3]]
        results["baseline_dataset_scan_queue"] = _stats(base)
        ratio = results["baseline_dataset_scan_queue"]["median_ms"] / results["queue"]["median_ms"]
        results["queue_speedup_vs_baseline"] = round(ratio, 1)
        ok = max(results["http_queue"]["p95_ms"], results["http_record"]["p95_ms"],
                 results["queue"]["p95_ms"], results["record"]["p95_ms"]) < 300
        results["under_300ms"] = ok
        print(json.dumps(results, indent=2))
        res_dir = Path(__file__).resolve().parent / "results"
        res_dir.mkdir(exist_ok=True)
        (res_dir / "review.json").write_text(json.dumps(results, indent=2))
        return results
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
