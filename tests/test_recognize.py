"""ocr.recognize: page preparation before reading; a dotted zero's dot is whitened."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ocr.recognize import enclosed_marks, prepare_page

CHAR_H = 20.0
MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"  # its zero carries a dot


def _ring(ink: np.ndarray, cx: int, cy: int, rx: int, ry: int) -> None:
    cv2.ellipse(ink, (cx, cy), (rx, ry), 0, 0, 360, 255, 2)


def test_a_dot_in_the_middle_of_a_zero_is_an_enclosed_mark():
    ink = np.zeros((60, 200), np.uint8)
    _ring(ink, 30, 30, 7, 10)
    ink[28:33, 28:33] = 255
    marks = enclosed_marks(ink, CHAR_H)
    assert len(marks) == 1
    assert cv2.boundingRect(marks[0]) == (28, 28, 5, 5)


def test_marks_in_off_centre_holes_big_rings_and_against_a_wall_stay():
    ink = np.zeros((200, 300), np.uint8)
    # a "9": its bowl in the glyph's upper half, with a speck in it
    _ring(ink, 30, 25, 7, 7)
    ink[25:50, 36:38] = 255
    ink[24:27, 29:32] = 255
    # a seal: a ring many characters wide, with words inside
    _ring(ink, 200, 100, 80, 80)
    ink[95:105, 170:230] = 255
    # a zero whose inner mark touches nothing but sits against its left wall
    _ring(ink, 60, 150, 8, 12)
    ink[148:152, 55:57] = 255
    assert enclosed_marks(ink, CHAR_H) == []


def _typed(text: str, size: int = 20, blur: float = 0.8) -> np.ndarray:
    img = Image.new("L", (400, 80), 245)
    ImageDraw.Draw(img).text((20, 20), text, font=ImageFont.truetype(MONO, size), fill=110)
    return np.array(img.filter(ImageFilter.GaussianBlur(blur)))


def test_prepare_page_whitens_each_zeros_dot_and_nothing_else():
    gray = _typed("10/10/1950")
    page = prepare_page(gray)
    changed = (page.gray != gray).astype(np.uint8)
    # one whitened spot per zero, each inside a glyph's outline
    assert cv2.connectedComponents(changed)[0] - 1 == 3
    outline = np.zeros_like(page.ink)
    cnts, _ = cv2.findContours(page.ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(outline, cnts, -1, 255, cv2.FILLED)
    assert (outline > 0)[changed > 0].all()
    # no zero, nothing whitened
    plain = _typed("11/11/1951")
    assert (prepare_page(plain).gray == plain).all()


@pytest.mark.tesseract
@pytest.mark.parametrize("text", ["10/10/1950", "20/01/1940", "250/1975", "07/07/1950", "30/09/2004"])
def test_dotted_zeros_read_as_zeros(text):
    # at this size (a 200-dpi page) the dot made Tesseract read 10/10/1950 as 19/10/1959
    # and 250/1975 as 2590/1975: 31 of 50 such reads (5 sizes, 2 blurs) were right before
    # the dot was whitened, 50 of 50 after
    from ocr.recognize import read_box
    from ocr.tesseract import make_engine

    page = prepare_page(_typed(text))
    assert read_box(make_engine(), page, (0, 0, 400, 80)).text == text


def test_ink_at_the_image_edge_is_no_content():
    # the paper's shaded edge broken into glyph-sized pieces along the left side
    gray = np.full((300, 400), 245, np.uint8)
    for y in range(10, 290, 30):
        gray[y:y + 20, 0:8] = 120 + y % 40
    gray[100:120, 150:160] = 30  # a letter in the page's body
    gray[100:120, 170:180] = 30
    page = prepare_page(gray)
    assert not page.ink[:, :10].any() and (page.gray[10:30, 0:8] == 255).all()
    assert page.ink[100:120, 150:160].all() and page.ink[100:120, 170:180].all()


def _faded_page(ink_level: int) -> np.ndarray:
    """A page of a small-print header line over larger typed values, drawn in `ink_level`
    gray on white paper."""
    from tests.synth import font

    img = Image.new("L", (900, 220), 255)
    d = ImageDraw.Draw(img)
    d.text((40, 30), "Ngày đăng ký   Họ và tên   Giới tính", font=font(11), fill=ink_level)
    for i, t in enumerate(["12/2/1982   Nguyễn Thị Linh   Nữ", "14/2/1982   Trần Văn An   Nam",
                           "15/2/1982   Lê Minh Tâm   Nam"]):
        d.text((40, 70 + 45 * i), t, font=font(22), fill=ink_level)
    return np.array(img)


def test_a_faded_page_keeps_its_ink_and_a_blank_one_has_none():
    # darkest ink 175 on paper 255: a fixed "darker than 160" test called it blank
    assert prepare_page(_faded_page(175)).ink.any()
    rng = np.random.default_rng(3)
    blank = np.clip(rng.normal(250, 4, (220, 900)), 0, 255).astype(np.uint8)
    assert not prepare_page(blank).ink.any()

