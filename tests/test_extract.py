"""Field extraction from recognised cells: values, confidences, flags, re-reads (no Tesseract)."""
from __future__ import annotations

from configs.loader import load_config
from ocr.entry import Entry, book_year
from ocr.recognize import CellText, TextLine, strip_noise
from pipeline.extract.pagechecks import check_date_sequence, check_entry_sequence, flag_volume_entry_breaks
from pipeline.extract.record import Provenance, Reading, extract_record, normalize_cell, strip_entry_label, verify
from schemas.arrow import SCHEMAS
from schemas.parquet_io import to_table

CFG = load_config()
PROV = Provenance("vol-1", "vol-1.pdf", 7, "ledger", "ab" * 32, CFG.hash)


def cell(text: str, conf: float = 0.97, unread: bool = False) -> CellText:
    lines = tuple(TextLine((0, 0, 10, 10), t, conf, ((t, conf * 100, (0, 0, 10, 10)),))
                  for t in text.split("|") if t)
    return CellText((0, 0, 10, 10), lines, 0.0, unread)


def birth_entry(**over) -> Entry:
    cells = {"entry_no": cell("125"), "registration_date": cell("12/3/1972"),
             "full_name": cell("NGUYỄN VĂN AN"), "sex": cell("Nam"), "date_of_birth": cell("2/3/1972"),
             "place_of_birth": cell("Phường Bạch Mai, Quận|Hai Bà Trưng, Hà Nội"),
             "mother_name": cell("Trần Thị Bình"), "notes": cell("")}
    cells.update(over)
    return Entry(row=3, bbox=(10, 20, 900, 80), cells=cells)


def test_record_has_the_contract_columns_and_values():
    r = extract_record(birth_entry(), "birth", PROV, CFG, book_year=1972)
    to_table([r], SCHEMAS["birth"])
    assert r["record_id"] == "vol-1:0007:03" and r["page"] == 7 and r["row"] == 3
    assert r["bbox"] == [10, 20, 900, 80] and r["layout"] == "ledger"
    assert r["entry_no"] == "125" and r["registration_date"] == "1972-03-12"
    assert r["full_name"] == "Nguyễn Văn An" and r["full_name_raw"] == "NGUYỄN VĂN AN"
    # wrapped cell text joined with one space
    assert r["place_of_birth_raw"] == "Phường Bạch Mai, Quận Hai Bà Trưng, Hà Nội"
    assert r["notes"] is None and r["notes_raw"] is None
    # a column the book lacks: no value, no confidence
    assert r["hometown"] is None and r["hometown_conf"] is None
    assert 0.9 <= r["sex_conf"] <= 1.0


def test_flags_name_their_field():
    low = extract_record(birth_entry(full_name=cell("Nguyễn Văn An", conf=0.5)), "birth", PROV, CFG)
    assert "low_confidence:full_name" in low["flags"] and low["needs_review"]
    bad_date = extract_record(birth_entry(date_of_birth=cell("ngày tháng")), "birth", PROV, CFG)
    assert "invalid_date:date_of_birth" in bad_date["flags"]
    missing = extract_record(birth_entry(sex=cell("")), "birth", PROV, CFG)
    assert "missing_required:sex" in missing["flags"]
    unread = extract_record(birth_entry(mother_name=cell("", unread=True)), "birth", PROV, CFG)
    assert "unreadable:mother_name" in unread["flags"]
    part = extract_record(birth_entry(mother_name=cell("Hồng Hải", unread=True)), "birth", PROV, CFG)
    assert "line_unread:mother_name" in part["flags"] and "unreadable:mother_name" not in part["flags"]
    bare = extract_record(Entry(1, (0, 0, 1, 1), birth_entry().cells, ("unmapped_column",)),
                          "birth", PROV, CFG)
    assert "unmapped_column" in bare["flags"]
    year_only = extract_record(birth_entry(registration_date=cell("1972")), "birth", PROV, CFG)
    assert year_only["registration_date"] == "1972" and "date_incomplete:registration_date" in year_only["flags"]
    assert not any(f.startswith("date_incomplete") for f in extract_record(birth_entry(), "birth", PROV, CFG)["flags"])


def test_cross_field_rules_flag_impossible_orders():
    r = extract_record(birth_entry(date_of_birth=cell("2/3/1975")), "birth", PROV, CFG)
    assert any(f.endswith(":registration_date") and f.startswith("date_order") for f in r["flags"])


def test_entry_label_is_stripped():
    assert strip_entry_label("Số: 125") == "125"
    assert strip_entry_label("Số TT. 12/1961") == "12/1961"
    assert strip_entry_label("125/1965") == "125/1965"


def test_second_opinion_two_of_three_and_book_year():
    first = Reading("84-01-1936", 0.9, normalize_cell("date_of_birth", "84-01-1936", None))
    reads = {"scaled": ("04-01-1936", 0.9), "small": ("04-01-1936", 0.8)}
    got, agreed = verify("date_of_birth", first, lambda v: reads[v], None)
    assert got.norm.value == "1936-01-04" and not agreed
    same = Reading("12/3/1972", 0.95, normalize_cell("registration_date", "12/3/1972", None))
    got, agreed = verify("registration_date", same, lambda v: ("12/3/1972", 0.95), None)
    assert agreed and got is same
    # the book's year wins over a majority that reads 1969 for 1960
    wrong = Reading("17/10/1969", 0.9, normalize_cell("registration_date", "17/10/1969", None))
    reads = {"scaled": ("17/10/1969", 0.9), "small": ("17/10/1960", 0.8)}
    got, agreed = verify("registration_date", wrong, lambda v: reads[v], None,
                         expect=lambda v: v is not None and v.startswith("1960"))
    assert got.norm.value == "1960-10-17" and not agreed


def _first(field: str, raw: str) -> Reading:
    return Reading(raw, 0.3, normalize_cell(field, raw, None))


def test_two_reads_that_fail_to_parse_do_not_agree_and_the_thresholded_read_decides():
    # thin light type: the first read and the 1.5x read both garbled, the 0.75x read
    # garbled differently; the Otsu-thresholded crop reads it
    reads = {"scaled": ("S32) Ag Mái là", 0.1), "small": ("127774995", 0.2), "binary": ("12/7/1995", 0.9)}
    asked = []
    got, agreed = verify("date_of_death", _first("date_of_death", "22774995"),
                         lambda v: asked.append(v) or reads[v], None)
    assert asked == ["scaled", "small", "binary"]
    assert got.norm.value == "1995-07-12" and not agreed
    # with a majority of the first three, no fourth read
    asked.clear()
    reads = {"scaled": ("12/7/1995", 0.9), "small": ("12/7/1995", 0.9)}
    got, _ = verify("date_of_death", _first("date_of_death", "22774995"),
                    lambda v: asked.append(v) or reads[v], None)
    assert asked == ["scaled", "small"] and got.norm.value == "1995-07-12"


def test_an_empty_re_read_never_empties_a_cell_the_first_read_saw():
    # "empty" has no flag of its own: taken as the reading it hid an unreadable cell
    reads = {"scaled": (None, 0.0), "small": (None, 0.0), "binary": (None, 0.0)}
    first = _first("ethnicity", "Kimh b")
    got, agreed = verify("ethnicity", first, lambda v: reads[v], None)
    assert got is first and got.norm.flags and not agreed


def test_entry_numbers_follow_their_neighbours():
    rows = [{"entry_no": x, "flags": [], "needs_review": False} for x in ("9", "19", "11", "12")]
    out = check_entry_sequence(rows)
    assert [r["entry_no"] for r in out] == ["9", "10", "11", "12"]
    assert out[1]["flags"] == ["entry_no_sequence:entry_no"] and out[1]["needs_review"]
    assert out[0] is rows[0]  # untouched rows are passed through
    rows = [{"entry_no": x, "flags": [], "needs_review": False} for x in ("7/1960", "8/1960", "9/1969", "10/1960")]
    assert check_entry_sequence(rows)[2]["entry_no"] == "9/1960"
    lone = [{"entry_no": "5", "flags": [], "needs_review": False}]
    assert check_entry_sequence(lone) == lone


def test_a_number_that_breaks_the_volumes_run_across_pages_is_flagged_as_read():
    # form pages of one or two entries: "588" read "88" on a page of its own
    rows = [{"entry_no": x, "page": p, "flags": [], "needs_review": False}
            for x, p in (("586", 6), ("587", 6), ("88", 7), ("589", 8), ("592", 9), ("593", 9))]
    out = flag_volume_entry_breaks(rows)
    assert out[2]["entry_no"] == "88" and out[2]["flags"] == ["entry_no_sequence:entry_no"]
    assert out[2]["needs_review"]
    # a gap (an entry missed, a page failed) is no break: 589 -> 592 flags nothing
    assert [r for i, r in enumerate(out) if i != 2] == [r for i, r in enumerate(rows) if i != 2]


def test_entry_numbers_follow_the_pages_run_not_just_two_neighbours():
    def rows(*xs):
        return [{"entry_no": x, "flags": [], "needs_review": False} for x in xs]

    # two misread in a row, then the last one right: the run of the page decides
    out = check_entry_sequence(rows("197", "198", "199", "290", "291", "202"))
    assert [r["entry_no"] for r in out] == ["197", "198", "199", "200", "201", "202"]
    assert out[5]["flags"] == [] and out[3]["flags"] == ["entry_no_sequence:entry_no"]
    # an entry the reader missed shifts the rest by one: flagged, never renumbered
    out = check_entry_sequence(rows("11", "12", "13", "14", "16", "17"))
    assert [r["entry_no"] for r in out] == ["11", "12", "13", "14", "16", "17"]
    assert [bool(r["flags"]) for r in out] == [False] * 4 + [True] * 2
    # a number that differs in more than one digit is flagged, not guessed
    out = check_entry_sequence(rows("5", "6", "7", "83", "9"))
    assert out[3]["entry_no"] == "83" and out[3]["flags"] == ["entry_no_sequence:entry_no"]
    # no majority (numbering restarts mid-page): nothing to say
    assert check_entry_sequence(rows("365", "366", "1", "2")) == rows("365", "366", "1", "2")


def test_registration_date_out_of_the_page_order_is_flagged():
    dates = ("1989-12-09", "1989-12-19", "1989-12-11", "1989-12-11", "1989-12-14")
    rows = [{"registration_date": d, "flags": [], "needs_review": False} for d in dates]
    out = check_date_sequence(rows)
    assert out[1]["flags"] == ["date_sequence:registration_date"] and out[1]["needs_review"]
    assert out[1]["registration_date"] == "1989-12-19"  # flagged, never changed
    assert [r["flags"] for r in out[2:]] == [[], [], []] and out[0] is rows[0]
    # neighbours that disagree with each other say nothing; reduced precision compares as far as it goes
    rows = [{"registration_date": d, "flags": [], "needs_review": False} for d in ("1989-05", "1989-01-02", "1989-03-01")]
    assert all(not r["flags"] for r in check_date_sequence(rows))
    rows = [{"registration_date": d, "flags": [], "needs_review": False} for d in ("1989-03-02", "1989", "1989-03-05")]
    assert all(not r["flags"] for r in check_date_sequence(rows))


def test_entry_number_year_suffix_read_through_typewriter_zeros():
    r = extract_record(birth_entry(entry_no=cell("772/2919")), "birth", PROV, CFG, book_year=2010)
    assert r["entry_no"] == "772/2010" and r["entry_no_raw"] == "772/2919"
    assert "year_repaired:entry_no" in r["flags"]
    same = extract_record(birth_entry(entry_no=cell("772/2011")), "birth", PROV, CFG, book_year=2010)
    assert same["entry_no"] == "772/2011"  # a 1 is no zero: left as read, but flagged
    assert "not_book_year:entry_no" in same["flags"]


def test_registration_year_one_digit_off_the_book_and_the_page_dates_it_casts_doubt_on():
    from pipeline.extract.pagechecks import year_misreads
    from pipeline.extract.record import book_year_misread

    assert book_year_misread("1961-05-01", 1967) == "1967-05-01"
    assert book_year_misread("1951-05-01", 1967) is None  # two digits off: not a slip
    r = extract_record(birth_entry(registration_date=cell("1/5/1961"), date_of_birth=cell("15/4/1961")),
                       "birth", PROV, CFG, book_year=1967)
    assert r["registration_date"] == "1967-05-01" and "date_repaired:registration_date" in r["flags"]
    assert "not_book_year:registration_date" not in r["flags"]
    other = extract_record(birth_entry(registration_date=cell("3/5/1967"), date_of_birth=cell("2/4/1958")),
                           "birth", PROV, CFG, book_year=1967)
    out = year_misreads([r, other], 1967)
    assert "year_suspect:date_of_birth" in out[0]["flags"]  # 1961: the 7 read as 1 here too?
    assert out[1] is other  # 1958: no 1 where the slip was
    assert year_misreads([other], 1967) == [other]


def test_a_date_after_the_book_year_is_set_back_by_the_pages_slipped_digit():
    from pipeline.extract.pagechecks import year_misreads

    # this typewriter's 0 reads as 9: the registration dates say so, and a birth in 1969
    # cannot be registered in a 1960 book
    r = extract_record(birth_entry(registration_date=cell("9/5/1969"), date_of_birth=cell("2/3/1969")),
                       "birth", PROV, CFG, book_year=1960)
    assert r["registration_date"] == "1960-05-09"
    assert "after_register_year:date_of_birth" in r["flags"]
    out = year_misreads([r], 1960)[0]
    assert out["date_of_birth"] == "1960-03-02" and out["date_of_birth_raw"] == "2/3/1969"
    assert {"year_repaired:date_of_birth", "year_suspect:date_of_birth"} <= set(out["flags"])
    assert "after_register_year:date_of_birth" not in out["flags"]
    # a year the book allows stays as read (only flagged)
    ok = extract_record(birth_entry(registration_date=cell("9/5/1969"), date_of_birth=cell("2/3/1959")),
                        "birth", PROV, CFG, book_year=1960)
    out = year_misreads([r, ok], 1960)[1]
    assert out["date_of_birth"] == "1959-03-02" and "year_suspect:date_of_birth" in out["flags"]


def test_book_year_from_heading_lines():
    assert book_year(["UBND phường Bạch Mai", "Quyển số: 12 – Năm 1961"]) == 1961
    assert book_year(["SỔ KHAI SINH"]) is None
    assert book_year(["Năm 2350"]) is None


def test_noise_words_are_stripped_but_dashes_kept():
    w = lambda t, c=95: (t, c, (0, 0, 1, 1))
    assert [x[0] for x in strip_noise([w("°", 90), w("11.2.2009"), w("'", 30)])] == ["11.2.2009"]
    assert [x[0] for x in strip_noise([w("Nam"), w("-", 40), w("Cu"), w("Ba")])] == ["Nam", "-", "Cu", "Ba"]
    assert [x[0] for x in strip_noise([w(".Ngọc"), w("Lan")])] == ["Ngọc", "Lan"]


def test_form_field_whose_label_was_not_found_is_flagged():
    form = Provenance("vol-1", "vol-1.pdf", 7, "form", "ab" * 32, CFG.hash)
    r = extract_record(birth_entry(), "birth", form, CFG, book_year=1972)
    # hometown has no cell at all: the label was not found on the form
    assert "missing_field:hometown" in r["flags"]
    # a label found with nothing read after it: flagged too, except fields often left blank
    empty = extract_record(birth_entry(mother_name=cell(""), father_name=cell("")), "birth", form, CFG,
                           book_year=1972)
    assert "missing_field:mother_name" in empty["flags"]
    assert "missing_field:father_name" not in empty["flags"] and "missing_field:notes" not in empty["flags"]
    # a ledger has no labels: a column the book lacks is not flagged
    assert not any(f.startswith("missing_field:") for f in
                   extract_record(birth_entry(), "birth", PROV, CFG, book_year=1972)["flags"])


def test_a_date_whose_last_digit_wrapped_alone_is_flagged():
    wrapped = cell("13/12/194|7")
    assert len(wrapped.lines) == 2
    r = extract_record(birth_entry(date_of_birth=wrapped), "birth", PROV, CFG)
    assert r["date_of_birth"] == "1947-12-13" and "digit_alone:date_of_birth" in r["flags"]
    whole = extract_record(birth_entry(date_of_birth=cell("13/12/|1947")), "birth", PROV, CFG)
    assert "digit_alone:date_of_birth" not in whole["flags"]


def test_years_past_the_plausible_window_read_through_typewriter_zeros_without_a_book_year():
    # the book's own year misread too ("Năm 2065"): the window (settings dates.max_year) bounds it
    r = extract_record(birth_entry(entry_no=cell("2/2065"), registration_date=cell("5/2/2065")),
                       "birth", PROV, CFG, book_year=None)
    assert r["entry_no"] == "2/2005" and "year_repaired:entry_no" in r["flags"]
    assert r["registration_date"] == "2005-02-05" and "date_repaired:registration_date" in r["flags"]
    keep = extract_record(birth_entry(entry_no=cell("2/2031")), "birth", PROV, CFG, book_year=None)
    assert keep["entry_no"] == "2/2031"  # no zero misread explains it: left as read


def test_a_wrapped_digit_confirmed_by_reading_the_lines_side_by_side_is_not_flagged():
    wrapped = birth_entry(date_of_birth=cell("13/12/194|1"))
    # the reader sees "13/12/1941" when the two lines are joined: the lone "1" stands
    same = extract_record(wrapped, "birth", PROV, CFG, reread=lambda c, v: ("13/12/1941", 0.95))
    assert "digit_alone:date_of_birth" not in same["flags"]
    # joined, the lone "1" is a 7: that date is taken, the raw text kept, flagged for review
    other = extract_record(wrapped, "birth", PROV, CFG, reread=lambda c, v: ("13/12/1947", 0.95))
    assert "digit_alone:date_of_birth" in other["flags"]
    assert other["date_of_birth"] == "1947-12-13" and other["date_of_birth_raw"] == "13/12/194 1"


def test_a_heading_year_misread_through_a_typewriter_zero_gives_way_to_the_pages_registrations():
    from pipeline.extract.pagechecks import settle_book_year

    # "Năm 1979" over registrations read 1970 (and, slipping the same way, some 1979)
    assert settle_book_year(1979, ["17/9/1970", "19/9/1979", "2/11/1979"]) == 1970
    # the other way round a heading zero stands: the body's 9 is the slip
    assert settle_book_year(1960, ["9/5/1969", "19/5/1969"]) == 1960
    # another digit than a zero's look-alikes, or no registrations: the heading as read
    assert settle_book_year(1924, ["25/02/1974"]) == 1924
    # ... unless the entry numbers' suffixes say the same as the registrations (two cells of
    # every entry against one heading)
    assert settle_book_year(1924, ["25/02/1974", "4/05/1974"], ["778/1974", "779/1974"]) == 1974
    # a typewriter slipping 7 to 1 in the body, the suffixes with the heading: the heading
    assert settle_book_year(1967, ["1/5/1961", "3/5/1961"], ["121/1967", "122/1967"]) == 1967
    # the body's zero slipped everywhere, suffixes too: still the heading (year_misreads' case)
    assert settle_book_year(1960, ["9/5/1969", "19/5/1969"], ["5/1969", "6/1969"]) == 1960
    assert settle_book_year(1979, []) == 1979 and settle_book_year(None, ["1/1/1970"]) is None


def test_the_recorded_event_date_read_without_its_day_is_flagged():
    r = extract_record(birth_entry(date_of_birth=cell("04/1974")), "birth", PROV, CFG)
    assert r["date_of_birth"] == "1974-04" and "date_incomplete:date_of_birth" in r["flags"]


def test_spaces_in_a_date_are_a_wrap_or_its_lost_separators():
    # a date wrapped in its narrow column is joined again
    assert normalize_cell("registration_date", "24/10/200 5", None).value == "2005-10-24"
    # faint dots read as nothing: joined, "8 3 1960" made 831960 and no date at all
    assert normalize_cell("date_of_death", "8 3 1960", None).value == "1960-03-08"
    assert normalize_cell("date_of_birth", "8.2 1960", None).value == "1960-02-08"
