"""Regenerate the screenshots in docs/ (PNG, small), in Vietnamese as the archivists see them:

    PYTHONPATH=. .venv/bin/python docs/screenshots.py

Review page: builds two generated volumes in a temporary OUT, does a little review work (a
correction, an accept, a partly checked spot-check sample), then photographs the volumes page,
a queue and a record page with headless Debian Chromium. Report: `hotich report` (default
Vietnamese) of the export/report test fixture, photographed section by section.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import export_fixture  # noqa: E402
from tests.review_fixture import build_out  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def shoot(page, name: str, clip: dict | None = None) -> None:
    path = ROOT / "docs" / f"{name if name.startswith('report-') else 'review-' + name}.png"
    page.screenshot(path=str(path), full_page=clip is not None, clip=clip)
    Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)
    print(path.relative_to(ROOT), path.stat().st_size, "bytes")


def type_into(page, field: str, text: str) -> None:
    """Open a field's editor with e and replace its text by typing."""
    page.locator(f"tr[data-field={field}]").focus()
    page.keyboard.press("e")
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def main() -> None:
    out = Path(tempfile.mkdtemp()) / "out"
    vol = build_out(out)
    build_out(out, seed=11)
    proc = subprocess.Popen([sys.executable, "-m", "cli", "review", str(out), "--port", "0",
                             "--reviewer", "Nguyễn Thị Lan"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line: list[str] = []
    t = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    t.start()
    t.join(60)
    base = re.search(r"(http://127\.0\.0\.1:\d+)", line[0]).group(1)
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            pg = b.new_page(viewport={"width": 1280, "height": 860})
            # a little review work first
            pg.goto(f"{base}/r/birth/{vol.flagged_name_errors[0]}")
            pg.keyboard.press("e")
            pg.keyboard.press("Control+A")
            pg.keyboard.insert_text(vol.truth[vol.flagged_name_errors[0]]["full_name"])
            with pg.expect_navigation():
                pg.keyboard.press("Enter")
            with pg.expect_navigation():
                pg.keyboard.press("a")
            pg.goto(f"{base}/v/birth/{vol.volume_id}/spot")
            with pg.expect_navigation():
                pg.click("#draw")
            with pg.expect_navigation():
                pg.keyboard.press("n")
            for _ in range(6):
                with pg.expect_navigation():
                    pg.keyboard.press("r")
            pg.goto(f"{base}/")
            shoot(pg, "volumes")
            pg.goto(f"{base}/v/birth/{vol.volume_id}")
            pg.keyboard.press("j")
            pg.keyboard.press("j")
            shoot(pg, "queue")
            pg.goto(f"{base}/r/birth/{vol.flagged_name_errors[2]}")
            pg.keyboard.press("e")
            shoot(pg, "record")
            pg.keyboard.press("Escape")
            # a date typed the way the register writes it, with the stored value previewed
            type_into(pg, "date_of_birth", "21.8.1941")
            pg.locator("tr[data-field=date_of_birth] output.preview").wait_for(state="visible")
            shoot(pg, "record-date")
            # a name typed into the entry number: refused, with the reason
            pg.keyboard.press("Escape")
            type_into(pg, "entry_no", "Nguyễn Văn An")
            with pg.expect_navigation():
                pg.keyboard.press("Enter")
            shoot(pg, "record-refused")
            pg.goto(f"{base}/v/birth/{vol.volume_id}/spot")
            shoot(pg, "spot")
            b.close()
    finally:
        proc.terminate()
        proc.wait(10)


def report() -> None:
    """The report's overview (header, tiles, volumes, pages), confidence and review sections."""
    out = Path(tempfile.mkdtemp()) / "out"
    export_fixture.build_out(out, review_db=True)
    subprocess.run([sys.executable, "-m", "cli", "report", str(out), "--lang", "vi"], cwd=ROOT, check=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        pg = b.new_page(viewport={"width": 1200, "height": 900})
        pg.goto((out / "report.html").as_uri(), wait_until="load")

        def box(first: str, last: str) -> dict:
            a = pg.locator(first).bounding_box()
            z = pg.locator(last).bounding_box()
            return {"x": 0, "y": a["y"], "width": 1200, "height": z["y"] + z["height"] - a["y"]}

        shoot(pg, "report-overview", box("header", "#volumes"))
        shoot(pg, "report-confidence", box("#confidence", "#confidence"))
        shoot(pg, "report-review", box("#review", "#review"))
        b.close()


if __name__ == "__main__":
    main()
    report()
