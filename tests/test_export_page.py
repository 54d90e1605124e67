"""`hotich export --format page`: PAGE XML 2019-07-15 per page, valid against the official
schema (schemas/page/pagecontent.xsd), lines = the records' cells with their boxes and text."""
from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest
from lxml import etree
from PIL import Image

import cli
from pipeline.export.pagexml import (PAGE_NS, build_page_xml, export_page, render_page_xml,
                                     validate_page_xml)
from schemas.errors import ExitCode
from schemas.parquet_io import volume_path, write_volume
from tests.export_fixture import build_out

NS = {"pc": PAGE_NS}
# Boxes planted as the records' own field boxes (F_bbox): the export must prefer them.
PLANTED = {("KT-1980", 2, "full_name"): [300, 260, 520, 300], ("KT-1980", 3, "residence"): [700, 350, 980, 440]}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    b = build_out(tmp_path_factory.mktemp("out"), birth_pages=2)
    rows = pq.read_table(volume_path(b.out, "death", "KT-1980")).to_pylist()
    for (vol, row, field), box in PLANTED.items():
        rows[row - 1][field + "_bbox"] = box
    write_volume(b.out, "death", "KT-1980", rows)
    return b


@pytest.fixture(scope="module")
def exported(built, tmp_path_factory):
    dest = tmp_path_factory.mktemp("page")
    return dest, export_page(built.out, dest, software_version="9.9")


def _lines(path):
    """(row, field) -> (text, conf, value, points) of an exported page's entry lines."""
    doc = etree.parse(str(path))
    out = {}
    for region in doc.iterfind(".//pc:TextRegion", NS):
        ud = {a.get("name"): a.get("value") for a in region.iterfind("pc:UserDefined/pc:UserAttribute", NS)}
        if "row" not in ud:
            continue
        for line in region.iterfind("pc:TextLine", NS):
            la = {a.get("name"): a.get("value") for a in line.iterfind("pc:UserDefined/pc:UserAttribute", NS)}
            te = line.find("pc:TextEquiv", NS)
            out[(int(ud["row"]), la["field"])] = (te.findtext("pc:Unicode", namespaces=NS), float(te.get("conf")),
                                                 la.get("value"), line.find("pc:Coords", NS).get("points"))
    return out


def test_every_page_validates_against_the_page_schema(built, exported):
    dest, res = exported
    assert res.skipped == () and res.failed == ()
    assert len(res.written) == sum(p for _, _, _, p in built.volumes) == 4
    for path in res.written:
        assert validate_page_xml(path.read_bytes()) == [], path
        doc = etree.parse(str(path))
        assert doc.getroot().tag == f"{{{PAGE_NS}}}PcGts"
        page = doc.find("pc:Page", NS)
        image = path.parent / page.get("imageFilename")
        assert image.name == path.with_suffix(".png").name and image.exists()
        with Image.open(image) as im:
            assert (int(page.get("imageWidth")), int(page.get("imageHeight"))) == im.size
        assert doc.findtext(".//pc:Creator", namespaces=NS) == "hotich 9.9"
        # The reading order names every region once, in the document's order.
        regions = [r.get("id") for r in page.iterfind("pc:TextRegion", NS)]
        order = [r.get("regionRef") for r in page.iterfind("pc:ReadingOrder/pc:OrderedGroup/pc:RegionRefIndexed", NS)]
        assert order == regions and len(set(regions)) == len(regions)
        rows = [r for r in page.iterfind("pc:TextRegion", NS) if r.find("pc:UserDefined", NS) is not None]
        assert len(rows) == 5  # one region per entry of the page


def test_lines_say_what_the_records_say(built, exported):
    dest, res = exported
    checked = dates = 0
    for path in res.written:
        vol, page = path.parent.name, int(path.stem)
        lines = _lines(path)
        recs = [r for r in built.records.values() if r["volume_id"] == vol and r["page"] == page]
        assert recs
        for rec in recs:
            for key, raw in rec.items():
                if not key.endswith("_raw"):
                    continue
                f = key[:-4]
                got = lines.get((rec["row"], f))
                if raw is None:
                    assert got is None, (rec["record_id"], f)  # an empty cell has no line
                    continue
                text, conf, value, _ = got
                assert text == raw, (rec["record_id"], f)
                assert conf == pytest.approx(rec[f + "_conf"], abs=1e-4)
                assert value == rec[f]  # the normalised value rides along
                checked += 1
                dates += "date" in f and value != text  # "04/03/1990" read, "1990-03-04" the value
    assert checked > 200 and dates > 20


def test_line_boxes_are_the_records_cell_boxes(built, exported):
    dest, res = exported
    death = dest / "KT-1980" / "0001.xml"
    lines = _lines(death)
    # Records that carry F_bbox: that box, as PAGE's four corners.
    for (vol, row, field), (x0, y0, x1, y1) in PLANTED.items():
        assert lines[(row, field)][3] == f"{x0},{y0} {x1},{y0} {x1},{y1} {x0},{y1}"
    # Records without it (written before F_bbox): the union of the cell's recognised lines.
    facts = json.loads((built.out / "pages" / "KT-1980" / "0001.json").read_text())
    cell = [l["bbox"] for l in facts["lines"] if l["row"] == 1 and l["field"] == "full_name"]
    x0, y0 = min(b[0] for b in cell), min(b[1] for b in cell)
    x1, y1 = max(b[2] for b in cell), max(b[3] for b in cell)
    assert lines[(1, "full_name")][3] == f"{x0},{y0} {x1},{y0} {x1},{y1} {x0},{y1}"
    # The entry's region is the record's bbox.
    doc = etree.parse(str(death))
    r1 = doc.find(".//pc:TextRegion[@id='p1_r1']/pc:Coords", NS).get("points")
    bx0, by0, bx1, by1 = built.records["KT-1980:0001:01"]["bbox"]
    assert r1 == f"{bx0},{by0} {bx1},{by0} {bx1},{by1} {bx0},{by1}"


def _small_doc(**over):
    facts = {"volume_id": "V", "page": 1, "width": 100, "height": 50, "register_type": "birth", "lines": [
        {"bbox": [1, 2, 60, 12], "row": None, "field": None, "role": "title",
         "words": [{"text": "SỔ", "conf": 0.9, "bbox": [1, 2, 12, 12]}]}]}
    rec = {"record_id": "V:0001:01", "page": 1, "row": 1, "bbox": [0, 14, 100, 50],
           "full_name": "Lê Thị Thủy", "full_name_raw": "LÊ THỊ THỦY", "full_name_conf": 0.9,
           "full_name_bbox": [2, 16, 60, 30]}
    rec.update(over)
    return render_page_xml(build_page_xml(facts, [rec], "birth", "0001.png", "hotich 1", "2024-05-01T09:00:00Z"))


def test_schema_check_is_real():
    """Documents that break the schema are reported (the validator is not a rubber stamp)."""
    xml = _small_doc().decode()
    assert validate_page_xml(xml) == []
    assert validate_page_xml(xml.replace('imageFilename="0001.png" ', ""))  # a required attribute
    assert validate_page_xml(xml.replace('conf="0.9"', 'conf="1.5"'))  # confidence beyond 0..1
    assert validate_page_xml(xml.replace('points="2,16 60,16 60,30 2,30"', 'points="2;16"'))
    assert validate_page_xml(xml.replace("<Metadata>", "<Metadata><Bogus/>"))  # an unknown element
    assert validate_page_xml(xml.replace(PAGE_NS, PAGE_NS.replace("2019", "2013")))  # another version
    with pytest.raises(etree.XMLSyntaxError):
        validate_page_xml(xml.replace("</PcGts>", ""))


def test_markup_control_characters_and_empty_cells():
    xml = _small_doc(full_name_raw='Lê "Thị" <b>&amp;\x0b', full_name=None, full_name_conf=0.0,
                     notes_raw="  ", notes=None)
    assert validate_page_xml(xml) == []
    doc = etree.fromstring(xml)
    [line] = doc.iterfind(".//pc:TextRegion[@id='p1_r1']/pc:TextLine", NS)
    assert line.findtext("pc:TextEquiv/pc:Unicode", namespaces=NS) == 'Lê "Thị" <b>&amp;'
    assert line.find("pc:TextEquiv", NS).get("conf") == "0"
    names = [a.get("name") for a in line.iterfind("pc:UserDefined/pc:UserAttribute", NS)]
    assert names == ["field"]  # no value: the record has none


def test_cli_page_and_a_bad_volume(built, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["export", str(built.out), "--format", "page", "--dest", str(tmp_path / "one"),
                  "--volume", "KT-1980"])
    assert e.value.code == ExitCode.OK
    assert sorted(p.name for p in (tmp_path / "one" / "KT-1980").iterdir()) == ["0001.png", "0001.xml"]
    assert not (tmp_path / "one" / "KS-1972").exists()
    # A volume whose records cannot be read fails alone, with one line; the others are written.
    out = tmp_path / "out"
    shutil.copytree(built.out, out)
    volume_path(out, "death", "KT-1980").write_bytes(b"PAR1 not a parquet file")
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        cli.main(["export", str(out), "--format", "page", "--dest", str(tmp_path / "all")])
    assert e.value.code == ExitCode.PARTIAL
    err = [l for l in capsys.readouterr().err.splitlines() if l.startswith("hotich:")]
    assert len(err) == 1 and err[0].startswith("hotich: page: KT-1980: not exported: its records are unreadable: "), err
    assert "records.parquet" in err[0]  # it names the file
    assert not (tmp_path / "all" / "KT-1980").exists()
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == ["KH-1990", "KS-1972"]
    for p in (tmp_path / "all").glob("*/*.xml"):
        assert validate_page_xml(p.read_bytes()) == []


def test_no_page_files_is_bad_input(built, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["export", str(built.out), "--format", "page", "--dest", str(tmp_path), "--volume", "NOPE"])
    assert e.value.code == ExitCode.BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no page files" in err[0] and "NOPE" in err[0]


def test_a_page_with_nothing_read_is_valid_and_a_sizeless_page_is_skipped(tmp_path):
    empty = build_page_xml({"volume_id": "V", "page": 3, "width": 10, "height": 10, "lines": []}, [], None,
                           "0003.png", "hotich 1", "2024-01-01T00:00:00Z")
    xml = render_page_xml(empty)
    assert validate_page_xml(xml) == []
    assert etree.fromstring(xml).find("pc:Page/pc:TextRegion", NS) is None
    out = tmp_path / "out"
    pages = out / "pages" / "V"
    pages.mkdir(parents=True)
    (pages / "0001.json").write_text(json.dumps({"volume_id": "V", "page": 1, "width": None, "height": None,
                                                 "lines": []}))
    (pages / "0002.json").write_text("{not json")
    res = export_page(out, tmp_path / "dest")
    assert res.written == () and res.failed == ()
    assert len(res.skipped) == 2
    assert "0001.json: no page image size" in res.skipped[0]
    assert "0002.json: unreadable page file" in res.skipped[1]
    assert not list(tmp_path.rglob("*.xml"))
