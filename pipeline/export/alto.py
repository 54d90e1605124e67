"""`hotich export OUT --format alto`: ALTO v4 XML per page, beside a copy of its page image.

Blocks are register entries (one TextBlock per record row, plus one for the title and
headers), lines are the recognised lines of each cell, Strings their words with boxes in page
pixels and word confidences (WC, 0..1). A line's field is kept as a tag (OtherTag LABEL=
"full_name") so that a viewer can tell which column a line belongs to. Rendered from an
autoescaped Jinja template (kraken's way); the pure part is `build_page`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
from lxml import etree

from pipeline.export.common import NOT_XML as _NOT_XML
from pipeline.export.common import copy_image, safe_name, schema_errors
from pipeline.export.common import unit_conf as _conf
from pipeline.export.common import union_box as _union
from schemas.atomic import atomic_path
from schemas.errors import BadInputError

TEMPLATES = Path(__file__).resolve().parent / "templates"
XSD_DIR = Path(__file__).resolve().parents[2] / "schemas" / "alto"
ALTO_XSD = XSD_DIR / "alto-4-4.xsd"
ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"


@dataclass(frozen=True)
class Box:
    """HPOS, VPOS, WIDTH, HEIGHT in page pixels."""

    hpos: int
    vpos: int
    width: int
    height: int

    @classmethod
    def from_bbox(cls, bbox) -> "Box":
        x0, y0, x1, y1 = (int(round(v)) for v in bbox)
        return cls(x0, y0, max(0, x1 - x0), max(0, y1 - y0))


@dataclass(frozen=True)
class AltoWord:
    id: str
    text: str
    conf: float
    box: Box


@dataclass(frozen=True)
class AltoLine:
    id: str
    box: Box
    words: tuple[AltoWord, ...]
    tag: str | None = None


@dataclass(frozen=True)
class AltoBlock:
    id: str
    box: Box
    lines: tuple[AltoLine, ...]


@dataclass(frozen=True)
class Tag:
    id: str
    label: str


@dataclass(frozen=True)
class AltoPage:
    """Everything one ALTO file says.

    Attributes:
        number: the page's 1-based position in the volume.
        volume_id: the book.
        image_name: the page image's file name (sourceImageInformation/fileName).
        image_sha256: hash of the scanned image, when known.
        width, height: page image size in pixels.
        blocks: entries in reading order.
        tags: one per field named by a line.
        description, software_version: provenance.
    """

    number: int
    volume_id: str
    image_name: str
    image_sha256: str | None
    width: int
    height: int
    blocks: tuple[AltoBlock, ...]
    tags: tuple[Tag, ...]
    description: str
    software_version: str


def _text(w: dict) -> str:
    return _NOT_XML.sub("", str(w.get("text") or "")).strip()


def _spread(words: list[str], lines: list[dict], conf: float) -> list[dict]:
    """Lay `words` out along the cell's line boxes in reading order, each word's box
    proportional to its characters (the OCR's own word boxes no longer fit the text)."""
    boxes = [l.get("bbox") or _union([w["bbox"] for w in l["words"]]) for l in lines]
    widths = [max(1, b[2] - b[0]) for b in boxes]
    total_w, total_c = sum(widths), max(1, sum(len(w) for w in words) + len(words) - 1)
    out = [dict(l, words=[]) for l in lines]
    c = 0
    for word in words:
        start, end = c * total_w / total_c, (c + len(word)) * total_w / total_c
        i, acc = 0, 0
        while i < len(widths) - 1 and start >= acc + widths[i]:
            acc += widths[i]
            i += 1
        x0 = boxes[i][0] + int(start - acc)
        x1 = min(boxes[i][2], boxes[i][0] + int(round(end - acc)))
        out[i]["words"].append({"text": word, "conf": conf,
                                "bbox": [x0, boxes[i][1], max(x0 + 1, x1), boxes[i][3]]})
        c += len(word) + 1
    return [l for l in out if l["words"]]


def reconcile_lines(lines: list[dict], cells: dict[tuple[int, str], tuple[str | None, float]]) -> list[dict]:
    """Make each entry cell's words say what its record says.

    The page file keeps the reader's first pass; the record's raw text may come from a
    second-opinion read of the same cell. ALTO is meant to be searched as the records read,
    so a cell's words are the record's `F_raw` words: kept as they are when they already
    match, given the OCR boxes one for one when the word count matches, else laid out along
    the cell's lines. A cell the record leaves empty (raw null) gets no words.

    Args:
        lines: the page file's lines ({bbox, words, field, row}).
        cells: (row, field) -> (raw text, confidence 0..1) for every record field on the page.
    Returns:
        The lines, in the same order, with entry cells reconciled; other lines unchanged.
    """
    groups: dict[tuple, list[int]] = {}
    for i, l in enumerate(lines):
        if l.get("row") is not None and l.get("field") and (l["row"], l["field"]) in cells:
            groups.setdefault((l["row"], l["field"]), []).append(i)
    replaced: dict[int, list[dict]] = {}
    for key, idx in groups.items():
        raw, conf = cells[key]
        cell_lines = [lines[i] for i in idx]
        want = (raw or "").split()
        have = [w for l in cell_lines for w in l.get("words") or [] if _text(w)]
        if [_text(w) for w in have] == want:
            continue
        if want and len(have) == len(want):
            it = iter(want)
            new = [dict(l, words=[dict(w, text=next(it), conf=conf) for w in l.get("words") or [] if _text(w)])
                   for l in cell_lines]
        else:
            new = _spread(want, cell_lines, conf) if want else []
        # The cell's new lines take the place of its first line; its other lines go.
        for i in idx:
            replaced[i] = []
        replaced[idx[0]] = new
    out = []
    for i, l in enumerate(lines):
        out.extend(replaced.get(i, [l]))
    return out


def build_page(facts: dict, image_name: str, software_version: str) -> AltoPage:
    """Turn one page's JSON (OUT/pages/V/NNNN.json) into the ALTO page it describes.

    Args:
        facts: {volume_id, page, width, height, image_sha256, register_type, layout,
            lines: [{bbox, words: [{text, conf, bbox}], field, row}]}.
        image_name: the page image's file name, written as sourceImageInformation/fileName.
        software_version: hotich's version.
    Returns:
        The page; words with no text and lines with no words are left out.
    Raises:
        KeyError, TypeError, ValueError: the JSON lacks what a page needs.
    """
    n = int(facts["page"])
    groups: dict[object, list[dict]] = {}
    for line in facts.get("lines") or []:
        row = line.get("row")
        # Entries are blocks; lines outside entries are grouped by their role (title,
        # header, text) so that a stray line does not make one block span the page.
        key = int(row) if row is not None else str(line.get("role") or "head")
        groups.setdefault(key, []).append(line)
    tags: dict[str, Tag] = {}
    blocks = []
    for b_i, (key, lines) in enumerate(groups.items(), start=1):
        name = f"r{key}" if isinstance(key, int) else re.sub(r"[^A-Za-z0-9]", "", key) or "head"
        block_id = f"p{n}_{name}_{b_i}"
        alto_lines = []
        for l_i, line in enumerate(lines, start=1):
            line_id = f"{block_id}_l{l_i}"
            words = []
            for w_i, w in enumerate(line.get("words") or [], start=1):
                text = _text(w)
                if text:
                    words.append(AltoWord(f"{line_id}_w{w_i}", text, _conf(w.get("conf")),
                                          Box.from_bbox(w["bbox"])))
            if not words:
                continue
            field = line.get("field")
            tag_id = None
            if field:
                tag_id = f"field_{re.sub(r'[^A-Za-z0-9_]', '_', str(field))}"
                tags.setdefault(tag_id, Tag(tag_id, str(field)))
            bbox = line.get("bbox") or _union([w["bbox"] for w in line["words"]])
            alto_lines.append(AltoLine(line_id, Box.from_bbox(bbox), tuple(words), tag_id))
        if alto_lines:
            box = _union([[l.box.hpos, l.box.vpos, l.box.hpos + l.box.width, l.box.vpos + l.box.height]
                          for l in alto_lines])
            blocks.append(AltoBlock(block_id, Box.from_bbox(box), tuple(alto_lines)))
    desc = (f"OCR of a {facts.get('register_type') or 'civil-status'} register page"
            f" ({facts.get('layout') or 'unknown'} layout)")
    return AltoPage(number=n, volume_id=str(facts["volume_id"]), image_name=image_name,
                    image_sha256=facts.get("image_sha256"), width=int(facts["width"]),
                    height=int(facts["height"]), blocks=tuple(blocks), tags=tuple(tags.values()),
                    description=desc, software_version=software_version)


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.get_template("alto.xml.j2")


def render_alto(page: AltoPage) -> str:
    """The ALTO XML text of a page."""
    return _template().render(page=page)


class _LocalSchemas(etree.Resolver):
    """Resolve the ALTO schema's xlink import to the shipped copy: validation never fetches."""

    def resolve(self, url, pubid, context):
        name = (url or "").rsplit("/", 1)[-1]
        if (XSD_DIR / name).exists():
            return self.resolve_filename(str(XSD_DIR / name), context)
        return None


@lru_cache(maxsize=1)
def alto_schema() -> etree.XMLSchema:
    """The ALTO 4.4 schema shipped in schemas/alto (loaded offline)."""
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalSchemas())
    return etree.XMLSchema(etree.parse(str(ALTO_XSD), parser))


def validate_alto(xml: bytes | str) -> list[str]:
    """Schema errors of an ALTO document (empty when valid).

    Raises:
        lxml.etree.XMLSyntaxError: the document is not well-formed.
    """
    return schema_errors(alto_schema(), xml)


def record_cells(out: Path, volume_id: str) -> dict[int, dict[tuple[int, str], tuple[str | None, float]]]:
    """page -> (row, field) -> (raw text, confidence) of a volume's records (all types)."""

    from pipeline.export.common import volumes
    from schemas.fields import all_fields
    from schemas.records_io import read_records

    cells: dict[int, dict] = {}
    for rtype, vol in volumes(out):
        if vol != volume_id:
            continue
        fields = all_fields(rtype)
        cols = ["page", "row"] + [f + s for f in fields for s in ("_raw", "_conf")]
        t = read_records(out, rtype, vol, columns=cols).to_pydict()
        for i, (page, row) in enumerate(zip(t["page"], t["row"])):
            c = cells.setdefault(int(page), {})
            for f in fields:
                c[(int(row), f)] = (t[f + "_raw"][i], _conf(t[f + "_conf"][i]))
    return cells


@dataclass(frozen=True)
class AltoExport:
    """What the ALTO export wrote: files per volume and pages skipped with a reason."""

    written: tuple[Path, ...]
    skipped: tuple[str, ...]


def export_alto(out: Path, dest: Path, volume: str | None = None,
                software_version: str = "0") -> AltoExport:
    """Write DEST/<volume>/<page>.xml (ALTO) and the page image beside it, for every page
    with recognised lines under OUT/pages.

    Args:
        out: the output folder.
        dest: where the volumes' folders go.
        volume: only this volume id.
        software_version: written as the processing software's version.
    Returns:
        The files written and the pages skipped (one line each: file and reason).
    Raises:
        BadInputError: no page JSON under OUT/pages (for `volume`, if given).
    """
    pages_root = Path(out) / "pages"
    vols = sorted(p for p in pages_root.glob("*") if p.is_dir() and (volume is None or p.name == volume))
    jsons = [j for v in vols for j in sorted(v.glob("[0-9]*.json"))]
    if not jsons:
        which = f" for volume {volume!r}" if volume else ""
        raise BadInputError(f"{pages_root}: no page files (NNNN.json){which}; run `hotich run` first")
    written, skipped = [], []
    cells_of: dict[str, dict] = {}
    for j in jsons:
        try:
            facts = json.loads(j.read_text(encoding="utf-8"))
            vol = j.parent.name
            if vol not in cells_of:
                cells_of[vol] = record_cells(out, vol)
            cells = cells_of[vol].get(int(facts["page"]), {})
            facts["lines"] = reconcile_lines(facts.get("lines") or [], cells)
            image = j.with_suffix(".png")
            page = build_page(facts, image.name, software_version)
        except (OSError, ValueError, KeyError, TypeError) as e:
            skipped.append(f"{j}: unreadable page file: {e}")
            continue
        folder = Path(dest) / safe_name(j.parent.name)
        xml_path = folder / f"{j.stem}.xml"
        with atomic_path(xml_path) as tmp:
            tmp.write_text(render_alto(page), encoding="utf-8")
        written.append(xml_path)
        if image.exists():
            copy_image(image, folder / image.name)
        else:
            skipped.append(f"{image}: page image missing; ALTO written without it")
    return AltoExport(tuple(written), tuple(skipped))
