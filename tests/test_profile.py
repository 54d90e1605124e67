"""The volume profile without OCR: decided by majority of the pages, written, edited by hand,
read back; a bad file refused in one line before the run starts; the fit checks that fail a
page the profile does not fit."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import cli
from ocr.grid import TableGrid
from ocr.headers import ColumnHeader
from ocr.profile_fit import fit_columns, header_disagreement
from pipeline.run.profile import decide_profile
from schemas.errors import ConfigError
from schemas.layout import ColumnLayout, LabelLayout, PageLayout
from schemas.profile import ProfileColumn, VolumeProfile, dump_profile, load_profile, parse_profile

HEADS = [("entry_no", "Số"), ("full_name", "Họ và tên"), (None, "Thân phụ"), ("notes", "Ghi chú")]
EDGES = [100, 200, 500, 800, 1100]


def _ledger(fields=None, edges=EDGES, number_row=1) -> PageLayout:
    fields = fields or [f for f, _ in HEADS]
    cols = tuple(ColumnLayout(edges[i], edges[i + 1], f, h)
                 for i, (f, (_, h)) in enumerate(zip(fields, HEADS)))
    return PageLayout("ledger", "birth", "SỔ ĐĂNG KÝ KHAI SINH", (100, 10, 900, 60),
                      (edges[0], 100, edges[-1], 900), cols, ((100, 160), (160, 190), (190, 260)),
                      header_bands=2, number_row=number_row, entries=((100, 190, 1100, 260),))


def test_the_volume_profile_is_what_most_pages_read_and_names_the_others():
    odd = _ledger(fields=["entry_no", "full_name", "notes", None])  # page 3 read column 3 as notes
    p = decide_profile("KS-1", [(1, _ledger()), (2, _ledger()), (3, odd),
                                (4, PageLayout(None, None))])  # page 4: not laid out
    assert (p.register_type, p.layout, p.header_rows, p.number_row, p.pages_read) == (
        "birth", "ledger", 2, True, 3)
    assert [c.field for c in p.columns] == ["entry_no", "full_name", None, "notes"]
    assert [c.header for c in p.columns] == ["Số", "Họ và tên", "Thân phụ", "Ghi chú"]
    assert [(c.x0, c.x1) for c in p.columns] == [(0.0, 0.1), (0.1, 0.4), (0.4, 0.7), (0.7, 1.0)]
    assert p.disagreements == ("page 3: column 3 'Thân phụ' read as notes (the volume: None)",
                               "page 3: column 4 'Ghi chú' read as None (the volume: notes)")


def test_round_trip_write_edit_by_hand_read(tmp_path):
    p = decide_profile("KS-1", [(1, _ledger()), (2, _ledger())])
    path = tmp_path / "profile.yaml"
    path.write_text(dump_profile(p), encoding="utf-8")
    again = load_profile(path)
    assert again.columns == p.columns and again.header_rows == 2 and again.source == str(path)
    text = path.read_text(encoding="utf-8")
    assert "version: 1" in text and "x: [0.4, 0.7]" in text and "Thân phụ" in text  # readable
    # the archivist's edit: the column nobody mapped holds the father's name
    path.write_text(text.replace("- field: null\n  header: Thân phụ",
                                 "- field: father_name\n  header: Thân phụ"), encoding="utf-8")
    edited = load_profile(path)
    assert [c.field for c in edited.columns] == ["entry_no", "full_name", "father_name", "notes"]
    assert edited.sha256 != again.sha256  # the records' run says which profile it used


def test_form_labels_are_kept_per_field():
    lay = PageLayout("form", "death", labels=(LabelLayout("Họ và tên người chết", "full_name", (0, 0, 9, 9)),
                                               LabelLayout("Nơi cư trú", "residence", (0, 0, 9, 9))))
    p = decide_profile("KT-1", [(1, lay), (2, lay)])
    assert p.layout == "form" and dict(p.labels) == {"Họ và tên người chết": "full_name",
                                                     "Nơi cư trú": "residence"}
    assert parse_profile(dump_profile(p)).labels == p.labels


@pytest.mark.parametrize("text, says", [
    ("version: 1\nregister_type: birth\nlayout: [ledger\n", "not valid YAML at line"),
    ("version: 1\nlayout: ledger\n", "missing key(s) register_type"),
    ("version: 1\nregister_type: birth\nlayout: ledger\ncolumns:\n- {field: full_nam, x: [0, 0.5]}\n"
     "- {field: notes, x: [0.5, 1]}\n", "column 1: unknown field 'full_nam' for a birth register"),
    ("version: 1\nregister_type: birth\nlayout: ledger\ncolums: []\n", "unknown key(s) colums"),
    ("version: 2\nregister_type: birth\nlayout: form\n", "version 2 is not supported"),
    ("version: 1\nregister_type: birth\nlayout: ledger\ncolumns:\n- {field: full_name, x: [0.5, 0.2]}\n"
     "- {field: notes, x: [0.5, 1]}\n", "column 1: x must be [from, to] within 0..1"),
])
def test_a_bad_profile_stops_the_run_before_it_starts(tmp_path, capsys, text, says):
    page = tmp_path / "in" / "p1.png"
    page.parent.mkdir()
    Image.new("L", (64, 64), 255).save(page)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as e:
        cli.main(["run", str(page.parent), "--out", str(out), "--profile", str(bad), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2
    assert len(err.splitlines()) == 1 and err.startswith(f"hotich: {bad}: ") and says in err, err
    assert not out.exists()  # nothing was started


def _grid(cols) -> TableGrid:
    return TableGrid((cols[0], 100, cols[-1], 900), ((100, 160), (160, 260)), tuple(cols), (),
                     np.zeros((1000, 1200), np.uint8))


def _profile(n=4) -> VolumeProfile:
    cols = [ProfileColumn(f, h, (EDGES[i] - 100) / 1000, (EDGES[i + 1] - 100) / 1000)
            for i, (f, h) in enumerate(HEADS)]
    if n == 3:
        cols = cols[:2] + [ProfileColumn("notes", "Ghi chú", 0.4, 1.0)]
    return VolumeProfile("birth", "ledger", tuple(cols), source="book.yaml")


def test_a_profile_that_fits_maps_the_columns_by_their_place():
    cm, why = fit_columns(_grid([110, 212, 505, 790, 1110]), _profile())  # shifted, a little wider
    assert why is None and cm.fields == ("entry_no", "full_name", None, "notes")


def test_a_profile_that_does_not_fit_says_why():
    cm, why = fit_columns(_grid(EDGES), _profile(3))
    assert cm is None and why == ("profile book.yaml does not fit: the page's table has 4 columns, "
                                  "the profile 3")
    cm, why = fit_columns(_grid([100, 200, 650, 800, 1100]), _profile())
    assert cm is None and "column boundary 3 lies at 0.550" in why and "the profile says 0.400" in why


def test_header_words_that_disagree_fail_the_page():
    prof = _profile()
    same = [ColumnHeader(None, t) for t in ("Sô", "Họ và tên", "Thân phụ", "Ghi chu")]
    assert header_disagreement(same, prof) is None
    other = [ColumnHeader(None, t) for t in ("Ngày chết", "Nơi chết", "Nguyên nhân chết", "Ghi chú")]
    why = header_disagreement(other, prof)
    assert why.startswith("profile book.yaml does not fit: 3 of 4 column headers disagree")
    assert "column 1 reads 'Ngày chết', the profile says 'Số'" in why


def test_a_profile_field_of_another_register_is_refused():
    text = dump_profile(_profile()).replace("field: full_name", "field: husband_name")
    with pytest.raises(ConfigError, match="unknown field 'husband_name' for a birth register"):
        parse_profile(text, "p.yaml")
