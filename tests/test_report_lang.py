"""`hotich report --lang vi|en`: the report in Vietnamese (the default) or English from the one
catalogue, and chart legends that stay off the bars, checked in a real browser."""
from __future__ import annotations

import re

import pytest

import cli
from tests.export_fixture import build_out
from tests.test_report import CHROMIUM, CHROMIUM_ARGS, _browser

# English words of the report's chrome; none may be left in the Vietnamese report's text
ENGLISH = ("Volumes", "Flagged entries per page", "Recognition confidence", "Slowest pages",
           "Failed pages", "Duplicates", "Review progress", "waiting for review", "records",
           "signed off", "generated", "Why pages failed", "Groups by size", "review actions")

# Every legend's box against every drawing area (an axes' background, its first child) and
# every text outside the legend: a legend over bars or over labels is what this catches.
OVERLAPS = """() => {
  const box = e => e.getBoundingClientRect();
  const meets = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 &&
                          a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const found = [], legends = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const name = svg.dataset.chart;
    const areas = [...svg.querySelectorAll('g[id^="axes_"] > g:first-child')].map(box);
    for (const lg of svg.querySelectorAll('g[id^="legend_"]')) {
      const b = box(lg);
      legends.push(name);
      areas.forEach((a, i) => { if (meets(a, b)) found.push(`${name}: legend over drawing area ${i}`); });
      for (const t of svg.querySelectorAll('text')) {
        if (!lg.contains(t) && meets(box(t), b)) found.push(`${name}: legend over "${t.textContent}"`);
      }
    }
  }
  return {found, legends};
}"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_out(tmp_path_factory.mktemp("out"), review_db=True)


def _report(built, *lang: str):
    path = built.out / f"report-{lang[-1] if lang else 'default'}.html"
    with pytest.raises(SystemExit) as e:
        cli.main(["report", str(built.out), "--out", str(path), *lang])
    assert e.value.code == 0
    return path.read_text(encoding="utf-8")


def _text(html: str) -> str:
    """The visible text: the style block, tags and attribute values dropped."""
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_vietnamese_is_the_default(built):
    html = _report(built)
    assert '<html lang="vi">' in html
    text = _text(html)
    left = [w for w in ENGLISH if re.search(rf"\b{re.escape(w)}\b", text)]
    assert not left, f"English left in the Vietnamese report: {left}"
    for vi in ("Báo cáo hotich", "Mục cần kiểm tra theo trang", "Tiến độ kiểm tra", "Trang bị lỗi",
               "Lý do trang bị lỗi", "khai sinh", "chờ kiểm tra"):
        assert vi in text, vi
    # the charts' accessible names are Vietnamese too; their ids stay stable
    assert 'aria-label="Bản ghi theo sổ" data-chart="records per volume"' in html
    # Vietnamese writes a share with a decimal comma
    assert re.search(r'<div class="v">\d+,\d\s?%</div>', html)


def test_english_on_request(built):
    html = _report(built, "--lang", "en")
    assert '<html lang="en">' in html
    text = _text(html)
    for en in ("hotich report", "Flagged entries per page", "Review progress", "Why pages failed"):
        assert en in text, en
    assert "Báo cáo" not in text and "kiểm tra" not in text
    assert re.search(r'<div class="v">\d+\.\d%</div>', html)


def test_an_unknown_language_is_refused(built):
    with pytest.raises(SystemExit) as e:
        cli.main(["report", str(built.out), "--lang", "fr"])
    assert e.value.code != 0


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_legends_stay_off_the_bars_in_a_real_browser(built, tmp_path, lang):
    path = built.out / f"report-{lang}.html"
    _report(built, "--lang", lang)
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(path.as_uri(), wait_until="load")
            shot = tmp_path / f"report-{lang}.png"
            page.screenshot(path=str(shot), full_page=True)
            result = page.evaluate(OVERLAPS)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    # the charts that have a legend were measured (not a vacuous pass)
    assert {"records per volume", "confidence distributions", "slowest pages",
            "review progress"} <= set(result["legends"])
    assert result["found"] == []
