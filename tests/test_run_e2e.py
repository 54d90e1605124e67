"""`hotich run` end to end with the real page reader (Tesseract `vie`, poppler) on a generated
volume: records that pass the contract check, and a rerun that reads nothing. (The dask path
is compared with local workers in test_runner.py, and with the real reader by bench/batch.py.)"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from samples.generator import generate
from schemas.errors import ExitCode
from tests.batchutil import all_records
from tests.contract import contract_check, hotich



@pytest.fixture(scope="module")
def volume(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("gen")
    (truth,) = generate(dest, pages=1, seed=11, types=("birth",), layouts=("form",),
                        degrade="light", dpi=200, duplicates=False)
    return dest / truth.source_file


@pytest.mark.tesseract
@pytest.mark.slow
def test_run_and_rerun_with_the_real_reader(tmp_path, volume):
    out = tmp_path / "out"
    first = hotich("run", str(volume), "--out", str(out), "--type", "auto")
    assert first.returncode in (ExitCode.OK, ExitCode.PARTIAL), first.stderr
    df = all_records(out)
    assert len(df) >= 1 and set(df.register_type) == {"birth"}
    assert set(df.volume_id) == {volume.stem} and df.record_id.is_unique
    check = contract_check(out)
    assert check.returncode == 0, check.stdout + check.stderr
    # the cleaned page keeps the scan's resolution: case PDFs print it at the paper's size
    from PIL import Image
    with Image.open(next((out / "pages" / volume.stem).glob("*.png"))) as im:
        assert im.info["dpi"][0] == pytest.approx(200, abs=0.1)

    again = hotich("run", str(volume), "--out", str(out))
    runs = sorted((out / "runs").glob("*.json"))
    totals = json.loads(runs[-1].read_text())["totals"]
    failed_before = json.loads(runs[0].read_text())["totals"]["failed"]
    assert totals["processed"] == 0 and totals["cached"] == totals["pages"] - failed_before
    assert again.returncode == first.returncode
    assert all_records(out).equals(df)



@pytest.mark.tesseract
@pytest.mark.slow
def test_run_with_the_second_recogniser_records_it_in_the_manifest(tmp_path, volume):
    from ocr.aster import MODEL_SHA256, VERSION

    cfg = tmp_path / "second.yaml"
    cfg.write_text("recognition:\n  second_reader: doubtful\n", encoding="utf-8")
    out = tmp_path / "out"
    got = hotich("run", str(volume), "--out", str(out), "--config", str(cfg))
    assert got.returncode in (ExitCode.OK, ExitCode.PARTIAL), got.stderr
    (run,) = (out / "runs").glob("*.json")
    second = json.loads(run.read_text())["versions"]["second_recogniser"]
    assert (second["asterocr"], second["model_sha256"]) == (VERSION, MODEL_SHA256)
    df = all_records(out)
    assert len(df) >= 1
    check = contract_check(out)
    assert check.returncode == 0, check.stdout + check.stderr
