"""Fit, ship and measure the field error model (pipeline/extract/perr.py; issue 16).

    PYTHONPATH=. .venv/bin/python -m bench.calibrate collect --seeds 100 101 --out DIR [--faces heldout]
    PYTHONPATH=. .venv/bin/python -m bench.calibrate fit DIR [DIR ...]        # writes configs/perr_model.json
    PYTHONPATH=. .venv/bin/python -m bench.calibrate measure DIR [--target 0.003]

A DIR is a folder with OUT/records (as `hotich run` writes it) and the truth of its volumes
(DIR/truth/*.json, as `hotich samples` writes it; or `--truth DEST`). `collect` renders
volumes of the given seeds in memory, reads them (one process) and writes exactly that.
`hotich samples DEST --seed S` + `hotich run DEST/* --out DEST` makes the same kind of folder,
so the model can be refitted on any generator's volumes (the issue-15 families).

Data protocol: fit only on development seeds (100-199, the old tuning seeds 7-10, 31-36);
never on seeds >= 1000, which are the held-out measurement sets.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def collect(seeds: list[int], out: Path, pages: int, faces: str | None, degrade: str) -> None:
    """Read generated volumes of `seeds` into OUT/records and OUT/truth (one process)."""
    from configs.loader import load_config
    from ocr.tesseract import make_engine
    from pipeline.extract.page import process_page
    from samples.generator import render_volume
    from schemas.pages import PageTask
    from schemas.parquet_io import write_volume

    fonts = None
    if faces == "heldout":
        from samples.fonts import HELDOUT_FACES
        fonts = tuple(f.name for f in HELDOUT_FACES)
    cfg, engine = load_config(), make_engine()
    (out / "truth").mkdir(parents=True, exist_ok=True)
    n, t0 = 0, time.perf_counter()
    for seed in seeds:
        for rtype in ("birth", "death", "marriage"):
            for layout in ("ledger", "form"):
                images, truth = render_volume(rtype, layout, pages, seed, degrade=degrade, fonts=fonts)
                rows = []
                for i, img in enumerate(images, 1):
                    r = process_page(PageTask(truth.volume_id, truth.source_file, i), np.array(img), cfg, engine)
                    rows += list(r.records)
                    n += 1
                if rows:
                    write_volume(out, rtype, truth.volume_id, rows)
                truth.save(out / "truth" / f"{truth.volume_id}.json")
        print(f"seed {seed}: {n} pages, {time.perf_counter() - t0:.0f} s", flush=True)


def field_table(dirs: list[Path], truth: Path | None = None):
    """Every field of every matched record of DIRS with its evidence vector and whether it is
    wrong: (X, wrong, counted, group). `counted` marks the fields pipeline.evaluate counts
    (truth or record has a value); the others (empty and empty: right) train the model too,
    so an empty cell does not look like a missed one."""
    from pipeline.evaluate import counts, load_records, matched_pages, truth_files
    from pipeline.extract.perr import page_evidence, vector
    from samples.truth import VolumeTruth
    from schemas.fields import all_fields

    X, y, counted, groups = [], [], [], []
    for d in dirs:
        records = load_records(d)
        for path in truth_files(truth or d):
            vt = VolumeTruth.load(path)
            for recs, pairs in matched_pages(vt, records.get(vt.volume_id, [])):
                evs = {id(r): e for r, e in zip(recs, page_evidence(recs, vt.register_type))}
                for rec, te in pairs:
                    for f in all_fields(vt.register_type):
                        want, got = te.fields.get(f), rec.get(f)
                        X.append(vector(evs[id(rec)][f]))
                        y.append(want != got)
                        counted.append(counts(want, got))
                        groups.append(f"{d}:{vt.volume_id}")
    return np.array(X, dtype=float), np.array(y, dtype=int), np.array(counted, dtype=bool), np.array(groups)


def _ece(p: np.ndarray, y: np.ndarray) -> float:
    from pipeline.evaluate import calibration

    return calibration([(float(a), bool(b), False) for a, b in zip(p, y)])["ece"]


def _at_target(p: np.ndarray, y: np.ndarray, target: float) -> tuple[float, float, float]:
    """(threshold, flagged share, silent rate) on out-of-fold (p, y), the threshold chosen as
    the shipped model chooses it (ErrorModel.threshold)."""
    from pipeline.extract.perr import ErrorModel

    m = ErrorModel(0.0, np.zeros(0), (), np.zeros(2), np.zeros(2), len(p), np.sort(p[y == 1]), "")
    t = m.threshold(target)
    return t, float((p >= t).mean()), float(((p < t) & (y == 1)).mean())


def _candidates():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    return {
        "logistic+isotonic": lambda: CalibratedClassifierCV(LogisticRegression(C=1.0, max_iter=3000),
                                                            method="isotonic", cv=5),
        "boosting+isotonic": lambda: CalibratedClassifierCV(HistGradientBoostingClassifier(
            max_iter=150, learning_rate=0.08, max_leaf_nodes=15, random_state=0), method="isotonic", cv=5),
        "raw confidence+isotonic": None,
    }


def compare(X, y, counted, groups, target: float) -> dict:
    """Out-of-fold (by volume) predictions of each candidate: ECE, Brier, and the flagged
    share / silent rate at the target, over the counted fields."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.preprocessing import StandardScaler

    out = {}
    for name, make in _candidates().items():
        oof = np.zeros(len(y))
        for tr, te in GroupKFold(n_splits=5).split(X, y, groups):
            if make is None:  # the baseline the issue asks to beat: 1 - F_conf, calibrated
                iso = IsotonicRegression(out_of_bounds="clip", increasing=False).fit(X[tr, 0], y[tr])
                oof[te] = iso.predict(X[te, 0])
                continue
            sc = StandardScaler().fit(X[tr])
            oof[te] = make().fit(sc.transform(X[tr]), y[tr]).predict_proba(sc.transform(X[te]))[:, 1]
        p, t = oof[counted], y[counted]
        _, flagged, silent = _at_target(p, t, target)
        out[name] = {"ece": round(_ece(p, t), 4), "brier": round(float(((p - t) ** 2).mean()), 5),
                     "flagged": round(flagged, 4), "silent": round(silent, 5)}
        print(f"  {name:24} ECE {100 * out[name]['ece']:.2f} pt, Brier {out[name]['brier']:.4f}, "
              f"at target {target:.2%}: flagged {flagged:.2%}, silent {silent:.2%}", flush=True)
    return out


# The shipped model's boosting (compare() measures it against logistic regression).
BOOSTING = dict(max_iter=150, learning_rate=0.08, max_leaf_nodes=15, random_state=0)


def _logistic():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000))


def fit(X, y, counted, groups, path: Path, kind: str = "logistic"):
    """The shipped model: logistic regression (or boosting) on all development fields;
    isotonic regression from its out-of-fold log-odds (5 folds by volume) to the error rate;
    the out-of-fold perr of the wrong counted fields for the target's threshold. Written as
    numbers (pipeline/extract/perr.py ErrorModel)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.isotonic import IsotonicRegression
    from sklearn.model_selection import GroupKFold

    from pipeline.extract.perr import ErrorModel, Tree

    make = _logistic if kind == "logistic" else (lambda: HistGradientBoostingClassifier(**BOOSTING))
    raw = np.zeros(len(y))
    for tr, te in GroupKFold(n_splits=5).split(X, y, groups):
        raw[te] = make().fit(X[tr], y[tr]).decision_function(X[te])
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
    oof = iso.predict(raw)
    final = make().fit(X, y)
    linear, baseline, trees = np.zeros(X.shape[1]), 0.0, []
    if kind == "logistic":  # the scaler folded into the coefficients
        sc, lr = final[0], final[1]
        scale = np.where(sc.scale_ > 0, sc.scale_, 1.0)
        linear = lr.coef_[0] / scale
        baseline = float(lr.intercept_[0] - (lr.coef_[0] * sc.mean_ / scale).sum())
    else:
        baseline = float(np.ravel(final._baseline_prediction)[0])
        for (pred,) in final._predictors:
            nd = pred.nodes
            trees.append(Tree(nd["feature_idx"].astype(int), nd["num_threshold"].astype(float),
                              nd["left"].astype(int), nd["right"].astype(int), nd["is_leaf"].astype(bool),
                              nd["value"].astype(float)))
    model = ErrorModel(baseline, linear, tuple(trees),
                       np.asarray(iso.X_thresholds_, float), np.asarray(iso.y_thresholds_, float),
                       int(counted.sum()), np.sort(oof[counted & (y == 1)]), "")
    text = model.to_json() + "\n"
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return ErrorModel.from_json(text)


def decide(rows: list[dict], register_type: str, model, target: float) -> list[dict]:
    """Rows with the model's decision re-applied page by page (rule flags kept in hints)."""
    from pipeline.extract.perr import apply_model

    by_page: dict[int, list[dict]] = {}
    for r in rows:
        by_page.setdefault(int(r["page"]), []).append(r)
    return [x for p in sorted(by_page) for x in apply_model(by_page[p], register_type, model, target)]


def rules_only(rows: list[dict]) -> list[dict]:
    """Rows as before issue 16: every rule flag forces review, no F_perr."""
    from pipeline.extract.perr import rule_flags

    return [{**{k: v for k, v in r.items() if not k.endswith("_perr")}, "flags": rule_flags(r),
             "needs_review": bool(rule_flags(r))} for r in rows]


def measure(dirs: list[Path], target: float, model=None) -> dict:
    """Rules alone against the model's flags at `target` on the same records: accuracy,
    flagged share, silent rate, records needing review, ECE and the reliability bins."""
    from pipeline.evaluate import Report, format_calibration, load_records, score_volume, truth_files
    from pipeline.extract.perr import ErrorModel
    from samples.truth import VolumeTruth

    model = model or ErrorModel.load()
    reps, review = {"rules": Report(), "model": Report()}, {"rules": [0, 0], "model": [0, 0]}
    for d in dirs:
        records = load_records(d)
        for path in truth_files(d):
            vt = VolumeTruth.load(path)
            rows = records.get(vt.volume_id, [])
            for name, rr in (("rules", rules_only(rows)), ("model", decide(rows, vt.register_type, model, target))):
                score_volume(reps[name], vt, rr)
                review[name][0] += sum(bool(r["needs_review"]) for r in rr)
                review[name][1] += len(rr)
    out = {}
    for name, rep in reps.items():
        d = rep.as_dict()
        o = d["overall"]
        out[name] = {"fields": o["n"], "accuracy": o["accuracy"], "flagged": o["flagged_rate"],
                     "silent": o["silent_error_rate"], "records": review[name][1],
                     "needs_review": round(review[name][0] / max(review[name][1], 1), 4)}
        cal = d.get("calibration")
        if cal:
            out[name].update(ece=cal["ece"], bins_within_ci=f"{sum(b['within_ci'] for b in cal['bins'])}/{len(cal['bins'])}")
            print(format_calibration(cal))
        print(f"  {name:6} fields {o['n']}, accuracy {o['accuracy']:.2%}, flagged {o['flagged_rate']:.2%}, "
              f"silent {o['silent_error_rate']:.2%}, records needing review {out[name]['needs_review']:.1%}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.calibrate", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--seeds", type=int, nargs="+", required=True)
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--pages", type=int, default=3)
    c.add_argument("--faces", choices=["generator", "heldout"], default="generator")
    c.add_argument("--degrade", default="moderate")
    f = sub.add_parser("fit")
    f.add_argument("dirs", type=Path, nargs="+")
    f.add_argument("--truth", type=Path, default=None)
    f.add_argument("--target", type=float, default=0.003)
    f.add_argument("--model", type=Path, default=None, help="default: the shipped configs/perr_model.json")
    f.add_argument("--no-compare", action="store_true")
    f.add_argument("--kind", choices=["logistic", "boosting"], default="logistic",
                   help="the shipped model (default logistic: better calibrated and fewer flags "
                        "out of fold on seeds 100-131, bench/README.md)")
    m = sub.add_parser("measure")
    m.add_argument("dirs", type=Path, nargs="+")
    m.add_argument("--target", type=float, default=0.003)
    m.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    if a.cmd == "collect":
        collect(a.seeds, a.out, a.pages, a.faces, a.degrade)
    elif a.cmd == "measure":
        res = measure(a.dirs, a.target)
        if a.json:
            a.json.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    elif a.cmd == "fit":
        from pipeline.extract.perr import MODEL_PATH

        X, y, counted, groups = field_table(a.dirs, a.truth)
        print(f"{len(y)} fields ({counted.sum()} counted, {y[counted].sum()} wrong) "
              f"from {len(set(groups))} volumes", flush=True)
        if not a.no_compare:
            compare(X, y, counted, groups, a.target)
        model = fit(X, y, counted, groups, a.model or MODEL_PATH, a.kind)
        print(f"model {model.version} written to {a.model or MODEL_PATH}; "
              f"threshold at {a.target:.2%}: {model.threshold(a.target):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
