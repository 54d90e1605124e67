"""ocr.lines: text lines from connected components, on drawn ink (no Tesseract needed)."""
from __future__ import annotations

import numpy as np

from ocr.lines import segment

CHAR_H = 20.0


def _glyphs(ink: np.ndarray, y0: int, y1: int, xs) -> None:
    for x in xs:
        ink[y0:y1, x:x + 12] = 255


def test_a_comma_tail_below_its_line_is_part_of_it_not_a_line_of_its_own():
    ink = np.zeros((70, 300), np.uint8)
    _glyphs(ink, 2, 22, range(5, 280, 16))     # line 1
    _glyphs(ink, 32, 52, range(5, 120, 16))    # line 2 ... "Viễn,"
    ink[48:57, 131:136] = 255                  # the comma: its tail below the line's core
    lines = segment(ink, CHAR_H).lines
    assert len(lines) == 2
    assert lines[1].bbox[3] == 57  # the comma belongs to the second line


def test_a_mark_far_from_any_line_stays_apart():
    ink = np.zeros((120, 300), np.uint8)
    _glyphs(ink, 2, 22, range(5, 280, 16))
    _glyphs(ink, 90, 110, range(5, 60, 16))
    # mid-way between (a lone small glyph, too tall to be a speck): joined to either line it
    # would stretch that line's box; it stays a line of its own
    ink[50:61, 60:71] = 255
    lines = segment(ink, CHAR_H).lines
    assert [l.bbox[1] for l in lines] == [2, 50, 90]
    assert lines[0].bbox[3] == 22 and lines[2].bbox[1] == 90


def test_a_descender_fused_with_a_letter_of_the_next_line_is_cut_between_them():
    ink = np.zeros((80, 300), np.uint8)
    _glyphs(ink, 2, 22, range(5, 280, 16))     # line 1
    _glyphs(ink, 36, 56, range(5, 280, 16))    # line 2, set tight under it
    ink[22:36, 9:13] = 255                     # the first letter's "g" tail reaches line 2's "K"
    seg = segment(ink, CHAR_H)
    assert len(seg.lines) == 2
    top, bottom = (l.bbox for l in seg.lines)
    # each line keeps its own letters: whole, the fused pair went to one line and took the
    # other line's first letter with it (read "kg 2." for "Phường Phan")
    assert top[1] == 2 and top[3] <= 36
    assert bottom[1] >= 22 and bottom[3] == 56
    lab = seg.labels
    assert set(np.unique(lab[2:22, 5:17])) - {0} <= set(seg.lines[0].labels.tolist())
    assert set(np.unique(lab[36:56, 5:17])) - {0} <= set(seg.lines[1].labels.tolist())
