"""One batch mixing good pages with every kind of bad input: the good pages' records come out,
every bad page is named (file, page, reason) in the manifest, on stderr and in
`hotich status`, and the exit code is 4 (PARTIAL)."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli import app
from schemas.errors import ExitCode
from tests import badfiles
from tests.batchutil import all_records, batch  # noqa: F401 (batch is a fixture)
from tests.fakes import FakePage, page_image


def _mixed_folder(d: Path) -> dict[str, str]:
    """Page images in natural order; returns file name -> expected failure stage (the blank
    leaf p05 is no failure: its status is blank)."""
    d.mkdir()
    page_image(1).save(d / "p01-good.png")
    (d / "p02-zero.png").write_bytes(b"")
    (d / "p03-text.png").write_text("not an image at all")
    badfiles.huge_png_header(d / "p04-huge.png")
    badfiles.blank_png(d / "p05-blank.png")
    page_image(6).save(d / "p06-raises.png")
    page_image(7).save(d / "p07-hangs.png")
    page_image(8).save(d / "p08-kills-worker.png")
    badfiles.tiff_with_bad_page(d / "p09-tiff.tif", bad=1, seed0=9)  # pages 9, 10, 11
    page_image(12).save(d / "p12-good.jpg")
    return {"p02-zero.png": "load", "p03-text.png": "load", "p04-huge.png": "load",
            "p06-raises.png": "page", "p07-hangs.png": "timeout",
            "p08-kills-worker.png": "worker", "p09-tiff.tif": "load"}


def test_bad_inputs_are_isolated_and_reported(tmp_path, batch):
    expected = _mixed_folder(tmp_path / "MIX")
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    good_pdf = badfiles.pdf_of_pages(pdfs / "GOOD.pdf", [21, 22])
    bad = [badfiles.encrypted_pdf(pdfs / "ENC.pdf"), badfiles.huge_page_pdf(pdfs / "BIG.pdf"),
           badfiles.truncated(pdfs / "CUT.pdf", good_pdf)]
    inputs = [tmp_path / "MIX", good_pdf, *bad]
    # pages 6, 7, 8 of MIX raise, hang and kill their worker (GOOD.pdf has only pages 1-2)
    page = FakePage(raise_on=(6,), hang_on=(7,), crash_on=(8,))
    s = batch(inputs, page=page, workers=2, page_timeout=3)

    assert s.exit_code == ExitCode.PARTIAL
    assert s.failed == len(expected) + len(bad) and s.blank == 1
    df = all_records(tmp_path / "out")
    good = {("MIX", 1), ("MIX", 9), ("MIX", 11), ("MIX", 12), ("GOOD", 1), ("GOOD", 2)}
    assert set(zip(df.volume_id, df.page)) == good
    assert len(df) == 3 * len(good)

    m = json.loads(s.manifest.read_text())
    assert m["state"] == "partial" and m["totals"]["failed"] == s.failed
    named = {(Path(e["source_file"]).name, e["page"]): e for e in m["errors"]}
    for name, stage in expected.items():
        hits = [e for (n, _), e in named.items() if n == name]
        assert hits and hits[0]["stage"] == stage, (name, hits)
    assert named[("p09-tiff.tif", 10)]["reason"].startswith("unreadable image data")
    assert "encrypted PDF" in named[("ENC.pdf", 1)]["reason"]
    assert "page too large" in named[("BIG.pdf", 1)]["reason"]
    assert "not a readable PDF" in named[("CUT.pdf", 1)]["reason"]
    assert "killed and replaced" in named[("p07-hangs.png", 7)]["reason"]

    # one stderr line per failed page, naming file and page
    failed_lines = [ln for ln in batch.lines if "failed [" in ln]
    assert len(failed_lines) == s.failed and all("\n" not in ln for ln in failed_lines)
    assert any("p02-zero.png: page 2 of volume MIX" in ln for ln in failed_lines)

    res = CliRunner().invoke(app, ["status", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    for name in [*expected, "ENC.pdf", "BIG.pdf", "CUT.pdf"]:
        assert name in res.output
    st = json.loads(CliRunner().invoke(app, ["status", str(tmp_path / "out"), "--json"]).output)
    by_vol = {v["volume_id"]: v for v in st["volumes"]}
    assert (by_vol["MIX"]["done"], by_vol["MIX"]["blank"], by_vol["MIX"]["failed"],
            by_vol["MIX"]["pending"]) == (5, 1, 7, 0)
    assert "p05-blank.png" not in res.output  # listed only among failures, and it is none
    assert by_vol["GOOD"]["total_records"] == 6 and by_vol["ENC"]["failed"] == 1


def test_fixed_input_is_redone_on_rerun(tmp_path, batch):
    d = tmp_path / "V"
    d.mkdir()
    page_image(1).save(d / "a1.png")
    (d / "a2.png").write_bytes(b"")
    assert batch([d]).exit_code == ExitCode.PARTIAL
    page_image(2).save(d / "a2.png")  # the operator replaces the bad scan
    s = batch([d])
    assert (s.exit_code, s.cached, s.processed, s.records) == (ExitCode.OK, 1, 1, 6)


def test_failed_pages_are_retried_and_keep_failing_alone(tmp_path, batch):
    d = tmp_path / "V"
    d.mkdir()
    for i in (1, 2, 3):
        page_image(i).save(d / f"p{i}.png")
    page = FakePage(log=str(batch.log), raise_on=(2,))
    assert batch([d], page=page).failed == 1
    s = batch([d], page=page)
    assert (s.cached, s.failed) == (2, 1)
    assert batch.log.read_text().splitlines()[3:] == ["V 2"]  # only the failed page again


def test_a_blank_leaf_is_done_not_failed_and_not_retried(tmp_path, batch):
    """A blank leaf among good pages: exit 0, status `blank` in the cache, the manifest and
    `hotich status`; a rerun reads nothing again."""
    d = tmp_path / "V"
    d.mkdir()
    page_image(1).save(d / "p1.png")
    badfiles.blank_png(d / "p2.png")
    page_image(3).save(d / "p3.png")
    page = FakePage(log=str(batch.log))
    s = batch([d], page=page)
    assert (s.exit_code, s.processed, s.blank, s.failed, s.records) == (ExitCode.OK, 2, 1, 0, 6)
    assert not [ln for ln in batch.lines if "failed [" in ln]
    m = json.loads(s.manifest.read_text())
    assert [p["status"] for p in sorted(m["pages"], key=lambda p: p["page"])] == \
        ["processed", "blank", "processed"] and m["errors"] == []
    st = json.loads(CliRunner().invoke(app, ["status", str(tmp_path / "out"), "--json"]).output)
    v = st["volumes"][0]
    assert (v["done"], v["blank"], v["failed"], v["pending"]) == (3, 1, 0, 0)
    table = CliRunner().invoke(app, ["status", str(tmp_path / "out")]).output
    assert table.splitlines()[0].split()[:5] == ["volume", "pages", "done", "blank", "failed"]
    assert table.splitlines()[1].split()[:5] == ["V", "3", "3", "1", "0"]

    again = batch([d], page=page)
    assert (again.exit_code, again.cached, again.processed, again.blank) == (ExitCode.OK, 3, 0, 0)
    assert batch.log.read_text().splitlines() == ["V 1", "V 3"]  # the leaf was never read


def test_unreadable_inputs_fail_their_volume_alone(tmp_path, batch, monkeypatch):
    """An empty folder, a link loop, an unreadable folder and a missing path among good
    inputs: each is reported on one line with its own reason, the good volumes are read,
    the exit code is 4, and `hotich status` shows each volume's reason."""
    good = tmp_path / "GOOD"
    good.mkdir()
    for i in (1, 2):
        page_image(i).save(good / f"p{i}.png")
    empty = tmp_path / "EMPTY"
    empty.mkdir()
    (empty / "readme.txt").write_text("no scans yet")
    loop = tmp_path / "LOOP"
    loop.symlink_to(loop)
    locked = tmp_path / "LOCKED"
    locked.mkdir()
    page_image(3).save(locked / "p1.png")
    real_iterdir = Path.iterdir

    def iterdir(self):  # root reads any folder: a permission error is simulated here
        if self.name == "LOCKED":
            raise PermissionError(13, "Permission denied")
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    s = batch([empty, good, loop, locked, tmp_path / "MISSING"])
    assert s.exit_code == ExitCode.PARTIAL and s.volume_errors == 4 and s.failed == 0
    assert s.processed == 2 and s.records == 6
    assert set(all_records(tmp_path / "out").volume_id) == {"GOOD"}
    reasons = {ln.split("volume ")[1].split(" ")[0]: ln for ln in batch.lines if "[input]" in ln}
    assert f"no page images (PNG, JPEG, TIFF) in {empty}" in reasons["EMPTY"]
    assert f"symbolic link loop at {loop}" in reasons["LOOP"]
    assert f"{locked}: cannot be read (Permission denied)" in reasons["LOCKED"]
    assert f"{tmp_path / 'MISSING'}: does not exist" in reasons["MISSING"]
    assert all("\n" not in ln for ln in reasons.values())

    st = json.loads(CliRunner().invoke(app, ["status", str(tmp_path / "out"), "--json"]).output)
    by_vol = {v["volume_id"]: v for v in st["volumes"]}
    assert by_vol["GOOD"]["done"] == 2 and by_vol["GOOD"]["errors"] == []
    for vid in ("EMPTY", "LOOP", "LOCKED", "MISSING"):
        assert [e["stage"] for e in by_vol[vid]["errors"]] == ["input"], vid
    assert by_vol["GOOD"]["skipped"] == []
    table = CliRunner().invoke(app, ["status", str(tmp_path / "out")]).output
    assert f"symbolic link loop at {loop}" in table


def test_a_subfolder_is_named_as_skipped_not_passed_over(tmp_path, batch):
    d = tmp_path / "V"
    (d / "extra").mkdir(parents=True)
    page_image(1).save(d / "p1.png")
    page_image(2).save(d / "extra" / "p2.png")
    (d / "notes.txt").write_text("x")
    s = batch([d])
    assert (s.exit_code, s.processed, s.skipped) == (ExitCode.OK, 1, 2)
    assert any(f"{d / 'extra'}: skipped (a subfolder" in ln for ln in batch.lines)
    assert "2 item(s) in input folders skipped" in s.describe()
    table = CliRunner().invoke(app, ["status", str(tmp_path / "out")]).output
    assert "skipped (2):" in table and f"{d / 'extra'}: skipped (a subfolder" in table
    st = json.loads(CliRunner().invoke(app, ["status", str(tmp_path / "out"), "--json"]).output)
    assert len(st["volumes"][0]["skipped"]) == 2
