"""Volume profile bench (issue 19): books whose header the reader maps wrongly, fixed once.

    PYTHONPATH=. .venv/bin/python -m bench.profile [--pages 3] [--seeds 11,2025] [--workers 2]

For each case (a register type and one column printed with a wording the header vocabulary
does not know) and seed, a ledger book is generated (samples.generator, `headers=`), then:
1. `hotich run` without a profile -> field accuracy (`hotich eval` against the truth);
2. the profile that run wrote (OUT/volumes/<ID>/profile.yaml) is corrected as an archivist
   would from page 1 alone: each profile column whose x-range holds page 1's printed header
   cell of another field gets that field (the truth of page 1 only; pages 2..n are not
   looked at);
3. `hotich run --profile` -> field accuracy again, on every page.
Speed: each page is read in process by process_page with and without the profile, the two
in alternating order page by page (paired in one run: the machine's other load hits both).
On the fixed books that comparison is not like for like (the column the reader left unmapped
is read only with the profile), so each register type is also printed with its usual
wordings ("mapped right"): the profile the first run wrote is applied unchanged, the two runs
read the same columns, and the only difference is the header reading the profile skips.
Seed 11 is the one tests/test_profile_run.py uses; the others are held out (nothing in the
profile code is tuned on any of them).
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from configs.loader import load_config
from ocr.tesseract import make_engine
from pipeline.evaluate import run_eval
from pipeline.extract.page import process_page
from pipeline.ingest.inputs import load_scan, plan_volumes
from pipeline.run.runner import RunOptions, run_batch
from samples.generator import generate
from schemas.outdir import volume_profile_path
from schemas.profile import load_profile, write_profile

# (register type, field, unusual wording): each leaves its column unmapped by the header
# vocabulary (checked when the bench was written; the bench reports what happens now)
CASES = (("birth", "father_name", "Thân phụ"),
         ("death", "date_of_death", "Từ trần ngày"),
         ("marriage", "wife_residence", "Chỗ ở"))
DEV_SEEDS = (11,)


def _accuracy(out: Path, truth: Path, field: str) -> tuple[float, float]:
    """(all fields' accuracy, the unusual column's field accuracy)."""
    _, path = run_eval(out, truth, out / "eval.json")
    d = json.loads(path.read_text(encoding="utf-8"))
    (group,) = [g for k, g in d["groups"].items() if k.endswith("/ledger")]
    return d["overall"]["accuracy"], group["fields"][field]["accuracy"]


def fix_from_page_one(profile, page_truth):
    """The profile with each column's field set from page 1's printed headers (truth of page 1
    only): the header cell whose centre lies in the column's x-range."""
    cells = page_truth.columns
    x0 = min(c.bbox[0] for c in cells)
    x1 = max(c.bbox[2] for c in cells)
    cols, changed = [], 0
    for pc in profile.columns:
        here = [c for c in cells if pc.x0 <= ((c.bbox[0] + c.bbox[2]) / 2 - x0) / (x1 - x0) < pc.x1]
        field = here[0].field if len(here) == 1 else pc.field
        changed += field != pc.field
        cols.append(replace(pc, field=field))
    return replace(profile, columns=tuple(cols)), changed


def _timing(pdf: Path, profile, cfg, engine) -> tuple[list[float], list[float], int]:
    """Seconds per page without and with the profile (paired, alternating order), and the
    number of pages the profile failed on."""
    (vol,) = plan_volumes([pdf])
    auto, prof, failed = [], [], 0
    for i, task in enumerate(vol.tasks):
        image = load_scan(task, cfg.render_dpi).pixels
        order = ("auto", "prof") if i % 2 == 0 else ("prof", "auto")
        for which in order:
            t = replace(task, profile=profile) if which == "prof" else task
            t0 = time.perf_counter()
            r = process_page(t, image, cfg, engine)
            (prof if which == "prof" else auto).append(time.perf_counter() - t0)
            failed += which == "prof" and bool(r.errors)
    return auto, prof, failed


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=3)
    ap.add_argument("--seeds", default="11,2025")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temp one)")
    a = ap.parse_args(argv)
    seeds = [int(s) for s in a.seeds.split(",")]
    work = a.keep or Path(tempfile.mkdtemp(prefix="bench-profile-"))
    cfg, engine = load_config(), make_engine()
    rows, all_auto, all_prof = [], [], []
    same_auto, same_prof = [], []
    for rtype, field, wording in CASES + tuple((t, f, None) for t, f, _ in CASES):
        for seed in seeds:
            base = work / f"{rtype}-{seed}-{'fixed' if wording else 'usual'}"
            (truth,) = generate(base / "in", pages=a.pages, seed=seed, types=(rtype,),
                                layouts=("ledger",), headers={field: wording} if wording else None)
            pdf, vid = base / "in" / truth.source_file, truth.volume_id
            opts = RunOptions(out=base / "auto", workers=a.workers, progress=False, log=lambda _: None)
            run_batch([pdf], opts)
            acc0, f0 = _accuracy(base / "auto", base / "in" / "truth", field)
            written = load_profile(volume_profile_path(base / "auto", vid))
            fixed, changed = fix_from_page_one(written, truth.pages[0]) if wording else (written, 0)
            pfile = base / "fixed-profile.yaml"
            write_profile(pfile, fixed)
            run_batch([pdf], replace(opts, out=base / "prof", profile=pfile))
            acc1, f1 = _accuracy(base / "prof", base / "in" / "truth", field)
            auto, prof, failed = _timing(pdf, load_profile(pfile), cfg, engine)
            (all_auto if wording else same_auto).extend(auto)
            (all_prof if wording else same_prof).extend(prof)
            rows.append((rtype, field, wording, seed, "dev" if seed in DEV_SEEDS else "held-out",
                         changed, acc0, f0, acc1, f1, failed, statistics.median(auto),
                         statistics.median(prof)))
    print(f"work folder: {work}; {a.pages} pages per book; machine shared (2 cores, other jobs)")
    print("| case | seed | set | columns fixed | accuracy without | field without | accuracy with "
          "profile | field with | pages failed | s/page without | s/page with | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        case = f"{r[0]} {r[1]} \"{r[2]}\"" if r[2] else f"{r[0]}, mapped right"
        print(f"| {case} | {r[3]} | {r[4]} | {r[5]} | {r[6]:.2%} | {r[7]:.2%} | "
              f"{r[8]:.2%} | {r[9]:.2%} | {r[10]} | {r[11]:.2f} | {r[12]:.2f} | {r[12] / r[11]:.3f} |")
    for what, auto, prof in (("fixed books", all_auto, all_prof),
                             ("books mapped right (like for like)", same_auto, same_prof)):
        ma, mp = statistics.median(auto), statistics.median(prof)
        ratios = sorted(p / a for a, p in zip(auto, prof))
        print(f"{what}: median s/page without {ma:.3f}, with profile {mp:.3f}, ratio {mp / ma:.3f} "
              f"(sum {sum(prof):.1f} s / {sum(auto):.1f} s = {sum(prof) / sum(auto):.3f}; "
              f"per-page ratio median {statistics.median(ratios):.3f}, "
              f"range {ratios[0]:.3f}-{ratios[-1]:.3f}), n={len(auto)} pages")


if __name__ == "__main__":
    main()
