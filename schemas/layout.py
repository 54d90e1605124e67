"""What the page reader decided about one page's layout, for the layout picture (`hotich
layout`, the review page) and for the volume profile (schemas/profile.py).

A PageLayout is plain data in cleaned-page pixels; `as_dict`/`from_dict` keep it in the page's
cache slot (JSON) so that the picture can be drawn again without reading the page.
"""
from __future__ import annotations

from dataclasses import dataclass

BBox = tuple[int, int, int, int]


@dataclass(frozen=True)
class ColumnLayout:
    """One ledger column: its x-range on the page, the field it was mapped to (None: unmapped),
    its header text as read (group text over it, if any), and how it was mapped ("header",
    "inferred", "profile", "none")."""

    x0: int
    x1: int
    field: str | None
    header: str
    group: str | None = None
    how: str = "header"


@dataclass(frozen=True)
class LabelLayout:
    """One form label as read: its text, the field it names, its box on the page."""

    text: str
    field: str
    bbox: BBox


@dataclass(frozen=True)
class PageLayout:
    """The layout of one page.

    Attributes:
        kind: "ledger" | "form" | None (unrecognised).
        register_type: the type decided for the page, None when unknown.
        title: the title text as read; title_bbox its box (None when no title line).
        grid_bbox: the ruled table's box (ledger).
        columns: ledger columns, left to right.
        bands: (y0, y1) of every ruled band of the table, top to bottom.
        header_bands: how many bands from the top are header (incl. a column-number row).
        number_row: index of the band holding the column numbers, None when there is none.
        entries: each entry's box (ledger rows, form blocks), top to bottom.
        labels: form labels as read (every entry's).
    """

    kind: str | None
    register_type: str | None
    title: str = ""
    title_bbox: BBox | None = None
    grid_bbox: BBox | None = None
    columns: tuple[ColumnLayout, ...] = ()
    bands: tuple[tuple[int, int], ...] = ()
    header_bands: int = 0
    number_row: int | None = None
    entries: tuple[BBox, ...] = ()
    labels: tuple[LabelLayout, ...] = ()

    def relative_columns(self) -> tuple[tuple[float, float], ...]:
        """Each column's x-range relative to the grid's width (0..1)."""
        if self.grid_bbox is None:
            return ()
        x0, _, x1, _ = self.grid_bbox
        w = max(x1 - x0, 1)
        return tuple((round((c.x0 - x0) / w, 4), round((c.x1 - x0) / w, 4)) for c in self.columns)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "register_type": self.register_type, "title": self.title,
                "title_bbox": _box(self.title_bbox), "grid_bbox": _box(self.grid_bbox),
                "columns": [{"x0": c.x0, "x1": c.x1, "field": c.field, "header": c.header,
                             "group": c.group, "how": c.how} for c in self.columns],
                "bands": [[int(a), int(b)] for a, b in self.bands], "header_bands": self.header_bands,
                "number_row": self.number_row, "entries": [_box(b) for b in self.entries],
                "labels": [{"text": l.text, "field": l.field, "bbox": _box(l.bbox)} for l in self.labels]}

    @classmethod
    def from_dict(cls, d: dict) -> "PageLayout":
        return cls(kind=d.get("kind"), register_type=d.get("register_type"), title=d.get("title") or "",
                   title_bbox=_tbox(d.get("title_bbox")), grid_bbox=_tbox(d.get("grid_bbox")),
                   columns=tuple(ColumnLayout(int(c["x0"]), int(c["x1"]), c.get("field"), c.get("header") or "",
                                              c.get("group"), c.get("how") or "header")
                                 for c in d.get("columns") or ()),
                   bands=tuple((int(a), int(b)) for a, b in d.get("bands") or ()),
                   header_bands=int(d.get("header_bands") or 0), number_row=d.get("number_row"),
                   entries=tuple(_tbox(b) for b in d.get("entries") or ()),
                   labels=tuple(LabelLayout(l["text"], l["field"], _tbox(l["bbox"]))
                                for l in d.get("labels") or ()))


def _box(b) -> list[int] | None:
    return None if b is None else [int(v) for v in b]


def _tbox(b) -> BBox | None:
    return None if b is None else tuple(int(v) for v in b)  # type: ignore[return-value]
