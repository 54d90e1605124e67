"""`hotich export --format csv`: one UTF-8 CSV per register type that round-trips."""
from __future__ import annotations

import json
import math

import pandas as pd
import pytest

import cli
from pipeline.export.csv_export import csv_dtypes, export_csv, read_csv_export
from schemas.errors import ExitCode
from schemas.parquet_io import read_records
from tests.export_fixture import build_out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = build_out(tmp_path_factory.mktemp("out"), birth_pages=2)
    # Values a CSV writer gets wrong if it is careless: separators, quotes, newlines, "NA".
    import pyarrow.parquet as pq
    from schemas.parquet_io import volume_path, write_volume
    rows = pq.read_table(volume_path(out.out, "death", "KT-1980")).to_pylist()
    rows[0]["notes"] = 'Ghi chú: "đã cấp", lần 2\nbản sao'
    rows[1]["notes_raw"] = "NA"
    rows[2]["cause_of_death"] = None
    rows[3]["flags"] = ["low_confidence:sex", "layout_uncertain"]
    rows[3]["needs_review"] = True
    write_volume(out.out, "death", "KT-1980", rows)
    return out


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)) or a is pd.NA:
        return b is None or (isinstance(b, float) and math.isnan(b)) or b is pd.NA
    if isinstance(a, float):
        return b is not None and abs(a - float(b)) < 1e-6
    return a == b


def test_csv_round_trips_through_pandas(built, tmp_path):
    paths = export_csv(built.out, tmp_path)
    assert sorted(p.name for p in paths) == ["birth.csv", "death.csv", "marriage.csv"]
    for path in paths:
        rtype = path.stem
        want = read_records(built.out, rtype).to_pylist()
        # The documented recipe: plain pandas.read_csv, then json.loads on the list columns.
        got = pd.read_csv(path, dtype=csv_dtypes(rtype), keep_default_na=False, na_values=[""])
        assert len(got) == len(want)
        assert list(got.columns[:3]) == ["register_type", "volume_id", "record_id"]
        for g, w in zip(got.to_dict("records"), want):
            for col, value in w.items():
                have = g[col]
                if col in ("flags", "bbox"):
                    have = None if pd.isna(have) else json.loads(have)
                elif isinstance(value, float) and value is not None:
                    value = float(value)
                assert _same(value, have if have is not pd.NA else None), (w["record_id"], col, value, have)
    death = read_csv_export(tmp_path / "death.csv")
    assert death.loc[0, "notes"] == 'Ghi chú: "đã cấp", lần 2\nbản sao'
    assert death.loc[1, "notes_raw"] == "NA"
    assert death.loc[3, "flags"] == ["low_confidence:sex", "layout_uncertain"]
    assert bool(death.loc[3, "needs_review"]) is True
    assert death.loc[0, "bbox"] == built.records["KT-1980:0001:01"]["bbox"]
    assert pd.isna(death.loc[2, "cause_of_death"])


def test_bom_only_when_asked_and_volume_filter(built, tmp_path):
    [plain] = export_csv(built.out, tmp_path / "a", volume="KS-1972")
    assert plain.name == "birth.csv" and not plain.read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(SystemExit) as e:
        cli.main(["export", str(built.out), "--format", "csv", "--dest", str(tmp_path / "b"),
                  "--volume", "KS-1972", "--bom"])
    assert e.value.code == ExitCode.OK
    bom = (tmp_path / "b" / "birth.csv").read_bytes()
    assert bom.startswith(b"\xef\xbb\xbf") and bom[3:] == plain.read_bytes()
    assert read_csv_export(tmp_path / "b" / "birth.csv")["volume_id"].unique().tolist() == ["KS-1972"]
    assert not (tmp_path / "b" / "death.csv").exists()
