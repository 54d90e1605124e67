"""Each cleanup step alone, on images with a known defect (no Tesseract needed)."""
from __future__ import annotations

import numpy as np
import pytest

from ocr import cleanup
from tests.synth import Column, form, ledger

COLS = [Column("Số", .5), Column("Ngày đăng ký", 1), Column("Họ và tên", 2), Column("Giới tính", .7),
        Column("Ngày sinh", 1), Column("Nơi sinh", 2.5)]
ROWS = [[str(i), "12/03/1972", "Nguyễn Văn An", "Nam", "1/3/1972", "Bệnh viện Bạch Mai"]
        for i in range(1, 9)]


@pytest.fixture(scope="module")
def ledger_page() -> np.ndarray:
    return np.array(ledger(COLS, ROWS).image)


@pytest.fixture(scope="module")
def form_page() -> np.ndarray:
    entries = [[("Số", str(n)), ("Họ và tên", "Trần Thị Bình"), ("Ngày sinh", "3/4/1952"),
                ("Nơi sinh", "Phường Bạch Mai, Quận Hai Bà Trưng, Hà Nội")] for n in (1, 2, 3)]
    img, _ = form(entries)
    return np.array(img)


def test_to_gray_accepts_rgb_rgba_16bit_and_bool():
    rgb = np.zeros((10, 12, 3), np.uint8)
    rgb[..., 0] = 255
    assert cleanup.to_gray(rgb).shape == (10, 12)
    assert cleanup.to_gray(np.dstack([rgb, np.full((10, 12), 255, np.uint8)])).dtype == np.uint8
    assert cleanup.to_gray(np.full((4, 4), 65535, np.uint16)).max() == 255
    assert cleanup.to_gray(np.ones((4, 4), bool)).max() == 255
    with pytest.raises(ValueError):
        cleanup.to_gray(np.zeros((4, 4, 5), np.uint8))


def test_remove_border_whitens_dark_scanner_edges(ledger_page):
    g = ledger_page.copy()
    g[:60, :] = 20  # dark top band (scanner lid)
    g[:, -80:] = 30  # dark right band
    out, changed = cleanup.remove_border(g)
    assert changed > 0
    assert out[:50, :].min() == 255 and out[:, -70:].min() == 255
    # the table itself is untouched
    assert (out[300:700, 200:1400] == g[300:700, 200:1400]).all()


def test_no_grey_halo_beside_a_removed_border(ledger_page):
    # yellowed paper with a scanner edge: the paper next to the edge is flattened like the
    # rest (a whitened border taken for paper left a grey band there, read as "|" lines)
    g = np.where(ledger_page > 200, np.uint8(212), ledger_page)
    g[:, -35:] = 30
    out = cleanup.clean_page(g, smooth=False).gray
    h, w = out.shape
    # column by column, between the table's edge (x 1591) and the border's margin
    level = np.median(out[h // 4: 3 * h // 4, 1595: w - 35 - 8], axis=0)
    assert level.min() >= 245, level


def test_flatten_background_evens_out_uneven_light(ledger_page):
    h, w = ledger_page.shape
    shade = np.linspace(0.55, 1.0, w)[None, :]  # light falling off to the left
    g = (ledger_page.astype(float) * shade).astype(np.uint8)
    flat = cleanup.flatten_background(g)
    paper = ledger_page > 200
    left, right = flat[:, : w // 4][paper[:, : w // 4]], flat[:, -w // 4:][paper[:, -w // 4:]]
    assert abs(float(np.median(left)) - float(np.median(right))) < 15
    assert abs(float(np.median(g[:, : w // 4][paper[:, : w // 4]])) - 255) > 60  # it was uneven


def test_denoise_removes_salt_and_pepper(ledger_page):
    rng = np.random.default_rng(1)
    g = ledger_page.copy()
    ys, xs = rng.integers(0, g.shape[0], 3000), rng.integers(0, g.shape[1], 3000)
    g[ys, xs] = 0
    out = cleanup.denoise(g)
    blank = ledger_page[ys, xs] == 255
    assert (out[ys, xs][blank] > 200).mean() > 0.95


@pytest.mark.parametrize("angle", [-3.0, -1.2, 0.8, 2.5])
def test_estimate_skew_recovers_the_angle(ledger_page, angle):
    skewed = cleanup.rotate(ledger_page, -angle)
    assert abs(cleanup.estimate_skew(skewed) - angle) <= 0.15


def test_estimate_skew_on_text_only_page(form_page):
    skewed = cleanup.rotate(form_page, 2.0)
    assert abs(cleanup.estimate_skew(skewed) + 2.0) <= 0.15


def test_estimate_skew_sees_faint_text_past_the_scanner_edge_on_a_large_page():
    # a 400-dpi form typed with a light ribbon: downscaled to the search size before
    # thresholding, its 2-px strokes fade into the paper and the skew reads ~0
    entries = [[("Số", str(n)), ("Họ và tên", "Trần Thị Bình"), ("Ngày sinh", "3/4/1952"),
                ("Nơi sinh", "Phường Bạch Mai, Quận Hai Bà Trưng, Hà Nội")] for n in range(1, 7)]
    img, _ = form(entries, size=(3300, 4670), pt=40)
    page = np.where(np.array(img) < 128, 175, 245).astype(np.uint8)
    skewed = cleanup.rotate(page, -1.3)
    skewed[-40:, :1200] = 60  # what remove_border left of the scanner bed: level with the image
    skewed[:, -25:] = 60
    assert abs(cleanup.estimate_skew(skewed) - 1.3) <= 0.15


def test_estimate_skew_of_blank_page_is_zero():
    assert cleanup.estimate_skew(np.full((400, 300), 255, np.uint8)) == 0.0


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_detect_rotation_undoes_quarter_and_half_turns(ledger_page, form_page, turned):
    for page in (ledger_page, form_page):
        upside = cleanup.turn(page, turned)
        fix = cleanup.detect_rotation(upside)
        assert (turned + fix) % 360 == 0, (turned, fix)


def test_clean_page_reports_what_it_did(ledger_page):
    img = cleanup.turn(cleanup.rotate(ledger_page, 1.5), 90)
    rgb = np.dstack([img] * 3)
    c = cleanup.clean_page(rgb)
    assert c.rotation == 270
    assert abs(c.skew_deg - (-1.5)) <= 0.2
    assert c.gray.shape == ledger_page.shape


def test_a_proposed_half_turn_is_second_guessed(form_page):
    upside = cleanup.turn(form_page, 180)
    assert cleanup.clean_page(upside).rotation == 180
    asked = []
    kept = cleanup.clean_page(upside, confirm_turn=lambda g: asked.append(g.shape) or False)
    assert kept.rotation == 0 and asked  # the confirmer said no: the page stays as it came
    assert cleanup.clean_page(upside, confirm_turn=lambda g: True).rotation == 180
