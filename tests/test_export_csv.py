"""`hotich export --format csv`: one UTF-8 CSV per register type that round-trips."""
from __future__ import annotations

import json
import math
import re

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
    # Vietnamese letters Excel shows as mojibake without the byte-order mark.
    rows[4]["full_name"], rows[4]["full_name_raw"] = "Nguyễn Thị Thủy Hằng", "NGUYỄN THỊ THỦY HẰNG"
    rows[4]["place_of_death"] = "Xã Hòa Bình, Huyện Quỳnh Lưu, Tỉnh Nghệ An"
    rows[4]["date_of_death"], rows[4]["date_of_birth"] = "1980-03-12", "1921-07"
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
        # The documented recipe: pandas.read_csv, then json.loads on the list columns.
        got = pd.read_csv(path, encoding="utf-8-sig", dtype=csv_dtypes(rtype), keep_default_na=False,
                          na_values=[""])
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


def test_bom_by_default_no_bom_and_volume_filter(built, tmp_path):
    [plain] = export_csv(built.out, tmp_path / "a", volume="KS-1972", bom=False)
    assert plain.name == "birth.csv" and not plain.read_bytes().startswith(b"\xef\xbb\xbf")
    dests = {}
    for flags in ([], ["--bom"], ["--no-bom"]):
        dest = tmp_path / ("cli" + "".join(flags))
        with pytest.raises(SystemExit) as e:
            cli.main(["export", str(built.out), "--format", "csv", "--dest", str(dest),
                      "--volume", "KS-1972", *flags])
        assert e.value.code == ExitCode.OK
        dests[tuple(flags)] = (dest / "birth.csv").read_bytes()
    default = dests[()]
    assert default.startswith(b"\xef\xbb\xbf") and default[3:] == plain.read_bytes()
    assert dests[("--bom",)] == default  # the explicit form of the default
    assert dests[("--no-bom",)] == plain.read_bytes()
    assert read_csv_export(tmp_path / "cli" / "birth.csv")["volume_id"].unique().tolist() == ["KS-1972"]
    assert not (tmp_path / "cli" / "death.csv").exists()


def test_vietnamese_text_and_dates_round_trip_with_the_bom(built, tmp_path):
    """What an office opens in Excel: UTF-8 with a BOM; read back (utf-8-sig) it is the Parquet."""
    [path] = export_csv(built.out, tmp_path, volume="KT-1980")
    data = path.read_bytes()
    assert data[:3] == b"\xef\xbb\xbf" and data[3:6] != b"\xef\xbb\xbf"  # one mark, not two
    text = data[3:].decode("utf-8")  # the rest is plain UTF-8
    assert "Nguyễn Thị Thủy Hằng" in text and "Tỉnh Nghệ An" in text
    want = read_records(built.out, "death", "KT-1980").to_pylist()
    got = pd.read_csv(path, encoding="utf-8-sig", dtype=csv_dtypes("death"), keep_default_na=False,
                      na_values=[""])
    assert got.columns[0] == "register_type"  # no mark glued to the first column's name
    assert len(got) == len(want) == 5
    accented = 0
    for g, w in zip(got.to_dict("records"), want):
        for col in ("record_id", "full_name", "full_name_raw", "place_of_death", "residence",
                    "declarant_name", "date_of_birth", "date_of_death", "registration_date"):
            have = None if g[col] is pd.NA else g[col]
            assert have == w[col], (w["record_id"], col, w[col], have)
            accented += bool(have) and any(ord(ch) > 127 for ch in have)
    assert accented >= 10  # the round trip carried diacritics, not just ASCII
    row = got[got["record_id"] == want[4]["record_id"]].iloc[0]
    assert (row["date_of_death"], row["date_of_birth"]) == ("1980-03-12", "1921-07")  # ISO, precision kept
    for col in ("date_of_birth", "date_of_death", "registration_date"):
        for v in got[col].dropna():
            assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", v), (col, v)
