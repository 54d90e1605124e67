"""normalize.dates: register date styles -> ISO reduced precision; impossible dates never shifted."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalize.dates import parse_date

ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@pytest.mark.parametrize("raw, want", [
    ("12/3/1965", "1965-03-12"), ("12.3.1965", "1965-03-12"), ("1965-03-12", "1965-03-12"),
    ("ngày 12 tháng 3 năm 1965", "1965-03-12"), ("12 tháng 3 năm 1965", "1965-03-12"),
    ("NGÀY 12 THÁNG 3 NĂM 1965", "1965-03-12"), ("ngày12tháng3năm1965", "1965-03-12"),
    ("tháng 3/1965", "1965-03"), ("3/1965", "1965-03"), ("năm 1965", "1965"), ("1965", "1965"),
    ("ngày 5 tháng Chạp năm 1970", "1970-12-05"), ("tháng Giêng 1970", "1970-01"),
    ("ngày 1 tháng mười hai năm 1980", "1980-12-01"), ("12-III-1965", "1965-03-12"),
    ("6 giờ 15 ngày 14/4/1972", "1972-04-14"), ("14/4/1972 lúc 6h15 sáng", "1972-04-14"),
    ("08 giờ 30 phút, ngày 01/02/1990", "1990-02-01"), ("Sinh năm 1965", "1965"),
    ("l2/O3/l965", "1965-03-12"), ("S/B/l9B5", "1985-08-05"), ("ngày l5 tháng B năm l97O", "1970-08-15"),
    ("29/2/2000", "2000-02-29"), ("12031965", "1965-03-12"),
])
def test_styles(raw, want):
    assert parse_date(raw).value == want


def test_two_digit_years_follow_the_register_year():
    assert parse_date("12-03-65", register_year=1990).value == "1965-03-12"
    assert parse_date("14/4/05", register_year=2010).value == "2005-04-14"
    assert parse_date("14/4/15", register_year=1920).value == "1915-04-14"
    # Without context: the registers' century, flagged as a guess when 20yy is possible too.
    got = parse_date("14/4/05")
    assert got.value == "1905-04-14" and "ambiguous_year" in got.flags


@pytest.mark.parametrize("raw", ["31/2/1965", "30/2/2000", "29/2/1900", "31/4/1970", "32/1/1970",
                                 "12/13/1965", "0/5/1970", "ngày 31 tháng 2 năm 1965"])
def test_impossible_dates_are_none_and_flagged(raw):
    got = parse_date(raw)
    assert got.value is None and got.flags == ("invalid_date",)


def test_unreadable_and_empty():
    assert parse_date("").value is None and parse_date("").flags == ()
    assert parse_date("không rõ").flags == ("unparsed_date",)


def test_lunar_dates_are_flagged():
    assert "lunar_calendar" in parse_date("ngày 12 tháng 3 năm 1965 (âm lịch)").flags


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=40), st.text(alphabet="0123456789/-. OlSBngàytháng", max_size=25)))
def test_total_iso_and_idempotent(raw):
    got = parse_date(raw)
    if got.value is not None:
        assert ISO.match(got.value)
        assert parse_date(got.value).value == got.value
    else:
        assert got.flags or not raw.strip()


def test_lone_lookalike_between_numbers_is_the_month():
    from normalize.dates import parse_date
    r = parse_date("22 I 1991", 1991)
    assert r.value == "1991-01-22" and "digits_repaired" in r.steps
    assert parse_date("16 l 1991", 1991).value == "1991-01-16"


@pytest.mark.parametrize("raw, want", [("98/11/1937", "1937-11-08"), ("26/66/1977", "1977-06-26"),
                                       ("1 giờ ngày 18/95/1989", "1989-05-18"), ("96/19/1989", "1989-10-06")])
def test_typewriter_zero_read_as_nine_or_six_is_repaired_and_flagged(raw, want):
    got = parse_date(raw)
    assert got.value == want and "date_repaired" in got.flags and got.conf < 0.8


def test_zero_repair_only_where_one_reading_fits():
    assert parse_date("31/2/1965").value is None       # no 9/6 to read as 0
    assert parse_date("30/02/1965").value is None      # valid digits stay: never shifted to fit
    assert parse_date("12/03/1965").flags == ()


def test_a_year_after_the_register_year_read_through_typewriter_zeros():
    got = parse_date("20-92-2019", 2010)
    assert got.value == "2010-02-20" and "date_repaired" in got.flags
    assert parse_date("1994", 1989).value == "1904"          # one reading fits
    assert parse_date("2/3/1999", 1989).value == "1999-03-02"  # 1900 and 1909 both fit: kept
    assert parse_date("1966", 1989).flags == ()               # before the register year: as read


def test_a_colon_between_day_and_month_is_a_misread_separator_not_a_time():
    r = parse_date("07:07-1972")
    assert r.value == "1972-07-07" and "date_repaired" in r.flags and r.conf < 1
    # a real time beside a full date is dropped quietly
    r = parse_date("7:30 ngày 5/3/1972")
    assert r.value == "1972-03-05" and not r.flags
    # a "time" beside a bare year: the day and month may be what was lost
    r = parse_date("07:07 1972")
    assert r.value == "1972" and "date_extra_text" in r.flags
