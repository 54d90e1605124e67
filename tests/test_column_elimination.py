"""Ledger columns the header vocabulary does not know, end to end on generated pages with real
Tesseract: a death book heading its cause column "Lý do chết" (the configs know "Nguyên nhân
chết") has that one column left for the one field left; the column is taken as the cause,
flagged `column_guessed:cause_of_death`, and the entries are not all sent to review as
`unmapped_column` (ocr.ledger._last_standing)."""
from __future__ import annotations

import pytest

import cli
from pipeline.evaluate import evaluate
from schemas.parquet_io import read_records

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]


def test_the_one_unknown_column_is_the_one_field_left_flagged_not_shifted(tmp_path):
    from samples.generator import generate

    src = tmp_path / "src"
    (truth,) = generate(src, pages=1, seed=23, types=("death",), layouts=("ledger",), dpi=200,
                        degrade="light", duplicates=False, headers={"cause_of_death": "Lý do chết"})
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as e:
        cli.main(["run", str(src / truth.source_file), "--out", str(out), "--quiet", "--workers", "1"])
    assert e.value.code == 0
    rows = read_records(out, "death", truth.volume_id, ["record_id", "cause_of_death", "flags"]).to_pylist()
    want = {en.record_id: en.fields["cause_of_death"] for p in truth.pages for en in p.entries}
    assert len(rows) == len(want)
    right = [r for r in rows if r["cause_of_death"] == want[r["record_id"]]]
    assert len(right) >= 0.8 * len(rows)  # the causes, in their own records
    assert all("column_guessed:cause_of_death" in r["flags"] for r in rows)
    assert not any("unmapped_column" in r["flags"] for r in rows)
    assert evaluate(out, src / "truth").total().as_dict()["accuracy"] >= 0.9
