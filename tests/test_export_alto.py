"""`hotich export --format alto`: ALTO v4 per page, schema-valid, words = the records' raw text."""
from __future__ import annotations

import json
from collections import defaultdict

import pytest
from lxml import etree

from pipeline.export.alto import ALTO_NS, build_page, export_alto, render_alto, validate_alto
from tests.export_fixture import build_out

NS = {"a": ALTO_NS}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_out(tmp_path_factory.mktemp("out"), birth_pages=2)


@pytest.fixture(scope="module")
def alto(built, tmp_path_factory):
    dest = tmp_path_factory.mktemp("alto")
    return dest, export_alto(built.out, dest, software_version="9.9")


def test_every_page_validates_against_the_alto_schema(built, alto):
    dest, res = alto
    assert res.skipped == ()
    assert len(res.written) == sum(p for _, _, _, p in built.volumes)
    for path in res.written:
        assert validate_alto(path.read_bytes()) == [], path
        doc = etree.parse(str(path))
        assert doc.findtext(".//a:MeasurementUnit", namespaces=NS) == "pixel"
        name = doc.findtext(".//a:sourceImageInformation/a:fileName", namespaces=NS)
        assert name == path.with_suffix(".png").name and (path.parent / name).exists()
        assert doc.find(".//a:Page", NS).get("WIDTH") == "1500"


def test_schema_check_is_real():
    """A document that breaks the schema is reported (the validator is not a rubber stamp)."""
    page = build_page({"volume_id": "V", "page": 1, "width": 100, "height": 50, "lines": [
        {"bbox": [1, 2, 30, 12], "field": "full_name", "row": 1,
         "words": [{"text": "Lê", "conf": 0.9, "bbox": [1, 2, 12, 12]}]}]}, "0001.png", "1")
    xml = render_alto(page)
    assert validate_alto(xml) == []
    assert validate_alto(xml.replace("<MeasurementUnit>pixel</MeasurementUnit>", ""))
    assert validate_alto(xml.replace('WC="0.900"', 'WC="1.5"'))
    with pytest.raises(etree.XMLSyntaxError):
        validate_alto(xml.replace("</alto>", ""))


def test_words_match_the_records_raw_text(built, alto):
    dest, res = alto
    text: dict[tuple, list[str]] = defaultdict(list)
    for path in res.written:
        vol, page = path.parent.name, int(path.stem)
        doc = etree.parse(str(path))
        tags = {t.get("ID"): t.get("LABEL") for t in doc.iterfind(".//a:OtherTag", NS)}
        for block in doc.iterfind(".//a:TextBlock", NS):
            bid = block.get("ID")
            if "_head_" in bid:
                continue
            row = int(bid.split("_")[1][1:])
            for line in block.iterfind("a:TextLine", NS):
                field = tags[line.get("TAGREFS")]
                text[(vol, page, row, field)] += [s.get("CONTENT") for s in line.iterfind("a:String", NS)]
    checked = 0
    for rid, rec in built.records.items():
        for key, raw in rec.items():
            if key.endswith("_raw"):
                got = " ".join(text.get((rec["volume_id"], rec["page"], rec["row"], key[:-4]), []))
                assert got == (raw or ""), (rid, key)
                checked += raw is not None
    assert checked > 200


def test_boxes_and_confidences_come_from_the_page_file(built, alto):
    dest, res = alto
    path = res.written[0]
    facts = json.loads((built.out / "pages" / path.parent.name / f"{path.stem}.json").read_text())
    words = [w for line in facts["lines"] for w in line["words"]]
    strings = etree.parse(str(path)).findall(".//a:String", NS)
    assert len(strings) == len(words)
    for s, w in zip(strings, words):
        x0, y0, x1, y1 = w["bbox"]
        assert s.get("CONTENT") == w["text"]
        assert (int(s.get("HPOS")), int(s.get("VPOS")), int(s.get("WIDTH")), int(s.get("HEIGHT"))) == \
            (x0, y0, x1 - x0, y1 - y0)
        assert float(s.get("WC")) == pytest.approx(w["conf"], abs=5e-4)


def test_markup_and_control_characters_are_escaped():
    page = build_page({"volume_id": "A&B <1>", "page": 3, "width": 200, "height": 80, "lines": [
        {"bbox": [0, 0, 100, 20], "field": "notes", "row": 2, "words": [
            {"text": 'Ghi "chú" <b>&amp;', "conf": 87, "bbox": [0, 0, 60, 20]},
            {"text": "x\x0by", "conf": 0.5, "bbox": [62, 0, 100, 20]},
            {"text": "  ", "conf": 0.5, "bbox": [62, 0, 100, 20]}]}]}, "a&b.png", "1")
    xml = render_alto(page)
    assert validate_alto(xml) == []
    doc = etree.fromstring(xml.encode())
    assert [s.get("CONTENT") for s in doc.iterfind(".//a:String", NS)] == ['Ghi "chú" <b>&amp;', "xy"]
    assert doc.findtext(".//a:fileName", namespaces=NS) == "a&b.png"
    assert doc.find(".//a:String", NS).get("WC") == "0.870"  # a 0..100 confidence is scaled


def test_cli_alto(built, tmp_path):
    import cli
    with pytest.raises(SystemExit) as e:
        cli.main(["export", str(built.out), "--format", "alto", "--dest", str(tmp_path), "--volume", "KT-1980"])
    assert e.value.code == 0
    assert sorted(p.name for p in (tmp_path / "KT-1980").iterdir()) == ["0001.png", "0001.xml"]
    assert not (tmp_path / "KS-1972").exists()


def _line(row, field, words, bbox=None):
    ws = [{"text": t, "conf": 0.9, "bbox": b} for t, b in words]
    return {"bbox": bbox or [ws[0]["bbox"][0], ws[0]["bbox"][1], ws[-1]["bbox"][2], ws[-1]["bbox"][3]],
            "words": ws, "field": field, "row": row}


def test_reconcile_makes_cells_say_what_records_say():
    from pipeline.export.alto import reconcile_lines
    title = {"bbox": [0, 0, 50, 10], "words": [{"text": "SỔ", "conf": 0.9, "bbox": [0, 0, 20, 10]}],
             "field": None, "row": None, "role": "title"}
    same = _line(1, "full_name", [("Lê", [0, 20, 20, 30]), ("Văn", [25, 20, 50, 30])])
    swapped = _line(1, "entry_no", [("ñ", [0, 40, 10, 50])])
    split = _line(1, "notes", [("Đăngkýlại", [0, 60, 90, 70])])
    noise = _line(1, "sex", [("~", [0, 80, 5, 90])])
    orphan = _line(2, "full_name", [("Ai", [0, 100, 20, 110])])
    cells = {(1, "full_name"): ("Lê Văn", 0.8), (1, "entry_no"): ("7", 0.6),
             (1, "notes"): ("Đăng ký lại", 0.7), (1, "sex"): (None, 0.0)}
    out = reconcile_lines([title, same, swapped, split, noise, orphan], cells)
    assert out[0] is title and out[1] is same and out[-1] is orphan  # unchanged when they agree
    assert [(w["text"], w["bbox"], w["conf"]) for w in out[2]["words"]] == [("7", [0, 40, 10, 50], 0.6)]
    notes = out[3]["words"]
    assert [w["text"] for w in notes] == ["Đăng", "ký", "lại"]
    assert notes[0]["bbox"][0] == 0 and notes[-1]["bbox"][2] <= 90
    assert all(a["bbox"][2] <= b["bbox"][0] for a, b in zip(notes, notes[1:]))  # left to right
    assert len(out) == 5  # the sex cell the record leaves empty has no words
