"""The profile end to end with real Tesseract, real PDFs and Debian's chromium: a generated
birth book whose father and mother columns are headed "Thân phụ" and "Thân mẫu" (wordings the
reader does not know) loses those columns; the layout picture shows it unmapped (ledger and form pages); an archivist maps
it with the select in the review page; the rerun with the saved profile gives the fathers'
names on every page; a profile that does not fit fails the page with its reason."""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

import cli
from samples.generator import generate
from schemas.outdir import volume_profile_path
from schemas.parquet_io import read_records
from schemas.profile import load_profile
from tests.test_report import CHROMIUM, CHROMIUM_ARGS, _browser

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent
# two wordings the reader does not know: with one, the one column left would be told as the
# one field left (ocr.ledger._last_standing); with two, neither is guessed
UNUSUAL = {"father_name": "Thân phụ", "mother_name": "Thân mẫu"}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    dest = tmp_path_factory.mktemp("unusual")
    truths = {t.layout: t for t in generate(dest, pages=2, seed=11, types=("birth",), dpi=200,
                                            degrade="light", headers=UNUSUAL)}
    return dest, truths


def _run(*args) -> int:
    with pytest.raises(SystemExit) as e:
        cli.main(["run", *map(str, args), "--quiet", "--workers", "1"])
    return e.value.code


def _fathers(out, vid) -> dict[str, str | None]:
    t = read_records(out, "birth", vid, ["record_id", "father_name"]).to_pylist()
    return {r["record_id"]: r["father_name"] for r in t}


def _truth_fathers(truth) -> dict[str, str]:
    return {e.record_id: e.fields["father_name"] for p in truth.pages for e in p.entries}


def test_layout_pictures_of_a_ledger_and_a_form_page(book, tmp_path):
    dest, truths = book
    shots = {}
    for layout in ("ledger", "form"):
        d = tmp_path / layout
        with pytest.raises(SystemExit) as e:
            cli.main(["layout", str(dest / truths[layout].source_file), "--page", "1", "--out", str(d)])
        assert e.value.code == 0
        facts = json.loads((d / "layout.json").read_text(encoding="utf-8"))["pages"][0]["layout"]
        img = cv2.imread(str(d / "page-0001.png"))
        assert img is not None and img.shape[1] <= 1800
        shots[layout] = (d, facts, img)
    _, led, img = shots["ledger"]
    assert led["kind"] == "ledger" and led["register_type"] == "birth"
    assert len(led["columns"]) == len(truths["ledger"].pages[0].columns)
    lost = [c for c in led["columns"] if c["field"] is None]
    assert [c["header"] for c in lost] == ["Thân phụ", "Thân mẫu"]
    assert len(led["entries"]) == len(truths["ledger"].pages[0].entries)
    red = np.all(img == (30, 30, 220), axis=2).sum()  # the unmapped column's colour
    assert red > 100
    _, form, img = shots["form"]
    assert form["kind"] == "form" and {l["field"] for l in form["labels"]} >= {"full_name", "sex"}
    assert np.all(img == (170, 60, 160), axis=2).sum() > 100  # label boxes drawn
    # the HTML view in a real browser: the picture loads, the table lists every column
    with _browser() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            pg = b.new_page(viewport={"width": 1200, "height": 900})
            pg.goto((shots["ledger"][0] / "index.html").as_uri(), wait_until="load")
            assert pg.eval_on_selector("img.layout", "e => e.complete && e.naturalWidth") > 600
            assert pg.locator("table.columns tbody tr").count() == len(led["columns"])
            assert pg.locator("td.unmapped").all_inner_texts() == ["chưa gán"] * 2  # Vietnamese
            shot = cv2.imdecode(np.frombuffer(pg.screenshot(full_page=True), np.uint8), cv2.IMREAD_COLOR)
            assert shot is not None and shot.shape[0] > 900 and shot.std() > 10
        finally:
            b.close()


def test_profile_fixed_in_the_review_page_gives_every_page_its_fathers(book, tmp_path):
    dest, truths = book
    truth = truths["ledger"]
    pdf, vid, out = dest / truth.source_file, truth.volume_id, tmp_path / "out"
    assert _run(pdf, "--out", out) == 0
    assert set(_fathers(out, vid).values()) == {None}  # the column was not mapped
    prof = load_profile(volume_profile_path(out, vid))
    col = next(i for i, c in enumerate(prof.columns, 1) if c.header == "Thân phụ")
    assert prof.columns[col - 1].field is None and prof.pages_read == 2
    # the archivist picks the field in the review page
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "cli", "review", str(out), "--port", "0",
                             "--reviewer", "Lan"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line: list[str] = []
        t = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
        t.start()
        t.join(30)
        base = re.search(r"(http://127\.0\.0\.1:\d+)/", line[0] if line else "").group(1)
        with _browser() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                pg = b.new_page(viewport={"width": 1400, "height": 1000})
                pg.goto(base + "/")
                thumb = pg.locator("td.layout img.thumb")
                # a lazy image: loaded once it is drawn, after the page's load event
                pg.wait_for_function("() => { const e = document.querySelector('td.layout img.thumb');"
                                     " return e && e.complete && e.naturalWidth > 0; }", timeout=30000)
                assert thumb.evaluate("e => e.naturalWidth") == 240
                with pg.expect_navigation():
                    thumb.click()
                assert pg.eval_on_selector("img.layout", "e => e.complete && e.naturalWidth") > 600
                pg.select_option(f"select[name=col{col}]", "father_name")
                with pg.expect_navigation():
                    pg.click("#save-profile")
                assert "1" in pg.inner_text("#saved")
                audit = pg.locator("#profile-changes tbody tr").all_inner_texts()
                assert len(audit) == 1 and "Lan" in audit[0] and "father_name" in audit[0]
            finally:
                b.close()
    finally:
        proc.terminate()
        proc.wait(10)
    saved = volume_profile_path(out, vid)
    assert load_profile(saved).columns[col - 1].field == "father_name"
    # the rerun with it: header reading skipped, the column mapped by its place, on every page
    assert _run(pdf, "--out", out, "--profile", saved) == 0
    got, want = _fathers(out, vid), _truth_fathers(truth)
    right = [rid for rid, name in want.items() if got.get(rid) == name]
    assert len(right) >= 0.8 * len(want), (got, want)
    assert {rid.split(":")[1] for rid in right} == {"0001", "0002"}  # both pages, not only page 1
    run = json.loads(max((out / "runs").glob("*.json")).read_text(encoding="utf-8"))
    assert run["volumes"][vid]["profile_sha256"] == hashlib.sha256(saved.read_bytes()).hexdigest()
    assert run["options"]["profile"] == str(saved)


def test_a_profile_that_does_not_fit_fails_the_page_with_its_reason(book, tmp_path, capsys):
    dest, truths = book
    truth = truths["ledger"]
    pdf, vid, out = dest / truth.source_file, truth.volume_id, tmp_path / "out"
    text = "\n".join(["version: 1", "register_type: birth", "layout: ledger", "header_rows: 1",
                      "columns:", "- {field: entry_no, header: Số, x: [0.0, 0.3]}",
                      "- {field: full_name, header: Họ và tên, x: [0.3, 1.0]}", ""])
    other = tmp_path / "other-book.yaml"
    other.write_text(text, encoding="utf-8")
    assert _run(pdf, "--out", out, "--profile", other) == 4
    err = [l for l in capsys.readouterr().err.splitlines() if "[profile]" in l]
    n = len(truth.pages[0].columns)
    assert len(err) == 2 and all(f"profile {other} does not fit: the page's table has {n} columns, "
                                 f"the profile 2" in l for l in err), err
    assert not (out / "records" / "register_type=birth" / f"volume_id={vid}").exists() or \
        read_records(out, "birth", vid).num_rows == 0
