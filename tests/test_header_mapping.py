"""Columns are mapped to fields by their header words, never by position."""
from __future__ import annotations

import random

import numpy as np
import pytest

from configs.loader import load_config
from ocr.headers import ColumnHeader, header_likeness, is_column_numbers, map_columns
from ocr.title import classify_title

CFG = load_config()
BIRTH = CFG.registers["birth"]
MARRIAGE = CFG.registers["marriage"]


@pytest.mark.parametrize("seed", range(5))
def test_shuffled_columns_and_header_variants_map_to_their_fields(seed):
    rng = random.Random(seed)
    # one printed variant per field, in a random order
    want = {f: rng.choice(spec.headers) for f, spec in BIRTH.fields.items()}
    order = list(want)
    rng.shuffle(order)
    cm = map_columns([ColumnHeader(None, want[f]) for f in order], BIRTH, CFG.header_match)
    assert list(cm.fields) == order
    assert not cm.unmapped


def test_ocr_noise_in_headers_still_maps():
    heads = ["Số TT", "Ngày đăng kỷ", "Họ và tèn", "Giới tỉnh", "Ngày. tháng, năm sỉnh", "Nơi sình",
             "Họ tên cha", "Họ và tên mẹ"]
    cm = map_columns([ColumnHeader(None, h) for h in heads], BIRTH, CFG.header_match)
    assert cm.fields == ("entry_no", "registration_date", "full_name", "sex", "date_of_birth",
                         "place_of_birth", "father_name", "mother_name")


def test_near_miss_fields_do_not_steal_each_others_columns():
    # "Họ và tên" must not go to father_name, nor "Họ và tên cha" to full_name
    heads = ["Họ và tên cha", "Họ và tên", "Họ và tên mẹ", "Ngày sinh", "Nơi sinh"]
    cm = map_columns([ColumnHeader(None, h) for h in heads], BIRTH, CFG.header_match)
    assert cm.fields == ("father_name", "full_name", "mother_name", "date_of_birth", "place_of_birth")


def test_unknown_header_is_unmapped_not_forced():
    heads = ["Số", "Họ và tên", "Số chứng minh thư", "Ngày sinh"]
    cm = map_columns([ColumnHeader(None, h) for h in heads], BIRTH, CFG.header_match)
    assert cm.fields[2] is None and cm.unmapped == (2,)
    assert cm.fields[:2] == ("entry_no", "full_name")


def test_marriage_groups_decide_husband_or_wife():
    heads = [ColumnHeader(None, "Số"), ColumnHeader(None, "Ngày đăng ký"),
             ColumnHeader("Vợ", "Họ và tên"), ColumnHeader("Vợ", "Năm sinh"), ColumnHeader("Vợ", "Trú quán"),
             ColumnHeader("Bên chồng", "Họ, chữ đệm, tên"), ColumnHeader("Bên chồng", "Ngày sinh"),
             ColumnHeader("Bên chồng", "Dân tộc"), ColumnHeader(None, "Ghi chú")]
    cm = map_columns(heads, MARRIAGE, CFG.header_match)
    assert cm.fields == ("entry_no", "registration_date", "wife_name", "wife_date_of_birth",
                         "wife_residence", "husband_name", "husband_date_of_birth", "husband_ethnicity",
                         "notes")


def test_a_group_cell_misread_beyond_matching_is_the_one_group_left():
    # "Vợ" read "Vd": the columns under it read as the wife's sub-headers, "Chồng" is named
    heads = [ColumnHeader(None, "Số"), ColumnHeader("Chồng", "Họ tên"), ColumnHeader("Chồng", "Năm sinh"),
             ColumnHeader("Vd", "Ho tên"), ColumnHeader("Vd", "Năm sinh"), ColumnHeader("Vd", "Nơi cư trú")]
    cm = map_columns(heads, MARRIAGE, CFG.header_match)
    assert cm.fields == ("entry_no", "husband_name", "husband_date_of_birth", "wife_name",
                         "wife_date_of_birth", "wife_residence")
    # not when the columns under it do not read as that group's: nothing is forced
    # ("Năm sinh" alone may still match the one date of birth left, as "Năm sinh vợ"; "Lý
    # do chết" is no wife's sub-header and gets nothing)
    odd = heads[:3] + [ColumnHeader("Vd", "Năm sinh"), ColumnHeader("Vd", "Lý do chết")]
    assert map_columns(odd, MARRIAGE, CFG.header_match).fields[4] is None


def test_a_grouped_field_matches_its_subheader_with_the_group_word():
    # a book without the group row: "Chỗ ở chồng" is the husband's residence
    heads = [ColumnHeader(None, "Số"), ColumnHeader(None, "Tên họ chồng"), ColumnHeader(None, "Chỗ ở chồng"),
             ColumnHeader(None, "Tên họ vợ"), ColumnHeader(None, "Chỗ ở vợ")]
    assert map_columns(heads, MARRIAGE, CFG.header_match).fields == (
        "entry_no", "husband_name", "husband_residence", "wife_name", "wife_residence")


def test_single_level_marriage_headers_with_group_words():
    heads = ["Số", "Họ và tên chồng", "Họ và tên vợ", "Ngày sinh của vợ", "Ngày sinh chồng"]
    cm = map_columns([ColumnHeader(None, h) for h in heads], MARRIAGE, CFG.header_match)
    assert cm.fields == ("entry_no", "husband_name", "wife_name", "wife_date_of_birth",
                         "husband_date_of_birth")


def test_header_rows_column_numbers_and_entries_are_told_apart():
    assert is_column_numbers(["1", "2", "3", "(4)", "5"])
    assert not is_column_numbers(["12", "12/3/1972", "Nguyễn Văn An"])
    # small printed digits misread or lost here and there: still the numbers row
    assert is_column_numbers(["1", "2", "3", "4", "5", "6", "Lả", "8", "9", "10", '"1', "12", "13"])
    assert is_column_numbers(["", "2", "3", "4", "", "6", "7", "8"])
    # 1 read "l", 11 read "II", 5 read "b", 8 lost: taken for the first entry, it became a
    # record of numbers
    assert is_column_numbers(["l", "2", "3", "4", "b", "6", "7", "", "9", "10", "II"])
    entry = ["1", "23/1/1964", "Lê Tiến Đức", "23/12/1963", "Trai", "Bệnh viện Bạch Mai", "Việt Nam", "Kinh"]
    assert not is_column_numbers(entry)
    regs = list(CFG.registers.values())
    assert header_likeness(["Họ và tên", "Ngày sinh", "Dân tộc"], regs, CFG.header_match) >= 0.6
    assert header_likeness(["Nguyễn Văn An", "12/3/1972", "Nam", "Kinh"], regs, CFG.header_match) < 0.6


@pytest.mark.parametrize("text,want", [
    ("SỔ ĐĂNG KÝ KHAI SINH", "birth"), ("SỐ ĐĂNG KÝ KIT HÔN", "marriage"), ("SO KHAI SINH", "birth"),
    ("SỔ ĐĂNG KÝ TỬ", "death"), ("SỔ ĐĂNG KÝ KHAI SINH NĂM 1972", "birth"),
    ("UBND phường Bạch Mai", None), ("Quyển số: 12 – Năm 1961", None)])
def test_title_names_the_register(text, want):
    assert classify_title([text], CFG)[0] == want


@pytest.mark.tesseract
def test_headers_read_from_a_painted_ledger():
    from ocr.grid import detect_grid
    from ocr.ledger import read_headers
    from ocr.recognize import prepare_page
    from ocr.tesseract import make_engine
    from tests.synth import Column, ledger

    cols = [Column("Ngày sinh", 1), Column("Họ và tên", 2), Column("Số TT", .6), Column("Nơi sinh", 2),
            Column("Giới tính", .9)]
    page = ledger(cols, [["3/4/1952", "Trần Thị Bình", "1", "Nhà hộ sinh A", "Nữ"]], pt=26,
                  size=(1900, 800))
    gray = np.array(page.image)
    grid = detect_grid(gray)
    headers, first_body, *_ = read_headers(make_engine(), prepare_page(gray, grid.line_mask), grid, CFG)
    cm = map_columns(headers, BIRTH, CFG.header_match)
    assert cm.fields == ("date_of_birth", "full_name", "entry_no", "place_of_birth", "sex")
    assert first_body == 1


def test_settle_assigns_columns_only_where_the_fits_leave_one_choice():
    from ocr.ledger import _settle

    # "473" fits only the entry number; "11.8.1984" fits both: it is then the date
    assert _settle({"entry_no": [0, 3], "registration_date": [3]}) == {0: "entry_no", 3: "registration_date"}
    assert _settle({"entry_no": [0, 3]}) == {}  # two number columns: neither is decided
    assert _settle({"entry_no": [0, 3], "registration_date": [0, 3]}) == {}


@pytest.mark.tesseract
def test_columns_whose_headers_are_unreadable_are_told_by_their_cells():
    from ocr.grid import detect_grid
    from ocr.ledger import read_ledger
    from ocr.recognize import prepare_page
    from ocr.tesseract import make_engine
    from pipeline.extract.page import reads_as
    from tests.synth import Column, ledger

    # the entry number's and the registration date's headers are smudged beyond reading;
    # the birth date's is read, so the registration date is the one date column left
    cols = [Column("~~~", .6), Column("Họ và tên", 2), Column("Giới tính", .9), Column("Ngày sinh", 1.2),
            Column("%%%", 1.2)]
    rows = [[str(470 + i), name, sex, f"{1 + i}/2/1972", f"{3 + i}/4/1972"]
            for i, (name, sex) in enumerate([("Trần Thị Bình", "Nữ"), ("Lê Văn An", "Nam"),
                                             ("Phạm Thu Hà", "Nữ"), ("Đỗ Minh Tâm", "Nam")])]
    gray = np.array(ledger(cols, rows, pt=26, size=(1900, 900)).image)
    grid = detect_grid(gray)
    page = prepare_page(gray, grid.line_mask)
    blind = read_ledger(make_engine(), page, grid, CFG, "birth")
    assert blind.columns.fields[0] is None and "unmapped_column" in blind.entries[0].flags
    told = read_ledger(make_engine(), page, grid, CFG, "birth", fits=reads_as)
    assert told.columns.fields == ("entry_no", "full_name", "sex", "date_of_birth", "registration_date")
    e = told.entries[0]
    assert e.cells["entry_no"].text == "470" and e.cells["registration_date"].text == "3/4/1972"
    assert {"column_inferred:entry_no", "column_inferred:registration_date"} <= set(e.flags)
    assert "unmapped_column" not in e.flags


def test_a_header_read_only_in_part_is_the_field_whose_header_it_ends():
    from ocr.ledger import cut_headers

    death = CFG.registers["death"]
    texts = ["Số", "Ngày đăng ký", "Họ và tên", "Giới tính", "Ngày sinh", "Dân tộc", "Nơi chết",
             "nhân chất", "Ngày chết"]  # "Nguyên nhân chết" wrapped, its first line lost
    headers = [ColumnHeader(None, t) for t in texts]
    cm = map_columns(headers, death, CFG.header_match)
    assert cm.fields[7] is None  # too little of it for the header matching
    assert cut_headers(headers, cm, death).fields[7] == "cause_of_death"
    # too short, or as close to two fields' headers: left unmapped
    short = [ColumnHeader(None, t) for t in texts[:7] + ["chết", "Ngày chết"]]
    assert cut_headers(short, map_columns(short, death, CFG.header_match), death).fields[7] is None


def test_older_word_orders_and_lone_words_under_a_group_map():
    # a 1960s birth ledger: "Tên họ" (the words of "Họ tên" swapped), and a "Cha mẹ" group
    # whose columns read only "Mẹ" and "Cha" (mother first)
    from ocr.ledger import cut_headers
    heads = [ColumnHeader(None, "Số sổ"), ColumnHeader(None, "Tên họ"), ColumnHeader(None, "Sinh ngày"),
             ColumnHeader("Cha mẹ", "Mẹ"), ColumnHeader("Cha mẹ", "Cha")]
    cm = map_columns(heads, BIRTH, CFG.header_match)
    assert cm.fields[1] == "full_name"
    got = cut_headers(heads, cm, BIRTH).fields
    assert got[3:] == ("mother_name", "father_name")
    # a lone word several fields' headers share tells nothing
    vague = [ColumnHeader(None, "Họ và tên"), ColumnHeader(None, "Tên")]
    assert cut_headers(vague, map_columns(vague, BIRTH, CFG.header_match), BIRTH).fields[1] is None


@pytest.mark.tesseract
def test_a_column_the_record_does_not_keep_forces_no_review_only_when_no_field_lacks():
    import dataclasses

    from ocr.grid import detect_grid
    from ocr.ledger import read_ledger
    from ocr.recognize import prepare_page
    from ocr.tesseract import make_engine
    from tests.synth import Column, ledger

    cols = [Column("Số", .6), Column("Họ và tên", 2), Column("Nghề nghiệp", 1.4), Column("Giới tính", .9)]
    rows = [[str(470 + i), name, job, sex] for i, (name, job, sex) in enumerate(
        [("Trần Thị Bình", "Nông dân", "Nữ"), ("Lê Văn An", "Cán bộ", "Nam"), ("Phạm Thu Hà", "Học sinh", "Nữ")])]
    gray = np.array(ledger(cols, rows, pt=26, size=(1600, 700)).image)
    grid = detect_grid(gray)
    page = prepare_page(gray, grid.line_mask)
    # a register of exactly these three fields: the occupation column is one it does not keep
    small = dataclasses.replace(BIRTH, fields={f: BIRTH.fields[f] for f in ("entry_no", "full_name", "sex")})
    cfg = dataclasses.replace(CFG, registers={**CFG.registers, "birth": small})
    kept = read_ledger(make_engine(), page, grid, cfg, "birth")
    assert kept.columns.fields == ("entry_no", "full_name", None, "sex")
    assert all("unmapped_column" not in e.flags for e in kept.entries)
    assert any("does not keep" in n for n in kept.notes)
    # the full birth register lacks a column for most of its fields: that one may hold one
    full = read_ledger(make_engine(), page, grid, CFG, "birth")
    assert full.columns.fields[2] is None and all("unmapped_column" in e.flags for e in full.entries)
    # a lacking field whose values tell it (a nationality) is not in a column whose cells
    # read as something else ("Nông dân"): the column is one the record does not keep
    from pipeline.extract.page import reads_as

    four = dataclasses.replace(BIRTH, fields={f: BIRTH.fields[f] for f in ("entry_no", "full_name", "sex", "nationality")})
    cfg4 = dataclasses.replace(CFG, registers={**CFG.registers, "birth": four})
    told = read_ledger(make_engine(), page, grid, cfg4, "birth", fits=reads_as)
    assert told.columns.fields[2] is None and all("unmapped_column" not in e.flags for e in told.entries)
    blind = read_ledger(make_engine(), page, grid, cfg4, "birth")
    assert all("unmapped_column" in e.flags for e in blind.entries)


def test_columns_under_a_group_the_register_does_not_know_map_by_their_own_text():
    # a death ledger grouping the deceased's columns under "Người chết": the group's words
    # dilute "Ngày sinh" below the header match; the column's own text maps it
    death = CFG.registers["death"]
    heads = [ColumnHeader(None, "Số"), ColumnHeader("Người chết", "Giới tính"),
             ColumnHeader("Người chết", "Ngày sinh"), ColumnHeader("Người chết", "Họ và tên"),
             ColumnHeader(None, "Ngày chết")]
    assert map_columns(heads, death, CFG.header_match).fields == (
        "entry_no", "sex", "date_of_birth", "full_name", "date_of_death")
    # a header that matches with its group word keeps priority over the text alone
    heads = [ColumnHeader(None, "Họ và tên"), ColumnHeader("Người đi khai", "Họ và tên")]
    assert map_columns(heads, death, CFG.header_match).fields == ("full_name", "declarant_name")


def _cells(*texts):
    from ocr.recognize import CellText, TextLine
    return [CellText((0, 0, 10, 10), (TextLine((0, 0, 10, 10), t, 0.9),)) for t in texts]


def test_the_one_column_left_is_the_one_field_left_only_when_its_cells_may_be_it():
    from ocr.headers import ColumnMap
    from ocr.ledger import _last_standing, _may_hold
    from pipeline.extract.page import reads_as

    cm = ColumnMap(("entry_no", None, "full_name", None), (100.0, 0.0, 100.0, 0.0))
    ages = _cells("32", "41", "27", "30")
    causes = _cells("Bệnh già", "Tai nạn giao thông", "Ung thư phổi", "Bệnh tim")
    places = _cells("Xã Yên Sở, Thanh Trì, Hà Nội", "Phường Bạch Mai, Hai Bà Trưng, Hà Nội",
                    "Xã Tam Hiệp, Thanh Trì, Hà Nội")
    # an age column cannot hold a place or a name; free text it may
    assert not _may_hold(ages, "place_of_death", reads_as) and not _may_hold(ages, "declarant_name", reads_as)
    assert _may_hold(ages, "cause_of_death", reads_as)
    # numbers tell only against names and places: a date column may hold a date
    dates = _cells("3/4/1972", "5/6/1980", "1/1/1990")
    assert _may_hold(dates, "registration_date", reads_as) and not _may_hold(dates, "full_name", reads_as)
    # one field lacking, one unmapped column may hold it: that column's
    got = _last_standing(cm, ["place_of_death"], {1: ages, 3: places}, reads_as)
    assert got.fields == ("entry_no", None, "full_name", "place_of_death")
    # two columns that may both be it: neither is guessed
    assert _last_standing(cm, ["cause_of_death"], {1: causes, 3: causes}, reads_as) == cm
    # two fields lacking, told apart by elimination: causes are no place, so the place
    # column is the place field's and the other the one free-text field left
    assert _last_standing(cm, ["place_of_death", "cause_of_death"], {1: causes, 3: places},
                          reads_as).fields == ("entry_no", "cause_of_death", "full_name", "place_of_death")
    # words that name no place ("Công nhân": an occupation) are not taken for places
    jobs = _cells("Công nhân", "Giáo viên", "Kỹ sư", "Bộ đội")
    assert _last_standing(cm, ["place_of_death"], {1: ages, 3: jobs}, reads_as) == cm
    # cells that do not read as the field (most of a nationality's must): not guessed
    assert _last_standing(cm, ["nationality"], {1: ages, 3: causes}, reads_as) == cm



def _marriage_block(husband_group, wife_group):
    subs = ["Họ và tên", "Ngày sinh", "Dân tộc", "Quốc tịch", "Nơi cư trú"]
    return ([ColumnHeader(None, "Số"), ColumnHeader(None, "Ngày đăng ký")]
            + [ColumnHeader(husband_group, s) for s in subs] + [ColumnHeader(wife_group, s) for s in subs]
            + [ColumnHeader(None, "Ghi chú")])


@pytest.mark.parametrize("groups", [("xx", "yy"), (None, None), ("Ng", "Ng")])
def test_twin_columns_without_their_group_are_left_unmapped_not_swapped(groups):
    """The husband's and the wife's columns print the same sub-headers; only the group cell
    tells them apart. Unreadable group cells must leave them unmapped (the records are
    flagged), never guess: "Họ và tên" ranks nearer "Họ và tên vợ" for being shorter, which
    put the husband's block in wife_* silently."""
    cm = map_columns(_marriage_block(*groups), MARRIAGE, CFG.header_match)
    husband, wife = cm.fields[2:7], cm.fields[7:12]
    assert not any(f and f.startswith("wife_") for f in husband), cm.fields
    assert not any(f and f.startswith("husband_") for f in wife), cm.fields
    assert cm.fields[:2] == ("entry_no", "registration_date") and cm.fields[-1] == "notes"


@pytest.mark.parametrize("groups", [("Chồng", "Vợ"), ("Chồng", None), ("Chồng", "yy"), ("Bên chồng", "Bên vợ")])
def test_twin_columns_with_one_group_known_map_to_both(groups):
    """One readable group cell decides both blocks: the other block's columns are the twins
    left over."""
    cm = map_columns(_marriage_block(*groups), MARRIAGE, CFG.header_match)
    assert cm.fields[2:7] == ("husband_name", "husband_date_of_birth", "husband_ethnicity",
                              "husband_nationality", "husband_residence")
    assert cm.fields[7:12] == ("wife_name", "wife_date_of_birth", "wife_ethnicity",
                               "wife_nationality", "wife_residence")


def test_headers_that_name_the_spouse_map_without_a_group():
    heads = ["Số", "Họ tên chồng", "Ngày sinh chồng", "Chỗ ở chồng", "Họ tên vợ", "Ngày sinh vợ", "Nơi cư trú của vợ"]
    cm = map_columns([ColumnHeader(None, h) for h in heads], MARRIAGE, CFG.header_match)
    assert cm.fields == ("entry_no", "husband_name", "husband_date_of_birth", "husband_residence",
                         "wife_name", "wife_date_of_birth", "wife_residence")
