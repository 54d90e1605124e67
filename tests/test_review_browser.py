"""The review page in a real browser: Playwright driving Debian's Chromium against a real
`hotich review` server on 127.0.0.1 (a free port) over a generated volume.

No browser download: Chromium comes from the Debian package `chromium` (Makefile APT_PACKAGES).
Under CI (CI=true) a missing Chromium fails; elsewhere these tests are skipped without it.
"""
from __future__ import annotations

import http.client
import os
import re
import sqlite3
import subprocess
import sys
import threading
import unicodedata
from pathlib import Path

import pytest

from pipeline.review.corrections import write_reviewed_volume
from schemas.fields import all_fields
from schemas.outdir import review_db_path
from schemas.parquet_io import read_records
from tests.review_fixture import build_out, rerun_rows

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parent.parent
RT = "birth"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"{CHROMIUM} missing: install the Debian package chromium (make install)")
    pytest.skip("chromium not installed (apt-get install chromium)", allow_module_level=True)

if os.environ.get("CI") == "true":
    from playwright import sync_api as playwright_api
else:
    playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def vol(tmp_path_factory):
    return build_out(tmp_path_factory.mktemp("review") / "out")


@pytest.fixture(scope="module")
def server(vol):
    """`hotich review OUT --port 0` in a child process; yields its base URL."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "review", str(vol.out), "--port", "0", "--reviewer", "Lan",
         "--precision", "0.05", "--expected-error", "0.2", "--lang", "en"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line: list[str] = []
    t = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    t.start()
    t.join(30)
    m = re.search(r"(http://127\.0\.0\.1:\d+)/", line[0] if line else "")
    if not m:
        proc.kill()
        raise RuntimeError(f"server did not start: {line} {proc.stderr.read()[-2000:]}")
    yield m.group(1)
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs
    yield pg
    ctx.close()


def _nav(page, key: str) -> None:
    """Press a key that submits a form or follows a link, and wait for the new page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def _record(vol, rid):
    return {r["record_id"]: r for r in read_records(vol.out, RT, vol.volume_id).to_pylist()}[rid]


def test_correct_a_field_by_keyboard_then_rerun_keeps_it(page, server, vol):
    target = vol.flagged_name_errors[0]
    good = vol.truth[target]["full_name"]
    page.goto(f"{server}/v/{RT}/{vol.volume_id}")
    rows = page.locator("#queue tbody tr")
    ids = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert target in ids
    for _ in range(ids.index(target)):
        page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(f"/r/{RT}/{re.escape(target)}$"))
    # The page opens on the first flagged field: full_name, highlighted with its reason and raw text.
    cur = page.locator("tr.current")
    assert cur.get_attribute("data-field") == "full_name"
    assert "low_confidence" in cur.inner_text() and "flagged" in cur.get_attribute("class")
    assert page.locator("#crop").evaluate("img => img.complete && img.naturalWidth > 100")
    page.keyboard.press("e")
    box = cur.locator("input[name=value]")
    assert box.is_visible() and box.evaluate("el => el === document.activeElement")
    page.keyboard.insert_text(unicodedata.normalize("NFD", good))  # what an IME may commit
    _nav(page, "Enter")
    assert page.locator("tr[data-field=full_name] .shown").inner_text() == good
    assert page.locator("tr.current").get_attribute("data-field") == "sex"  # moved on
    rec = _record(vol, target)
    assert rec["full_name"] == good and rec["review_status"] == "corrected"
    audit = sqlite3.connect(review_db_path(vol.out)).execute(
        "SELECT reviewer, field, new_value FROM changes WHERE record_id=? AND action='correct'",
        (target,)).fetchall()
    assert audit == [("Lan", "full_name", good)]
    assert good in page.locator("#history").inner_text()

    # The OCR is rerun and the runner rewrites the volume through apply_corrections.
    fresh = rerun_rows(vol)
    assert next(r for r in fresh if r["record_id"] == target)["full_name"] != good
    write_reviewed_volume(vol.out, RT, vol.volume_id, fresh)
    assert _record(vol, target)["full_name"] == good
    page.reload()
    assert page.locator("tr[data-field=full_name] .shown").inner_text() == good
    assert page.locator("#status").inner_text() == "corrected"

    # a accepts and moves to the next record in the queue
    page.keyboard.press("a")
    page.wait_for_url(re.compile(f"/r/{RT}/(?!{re.escape(target)})"))


def test_script_tag_in_a_field_shows_as_text(page, server, vol):
    page.goto(f"{server}/r/{RT}/{vol.script_record}")
    notes = page.locator("tr[data-field=notes] .shown").inner_text()
    assert notes.startswith('<script>document.title="pwned"</script><b>bold?</b>')
    assert page.title() != "pwned" and not page.dialogs
    assert page.locator("tr[data-field=notes] b").count() == 0


def test_image_paths_outside_out_are_refused(page, server, vol):
    (vol.out / "secret.png").write_bytes(b"secret")
    r = page.goto(f"{server}/img/page/..%2F..%2Fsecret/1.png")
    assert r.status in (400, 404)
    host, port = server.removeprefix("http://").split(":")
    for raw in ("/img/page/../secret.png", "/img/page/../../etc/1.png", "/page/birth/..%2F..%2Fetc/1"):
        con = http.client.HTTPConnection(host, int(port), timeout=10)
        con.request("GET", raw)  # sent as is, not normalised by a browser
        resp = con.getresponse()
        assert resp.status in (400, 404), raw
        assert b"secret" not in resp.read()
        con.close()
    assert page.goto(f"{server}/img/page/{vol.volume_id}/1.png").status == 200


def test_two_tabs_never_lose_an_edit(browser, server, vol):
    ctx = browser.new_context()
    a, b = ctx.new_page(), ctx.new_page()
    rid = vol.flagged_name_errors[1]
    for p in (a, b):
        p.goto(f"{server}/r/{RT}/{rid}")
    a.keyboard.press("e")
    a.keyboard.type("Trần Văn An")  # a/n typed into the field are text, not shortcuts; marked, so kept as typed
    _nav(a, "Enter")
    assert a.locator("tr[data-field=full_name] .shown").inner_text() == "Trần Văn An"
    b.keyboard.press("e")
    b.keyboard.type("Trần Văn Bình")
    _nav(b, "Enter")
    banner = b.locator("#conflict")
    assert banner.is_visible() and "Trần Văn Bình" in banner.inner_text()
    assert b.locator("tr[data-field=full_name] .shown").inner_text() == "Trần Văn An"
    assert _record(vol, rid)["full_name"] == "Trần Văn An"
    ctx.close()


def test_spot_check_a_sample_and_see_the_estimate(page, server, vol):
    page.goto(f"{server}/v/{RT}/{vol.volume_id}/spot")
    with page.expect_navigation():
        page.click("#draw")
    n = page.locator("#items tbody tr").count()
    assert n > 0
    _nav(page, "n")
    judged = wrong = 0
    while "/spot" not in page.url:
        rid = re.search(rf"/r/{RT}/([^?]+)\?sample=", page.url).group(1)
        assert not _record(vol, rid)["flags"]  # only unflagged records are sampled
        if rid in vol.silent_errors:
            _nav(page, "w")
            wrong += 1
            assert page.locator("tr.current").get_attribute("data-field") == "entry_no"
            for _ in range(all_fields(RT).index("mother_name")):
                page.keyboard.press("j")
            page.keyboard.press("e")
            page.keyboard.press("Control+A")
            page.keyboard.insert_text(vol.truth[rid]["mother_name"])
            _nav(page, "Enter")
            assert _record(vol, rid)["mother_name"] == vol.truth[rid]["mother_name"]
            _nav(page, "n")
        else:
            _nav(page, "r")
        judged += 1
        assert judged <= n
    # With ±5% at a planning rate of 20% the formula asks for every unflagged record here.
    assert judged == n == sum(not r["flags"] for r in vol.rows)
    assert wrong == len(vol.silent_errors) > 0
    assert page.locator("#rate").inner_text() == f"{100 * wrong / n:.1f}%"
    assert re.fullmatch(r"\d+\.\d% – \d+\.\d%", page.locator("#ci").inner_text())
    assert page.locator("#signoff").is_disabled()  # a handful of checks cannot bound it under 5%
    page.goto(f"{server}/")
    assert f"{wrong}/{n} wrong" in page.locator("#volumes").inner_text()


def _edit(page, field: str, text: str) -> None:
    """Focus a field's row, open it with e, replace its text by typing, wait for the preview."""
    page.locator(f"tr[data-field={field}]").focus()
    page.keyboard.press("e")
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.locator(f"tr[data-field={field}] output.preview").wait_for(state="visible")


def test_each_field_shows_its_own_cell_large_enough_to_read(page, server, vol):
    rid = vol.flagged_name_errors[0]
    page.goto(f"{server}/r/{RT}/{rid}")
    cells = page.locator("tr[data-field] img.cell")
    assert cells.count() >= 5
    for field in ("full_name", "date_of_birth", "entry_no"):
        img = page.locator(f"tr[data-field={field}] img.cell")
        img.wait_for()
        size = img.evaluate("el => el.complete && [el.naturalWidth, el.naturalHeight, "
                            "el.getBoundingClientRect().height]")
        assert size, field
        natural_w, natural_h, shown_h = size
        assert natural_w > natural_h > 0, (field, size)  # a cell, wider than tall
        assert shown_h >= 24, (field, size)  # enlarged to the value's text size, not a thumbnail


def test_a_date_typed_as_the_register_writes_it_is_stored_in_iso(page, server, vol):
    rid = vol.flagged_name_errors[2]
    page.goto(f"{server}/r/{RT}/{rid}")
    _edit(page, "date_of_birth", "21.8.1941")
    # the preview answers each pause in typing: wait for the one of the whole value
    page.wait_for_function("document.querySelector('tr[data-field=date_of_birth] "
                           "output.preview').textContent.includes('1941-08-21')", timeout=10000)
    _nav(page, "Enter")
    assert page.locator("#refused").count() == 0
    assert page.locator("tr[data-field=date_of_birth] .shown").inner_text() == "1941-08-21"
    assert _record(vol, rid)["date_of_birth"] == "1941-08-21"


def test_a_name_typed_into_entry_no_is_refused_with_its_reason(page, server, vol):
    rid = vol.flagged_name_errors[2]
    page.goto(f"{server}/r/{RT}/{rid}")
    before = _record(vol, rid)["entry_no"]
    _edit(page, "entry_no", "Nguyễn Văn An")
    assert "bad" in page.locator("tr[data-field=entry_no] output.preview").get_attribute("class")
    _nav(page, "Enter")
    refused = page.locator("#refused")
    assert refused.is_visible() and "entry_no" in refused.inner_text()
    assert _record(vol, rid)["entry_no"] == before


def test_a_short_token_is_refused_before_the_server_listens(vol):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "cli", "review", str(vol.out), "--port", "0",
                        "--host", "0.0.0.0", "--token", "short"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r.stderr
    assert "--token" in r.stderr and "16" in r.stderr
    assert "http://" not in r.stdout


def test_the_token_leaves_the_address_after_the_first_load(browser, vol):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "review", str(vol.out), "--port", "0", "--host", "0.0.0.0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line: list[str] = []
        t = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
        t.start()
        t.join(30)
        m = re.search(r"http://[^/\s]+:(\d+)/\S*token=([\w-]+)", line[0] if line else "")
        assert m, line
        port, token = m.groups()
        ctx = browser.new_context()
        pg = ctx.new_page()
        pg.goto(f"http://127.0.0.1:{port}/?token={token}")
        assert "token" not in pg.url
        assert pg.locator("table").count() >= 1  # the volumes page, not a refusal
        pg.goto(f"http://127.0.0.1:{port}/search?q=nguyen")  # the cookie carries on
        assert "token" not in pg.url and pg.title() and "403" not in pg.content()[:200]
        assert pg.evaluate("document.cookie").find(token) == -1  # HttpOnly
        ctx.close()
        other = browser.new_context()
        assert other.new_page().goto(f"http://127.0.0.1:{port}/").status == 403
        other.close()
    finally:
        proc.terminate()
        proc.wait(10)
