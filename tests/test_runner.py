"""The batch runner: records out, cache hits on rerun, only changed pages redone, --force,
volume shrink, corrections hook, the OUT lock, and the dask path giving the same records."""
from __future__ import annotations

import json

import pytest

from pipeline.run.lock import out_lock
from schemas.errors import BadInputError, ExitCode
from schemas.outdir import page_image_path, page_lines_path
from tests import badfiles
from tests.batchutil import all_records, batch  # noqa: F401 (batch is a fixture)
from tests.fakes import FakePage, image_folder, page_image, read_calls


def test_first_run_writes_records_pages_and_manifest(tmp_path, batch):
    vol = image_folder(tmp_path / "V1", 5)
    s = batch([vol], workers=2)
    assert s.exit_code == ExitCode.OK and (s.processed, s.failed, s.records) == (5, 0, 15)
    df = all_records(tmp_path / "out")
    assert list(df.record_id[:4]) == ["V1:0001:01", "V1:0001:02", "V1:0001:03", "V1:0002:01"]
    assert set(df.volume_id) == {"V1"} and set(df.register_type) == {"birth"}
    assert set(df.source_file) == {str(vol / f"page{i}.png") for i in range(1, 6)}
    assert df.config_hash.notna().all() and df.image_sha256.str.len().eq(64).all()
    assert int(df.needs_review.sum()) == 5 == s.flagged
    lines = json.loads(page_lines_path(tmp_path / "out", "V1", 2).read_text())
    assert {k: lines[k] for k in ("volume_id", "page", "width", "height", "layout")} == {
        "volume_id": "V1", "page": 2, "width": 120, "height": 90, "layout": "ledger"}
    assert lines["image_sha256"] == df.image_sha256[3] and lines["lines"][0]["words"]
    assert page_image_path(tmp_path / "out", "V1", 5).read_bytes()[:4] == b"\x89PNG"
    m = json.loads(s.manifest.read_text())
    assert m["state"] == "completed" and m["totals"]["processed"] == 5
    assert m["versions"]["python"] and m["config"]["hash"] == df.config_hash[0]
    assert len(m["pages"]) == 5 and all("load" in p["timings"] for p in m["pages"])


def test_rerun_without_change_does_no_recognition(tmp_path, batch):
    vol = image_folder(tmp_path / "V", 6)
    batch([vol], workers=2)
    first = all_records(tmp_path / "out")
    s = batch([vol], workers=2)
    assert len(read_calls(batch.log)) == 6  # all from the first run
    assert (s.cached, s.processed, s.exit_code) == (6, 0, ExitCode.OK)
    assert all_records(tmp_path / "out").equals(first)


def test_changing_one_image_redoes_only_that_page(tmp_path, batch):
    vol = image_folder(tmp_path / "V", 6)
    batch([vol])
    before = all_records(tmp_path / "out")
    page_image(99).save(vol / "page4.png")
    s = batch([vol])
    assert read_calls(batch.log)[6:] == ["V 4"]
    assert (s.cached, s.processed) == (5, 1)
    after = all_records(tmp_path / "out")
    changed = after.record_id[after.full_name != before.full_name]
    assert set(changed.str[:7]) == {"V:0004:"}


def test_force_redoes_every_page(tmp_path, batch):
    vol = image_folder(tmp_path / "V", 4)
    batch([vol])
    s = batch([vol], force=True)
    assert len(read_calls(batch.log)) == 8 and s.processed == 4


def test_config_change_redoes_pages(tmp_path, batch):
    vol = image_folder(tmp_path / "V", 3)
    batch([vol])
    cfg = tmp_path / "c.yaml"
    cfg.write_text("thresholds: {low_confidence: 0.9}\n")
    s = batch([vol], config_file=cfg)
    assert s.processed == 3
    assert all_records(tmp_path / "out").config_hash.nunique() == 1


def test_rewritten_pdf_reuses_pages_whose_pixels_did_not_change(tmp_path, batch):
    path = badfiles.pdf_of_pages(tmp_path / "B.pdf", [1, 2, 3, 4])
    batch([path])
    badfiles.pdf_of_pages(path, [1, 2, 77, 4])  # a new file: every source key changes
    s = batch([path])
    assert read_calls(batch.log)[4:] == ["B 3"]  # pixels compared, only page 3 read again
    assert (s.unchanged, s.processed) == (3, 1)


def test_volume_that_shrinks_loses_the_missing_pages(tmp_path, batch):
    vol = image_folder(tmp_path / "V", 4)
    batch([vol])
    (vol / "page4.png").unlink()
    s = batch([vol])
    df = all_records(tmp_path / "out")
    assert df.page.max() == 3 and s.records == 9
    assert not page_image_path(tmp_path / "out", "V", 4).exists()


def test_second_run_on_same_out_is_refused(tmp_path, batch):
    vol = image_folder(tmp_path / "V", 1)
    with out_lock(tmp_path / "out"):
        with pytest.raises(BadInputError, match="another hotich run"):
            batch([vol])


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_records(tmp_path, batch):
    """Same records and same failures: page 3 of each volume hangs past the timeout (dask
    cancels it and restarts that worker)."""
    vols = [image_folder(tmp_path / "A", 4), badfiles.pdf_of_pages(tmp_path / "B.pdf", [3, 4, 5])]
    page = FakePage(hang_on=(3,))
    local = batch(vols, out=tmp_path / "local", workers=2, page=page, page_timeout=2)
    dask = batch(vols, out=tmp_path / "dask", workers=2, executor="dask", page=page,
                 page_timeout=2)
    assert (local.processed, local.failed, local.exit_code) == (5, 2, ExitCode.PARTIAL)
    assert (dask.processed, dask.failed, dask.exit_code) == (5, 2, ExitCode.PARTIAL)
    a = all_records(tmp_path / "local")
    b = all_records(tmp_path / "dask")
    assert len(a) == 15 and a.equals(b)
    m = json.loads(dask.manifest.read_text())
    assert m["versions"]["dask"] and m["executor"]["kind"] == "dask"
    assert sorted((e["page"], e["stage"]) for e in m["errors"]) == [(3, "timeout")] * 2
