"""`hotich eval`: matching records to truth and the counts it reports (no OCR)."""
from __future__ import annotations

import json

from click.testing import CliRunner

from cli import app
from pipeline.evaluate import evaluate
from samples.truth import EntryTruth, PageTruth, VolumeTruth
from schemas.fields import all_fields
from schemas.parquet_io import write_volume


def _truth(tmp_path):
    entries = []
    for row, (name, dob) in enumerate([("Nguyễn Văn An", "1972-03-02"), ("Trần Thị Bình", "1972-04-05"),
                                       ("Lê Văn Cường", "1972-05-06")], 1):
        fields = {f: None for f in all_fields("birth")}
        fields.update(entry_no=str(row), full_name=name, date_of_birth=dob)
        cells = dict(fields, date_of_birth=dob[8:] + "/" + dob[5:7] + "/" + dob[:4])
        entries.append(EntryTruth(f"v1:0001:{row:02d}", row, (0, 100 * row, 900, 100 * row + 90),
                                  fields, cells, {}))
    page = PageTruth(1, 1000, 800, 300, 0.0, "ledger", "birth", "SỔ ĐĂNG KÝ KHAI SINH", (0, 0, 1, 1),
                     (), (), tuple(entries))
    vt = VolumeTruth("v1", "birth", "ledger", 1972, "v1.pdf", "DejaVu Serif", 32, 300, "moderate", 1, {},
                     (page,))
    vt.save(tmp_path / "truth" / "v1.json")
    return vt


def _record(row, name, dob, flags=(), raw=None):
    r = {"record_id": f"v1:0001:{row:02d}", "source_file": "v1.pdf", "page": 1, "row": row,
         "bbox": [0, 100 * row + 5, 900, 100 * row + 95], "layout": "ledger", "entry_no": str(row),
         "entry_no_raw": str(row), "full_name": name, "full_name_raw": raw or name,
         "date_of_birth": dob, "date_of_birth_raw": dob, "flags": list(flags),
         "needs_review": bool(flags), "review_status": "unreviewed"}
    return r


def test_scores_accuracy_flags_silent_errors_and_entries(tmp_path):
    _truth(tmp_path)
    out = tmp_path / "out"
    write_volume(out, "birth", "v1", [
        _record(1, "Nguyễn Văn An", "1972-03-02"),
        _record(2, "Trần Thị Bính", "1972-04-05", flags=["low_confidence:full_name"]),  # wrong, flagged
        _record(3, "Lê Văn Cường", "1972-05-09"),                                     # wrong, silent
        _record(4, "Phạm Văn Dũng", "1972-06-07"),                                    # spurious
    ])
    d = evaluate(out, tmp_path).as_dict()
    g = d["groups"]["birth/ledger"]["fields"]
    assert g["full_name"]["n"] == 3 and g["full_name"]["wrong"] == 1 and g["full_name"]["silent"] == 0
    assert g["full_name"]["wrong_flagged"] == 1
    assert g["date_of_birth"]["silent"] == 1 and g["date_of_birth"]["silent_error_rate"] == round(1 / 3, 4)
    assert d["entries"]["total"] == {"truth": 3, "found": 3, "missed": 0, "spurious": 1, "found_rate": 1.0}
    assert d["overall"]["n"] == 9  # entry_no, full_name, date_of_birth x 3 matched entries
    assert d["silent_examples"][0]["field"] == "date_of_birth"


def test_missing_volume_counts_as_missed_entries(tmp_path):
    _truth(tmp_path)
    (tmp_path / "out" / "records").mkdir(parents=True)
    d = evaluate(tmp_path / "out", tmp_path).as_dict()
    assert d["entries"]["total"]["missed"] == 3 and d["overall"]["n"] == 0


def test_eval_command_prints_table_and_writes_json(tmp_path):
    _truth(tmp_path)
    out = tmp_path / "out"
    write_volume(out, "birth", "v1", [_record(1, "Nguyễn Văn An", "1972-03-02")])
    res = CliRunner().invoke(app, ["eval", str(out), "--truth", str(tmp_path / "truth"),
                                   "--json", str(tmp_path / "e.json")])
    assert res.exit_code == 0, res.output
    assert "birth/ledger" in res.output and "entries: 1/3 found" in res.output
    assert json.loads((tmp_path / "e.json").read_text())["entries"]["total"]["missed"] == 2
    bad = CliRunner().invoke(app, ["eval", str(out), "--truth", str(out)])
    assert bad.exit_code != 0


def test_records_match_truth_by_place_not_row_number_on_a_skewed_page(tmp_path):
    """A skewed page's truth boxes are the envelopes of rotated rows (twice a row's height,
    overlapping their neighbours). A spurious record above the first entry renumbers every
    later one; its right values must still be matched to their own entries, by box centre."""
    entries = []
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]
    for row, name in enumerate(names, 1):
        fields = {f: None for f in all_fields("birth")}
        fields.update(entry_no=str(row), full_name=name)
        top = 100 * row - 50  # envelope: 200 px tall around a 100 px row
        entries.append(EntryTruth(f"v1:0001:{row:02d}", row, (0, top, 900, top + 200), fields, dict(fields), {}))
    page = PageTruth(1, 1000, 800, 300, 2.5, "ledger", "birth", "SỔ ĐĂNG KÝ KHAI SINH", (0, 0, 1, 1),
                     (), (), tuple(entries))
    VolumeTruth("v1", "birth", "ledger", 1972, "v1.pdf", "DejaVu Serif", 32, 300, "heavy", 1, {},
                (page,)).save(tmp_path / "truth" / "v1.json")
    junk = {**_record(1, None, None, flags=["unreadable:full_name"]), "bbox": [0, 10, 900, 95], "entry_no": None}
    rows = [junk] + [{**_record(row + 1, name, None), "entry_no": str(row),
                      "bbox": [0, 100 * row + 5, 900, 100 * row + 95]} for row, name in enumerate(names, 1)]
    out = tmp_path / "out"
    write_volume(out, "birth", "v1", rows)
    d = evaluate(out, tmp_path).as_dict()
    g = d["groups"]["birth/ledger"]["fields"]
    assert g["full_name"]["n"] == 3 and g["full_name"]["wrong"] == 0, g["full_name"]
    assert d["entries"]["total"]["spurious"] == 1 and d["entries"]["total"]["found"] == 3
