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
