"""The field error model (pipeline/extract/perr.py): shipped in the package, its decisions
(hard reasons always force review, soft ones below the threshold become hints), and on real
generated pages read by Tesseract its flags beat the raw confidence at the default target."""
from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from configs.loader import load_config
from pipeline.extract.perr import (DEFAULT_SILENT_TARGET, FEATURE_NAMES, ErrorModel, apply_model,
                                   page_evidence, vector)

ROOT = Path(__file__).resolve().parents[1]


def test_model_ships_as_package_data_and_loads_from_it():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "perr_model.json" in data["configs"]
    shipped = resources.files("configs") / "perr_model.json"
    model = ErrorModel.from_json(shipped.read_text(encoding="utf-8"))
    assert model.version == load_config().perr_model
    # lower targets flag more: the threshold never rises as the target falls
    ts = [model.threshold(x) for x in (0.0, 0.001, DEFAULT_SILENT_TARGET, 0.01, 0.05)]
    assert ts == sorted(ts) and ts[0] < ts[-1]


def _conf_model(wrong: list[float], n: int) -> ErrorModel:
    """perr = 1 - F_conf (the raw confidence standing in for the model)."""
    linear = np.zeros(len(FEATURE_NAMES))
    linear[FEATURE_NAMES.index("conf")] = -1.0
    return ErrorModel(1.0, linear, (), np.array([0.0, 1.0]), np.array([0.0, 1.0]), n, np.sort(wrong), "raw")


def _row(**kw) -> dict:
    from schemas.fields import all_fields
    r = {"record_id": "v:0001:01", "page": 1, "row": 1, "layout": "ledger", "hints": []}
    for f in all_fields("birth"):
        r.update({f: "x", f + "_raw": "x", f + "_conf": 0.99})
    r.update(kw)
    return r


def test_soft_flags_below_threshold_become_hints_and_hard_ones_stay():
    rows = [_row(full_name_conf=0.5, flags=["low_confidence:full_name", "name_uncertain:sex",
                                            "invalid_characters:notes", "layout_uncertain"])]
    model = _conf_model([0.4], 1000)  # threshold at target 0.003 with one dev error: 0.4
    out = apply_model(rows, "birth", model, 0.0)
    r = out[0]
    assert r["full_name_perr"] == pytest.approx(0.5) and r["sex_perr"] == pytest.approx(0.01)
    assert "low_confidence:full_name" in r["flags"]              # 0.5 >= 0.4: kept
    assert r["hints"] == ["name_uncertain:sex"]                  # 0.01: a hint only
    assert {"invalid_characters:notes", "layout_uncertain"} <= set(r["flags"])  # hard: stay
    assert r["needs_review"]
    calm = apply_model([_row(flags=["name_uncertain:sex"])], "birth", model, 0.0)[0]
    assert calm["flags"] == [] and not calm["needs_review"] and calm["hints"] == ["name_uncertain:sex"]
    # the decision is re-made from flags + hints: applying twice changes nothing
    assert apply_model(out, "birth", model, 0.0)[0]["flags"] == r["flags"]
    # a field the rules found nothing on, with a high perr, is flagged likely_wrong
    lw = apply_model([_row(sex_conf=0.2, flags=[])], "birth", model, 0.0)[0]
    assert lw["flags"] == ["likely_wrong:sex"]


def test_evidence_is_pure_and_typed():
    rows = [_row(flags=["low_confidence:full_name"])]
    a, b = page_evidence(rows, "birth"), page_evidence(rows, "birth")
    assert a == b and a[0]["full_name"].reasons == frozenset({"low_confidence"})
    assert len(vector(a[0]["full_name"])) == len(FEATURE_NAMES)


@pytest.mark.tesseract
@pytest.mark.slow
def test_flags_at_default_target_beat_raw_confidence_on_generated_pages(tmp_path):
    """Development seed 150 (never fitted on), heavy degradation (errors common enough to
    count on four pages): the shipped model at the default target flags few fields and leaves
    few errors silent; 1 - F_conf in its place, at any threshold, cannot do both."""
    from bench.calibrate import decide
    from ocr.tesseract import make_engine
    from pipeline.evaluate import Report, score_volume
    from pipeline.extract.page import process_page
    from samples.generator import render_volume
    from schemas.pages import PageTask

    cfg, engine = load_config(), make_engine()
    vols = []
    for rtype, layout in (("birth", "ledger"), ("death", "form")):
        images, truth = render_volume(rtype, layout, 2, 150, degrade="heavy")
        rows = [dict(r) for i, img in enumerate(images, 1)
                for r in process_page(PageTask(truth.volume_id, truth.source_file, i), np.array(img), cfg, engine).records]
        vols.append((truth, rows))

    def score(model) -> dict:
        rep = Report()
        for truth, rows in vols:
            score_volume(rep, truth, decide(rows, truth.register_type, model, DEFAULT_SILENT_TARGET))
        return rep.total().as_dict()

    got = score(ErrorModel.load())
    assert got["n"] > 150
    assert got["flagged_rate"] <= 0.10 and got["silent_error_rate"] <= 0.01, got
    # 1 - F_conf at every threshold 0, 0.05 .. 1 (the best one for these pages included):
    # none keeps both within the bounds (measured: silent 0.52% needs 45% of fields flagged;
    # at 10% flagged 1.3% are silent; the model: 6.5% flagged, 0.78% silent)
    raw_results = [score(_conf_model([float(t)], 1)) for t in np.linspace(0.0, 1.0, 21)]
    assert not any(r["flagged_rate"] <= 0.10 and r["silent_error_rate"] <= 0.01
                   for r in raw_results), [(r["flagged_rate"], r["silent_error_rate"]) for r in raw_results]
