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
from samples.generator import generate
from schemas.parquet_io import read_records

ROOT = Path(__file__).resolve().parents[1]
NS = {"a": ALTO_NS}


@pytest.fixture(scope="module")
def run_out(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("gen")
    (truth,) = generate(dest, pages=1, seed=5, types=("birth",), layouts=("ledger",),
                        degrade="light", dpi=200, duplicates=False)
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

    assert _main("export", run_out, "--format", "csv", "--dest", tmp_path / "csv") == 0
    assert read_csv_export(tmp_path / "csv" / "birth.csv")["record_id"].tolist() == [r["record_id"] for r in records]

    assert _main("report", run_out, "--out", tmp_path / "report.html") == 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert vol in html and "Slowest pages" in html and html.count('<svg role="img"') >= 6
