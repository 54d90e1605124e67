"""Ground truth of generated volumes: frozen dataclasses with JSON round-trips.

Coordinates are pixels of the FINAL page image (after skew, shift and scanner borders), as
[x0, y0, x1, y1] with x1/y1 exclusive, clipped to the page. Record ids follow CONTRACT.md:
`<volume_id>:<page:04d>:<row:02d>`.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

BBox = tuple[int, int, int, int]


def record_id(volume_id: str, page: int, row: int) -> str:
    return f"{volume_id}:{page:04d}:{row:02d}"


@dataclass(frozen=True)
class EntryTruth:
    """One register entry on a page.

    Attributes:
        record_id: `<volume_id>:<page:04d>:<row:02d>`.
        row: 1-based position on the page, top to bottom.
        bbox: the entry's box (ledger: the table row between its ruling lines; form: the
            block from its "Số:" line to its last line, across the text width).
        fields: every contract field of the register type (entry_no, registration_date
            included) -> canonical value, or None (empty, or the book has no such column).
        cells: field -> the text exactly as printed (wrapped lines joined with one space),
            None when the cell is empty or the column/label is absent.
        cell_bboxes: field -> box. Ledger: the cell's interior between its ruling lines
            (present for every column the book has, empty or not). Form: the value text's
            box, from after the label to the end of the value's last line (only when printed).
    """

    record_id: str
    row: int
    bbox: BBox
    fields: dict[str, str | None]
    cells: dict[str, str | None]
    cell_bboxes: dict[str, BBox]


@dataclass(frozen=True)
class ColumnTruth:
    """A ledger column (or form label) as printed: field, header text, group and box.

    Attributes:
        field: the contract field the column holds.
        header: the header text as printed (wrapped lines joined with one space).
        group: the marriage group header over it ("Chồng", "Vợ"), or None.
        bbox: the header cell's box (ledger) on this page.
    """

    field: str
    header: str
    group: str | None
    bbox: BBox | None


@dataclass(frozen=True)
class PageTruth:
    """One page image.

    Attributes:
        page: 1-based position in the volume (file order), not any number printed on it.
        width, height, dpi: the page raster.
        skew: rotation applied, degrees (positive = counter-clockwise).
        layout: "ledger" or "form"; register_type: birth/death/marriage.
        title: the title as printed; title_bbox its box.
        header_lines: the other lines above the entries, as printed (authority, book, year).
        columns: ledger columns left to right (empty for forms).
        entries: the entries top to bottom.
    """

    page: int
    width: int
    height: int
    dpi: int
    skew: float
    layout: str
    register_type: str
    title: str
    title_bbox: BBox
    header_lines: tuple[str, ...]
    columns: tuple[ColumnTruth, ...]
    entries: tuple[EntryTruth, ...]


@dataclass(frozen=True)
class VolumeTruth:
    """One generated volume: what was rendered and how.

    Attributes:
        volume_id: e.g. "hbt-ks-1972-l"; register_type, layout, year of the book.
        source_file: the file name written (e.g. "hbt-ks-1972-l.pdf"), or the folder name.
        font: the typeface name; font_size: its size in pixels; dpi; degrade level.
        seed: the seed the volume was rendered from.
        style: the printing conventions (samples/textstyle.PrintStyle as a dict).
        pages: the pages in order.
    """

    volume_id: str
    register_type: str
    layout: str
    year: int
    source_file: str
    font: str
    font_size: int
    dpi: int
    degrade: str
    seed: int
    style: dict
    pages: tuple[PageTruth, ...]

    def entries(self) -> list[EntryTruth]:
        return [e for p in self.pages for e in p.entries]

    def to_json(self) -> str:
        """Deterministic JSON (sorted keys are not used: field order is meaningful)."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "VolumeTruth":
        d = json.loads(text)
        pages = []
        for p in d["pages"]:
            entries = tuple(
                EntryTruth(record_id=e["record_id"], row=e["row"], bbox=tuple(e["bbox"]),
                           fields=dict(e["fields"]), cells=dict(e["cells"]),
                           cell_bboxes={k: tuple(v) for k, v in e["cell_bboxes"].items()})
                for e in p["entries"])
            cols = tuple(ColumnTruth(field=c["field"], header=c["header"], group=c["group"],
                                     bbox=tuple(c["bbox"]) if c["bbox"] is not None else None)
                         for c in p["columns"])
            pages.append(PageTruth(
                page=p["page"], width=p["width"], height=p["height"], dpi=p["dpi"],
                skew=p["skew"], layout=p["layout"], register_type=p["register_type"],
                title=p["title"], title_bbox=tuple(p["title_bbox"]),
                header_lines=tuple(p["header_lines"]), columns=cols, entries=entries))
        return cls(**{**d, "pages": tuple(pages)})

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "VolumeTruth":
        return cls.from_json(Path(path).read_text(encoding="utf-8"))
