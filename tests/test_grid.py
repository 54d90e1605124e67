"""Ruling grid detection on painted ledgers: broken lines, two header levels, non-tables."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ocr.cleanup import rotate
from ocr.grid import _on_rules, detect_grid
from ocr.ledger import header_pieces
from tests.synth import Column, form, ledger

COLS = [Column("Số", .5), Column("Ngày đăng ký", 1), Column("Họ và tên", 2), Column("Giới tính", .7),
        Column("Ngày sinh", 1), Column("Nơi sinh", 2.5), Column("Ghi chú", 1)]
MARRIAGE = [Column("Số", .5), Column("Ngày đăng ký", 1), Column("Họ và tên", 2, "Chồng"),
            Column("Ngày sinh", 1, "Chồng"), Column("Họ và tên", 2, "Vợ"), Column("Ngày sinh", 1, "Vợ"),
            Column("Ghi chú", 1)]


def _rows(n: int, width: int) -> list[list[str]]:
    return [[str(i)] + ["x" * 3] * (width - 1) for i in range(1, n + 1)]


def _close(found, truth, tol):
    return len(found) == len(truth) and all(abs(a - b) <= tol for a, b in zip(found, truth))


@pytest.mark.parametrize("broken", [0.0, 0.1, 0.2])
def test_grid_finds_columns_and_rows_through_broken_lines(broken):
    page = ledger(COLS, _rows(8, len(COLS)), broken=broken, seed=3)
    g = detect_grid(np.array(page.image))
    assert g is not None
    assert _close(g.cols, page.col_x, 4)
    assert _close([b[0] for b in g.bands] + [g.bands[-1][1]], page.row_y, 4)
    assert g.n_cols == len(COLS)


def test_grid_after_residual_skew_and_faded_lines():
    page = ledger(COLS, _rows(6, len(COLS)), seed=4)
    a = np.array(page.image)
    a = np.where(a < 128, 150, a).astype(np.uint8)  # faded print: lines and text light grey
    g = detect_grid(rotate(a, 0.25))  # what deskew leaves at worst
    assert g is not None and g.n_cols == len(COLS)
    assert len(g.bands) == 7


def test_two_level_header_gives_group_pieces():
    page = ledger(MARRIAGE, _rows(5, len(MARRIAGE)), seed=5)
    g = detect_grid(np.array(page.image))
    assert g is not None and g.n_cols == len(MARRIAGE)
    assert len(g.bands) == 6  # header + 5 entries: the group underline is not a band boundary
    pieces = header_pieces(g, g.bands[0])
    spans = sorted(tuple(cov) for _, cov, upper in pieces if upper)
    assert spans == [(2, 3), (4, 5)]  # "Chồng" over columns 2-3, "Vợ" over 4-5
    singles = sorted(cov[0] for _, cov, upper in pieces if not upper)
    assert singles == list(range(len(MARRIAGE)))


def test_group_line_found_as_one_segment_does_not_cut_a_column_it_skips():
    # "Ghi chú" spans both header levels between two "Chồng" columns; a faded gap in the
    # underline makes the detector join the two underlines into one segment over it
    cols = [Column("Số", .5), Column("Họ và tên", 2, "Chồng"), Column("Ghi chú", 1),
            Column("Ngày sinh", 1, "Chồng"), Column("Nơi ở", 2, "Chồng"), Column("Họ và tên", 2, "Vợ")]
    page = ledger(cols, _rows(4, len(cols)), seed=6)
    g = detect_grid(np.array(page.image))
    assert g is not None and g.n_cols == len(cols) and g.partial
    rule = g.partial[0]
    joined = dataclasses.replace(rule, lo=min(r.lo for r in g.partial), hi=max(r.hi for r in g.partial))
    pieces = header_pieces(dataclasses.replace(g, partial=(joined,)), g.bands[0])
    notes = [(box, upper) for box, cov, upper in pieces if cov == [2]]
    assert notes == [((g.cols[2], g.bands[0][0], g.cols[3], g.bands[0][1]), False)]  # whole, uncut
    spans = sorted(tuple(cov) for _, cov, upper in pieces if upper)
    assert spans == [(1,), (3, 4), (5,)]


def test_line_mask_keeps_a_rule_not_a_bold_word_past_its_end():
    frag = np.zeros((120, 800), np.uint8)
    frag[49:52, 100:500] = 255   # a group underline
    frag[53:60, 600:640] = 255   # "thích" in the next cell, opened into a short bar
    mask = _on_rules(frag, [(50, 100, 500)], True, 12)
    assert mask[50, 300] == 255 and not mask[:, 560:].any()


def test_form_page_with_rules_is_not_a_table():
    img, _ = form([[("Số", "1"), ("Họ và tên", "Trần Thị Bình")]] * 3)
    assert detect_grid(np.array(img)) is None


def test_blank_page_is_not_a_table():
    assert detect_grid(np.full((1000, 1400), 255, np.uint8)) is None


def test_a_bold_title_above_column_lines_does_not_move_the_tables_top():
    cols = [Column("Số", .5), Column("Họ và tên", 2), Column("Ngày sinh", 1), Column("Nơi sinh", 2)]
    page = np.array(ledger(cols, _rows(4, len(cols)), seed=3).image)
    g = detect_grid(page)
    assert g is not None
    top = g.bands[0][0]
    # a title's thick stems straight above two inner column lines, a gap before the table
    for x in g.cols[1:3]:
        page[top - 120: top - 60, x - 3: x + 4] = 0
    g2 = detect_grid(page)
    assert g2 is not None and g2.bands[0][0] == top and g2.bands == g.bands


def test_a_faded_row_line_is_full_below_the_header_but_group_underlines_never_are():
    from ocr.grid import Rule, _split_rules

    cols = [0, 100, 200, 300, 400]
    frag = np.zeros((200, 400), np.uint8)

    def draw(y, *spans):
        for a, b in spans:
            frag[y, a:b] = 255

    draw(10, (0, 400))                           # the table's top line
    draw(30, (40, 60), (100, 305))               # group underlines side by side (+ a header serif run)
    draw(60, (0, 400))                           # the header's bottom line
    draw(120, (5, 95), (210, 290), (300, 395))   # a row line faded out over column 2
    rules = [Rule(10, 0, 400, 1.0), Rule(30, 40, 305, 0.9), Rule(60, 0, 400, 1.0), Rule(120, 5, 395, 0.7)]
    full, partial = _split_rules(frag, rules, cols, 2, (10, 190))
    assert [r.pos for r in full] == [10, 60, 120]
    assert 30 not in [r.pos for r in full]
