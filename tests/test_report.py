"""`hotich report`: a self-contained HTML page that a real browser renders without errors."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

import cli
from pipeline.report import write_report
from pipeline.report.collect import collect
from tests.export_fixture import build_out

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_out(tmp_path_factory.mktemp("out"), review_db=True)


@pytest.fixture(scope="module")
def report(built):
    with pytest.raises(SystemExit) as e:
        cli.main(["report", str(built.out)])
    assert e.value.code == 0
    return built.out / "report.html"


def _browser():
    """Debian's chromium through Playwright (no browser download). Under CI a missing
    chromium fails the test; elsewhere it skips."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} missing: install the Debian package chromium (Makefile APT_PACKAGES)")
        pytest.skip("chromium not installed")
    from playwright.sync_api import sync_playwright
    return sync_playwright()


def test_collect_reads_every_part(built):
    data = collect(built.out)
    assert [(v.volume_id, v.records) for v in data.volumes] == [("KS-1972", 15), ("KT-1980", 5), ("KH-1990", 5)]
    ks = data.volumes[0]
    assert ks.failed_pages == 1 and ks.pages == 3
    flagged = [r for r in built.records.values() if r["needs_review"]]
    assert ks.flagged == len(flagged)
    assert data.review.by_status["unreviewed"] == len(built.planted["unreviewed"])
    assert [(f.volume_id, f.page, f.stage) for f in data.failed] == [("KS-1972", 4, "load")]
    assert data.slowest[0].seconds == max(p.seconds for p in data.slowest)
    assert data.dedup.multi_clusters == 1 and data.dedup.pairs == 1
    assert sum(data.review.per_day.values()) == len(built.planted["reviewed"])
    sex = next(f for f in data.fields if f.register_type == "birth" and f.field == "sex")
    assert sex.flagged == sum("low_confidence:sex" in r["flags"] for r in flagged)
    assert sum(sum(h) for h in data.conf_hist.values()) == sum(
        1 for r in built.records.values() for k, v in r.items() if k.endswith("_conf") and v is not None)


def test_report_is_self_contained(report):
    html = report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script" not in html
    assert html.count('<svg role="img"') >= 8


def test_report_renders_in_a_real_browser(report, built):
    requests, problems = [], []
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(report.as_uri(), wait_until="load")
            images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
            charts = page.eval_on_selector_all(
                "svg.chart", "els => els.map(e => [e.getAttribute('data-chart'), "
                             "e.getBoundingClientRect().width, e.querySelectorAll('path,rect,use').length])")
            text = page.inner_text("body")
        finally:
            browser.close()
    assert problems == []
    assert [u.split(":", 1)[0] for u in requests if not u.startswith("data:")] == ["file"]
    assert len(images) == 3 and all(ok and w > 0 for ok, w in images)  # the worst pages' pictures
    labels = {label for label, _, _ in charts}
    assert {"records per volume", "flagged rate per page", "flagged rate per field",
            "confidence distributions", "slowest pages", "why pages failed", "review progress",
            "duplicate pair scores"} <= labels
    assert all(w > 200 and n > 5 for _, w, n in charts)
    assert "page image unreadable: truncated JPEG" in text  # the failed page and its reason
    assert "KS-1972" in text and "25" in text


def test_report_of_a_bare_folder(built, tmp_path):
    """Only records: no manifest, dedup or review yet; the report says so instead of failing."""
    out = tmp_path / "bare"
    shutil.copytree(built.out / "records", out / "records")
    path = write_report(out, tmp_path / "r.html")
    html = path.read_text(encoding="utf-8")
    assert "has not run on this folder yet" in html
    assert "No run manifest" in html and "no review database yet" in html
    empty = write_report(tmp_path / "empty", tmp_path / "e.html").read_text(encoding="utf-8")
    assert "No records yet" in empty


def test_report_draws_the_calibration_hotich_eval_wrote(built, tmp_path):
    """With OUT/eval.json's calibration (pipeline.evaluate.calibration of known fields), the
    report draws the reliability points and the risk-coverage curve; without it, says so."""
    import json

    from pipeline.evaluate import calibration

    out = tmp_path / "o"
    shutil.copytree(built.out / "records", out / "records")
    before = write_report(out, tmp_path / "a.html", lang="en").read_text(encoding="utf-8")
    assert 'data-chart="calibration"' not in before and "No evaluation yet" in before
    fields = [(0.001, False, False)] * 900 + [(0.002, True, False)] + [(0.9, True, True)] * 9 + [(0.9, False, True)]
    cal = calibration(fields)
    assert cal["bins"][0]["n"] == 901 and cal["operating_point"]["flagged"] == pytest.approx(10 / 911, abs=1e-4)
    (out / "eval.json").write_text(json.dumps({"calibration": cal}), encoding="utf-8")
    html = write_report(out, tmp_path / "b.html", lang="en").read_text(encoding="utf-8")
    svg = re.search(r'<svg[^>]*data-chart="calibration".*?</svg>', html, re.S)
    assert svg and "Reliability (ECE" in svg.group(0) and "Risk and coverage" in svg.group(0)
    vi = write_report(out, tmp_path / "c.html", lang="vi").read_text(encoding="utf-8")
    assert "Hiệu chuẩn xác suất sai" in vi
