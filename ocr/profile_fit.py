"""Does a volume profile (schemas/profile.py) fit a ledger page? Pure checks, no OCR.

A profile maps the page's columns by their x-range relative to the ruled grid; it fits when
the grid has the profile's column count and every column boundary lies within
BOUNDARY_TOLERANCE of the profile's. With `verify_headers`, the header words read on the
page must also agree with the profile's for most columns.
"""
from __future__ import annotations

from rapidfuzz import fuzz

from ocr.grid import TableGrid
from ocr.headers import ColumnHeader, ColumnMap
from ocr.vocab import fold
from schemas.profile import VolumeProfile

# Column boundaries may move this much (share of the grid width) between pages of one book:
# printed forms are the same, scans shift and skew a little. A different printing moves them
# more than this.
BOUNDARY_TOLERANCE = 0.03
# Header words agree when their folded texts are this close (rapidfuzz ratio 0..100), and a
# page fits when at least this share of the columns with header words agree.
HEADER_AGREE = 60.0
HEADER_AGREE_SHARE = 0.5


def _name(p: VolumeProfile) -> str:
    return f"profile {p.source or p.volume_id or '(given)'}"


def fit_columns(grid: TableGrid, p: VolumeProfile) -> tuple[ColumnMap | None, str | None]:
    """The profile's column map for this grid, or (None, why it does not fit)."""
    if grid.n_cols != len(p.columns):
        return None, (f"{_name(p)} does not fit: the page's table has {grid.n_cols} columns, "
                      f"the profile {len(p.columns)}")
    x0, _, x1, _ = grid.bbox
    w = max(x1 - x0, 1)
    page_edges = [(c - x0) / w for c in grid.cols]
    prof_edges = [p.columns[0].x0] + [c.x1 for c in p.columns]
    worst = max(range(len(page_edges)), key=lambda i: abs(page_edges[i] - prof_edges[i]))
    off = abs(page_edges[worst] - prof_edges[worst])
    if off > BOUNDARY_TOLERANCE:
        return None, (f"{_name(p)} does not fit: column boundary {worst + 1} lies at "
                      f"{page_edges[worst]:.3f} of the table width, the profile says "
                      f"{prof_edges[worst]:.3f}")
    return ColumnMap(tuple(c.field for c in p.columns), tuple(0.0 for _ in p.columns)), None


def header_disagreement(headers: list[ColumnHeader], p: VolumeProfile) -> str | None:
    """Why the page's header words disagree with the profile's (None: they agree)."""
    pairs = [(i, " ".join(t for t in (h.group, h.text) if t), c.header)
             for i, (h, c) in enumerate(zip(headers, p.columns)) if fold(c.header)]
    if not pairs:
        return None
    bad = [(i, got, want) for i, got, want in pairs
           if fuzz.token_set_ratio(fold(got), fold(want)) < HEADER_AGREE]
    if len(pairs) - len(bad) >= HEADER_AGREE_SHARE * len(pairs):
        return None
    i, got, want = bad[0]
    return (f"{_name(p)} does not fit: {len(bad)} of {len(pairs)} column headers disagree "
            f"(column {i + 1} reads {got!r}, the profile says {want!r})")
