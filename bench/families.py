"""Book families, development against held out, side by side (issue 15's protocol).

    PYTHONPATH=. .venv/bin/python -m bench.families [--families 8] [--pages 20] [--workers 2]
                                                    [--sets dev,heldout] [--workdir DIR] [--reuse]
                                                    [--modes tesseract,combination,auto]

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

`--modes` reads the same generated pages once per recogniser mode (issue 22), one mode after
another in the same run: `tesseract` (the default config), `combination` (the second
recogniser re-reads doubtful cells, `recognition.second_reader: doubtful`), `second` (the
second recogniser reads every cell, Tesseract re-reading doubtful ones: `primary: aster`),
`auto` (the primary chosen per volume on its first pages, `primary: auto`, with the
combination). Each mode prints its tables, and a last table compares them per face.
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

# recognition settings per --modes name (a --config file written for the run)
MODES = {"tesseract": "", "combination": "recognition:\n  second_reader: doubtful\n",
         "second": "recognition:\n  primary: aster\n  second_reader: doubtful\n",
         "auto": "recognition:\n  primary: auto\n  second_reader: doubtful\n"}
DEV_SEEDS = 300
HELDOUT_SEEDS = 9001
VENV = Path(sys.executable).parent


def _children_cpu() -> float:
    """CPU seconds (user + sys) of finished child processes: the fair measure on a shared machine."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _run(cmd: list[str]) -> int:
    return subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode


def read_set(name: str, first_seed: int, families: int, pages: int, workers: int, work: Path,
             reuse: bool, mode: str = "tesseract") -> dict:
    """Write, read and score one set of families; returns per-family and total figures."""
    src = work / name
    out = work / (f"{name}-out" if mode == "tesseract" else f"{name}-{mode}-out")
    if not (reuse and (src / "truth").is_dir()):
        _run([str(VENV / "hotich"), "samples", str(src), "--families", str(families), "--seed",
              str(first_seed), "--pages", str(pages)])
    config = []
    if MODES[mode]:
        cfg_file = work / f"{mode}.yaml"
        cfg_file.write_text(MODES[mode], encoding="utf-8")
        config = ["--config", str(cfg_file)]
    t0 = time.perf_counter()
    c0 = _children_cpu()
    rc = _run([str(VENV / "hotich"), "run", *sorted(str(p) for p in src.glob("*.pdf")), "--out", str(out),
               "--workers", str(workers), "--quiet", "--force", *config])
    wall = time.perf_counter() - t0
    cpu = _children_cpu() - c0
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
            "pages": n_pages, "pages_failed": sum(failed.values()), "exit_code": rc, "mode": mode,
            "primaries": {v: d["primary"]["primary"] for v, d in manifest.get("volumes", {}).items()
                          if isinstance(d, dict) and d.get("primary")},
            "seconds_per_page_per_worker": round(wall * workers / max(n_pages, 1), 2),
            "cpu_seconds_per_page": round(cpu / max(n_pages, 1), 3)}


def _by_face(res: dict) -> dict[str, dict]:
    """Per face: fields, right, silent (from the per-family rows)."""
    out: dict[str, dict] = {}
    for r in res["rows"]:
        f = out.setdefault(r["font"], {"n": 0, "right": 0.0, "silent": 0.0, "flagged": 0.0})
        f["n"] += r["n"]
        f["right"] += r["accuracy"] * r["n"]
        f["silent"] += r["silent"] * r["n"]
        f["flagged"] += r["flagged"] * r["n"]
    return out


def _modes_table(name: str, by_mode: dict[str, dict]) -> str:
    """The modes side by side: overall, then per face (accuracy / silent)."""
    base = by_mode.get("tesseract")
    lines = [f"## {name}: recogniser modes on the same pages",
             "| mode | CPU s/page | x tesseract | accuracy | silent | flagged | primaries chosen |",
             "|---|---|---|---|---|---|---|"]
    for mode, res in by_mode.items():
        o = res["overall"]
        ratio = f"{res['cpu_seconds_per_page'] / base['cpu_seconds_per_page']:.2f}" if base else ""
        chosen = ", ".join(f"{v}: {p}" for v, p in sorted(res["primaries"].items()) if p != "tesseract") or "-"
        lines.append(f"| {mode} | {res['cpu_seconds_per_page']:.2f} | {ratio} | {o['accuracy']:.2%} | "
                     f"{o['silent_error_rate']:.2%} | {o['flagged_rate']:.2%} | {chosen} |")
    per_face = {m: _by_face(res) for m, res in by_mode.items()}
    faces = sorted({f for faces in per_face.values() for f in faces})
    lines += ["", "| face | fields | " + " | ".join(f"{m} acc / silent" for m in by_mode) + " |",
              "|---|---|" + "---|" * len(by_mode)]
    for face in faces:
        cells, n = [], 0
        for faces_of in per_face.values():
            f = faces_of.get(face)
            n = f["n"] if f else n
            cells.append(f"{f['right'] / f['n']:.2%} / {f['silent'] / f['n']:.2%}" if f and f["n"] else "-")
        lines.append(f"| {face} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


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
    ap.add_argument("--modes", default="tesseract",
                    help=f"recogniser modes to read the same pages with, in order ({', '.join(MODES)}; "
                         "default tesseract)")
    a = ap.parse_args(argv)
    modes = a.modes.split(",")
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        ap.error(f"--modes: unknown {', '.join(unknown)} (known: {', '.join(MODES)})")
    results, by_set = {}, {}
    for name in a.sets.split(","):
        seed = {"dev": DEV_SEEDS, "heldout": HELDOUT_SEEDS}[name]
        for i, mode in enumerate(modes):
            res = read_set(name, seed, a.families, a.pages, a.workers, a.workdir, a.reuse or i > 0, mode)
            by_set.setdefault(name, {})[mode] = res
            print(_table(f"{name} ({mode})" if len(modes) > 1 else name, res), flush=True)
        results[name] = by_set[name][modes[0]]
        if len(modes) > 1:
            print(_modes_table(name, by_set[name]), flush=True)
    if {"dev", "heldout"} <= set(results):
        d, h = results["dev"]["overall"], results["heldout"]["overall"]
        print(f"\ngap (dev - held out): accuracy {d['accuracy'] - h['accuracy']:+.2%}, "
              f"silent {d['silent_error_rate'] - h['silent_error_rate']:+.2%}, "
              f"flagged {d['flagged_rate'] - h['flagged_rate']:+.2%}")
    a.json.parent.mkdir(parents=True, exist_ok=True)
    payload = results if len(modes) == 1 else {"sets": results, "modes": by_set}
    a.json.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"results written to {a.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
