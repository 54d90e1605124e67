"""normalize_field: the interface the pipeline and `hotich normalize` share."""
from __future__ import annotations

import pytest

from normalize.field import normalize_field
from schemas.records import Normalized


@pytest.mark.parametrize("field, raw, value", [
    ("full_name", "NGUYỄN  THỊ THU HẰNG", "Nguyễn Thị Thu Hằng"),
    ("father_name", "nguyễn văn hoà", "Nguyễn Văn Hòa"),
    ("date_of_birth", "ngày 12 tháng 3 năm 1965", "1965-03-12"),
    ("registration_date", "tháng 3/1965", "1965-03"),
    ("sex", "gái", "Nữ"),
    ("ethnicity", "Mông (Mèo)", "Mông"),
    ("wife_nationality", "VN", "Việt Nam"),
    ("entry_no", "Số: 125/1965", "125/1965"),
    ("place_of_birth", "BV Bạch Mai", "Bệnh viện Bạch Mai"),
    ("notes", "  Đăng ký   quá hạn ", "Đăng ký quá hạn"),
])
def test_each_kind(field, raw, value):
    got = normalize_field(field, raw)
    assert isinstance(got, Normalized)
    assert got.value == value
    assert 0.0 <= got.conf <= 1.0


@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n"])
def test_empty_is_none_without_flag(raw):
    got = normalize_field("full_name", raw)
    assert got.value is None and got.flags == ()


def test_impossible_date_is_none_and_flagged():
    got = normalize_field("date_of_birth", "31/2/1965")
    assert got.value is None and "invalid_date" in got.flags


def test_flags_are_bare_reasons():
    got = normalize_field("ethnicity", "Xyzzyq")
    assert got.value is None and got.flags and all(":" not in f for f in got.flags)


def test_free_text_flags_impossible_syllables():
    assert normalize_field("cause_of_death", "Xơ gan").flags == ()
    got = normalize_field("notes", "Đăng ký quá hạṇ tầt")
    assert got.flags == ("impossible_syllable",) and got.conf < 1.0
    assert normalize_field("notes", "HIV dương tính").flags == ()   # ASCII words are not judged


def test_place_code_passes_through():
    got = normalize_field("residence", "P. Bạch Mai, Q. HBT, HN")
    assert got.code == "00292" and got.value == "Phường Bạch Mai, Quận Hai Bà Trưng, Hà Nội"


def test_a_note_without_a_word_is_flagged():
    assert "unknown_text" in normalize_field("notes", "13").flags
    assert normalize_field("notes", "Đăng ký lại").flags == ()
