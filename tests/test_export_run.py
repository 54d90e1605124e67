"""Export and report on a real `hotich run` (Tesseract `vie`, poppler) of a generated volume:
the shapes hold on what the page reader actually writes, not only on the test fixture."""
from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

import cli
from pipeline.export.alto import ALTO_NS, validate_alto
from pipeline.export.csv_export import read_csv_export
from pipeline.export.pagexml import PAGE_NS, validate_page_xml
from samples.generator import generate
from schemas.parquet_io import read_records

ROOT = Path(__file__).resolve().parents[1]
NS = {"a": ALTO_NS}
PNS = {"pc": PAGE_NS}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    dest = tmp_path_factory.mktemp("gen")
    (truth,) = generate(dest, pages=1, seed=5, types=("birth",), layouts=("ledger",),
                        degrade="light", dpi=200, duplicates=False)
    return dest, truth


@pytest.fixture(scope="module")
def run_out(generated, tmp_path_factory) -> Path:
    dest, truth = generated
    out = tmp_path_factory.mktemp("run") / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-m", "cli", "run", str(dest / truth.source_file), "--out", str(out)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode in (0, 4), res.stderr
    return out


def _main(*args) -> int:
    with pytest.raises(SystemExit) as e:
        cli.main([str(a) for a in args])
    return e.value.code


@pytest.mark.tesseract
@pytest.mark.slow
def test_exports_and_report_of_a_real_run(run_out, tmp_path):
    records = read_records(run_out, "birth").to_pylist()
    assert records
    vol = records[0]["volume_id"]

    assert _main("export", run_out, "--format", "moj", "--dest", tmp_path / "moj", "--include-unreviewed") in (0, 4)
    book = tmp_path / "moj" / vol
    rows = list(openpyxl.load_workbook(book / f"{vol}.xlsx", read_only=True).worksheets[0].iter_rows(values_only=True))
    with open(book / "violations.csv", encoding="utf-8-sig") as f:
        held = {v["record_id"] for v in csv.DictReader(f)}
    assert len(rows) - 1 + len(held) == len(records)
    with zipfile.ZipFile(book / f"{vol}_pdf.zip") as zf:
        names = zf.namelist()
        assert len(names) == len(rows) - 1
        pdf = tmp_path / "one.pdf"
        pdf.write_bytes(zf.read(names[0]))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+2$", info, re.M)

    assert _main("export", run_out, "--format", "alto", "--dest", tmp_path / "alto") == 0
    text = defaultdict(list)
    for path in sorted((tmp_path / "alto" / vol).glob("*.xml")):
        assert validate_alto(path.read_bytes()) == []
        doc = etree.parse(str(path))
        tags = {t.get("ID"): t.get("LABEL") for t in doc.iterfind(".//a:OtherTag", NS)}
        for block in doc.iterfind(".//a:TextBlock", NS):
            m = re.match(r"p\d+_r(\d+)_", block.get("ID"))
            for line in block.iterfind("a:TextLine", NS) if m else ():
                text[(int(path.stem), int(m.group(1)), tags[line.get("TAGREFS")])] += \
                    [s.get("CONTENT") for s in line.iterfind("a:String", NS)]
    for rec in records:
        for key, raw in rec.items():
            if key.endswith("_raw"):
                assert " ".join(text.get((rec["page"], rec["row"], key[:-4]), [])) == (raw or ""), (rec["record_id"], key)

    # PAGE XML of the real run: valid, its entry lines the records' raw text in the field's
    # own box (F_bbox, which the reader sets).
    assert _main("export", run_out, "--format", "page", "--dest", tmp_path / "page") == 0
    page_lines, boxed = {}, 0
    for path in sorted((tmp_path / "page" / vol).glob("*.xml")):
        assert validate_page_xml(path.read_bytes()) == []
        doc = etree.parse(str(path))
        for region in doc.iterfind(".//pc:TextRegion", PNS):
            ud = {a.get("name"): a.get("value") for a in region.iterfind("pc:UserDefined/pc:UserAttribute", PNS)}
            for line in region.iterfind("pc:TextLine", PNS) if "row" in ud else ():
                la = {a.get("name"): a.get("value") for a in line.iterfind("pc:UserDefined/pc:UserAttribute", PNS)}
                page_lines[(int(path.stem), int(ud["row"]), la["field"])] = (
                    line.findtext("pc:TextEquiv/pc:Unicode", namespaces=PNS), line.find("pc:Coords", PNS).get("points"))
    for rec in records:
        for key, raw in rec.items():
            if key.endswith("_raw") and raw and raw.strip():
                text, points = page_lines[(rec["page"], rec["row"], key[:-4])]
                assert text == " ".join(raw.split()), (rec["record_id"], key)
                box = rec.get(key[:-4] + "_bbox")
                if box:
                    x0, y0, x1, y1 = box
                    assert points == f"{x0},{y0} {x1},{y0} {x1},{y1} {x0},{y1}", (rec["record_id"], key)
                    boxed += 1
    assert boxed > 0

    assert _main("export", run_out, "--format", "csv", "--dest", tmp_path / "csv") == 0
    assert (tmp_path / "csv" / "birth.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    assert read_csv_export(tmp_path / "csv" / "birth.csv")["record_id"].tolist() == [r["record_id"] for r in records]

    assert _main("report", run_out, "--out", tmp_path / "report.html", "--lang", "en") == 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert vol in html and "Slowest pages" in html and html.count('<svg role="img"') >= 6


@pytest.mark.tesseract
@pytest.mark.slow
def test_jpeg_crop_reads_like_the_lossless_page(run_out, generated):
    """Legibility of the case PDF's entry picture (a JPEG at pdf.crop_quality): Tesseract
    reads the entries' cells from it as well as from the lossless cleaned page, scored
    against the printed text (CER). Identical reads are not required: Tesseract's line reads
    flip a borderline character on any small pixel change, either way."""
    import json

    import cv2
    import numpy as np
    from rapidfuzz.distance import Levenshtein

    from ocr.tesseract import make_engine, read_line
    from pipeline.export.mapping import load_mapping
    from pipeline.export.pdfcases import crop_box, crop_jpeg, load_page

    mapping = load_mapping()
    engine = make_engine()
    printed = {e.record_id: e.cells for p in generated[1].pages for e in p.entries}
    records = read_records(run_out, "birth").to_pylist()
    vol = records[0]["volume_id"]
    errors = {"png": 0, "jpeg": 0}
    chars = 0
    for page_no in sorted({r["page"] for r in records}):
        page = load_page(run_out / "pages" / vol / f"{page_no:04d}.png")
        lines = json.loads((run_out / "pages" / vol / f"{page_no:04d}.json").read_text())["lines"]
        for rec in (r for r in records if r["page"] == page_no and r["bbox"]):
            x0, y0, x1, y1 = crop_box(tuple(rec["bbox"]), mapping.pdf_margin, page.size)
            jpeg = crop_jpeg(page, tuple(rec["bbox"]), mapping.pdf_margin, mapping.pdf_crop_quality)
            crop = cv2.imdecode(np.frombuffer(jpeg.data, np.uint8), cv2.IMREAD_UNCHANGED)
            lossless = page.pixels[y0:y1, x0:x1]
            assert crop.shape == lossless.shape and cv2.PSNR(crop, lossless) > 35
            read = defaultdict(lambda: {"png": [], "jpeg": []})
            for line in sorted((l for l in lines if l.get("row") == rec["row"] and l.get("field")),
                               key=lambda l: l["bbox"][1]):
                a, b, c, d = (line["bbox"][0] - x0, line["bbox"][1] - y0,
                              line["bbox"][2] - x0, line["bbox"][3] - y0)
                if a < 0 or b < 0 or c > x1 - x0 or d > y1 - y0:
                    continue
                read[line["field"]]["png"].append(read_line(engine, lossless[b:d, a:c], dpi=200).text)
                read[line["field"]]["jpeg"].append(read_line(engine, crop[b:d, a:c], dpi=200).text)
            for field, texts in read.items():
                truth = printed.get(rec["record_id"], {}).get(field) or ""
                chars += len(truth)
                for kind in errors:
                    errors[kind] += Levenshtein.distance(" ".join(texts[kind]), truth)
    assert chars > 1000, chars
    cer = {k: v / chars for k, v in errors.items()}
    # No worse than the lossless page, give or take Tesseract's flips (0.5 points of CER).
    assert cer["jpeg"] <= cer["png"] + 0.005, cer
