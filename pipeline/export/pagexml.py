"""`hotich export OUT --format page`: PAGE XML (2019-07-15 schema) per page, beside its image.

What Transkribus, eScriptorium and OCR-D tools read. One PcGts file per page:
- Page: the page image's file name and size in pixels (the cleaned image every box refers to);
- ReadingOrder: one OrderedGroup over the regions, top to bottom;
- TextRegion per line group outside entries (title, column headers) and per register entry
  (a ledger row, a form's block), its Coords the record's `bbox`;
- TextLine per read cell of an entry (one per field with text), its Coords the field's own
  box (`F_bbox`; for records without it, the union of the cell's recognised lines; else the
  entry's box), `custom="readingOrder {index:N;} structure {type:FIELD;}"` (Transkribus'
  convention) naming the field;
- TextEquiv: the cell's text as read (`F_raw`, what is written on the page, the same text
  the ALTO export carries) with `conf` = `F_conf` (0..1);
- UserDefined: UserAttributes `field` and `value` (the record's normalised value `F`, e.g.
  the ISO date of "04/03/1990") on each line, `record_id` and `row` on each entry's region.
  They are kept out of TextEquiv on purpose: several TextEquivs are alternative readings
  in PAGE, and a normalised value is not a reading of the page.

The pure part is `build_page_xml`; `export_page` reads OUT and writes files atomically.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree
from lxml.builder import ElementMaker

from pipeline.export.common import NOT_XML as _NOT_XML
from pipeline.export.common import copy_image, safe_name, schema_errors
from pipeline.export.common import unit_conf as _conf
from pipeline.export.common import union_box as _union
from schemas.atomic import write_bytes_atomic
from schemas.errors import BadInputError
from schemas.fields import REGISTER_TYPES, all_fields

PAGE_NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
PAGE_XSD = Path(__file__).resolve().parents[2] / "schemas" / "page" / "pagecontent.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
E = ElementMaker(namespace=PAGE_NS, nsmap={None: PAGE_NS, "xsi": _XSI})


def _clean(text) -> str:
    """Text as XML 1.0 allows it (OCR can emit control characters), single-spaced."""
    return " ".join(_NOT_XML.sub("", str(text or "")).split())


def _points(bbox) -> str:
    """A rectangle's four corners, clockwise from top left, as PAGE's `points`."""
    x0, y0, x1, y1 = (max(0, int(round(v))) for v in bbox)
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    return f"{x0},{y0} {x1},{y0} {x1},{y1} {x0},{y1}"


def _box(value) -> list[int] | None:
    if value is None or len(value) != 4:
        return None
    x0, y0, x1, y1 = (int(v) for v in value)
    return [x0, y0, x1, y1] if x1 > x0 and y1 > y0 else None


@dataclass(frozen=True)
class Line:
    """One TextLine: its text as read, confidence (0..1, None when unknown), and for an
    entry's cell the field and the record's normalised value."""

    id: str
    bbox: tuple[int, int, int, int]
    text: str
    conf: float | None = None
    field: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Region:
    id: str
    bbox: tuple[int, int, int, int]
    lines: tuple[Line, ...]
    kind: str  # title | header | text | entry
    record_id: str | None = None
    row: int | None = None


@dataclass(frozen=True)
class PageDoc:
    """Everything one PAGE file says (regions in reading order)."""

    volume_id: str
    number: int
    image_name: str
    width: int
    height: int
    regions: tuple[Region, ...]
    creator: str
    created: str
    comments: str


def _other_regions(n: int, lines: list[dict]) -> list[Region]:
    """Lines outside entries (title, column headers, stray text) grouped by their role."""
    groups: dict[str, list[dict]] = {}
    for line in lines:
        if line.get("row") is None:
            groups.setdefault(str(line.get("role") or "header"), []).append(line)
    out = []
    for role, ls in groups.items():
        kind = role if role in ("title", "header") else "text"
        rid = f"p{n}_{kind}{len(out) + 1}"
        plines = []
        for i, l in enumerate(ls, start=1):
            words = [w for w in l.get("words") or [] if _clean(w.get("text"))]
            text = _clean(l.get("text")) or " ".join(_clean(w["text"]) for w in words)
            bbox = _box(l.get("bbox")) or (_union([w["bbox"] for w in words]) if words else None)
            if not text or bbox is None:
                continue
            confs = [_conf(w.get("conf")) for w in words]
            conf = _conf(l["conf"]) if l.get("conf") is not None else (sum(confs) / len(confs) if confs else None)
            plines.append(Line(f"{rid}_l{i}", tuple(bbox), text, conf))
        if plines:
            out.append(Region(rid, tuple(_union([list(l.bbox) for l in plines])), tuple(plines), kind))
    return out


def _entry_region(n: int, rec: dict, fields: tuple[str, ...], cell_lines: dict) -> Region | None:
    """One register entry: a TextLine per field with text, in the page's reading order."""
    row = int(rec["row"])
    rid = f"p{n}_r{row}"
    entry_box = _box(rec.get("bbox"))
    # Reading order: the order the page's lines give the cells (top to bottom, left to
    # right); fields no line names follow in column order.
    order = {f: i for i, f in enumerate(cell_lines.get("order", {}).get(row, []))}
    ranked = sorted(fields, key=lambda f: (order.get(f, len(order)), fields.index(f)))
    lines = []
    for f in ranked:
        raw = _clean(rec.get(f + "_raw"))
        if not raw:
            continue  # an empty cell has nothing to transcribe
        boxes = cell_lines.get("boxes", {}).get((row, f))
        bbox = _box(rec.get(f + "_bbox")) or (_union(boxes) if boxes else None) or entry_box
        if bbox is None:
            continue
        conf = rec.get(f + "_conf")
        lines.append(Line(f"{rid}_{f}", tuple(bbox), raw, None if conf is None else _conf(conf), f,
                          _clean(rec.get(f)) or None))
    if not lines:
        return None
    box = entry_box or _union([list(l.bbox) for l in lines])
    return Region(rid, tuple(box), tuple(lines), "entry", str(rec.get("record_id") or "") or None, row)


def build_page_xml(facts: dict, records: list[dict], register_type: str | None, image_name: str,
                   creator: str, created: str) -> PageDoc:
    """Turn one page's facts (OUT/pages/V/NNNN.json) and its records into a PAGE document.

    Args:
        facts: {volume_id, page, width, height, register_type, layout,
            lines: [{bbox, words, field, row, role?}]}.
        records: the page's record rows (schemas/arrow.py columns), any order.
        register_type: the records' type (None: the facts' own, or no entries).
        image_name: the page image's file name (Page/@imageFilename).
        creator: Metadata/Creator ("hotich 0.4.0").
        created: Metadata/Created, an xsd:dateTime in UTC.
    Raises:
        KeyError, TypeError, ValueError: the facts lack what a page needs.
    """
    n = int(facts["page"])
    lines = facts.get("lines") or []
    cells: dict = {"boxes": {}, "order": {}}
    for line in lines:
        row, f = line.get("row"), line.get("field")
        if row is None or not f or _box(line.get("bbox")) is None:
            continue
        cells["boxes"].setdefault((int(row), f), []).append(_box(line["bbox"]))
        seen = cells["order"].setdefault(int(row), [])
        if f not in seen:
            seen.append(f)
    rtype = register_type or facts.get("register_type")
    fields = all_fields(rtype) if rtype in REGISTER_TYPES else ()
    regions = _other_regions(n, lines)
    regions.sort(key=lambda r: (r.bbox[1], r.bbox[0]))
    for rec in sorted(records, key=lambda r: int(r["row"])):
        reg = _entry_region(n, rec, fields, cells)
        if reg is not None:
            regions.append(reg)
    desc = (f"OCR of a {rtype or 'civil-status'} register page ({facts.get('layout') or 'unknown'}"
            f" layout), volume {facts['volume_id']}, page {n}")
    return PageDoc(volume_id=str(facts["volume_id"]), number=n, image_name=image_name,
                   width=int(facts["width"]), height=int(facts["height"]), regions=tuple(regions),
                   creator=creator, created=created, comments=desc)


def _text_equiv(line: Line):
    attrs = {}
    if line.conf is not None:
        attrs["conf"] = f"{line.conf:.4f}".rstrip("0").rstrip(".") or "0"
    return E.TextEquiv(E.Unicode(line.text), **attrs)


def _user_defined(**values) -> list:
    """A UserDefined element of string/integer attributes (none when all are None)."""
    attrs = [E.UserAttribute(name=k, type="xsd:integer" if isinstance(v, int) else "xsd:string", value=str(v))
             for k, v in values.items() if v is not None]
    return [E.UserDefined(*attrs)] if attrs else []


def render_page_xml(doc: PageDoc) -> bytes:
    """The PAGE XML bytes (UTF-8, with declaration) of a page."""
    regions = []
    for r_i, reg in enumerate(doc.regions):
        lines = []
        for l_i, line in enumerate(reg.lines):
            custom = f"readingOrder {{index:{l_i};}}"
            if line.field:
                custom += f" structure {{type:{line.field};}}"
            lines.append(E.TextLine(E.Coords(points=_points(line.bbox)), _text_equiv(line),
                                    *_user_defined(field=line.field, value=line.value),
                                    id=line.id, custom=custom))
        attrs = {"id": reg.id, "custom": f"readingOrder {{index:{r_i};}} structure {{type:{reg.kind};}}"}
        if reg.kind == "title":
            attrs["type"] = "heading"
        elif reg.kind != "entry":
            attrs["type"] = "other"
        # RegionType's sequence: Coords, UserDefined, then the TextLines.
        regions.append(E.TextRegion(E.Coords(points=_points(reg.bbox)),
                                    *_user_defined(record_id=reg.record_id, row=reg.row), *lines, **attrs))
    page_children = []
    if doc.regions:
        page_children.append(E.ReadingOrder(E.OrderedGroup(
            *[E.RegionRefIndexed(index=str(i), regionRef=r.id) for i, r in enumerate(doc.regions)],
            id=f"p{doc.number}_ro")))
    root = E.PcGts(
        E.Metadata(E.Creator(doc.creator), E.Created(doc.created), E.LastChange(doc.created),
                   E.Comments(doc.comments)),
        E.Page(*page_children, *regions, imageFilename=doc.image_name, imageWidth=str(doc.width),
               imageHeight=str(doc.height), type="content", primaryLanguage="Vietnamese"),
        pcGtsId=f"{safe_name(doc.volume_id)}_{doc.number:04d}")
    root.set(f"{{{_XSI}}}schemaLocation", f"{PAGE_NS} {PAGE_NS}/pagecontent.xsd")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@lru_cache(maxsize=1)
def page_schema() -> etree.XMLSchema:
    """The PAGE 2019-07-15 schema shipped in schemas/page (no network)."""
    return etree.XMLSchema(etree.parse(str(PAGE_XSD), etree.XMLParser(no_network=True)))


def validate_page_xml(xml: bytes | str) -> list[str]:
    """Schema errors of a PAGE document (empty when valid).

    Raises:
        lxml.etree.XMLSyntaxError: the document is not well-formed.
    """
    return schema_errors(page_schema(), xml)


@dataclass(frozen=True)
class PageExport:
    """What the PAGE export wrote, the pages skipped and the volumes not exported (one line
    each: what and why)."""

    written: tuple[Path, ...]
    skipped: tuple[str, ...]
    failed: tuple[str, ...]


def _volume_records(out: Path, volume_id: str) -> tuple[str | None, dict[int, list[dict]]]:
    """(register type, page -> record rows) of one volume; (None, {}) when it has none."""
    from schemas.parquet_io import read_records

    for rtype in REGISTER_TYPES:
        t = read_records(out, rtype, volume_id)
        if t.num_rows:
            by_page: dict[int, list[dict]] = {}
            for rec in t.to_pylist():
                by_page.setdefault(int(rec["page"]), []).append(rec)
            return rtype, by_page
    return None, {}


def _utc(path: Path) -> str:
    """The page file's time as xsd:dateTime in UTC: the same OUT exports the same bytes."""
    t = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).replace(microsecond=0)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def export_page(out: Path, dest: Path, volume: str | None = None,
                software_version: str = "0") -> PageExport:
    """Write DEST/<volume>/<NNNN>.xml (PAGE) and the page image beside it, for every page
    file under OUT/pages.

    Args:
        out: the output folder.
        dest: where the volumes' folders go.
        volume: only this volume id.
        software_version: hotich's version, written in Metadata/Creator.
    Returns:
        The files written, the pages skipped and the volumes that could not be exported
        (their records unreadable); the other volumes are written.
    Raises:
        BadInputError: no page files under OUT/pages (for `volume`, if given).
    """
    pages_root = Path(out) / "pages"
    vols = sorted(p for p in pages_root.glob("*") if p.is_dir() and (volume is None or p.name == volume))
    by_vol = {v: sorted(v.glob("[0-9]*.json")) for v in vols}
    if not any(by_vol.values()):
        which = f" for volume {volume!r}" if volume else ""
        raise BadInputError(f"{pages_root}: no page files (NNNN.json){which}; run `hotich run` first")
    written, skipped, failed = [], [], []
    for vdir, jsons in by_vol.items():
        if not jsons:
            continue
        try:
            rtype, recs = _volume_records(out, vdir.name)
        except Exception as e:  # noqa: BLE001 - a corrupt Parquet file fails its volume alone
            reason = " ".join(str(e).split()) or type(e).__name__
            failed.append(f"{vdir.name}: not exported: its records are unreadable: {reason}")
            continue
        folder = Path(dest) / safe_name(vdir.name)
        for j in jsons:
            try:
                facts = json.loads(j.read_text(encoding="utf-8"))
                if not facts.get("width") or not facts.get("height"):
                    skipped.append(f"{j}: no page image size (the page image never loaded); "
                                   f"PAGE XML needs one")
                    continue
                image = j.with_suffix(".png")
                doc = build_page_xml(facts, recs.get(int(facts["page"]), []), rtype, image.name,
                                     f"hotich {software_version}", _utc(j))
                xml = render_page_xml(doc)
            except (OSError, ValueError, KeyError, TypeError) as e:
                skipped.append(f"{j}: unreadable page file: {e}")
                continue
            xml_path = folder / f"{j.stem}.xml"
            write_bytes_atomic(xml_path, xml)  # a crash leaves the old file or the new one
            written.append(xml_path)
            if image.exists():
                copy_image(image, folder / image.name)
            else:
                skipped.append(f"{image}: page image missing; PAGE XML written without it")
    return PageExport(tuple(written), tuple(skipped), tuple(failed))
