"""Record schemas and the Parquet writer: round-trips, column-naming errors, and the shared
contract check on a folder written from ground-truth records."""
from __future__ import annotations


import pytest

from samples.truth_records import truth_rows
from schemas.arrow import SCHEMAS
from schemas.errors import SchemaError
from schemas.fields import REGISTER_TYPES, all_fields
from schemas.parquet_io import read_records, volume_path, write_volume

from tests.contract import contract_check



def _volume(sample_set, register_type: str, layout: str = "ledger"):
    return next(t for t in sample_set.truths.values()
                if t.register_type == register_type and t.layout == layout)


@pytest.mark.parametrize("register_type", REGISTER_TYPES)
def test_round_trip(tmp_path, sample_set, register_type):
    truth = _volume(sample_set, register_type)
    rows = truth_rows(truth, config_hash="abc123")
    path = write_volume(tmp_path, register_type, truth.volume_id, rows)
    assert path == volume_path(tmp_path, register_type, truth.volume_id)
    table = read_records(tmp_path, register_type)
    assert table.num_rows == len(rows)
    back = table.to_pylist()
    for want, got in zip(rows, back):
        assert got["volume_id"] == truth.volume_id and got["register_type"] == register_type
        for col in ("record_id", "page", "row", "bbox", "flags", "needs_review", "config_hash"):
            assert got[col] == want[col], col
        for f in all_fields(register_type):
            assert got[f] == want[f] and got[f + "_raw"] == want[f + "_raw"], f
            assert got[f + "_conf"] == pytest.approx(want[f + "_conf"])
    assert set(SCHEMAS[register_type].names) <= set(table.column_names)


@pytest.mark.parametrize("column,value", [("page", "one"), ("full_name_conf", "high"),
                                          ("bbox", "1,2,3,4"), ("needs_review", None)])
def test_wrong_type_names_the_column(tmp_path, sample_set, column, value):
    rows = truth_rows(_volume(sample_set, "birth"))
    rows[1][column] = value
    with pytest.raises(SchemaError, match=column):
        write_volume(tmp_path, "birth", "v1", rows)
    assert not volume_path(tmp_path, "birth", "v1").exists()


def test_unknown_column_is_refused(tmp_path, sample_set):
    rows = truth_rows(_volume(sample_set, "death"))
    rows[0]["husband_name"] = "Nguyễn Văn An"
    with pytest.raises(SchemaError, match="husband_name"):
        write_volume(tmp_path, "death", "v1", rows)


def test_truth_records_pass_thecontract_check(tmp_path, sample_set):
    for truth in sample_set.truths.values():
        write_volume(tmp_path, truth.register_type, truth.volume_id, truth_rows(truth))
    res = contract_check(tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "conforms" in res.stdout


def test_contract_check_catches_a_bad_date(tmp_path, sample_set):
    truth = _volume(sample_set, "death", "form")
    rows = truth_rows(truth)
    rows[0]["date_of_death"] = "14/4/1972"
    write_volume(tmp_path, "death", truth.volume_id, rows)
    res = contract_check(tmp_path)
    assert res.returncode == 1 and "date_of_death" in res.stdout
