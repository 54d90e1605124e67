"""Dedup benchmark: `hotich dedup` against Splink on one synthetic register set.

    PYTHONPATH=. .venv/bin/python -m bench.dedup --records 500000
    PYTHONPATH=. .venv/bin/python -m bench.dedup --records 20000 --type death --no-splink

Generates a set with known duplicate clusters and the hard cases (samples/duplicates.py:
twins, namesakes, OCR-damaged names, UPPERCASE books, partial dates, missing mothers,
abbreviated places) as a real OUT/records tree, then runs each engine in its own fresh
process (so each peak memory is its own): ours = pipeline.dedup.run_dedup(OUT) from reading
the records to writing clusters/pairs; Splink = read_records, the same cleaned columns,
training, predict and clustering. Reports pairwise precision / recall / F1 against the truth,
wall time, peak resident memory (VmHWM of the child process, which includes
DuckDB's memory), and for ours the hard cases behind the remaining errors.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import queue
import resource
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd


def _peak_mib() -> float:
    """This process's own peak RSS: VmHWM (reset at exec), not ru_maxrss, which a spawned
    child inherits from the parent across the exec (the generator's peak would be reported
    for both engines)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _ours(out: str, threshold: float, q) -> None:
    """Child process: time and peak memory of one full run (clusters stay on disk)."""
    from pipeline.dedup.run import DedupSettings, run_dedup
    t = time.perf_counter()
    summary = run_dedup(Path(out), DedupSettings(threshold=threshold), full=True)
    wall = time.perf_counter() - t
    q.put({"wall_s": wall, "peak_mib": _peak_mib(), "summary": summary,
           "clusters": str(Path(out) / "dedup" / "clusters.parquet")})


def _splink(out: str, threshold: float, q) -> None:
    """Child process: Splink from reading the records to its clusters (written to a file
    after the peak is taken, so that the harness's own copy does not count)."""
    from bench.dedup_splink import run_splink
    t = time.perf_counter()
    clusters, info = run_splink(Path(out), threshold)
    wall = time.perf_counter() - t
    peak = _peak_mib()
    path = Path(out).parent / "splink_clusters.parquet"
    clusters.to_parquet(path)
    q.put({"wall_s": wall, "peak_mib": peak, "clusters": str(path), "info": info})


def _in_child(fn, *args) -> dict:
    """Run fn in a fresh interpreter (spawn), return what it put on the queue."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=fn, args=(*args, q))
    p.start()
    while True:  # a child that dies puts nothing: do not wait for it forever
        try:
            res = q.get(timeout=1.0)
            break
        except queue.Empty:
            if not p.is_alive():
                raise RuntimeError(f"{fn.__name__} failed with exit code {p.exitcode}") from None
    p.join()
    return res


def pairwise(clusters: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """Pairwise precision, recall and F1 of clusters against the true events."""
    d = truth[["record_id", "event_id"]].merge(clusters, on="record_id")
    c2 = lambda s: int((s.astype("int64") * (s - 1) // 2).sum())  # noqa: E731
    tp = c2(d.groupby(["cluster_id", "event_id"]).size())
    pred, true = c2(d.groupby("cluster_id").size()), c2(d.groupby("event_id").size())
    p = tp / pred if pred else 1.0
    r = tp / true if true else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "true_pairs": true, "predicted_pairs": pred, "correct_pairs": tp}


def _pairs_of(df: pd.DataFrame, key: str) -> pd.DataFrame:
    g = df[["record_id", key]].merge(df[["record_id", key]], on=key)
    return g[g.record_id_x < g.record_id_y][["record_id_x", "record_id_y"]]


def failures(clusters: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """The hard cases behind missed and wrong pairs (counts by tag; a pair counts each tag
    of either record once)."""
    d = truth.merge(clusters, on="record_id")
    true = _pairs_of(d, "event_id")
    pred = _pairs_of(d, "cluster_id")
    key = ["record_id_x", "record_id_y"]
    fn = true.merge(pred, on=key, how="left", indicator=True)
    fn = fn[fn._merge == "left_only"][key]
    fp = pred.merge(true, on=key, how="left", indicator=True)
    fp = fp[fp._merge == "left_only"][key]
    info = d.set_index("record_id")

    def tags(pairs):
        c = Counter()
        for a, b in pairs.itertuples(index=False):
            c.update({t.split(":")[0] for t in (info.tags[a] + "," + info.tags[b]).split(",")})
        return dict(c.most_common())

    kinds = Counter()
    for a, b in fp.itertuples(index=False):
        if info.family_id[a] == info.family_id[b]:
            twins = "twin" in info.tags[a].split(",") and "twin" in info.tags[b].split(",")
            kinds["twins merged" if twins else "siblings merged"] += 1
        elif info.namesake_group[a] is not None and info.namesake_group[a] == info.namesake_group[b]:
            kinds["namesakes merged"] += 1
        else:
            kinds["other"] += 1
    return {"missed_pairs": len(fn), "missed_by_tag": tags(fn), "wrong_pairs": len(fp),
            "wrong_by_kind": dict(kinds)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.dedup", description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=500_000, help="records in the set")
    ap.add_argument("--type", default="birth", choices=["birth", "death", "marriage"])
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--gen", default="1", choices=["1", "2", "2-heldout"],
                    help="1: samples.duplicates (what dedup was developed on); 2: "
                         "bench.dedup_gen2, an independent generator (birth only); 2-heldout: "
                         "gen2 with other rates (bench/README.md)")
    ap.add_argument("--threshold", type=float, default=0.9,
                    help="match probability threshold, the same for both engines")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/hotich-bench-dedup"))
    ap.add_argument("--reuse", action="store_true", help="reuse a set already generated")
    ap.add_argument("--no-splink", action="store_true", help="skip the Splink reference")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args(argv)

    if args.gen == "1":
        from samples.duplicates import DupSpec, write_set
        spec = DupSpec(args.type, records=args.records, seed=args.seed)
        tag = ""
    else:
        if args.type != "birth":
            ap.error("--gen 2 makes birth registers only")
        from bench.dedup_gen2 import HELDOUT, Gen2Spec, write_set
        spec = Gen2Spec(records=args.records, seed=args.seed,
                        **(HELDOUT if args.gen == "2-heldout" else {}))
        tag = f"gen{args.gen}-"
    work = args.workdir / f"{tag}{args.type}-{args.records}-{args.seed}"
    out, truth_path = work / "out", work / "truth.parquet"
    load = os.getloadavg()
    t = time.perf_counter()
    if not (args.reuse and truth_path.exists()):
        shutil.rmtree(work, ignore_errors=True)
        write_set(out, spec, truth_path)
    gen_s = time.perf_counter() - t
    truth = pd.read_parquet(truth_path)
    n_vol = len(list((out / "records" / f"register_type={args.type}").iterdir()))
    print(f"set (generator {args.gen}, seed {args.seed}): {len(truth)} {args.type} records "
          f"in {n_vol} volumes, "
          f"{truth.event_id.nunique()} events ({gen_s:.1f} s to generate); "
          f"load average before: {load[0]:.2f} on {os.cpu_count()} cores", flush=True)

    rows = {}
    ours = _in_child(_ours, str(out), args.threshold)
    ours["clusters"] = pd.read_parquet(ours["clusters"])
    rows["hotich dedup"] = {**pairwise(ours["clusters"], truth), "wall_s": ours["wall_s"],
                            "peak_mib": ours["peak_mib"]}
    s = ours["summary"]["by_type"][args.type]
    print(f"hotich: {s['candidate_pairs']} candidate pairs, {s['pairs_kept']} kept, "
          f"{s['clusters']} clusters", flush=True)
    fails = failures(ours["clusters"], truth)
    if not args.no_splink:
        if args.type != "birth":
            print("Splink reference is configured for birth registers only", file=sys.stderr)
        else:
            sp = _in_child(_splink, str(out), args.threshold)
            sp["clusters"] = pd.read_parquet(sp["clusters"])
            rows["splink (duckdb)"] = {**pairwise(sp["clusters"], truth), "wall_s": sp["wall_s"],
                                       "peak_mib": sp["peak_mib"], **sp["info"]}
            rows["splink (duckdb)"]["failures"] = failures(sp["clusters"], truth)
    print(f"\n{'engine':<16} {'precision':>9} {'recall':>7} {'F1':>7} {'wall s':>7} "
          f"{'peak MiB':>9}")
    for name, r in rows.items():
        print(f"{name:<16} {r['precision']:>9.4f} {r['recall']:>7.4f} {r['f1']:>7.4f} "
              f"{r['wall_s']:>7.1f} {r['peak_mib']:>9.0f}")
    if "splink (duckdb)" in rows:
        sp = rows["splink (duckdb)"]
        print(f"ratios hotich/splink: wall {rows['hotich dedup']['wall_s'] / sp['wall_s']:.2f}, "
              f"peak memory {rows['hotich dedup']['peak_mib'] / sp['peak_mib']:.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("hotich remaining errors:", json.dumps(fails, ensure_ascii=False))
    if "splink (duckdb)" in rows:
        print("splink remaining errors:", json.dumps(rows["splink (duckdb)"]["failures"],
                                                     ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps({"records": len(truth), "type": args.type,
                                         "generator": args.gen, "seed": args.seed,
                                         "load_before": load, "generate_s": gen_s,
                                         "engines": rows, "hotich_failures": fails},
                                        indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
