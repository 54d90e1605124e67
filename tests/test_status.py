"""`hotich status OUT`: done/failed/pending per volume, records, flagged, last run, errors."""
from __future__ import annotations

import json

from click.testing import CliRunner

from cli import app
from pipeline.run.lock import out_lock
from pipeline.run.status import batch_status
from pipeline.store import cache
from pipeline.store.manifest import latest_manifest
from tests.batchutil import batch  # noqa: F401 (fixture)
from tests.fakes import FakePage, image_folder, page_image


def test_status_counts_done_failed_and_pending(tmp_path, batch):
    a = image_folder(tmp_path / "A", 4)
    b = image_folder(tmp_path / "B", 2, seed0=10)
    batch([a, b], page=FakePage(raise_on=(3,)))
    page_image(50).save(a / "page4.png")  # changed since: pending until the next run
    # plan the change without running it: what a run killed right after planning leaves
    plan = cache.read_plan(tmp_path / "out", "A")
    plan["pages"][3]["key"]["source_key"] = "changed"
    cache.write_plan(tmp_path / "out", "A", plan)

    by_id = {v.volume_id: v for v in batch_status(tmp_path / "out")}
    a_st, b_st = by_id["A"], by_id["B"]
    assert (a_st.pages, a_st.done, a_st.failed, a_st.pending) == (4, 2, 1, 1)
    assert (b_st.pages, b_st.done, b_st.failed, b_st.pending) == (2, 2, 0, 0)
    assert a_st.records == {"birth": 9} and a_st.flagged == 3  # pages 1, 2, 4 as published
    assert a_st.last_run_state == "partial"
    assert [(e["page"], e["stage"]) for e in a_st.errors] == [(3, "page")]
    assert "simulated OCR failure" in a_st.errors[0]["reason"]

    res = CliRunner().invoke(app, ["status", str(tmp_path / "out")])
    assert res.exit_code == 0
    lines = res.output.splitlines()
    assert lines[0].split() == ["volume", "pages", "done", "blank", "failed", "pending", "records",
                                "flagged", "sign-off", "last", "run"]
    assert lines[1].split()[:9] == ["A", "4", "2", "0", "1", "1", "9", "3", "-"]  # not signed off
    assert any(l.startswith("total") for l in lines)
    assert any("page3.png" in l and "[page] RuntimeError: simulated OCR failure" in l
               for l in lines)

    js = json.loads(CliRunner().invoke(app, ["status", str(tmp_path / "out"), "--json"]).output)
    assert js["last_run"]["state"] == "partial" and js["last_run"]["totals"]["failed"] == 1
    assert [v["volume_id"] for v in js["volumes"]] == ["A", "B"]


def test_status_tells_a_killed_run_from_a_running_one(tmp_path, batch):
    vol = image_folder(tmp_path / "V", 1)
    s = batch([vol])
    m = json.loads(s.manifest.read_text())
    m["state"] = "running"  # what a SIGKILLed run leaves behind
    s.manifest.write_text(json.dumps(m))
    out = tmp_path / "out"
    assert batch_status(out)[0].last_run_state == "killed"
    with out_lock(out):
        assert batch_status(out)[0].last_run_state == "running"
    assert latest_manifest(out)["run_id"] == s.run_id


def test_status_of_an_empty_output_folder(tmp_path):
    res = CliRunner().invoke(app, ["status", str(tmp_path)])
    assert res.exit_code == 0 and "no volumes" in res.output
