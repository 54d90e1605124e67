"""Book families, development against held out, side by side (issue 15's protocol).

    PYTHONPATH=. .venv/bin/python -m bench.families [--families 8] [--pages 20] [--workers 2]
                                                    [--sets dev,heldout] [--workdir DIR] [--reuse]

Each family (samples/family.py) is one book make drawn from a space wider than the reader's
assumptions: paper, orientation, faces, era wordings, grouped headers, non-field columns,
column-number styles, carbon copies, stains, stamps, blank leaves. Two fixed ranges of family
seeds:
- development, DEV_SEEDS (300...): look at their failures, tune on them;
- held out, HELDOUT_SEEDS (9001...): only ever reported. Never tune a rule on a family read
  here, and no test uses them (tests draw families from other seeds).
Each set is written by `hotich samples --families`, read by `hotich run` (the whole pipeline:
blank leaves, page failures and volume-level checks count), and scored per family with
pipeline/evaluate.py: field accuracy, silent errors (wrong and not flagged), flagged share,
entries found and spurious, pages failed. The table prints both sets and the gap.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from pipeline.evaluate import Report, evaluate, load_records, score_volume
from samples.truth import VolumeTruth

DEV_SEEDS = 300
HELDOUT_SEEDS = 9001
VENV = Path(sys.executable).parent


def _run(cmd: list[str]) -> int:
    return subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode


def read_set(name: str, first_seed: int, families: int, pages: int, workers: int, work: Path,
             reuse: bool) -> dict:
    """Write, read and score one set of families; returns per-family and total figures."""
    src = work / name
    out = work / f"{name}-out"
    if not (reuse and (src / "truth").is_dir()):
        _run([str(VENV / "hotich"), "samples", str(src), "--families", str(families), "--seed",
              str(first_seed), "--pages", str(pages)])
    t0 = time.perf_counter()
    rc = _run([str(VENV / "hotich"), "run", *sorted(str(p) for p in src.glob("*.pdf")), "--out", str(out),
               "--workers", str(workers), "--quiet"])
    wall = time.perf_counter() - t0
    manifest = json.loads(sorted((out / "runs").glob("*.json"))[-1].read_text())
    failed = {}
    for e in manifest["errors"]:
        vid = Path(e.get("source_file", "")).stem
        failed[vid] = failed.get(vid, 0) + 1
    records = load_records(out)  # once: every family is scored from the same read
    rows = []
    for path in sorted((src / "truth").glob("fam*.json")):
        vt = VolumeTruth.load(path)
        rep = Report()
        score_volume(rep, vt, records.get(vt.volume_id, []))
        o, en = rep.total().as_dict(), rep.entries[vt.volume_id]
        rows.append({"family": vt.volume_id, "type": vt.register_type, "layout": vt.layout,
                     "font": vt.font, "degrade": vt.degrade, "pages": len(vt.pages),
                     "pages_failed": failed.get(vt.volume_id, 0), "n": o["n"],
                     "accuracy": o["accuracy"], "silent": o["silent_error_rate"],
                     "flagged": o["flagged_rate"], "entries": en.truth, "found": en.found,
                     "spurious": en.spurious})
    total = evaluate(out, src / "truth").as_dict()
    n_pages = sum(r["pages"] for r in rows)
    return {"rows": rows, "overall": total["overall"], "entries": total["entries"]["total"],
            "pages": n_pages, "pages_failed": sum(failed.values()), "exit_code": rc,
            "seconds_per_page_per_worker": round(wall * workers / max(n_pages, 1), 2)}


def _table(name: str, res: dict) -> str:
    lines = [f"## {name}: {len(res['rows'])} families, {res['pages']} pages",
             "| family | type/layout | font | degrade | pages failed | fields | accuracy | silent | flagged | entries found / spurious |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in res["rows"]:
        lines.append(f"| {r['family']} | {r['type']}/{r['layout']} | {r['font']} | {r['degrade']} | "
                     f"{r['pages_failed']}/{r['pages']} | {r['n']} | {r['accuracy']:.2%} | {r['silent']:.2%} | "
                     f"{r['flagged']:.2%} | {r['found']}/{r['entries']} / {r['spurious']} |")
    o, e = res["overall"], res["entries"]
    lines.append(f"| **all** | | | | {res['pages_failed']}/{res['pages']} | {o['n']} | {o['accuracy']:.2%} | "
                 f"{o['silent_error_rate']:.2%} | {o['flagged_rate']:.2%} | {e['found']}/{e['truth']} / {e['spurious']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.families", description=__doc__.split("\n")[0])
    ap.add_argument("--families", type=int, default=8, help="families per set (default 8)")
    ap.add_argument("--pages", type=int, default=20, help="pages per family (default 20)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sets", default="dev,heldout", help="dev, heldout or both (default)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/hotich-bench-families"))
    ap.add_argument("--reuse", action="store_true", help="reuse the generated sets in --workdir")
    ap.add_argument("--json", type=Path, default=Path("bench/results/families.json"))
    a = ap.parse_args(argv)
    results = {}
    for name in a.sets.split(","):
        seed = {"dev": DEV_SEEDS, "heldout": HELDOUT_SEEDS}[name]
        results[name] = read_set(name, seed, a.families, a.pages, a.workers, a.workdir, a.reuse)
        print(_table(name, results[name]), flush=True)
    if {"dev", "heldout"} <= set(results):
        d, h = results["dev"]["overall"], results["heldout"]["overall"]
        print(f"\ngap (dev - held out): accuracy {d['accuracy'] - h['accuracy']:+.2%}, "
              f"silent {d['silent_error_rate'] - h['silent_error_rate']:+.2%}, "
              f"flagged {d['flagged_rate'] - h['flagged_rate']:+.2%}")
    a.json.parent.mkdir(parents=True, exist_ok=True)
    a.json.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"results written to {a.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
