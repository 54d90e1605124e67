"""The review page over a real `hotich run` output: a correction made on the page survives
`hotich run --force` (the runner re-applies it through pipeline.review.write_reviewed_volume)."""
from __future__ import annotations

import re

import pytest

from pipeline.review.app import create_app
from pipeline.review.settings import ReviewSettings
from samples.generator import generate
from schemas.errors import ExitCode
from schemas.parquet_io import read_records
from tests.contract import contract_check, hotich



@pytest.mark.tesseract
@pytest.mark.slow
def test_correction_on_a_real_run_survives_a_forced_rerun(tmp_path):
    (truth,) = generate(tmp_path / "gen", pages=1, seed=5, types=("birth",), layouts=("ledger",),
                        degrade="light", dpi=200, duplicates=False)
    pdf = tmp_path / "gen" / truth.source_file
    out = tmp_path / "out"
    first = hotich("run", str(pdf), "--out", str(out))
    assert first.returncode in (ExitCode.OK, ExitCode.PARTIAL), first.stderr
    rows = read_records(out, "birth").to_pylist()
    assert rows
    rec = rows[0]
    rid, vol = rec["record_id"], rec["volume_id"]

    client = create_app(out, ReviewSettings(reviewer="Lan")).test_client()
    html = client.get(f"/r/birth/{rid}").get_data(as_text=True)
    crop = client.get(f"/img/crop/birth/{rid}.png")
    assert crop.status_code == 200 and crop.data[:4] == b"\x89PNG"
    action = f"/r/birth/{rid}/field/full_name"
    form = re.search(rf'action="{re.escape(action)}"(.*?)</form>', html, re.S).group(1)
    data = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    r = client.post(action, data={**data, "value": "Phạm Thị Hòa Bình"})
    assert r.status_code == 302
    assert {x["record_id"]: x for x in read_records(out, "birth", vol).to_pylist()}[rid]["full_name"] \
        == "Phạm Thị Hòa Bình"

    again = hotich("run", str(pdf), "--out", str(out), "--force")
    assert again.returncode == first.returncode, again.stderr
    after = {x["record_id"]: x for x in read_records(out, "birth", vol).to_pylist()}[rid]
    assert after["full_name"] == "Phạm Thị Hòa Bình" and after["review_status"] == "corrected"
    assert (out / "review" / "review.sqlite").exists()
    check = contract_check(out)  # reviewed records still fit the contract
    assert check.returncode == 0, check.stdout + check.stderr
