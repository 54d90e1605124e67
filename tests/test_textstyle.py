"""How canonical values are printed (samples/textstyle.py), and font coverage checks."""
from __future__ import annotations

import random

import pytest

from samples.fonts import FACE_BY_NAME, FACES, FONT_ROOT, check_face, missing_letters
from samples.textstyle import PrintStyle, abbreviate_place, new_style_tone, print_date, print_value


@pytest.mark.parametrize("style,iso,want", [
    ("slash", "1965-03-12", "12/3/1965"), ("slash0", "1965-03-02", "02/03/1965"),
    ("dash", "1965-03-12", "12-03-1965"), ("dot", "1965-03-12", "12.3.1965"),
    ("words", "1965-03-12", "ngày 12 tháng 3 năm 1965"),
    ("words_short", "1965-03-12", "12 tháng 3 năm 1965"),
    ("slash", "1965", "1965"), ("words", "1965", "1965"), ("words", "1965-03", "tháng 3 năm 1965"),
])
def test_date_styles(style, iso, want):
    assert print_date(iso, PrintStyle(date_style=style)) == want


def test_death_time_keeps_the_date_printed():
    text = print_date("1972-04-14", PrintStyle(date_style="slash"), random.Random(1), with_time=True)
    assert text.endswith("ngày 14/4/1972") and " giờ" in text


def test_names_sex_and_nationality():
    rng = random.Random(0)
    upper = PrintStyle(name_case="upper", sex_style="traigai", nationality_abbrev=True)
    assert print_value("full_name", "Nguyễn Thị Thu Hằng", upper, rng) == "NGUYỄN THỊ THU HẰNG"
    assert print_value("sex", "Nữ", upper, rng) == "Gái"
    assert print_value("nationality", "Việt Nam", upper, rng) == "VN"
    assert print_value("notes", None, upper, rng) is None


def test_new_style_tone_placement():
    assert new_style_tone("Nguyễn Thị Hòa, Lê Thủy, khỏe, Quý, Hoàng") == \
        "Nguyễn Thị Hoà, Lê Thuỷ, khoẻ, Quý, Hoàng"


def test_abbreviated_places():
    seen = {abbreviate_place("Phường Bạch Mai, Quận Hai Bà Trưng, Hà Nội", random.Random(s))
            for s in range(40)}
    assert "P. Bạch Mai, Q. Hai Bà Trưng, HN" in seen
    assert any("Q. HBT" in s for s in seen)
    assert abbreviate_place("Bệnh viện Bạch Mai", random.Random(0)) == "BV Bạch Mai"


def test_every_face_covers_vietnamese():
    for face in FACES:
        check_face(face)


def test_coverage_check_catches_a_font_without_vietnamese():
    mono = FONT_ROOT / "dejavu" / "DejaVuSansMono.ttf"
    if not mono.is_file():
        pytest.skip("DejaVu Sans Mono not installed")
    assert "ố" in missing_letters(mono)
    assert "DejaVu Sans Mono" not in FACE_BY_NAME
