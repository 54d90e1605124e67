"""`hotich normalize`: JSON lines from exactly normalize_field."""
from __future__ import annotations

import json
import unicodedata

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import app
from normalize.field import known_fields, normalize_field
from schemas.fields import field_kind


def run(args, stdin=None):
    return CliRunner().invoke(app, ["normalize", *args], input=stdin)


def test_texts_give_json_lines_in_order():
    res = run(["--field", "full_name", "NGUYỄN THỊ THU HẰNG", "trân văn nam"])
    assert res.exit_code == 0
    rows = [json.loads(l) for l in res.output.splitlines()]
    assert [r["value"] for r in rows] == ["Nguyễn Thị Thu Hằng", "Trần Văn Nam"]
    assert set(rows[0]) == {"raw", "value", "conf", "flags"}
    assert "Hằng" in res.output  # ensure_ascii=False


def test_stdin_lines_and_nulls():
    res = run(["--field", "date_of_birth"], stdin="12/3/1965\n31/2/1965\n\n")
    assert res.exit_code == 0
    rows = [json.loads(l) for l in res.output.splitlines()]
    assert [r["value"] for r in rows] == ["1965-03-12", None, None]
    assert rows[1]["flags"] == ["invalid_date"] and rows[2]["flags"] == []
    assert rows[0] == {"raw": "12/3/1965", **{k: v for k, v in rows[0].items() if k != "raw"}}


def test_unknown_field_exits_1_with_one_line():
    res = CliRunner().invoke(app, ["normalize", "--field", "shoe_size", "42"])
    assert res.exit_code == 1
    assert len(res.output.strip().splitlines()) == 1 and "shoe_size" in res.output


def test_cli_equals_library():
    res = run(["--field", "place_of_birth", "P. Bạch Mai, Q. HBT, HN"])
    row = json.loads(res.output)
    lib = normalize_field("place_of_birth", "P. Bạch Mai, Q. HBT, HN")
    assert (row["value"], row["conf"], row["flags"]) == (lib.value, lib.conf, list(lib.flags))


ONE_PER_KIND = {}
for f in known_fields():
    ONE_PER_KIND.setdefault(field_kind(f), f)


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(sorted(ONE_PER_KIND.values())),
       raw=st.one_of(st.text(max_size=30), st.text(alphabet="Nguyễn Thị 0123/.-OlPQ,HBT", max_size=30)))
def test_every_kind_total_nfc_idempotent(field, raw):
    got = normalize_field(field, raw)
    assert 0.0 <= got.conf <= 1.0 and all(":" not in f for f in got.flags)
    if got.value is not None:
        assert got.value and unicodedata.is_normalized("NFC", got.value)
        assert normalize_field(field, got.value).value == got.value
