"""recognition.primary (pipeline/run/primary.py): the per-volume choice of the primary
recogniser, decided without truth on the volume's first pages from the error model's F_perr,
recorded in OUT/volumes/<ID>/recogniser.json and the manifest, reused by reruns."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from configs.loader import load_config
from pipeline.run.primary import (ASTER, TESSERACT, PageProbe, choose_primary, page_probe,
                                  read_choice)
from pipeline.run.runner import RunOptions, run_batch
from pipeline.store import cache
from schemas.errors import ConfigError
from schemas.outdir import volume_recogniser_path
from schemas.pages import PageResult, PageTask
from tests.fakes import FakeRecogniserPage, image_folder, read_calls


def probes(t: list[tuple[int, int, float]], a: list[tuple[int, int, float]]) -> dict:
    """{primary: [PageProbe]} from (page, fields, mean perr) triples (13 records a page)."""
    def mk(rows):
        return [PageProbe(p, True, 13, n, n * m) for p, n, m in rows]
    return {TESSERACT: mk(t), ASTER: mk(a)}


# -- the decision (pure) ----------------------------------------------------------------------
def test_tesseract_stays_unless_the_second_is_clearly_better():
    # the numbers of bench runs: a clean face (Tinos, heavy), a close one (Charis SIL, heavy)
    assert choose_primary(probes([(1, 150, 0.0050)], [(1, 150, 0.0094)]))[0] == TESSERACT
    assert choose_primary(probes([(1, 150, 0.0360)], [(1, 150, 0.0295)]))[0] == TESSERACT
    assert choose_primary(probes([(1, 150, 0.0138)], [(1, 150, 0.0092)]))[0] == TESSERACT  # Arimo
    # relatively far lower but by less than a point of expected error: Tesseract stays
    assert choose_primary(probes([(1, 150, 0.0110)], [(1, 150, 0.0027)]))[0] == TESSERACT
    # a 3-page Roboto Condensed book, heavy (ratio 0.61): Tesseract 95.5% right (0.6% silent),
    # the second 93.4% (3.4%); scored before the evaluator's fix it looked the other way round
    assert choose_primary(probes([(1, 140, 0.0451), (2, 130, 0.0278)],
                                 [(1, 130, 0.0111), (2, 130, 0.0334)]))[0] == TESSERACT
    # a face Tesseract reads badly (Roboto Condensed, heavy): the second recogniser
    primary, reason, scores = choose_primary(probes([(1, 150, 0.0903)], [(1, 150, 0.0242)]))
    assert primary == ASTER and "0.0242" in reason and "0.0903" in reason
    assert [s.primary for s in scores] == [TESSERACT, ASTER]
    assert scores[1].mean_perr == pytest.approx(0.0242) and scores[1].pages == (1,)


def test_only_pages_both_read_are_compared_and_unread_rows_count():
    # page 2 read by the second recogniser alone does not enter the comparison
    p = probes([(1, 150, 0.09)], [(1, 150, 0.02), (2, 150, 0.0)])
    p[TESSERACT].append(PageProbe(2, False))
    primary, _, scores = choose_primary(p)
    assert primary == ASTER and scores[0].pages == scores[1].pages == (1,)
    # fewer records (rows it did not find): no switch, however low its F_perr
    p = probes([(1, 150, 0.09)], [(1, 100, 0.01)])
    p[ASTER] = [PageProbe(1, True, 9, 100, 1.0)]
    primary, reason, _ = choose_primary(p)
    assert primary == TESSERACT and "fewer records" in reason


def test_no_evidence_keeps_tesseract_and_tesseract_unable_to_read_gives_the_second():
    assert choose_primary({TESSERACT: [PageProbe(1, False)], ASTER: [PageProbe(1, False)]})[0] == TESSERACT
    assert choose_primary(probes([(1, 5, 0.5)], [(1, 5, 0.0)]))[0] == TESSERACT  # too few fields
    got = choose_primary({TESSERACT: [PageProbe(1, False)], ASTER: [PageProbe(1, True, 13, 150, 1.0)]})
    assert got[0] == ASTER


def test_a_probe_read_is_its_read_fields_f_perr_and_flags():
    task = PageTask("V", "v.pdf", 1)
    recs = ({"full_name_raw": "AN", "full_name_perr": 0.1, "sex_raw": "", "sex_perr": 0.9,
             "flags": ["low_confidence:full_name"]},
            {"full_name_raw": "BÌNH", "full_name_perr": 0.3, "entry_no_raw": "2", "entry_no_perr": 0.2,
             "flags": ["layout_uncertain"]})
    got = page_probe(1, PageResult(task, "x", "birth", "ledger", records=recs), 2.5)
    assert (got.read, got.records, got.fields, got.flagged, got.seconds) == (True, 2, 3, 3, 2.5)
    assert got.perr_sum == pytest.approx(0.6)  # the empty sex cell is not a read field
    assert not page_probe(1, PageResult(task, "x", None, None, blank="blank page")).read
    assert not page_probe(1, None).read


def test_the_option_defaults_to_tesseract_and_is_validated(tmp_path):
    assert load_config().primary == "tesseract"
    for mode in ("auto", "aster", "tesseract"):
        f = tmp_path / f"{mode}.yaml"
        f.write_text(f"recognition:\n  primary: {mode}\n")
        assert load_config(f).primary == mode
    bad = tmp_path / "bad.yaml"
    bad.write_text("recognition:\n  primary: best\n")
    with pytest.raises(ConfigError, match="recognition.primary: must be one of tesseract, aster, auto"):
        load_config(bad)


def test_the_page_reader_swaps_the_recognisers_for_an_aster_volume():
    import dataclasses

    from ocr.aster import shared_engine
    from pipeline.extract.page import engines

    tess = object()
    cfg = load_config()
    first, other = engines(cfg, tess)
    assert first is tess and other() is shared_engine()
    first, other = engines(dataclasses.replace(cfg, primary="aster"), tess)
    assert first is shared_engine() and other() is tess  # Tesseract re-reads doubtful cells


# -- the runner (fake page reader, real worker processes) ---------------------------------------
def _run(inputs, out, page, config, **kw):
    return run_batch([Path(p) for p in inputs], RunOptions(
        out=out, page_fn=page, engine_factory=None, progress=False, config_file=config,
        log=lambda line: None, **kw))


def _keys(out: Path, vid: str) -> list[dict]:
    return [cache.read_slot(out, vid, p["page"])["key"] for p in cache.read_plan(out, vid)["pages"]]


@pytest.fixture
def auto(tmp_path) -> Path:
    f = tmp_path / "auto.yaml"
    f.write_text("recognition:\n  primary: auto\n")
    return f


def test_auto_probes_the_first_pages_records_the_choice_and_a_rerun_reuses_it(tmp_path, auto):
    vol = image_folder(tmp_path / "BOOK", 3)
    log = tmp_path / "calls.log"
    page = FakeRecogniserPage(str(log), perr=(("tesseract", 0.08), ("aster", 0.01)))
    out = tmp_path / "out"
    first = _run([vol], out, page, auto)
    assert first.processed == 3 and first.failed == 0
    calls = read_calls(log)
    probe = sorted(calls[:4])
    assert probe == ["BOOK 1 aster", "BOOK 1 tesseract", "BOOK 2 aster", "BOOK 2 tesseract"]
    assert sorted(calls[4:]) == ["BOOK 1 aster", "BOOK 2 aster", "BOOK 3 aster"]
    rec = json.loads(volume_recogniser_path(out, "BOOK").read_text())
    assert rec["mode"] == "auto" and rec["primary"] == "aster" and rec["probed_pages"] == [1, 2]
    scores = {s["primary"]: s for s in rec["scores"]}
    assert scores["tesseract"]["mean_perr"] == pytest.approx(0.08)
    assert scores["aster"]["mean_perr"] == pytest.approx(0.01) and scores["aster"]["fields"] == 48
    keys = _keys(out, "BOOK")
    assert {k["primary"] for k in keys} == {"aster"}
    (run1,) = (out / "runs").glob("*.json")
    m = json.loads(run1.read_text())
    assert m["volumes"]["BOOK"]["primary"]["primary"] == "aster"
    assert any("primary recogniser aster" in n for n in m["notes"])
    assert m["versions"]["second_recogniser"] is not None

    again = _run([vol], out, page, auto)
    assert again.processed == 0 and again.cached == 3
    assert len(read_calls(log)) == len(calls)  # no probe, no page read
    assert _keys(out, "BOOK") == keys
    run2 = max((out / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    m2 = json.loads(run2.read_text())
    assert m2["volumes"]["BOOK"]["primary"]["recorded"] is True
    assert m2["volumes"]["BOOK"]["primary"]["run_id"] == m["run_id"]
    # --force probes again
    _run([vol], out, page, auto, force=True)
    assert sorted(read_calls(log)[len(calls):len(calls) + 4]) == probe


def test_auto_keeps_tesseract_when_the_second_is_not_clearly_better(tmp_path, auto):
    vol = image_folder(tmp_path / "BOOK", 2)
    log = tmp_path / "calls.log"
    out = tmp_path / "out"
    _run([vol], out, FakeRecogniserPage(str(log)), auto)
    assert read_choice(out, "BOOK").primary == "tesseract"
    assert [c.split()[-1] for c in read_calls(log)[4:]] == ["tesseract", "tesseract"]
    assert {k["primary"] for k in _keys(out, "BOOK")} == {""}


def test_without_the_option_nothing_is_probed_and_the_keys_are_unchanged(tmp_path):
    vol = image_folder(tmp_path / "BOOK", 2)
    log = tmp_path / "calls.log"
    out = tmp_path / "out"
    _run([vol], out, FakeRecogniserPage(str(log)), None)
    assert sorted(read_calls(log)) == ["BOOK 1 tesseract", "BOOK 2 tesseract"]
    assert not volume_recogniser_path(out, "BOOK").exists()
    assert {k["primary"] for k in _keys(out, "BOOK")} == {""}


# -- end to end: real Tesseract, the real ONNX model, generated pages ---------------------------
def _book(dest: Path, face: str, seed: int) -> Path:
    from samples.generator import render_volume

    images, truth = render_volume("birth", "ledger", 1, seed, degrade="heavy", fonts=(face,))
    folder = dest / face.replace(" ", "")
    folder.mkdir(parents=True)
    images[0].save(folder / "page1.png")
    return folder


@pytest.mark.tesseract
@pytest.mark.slow
@pytest.mark.parametrize("face,want", [("Roboto Condensed", "aster"), ("Tinos", "tesseract")])
def test_auto_picks_the_recogniser_that_reads_the_face(tmp_path, auto, face, want):
    """Heavily degraded seed-42 pages: on Roboto Condensed the second recogniser reads 98.1% of
    fields right with no silent error, Tesseract 96.2% with 1.3% silent (mean F_perr ratio
    0.27); both read Tinos well (ratio 1.9) and Tesseract stays."""
    vol = _book(tmp_path, face, 42)
    out = tmp_path / "out"
    got = run_batch([vol], RunOptions(out=out, config_file=auto, progress=False, log=lambda line: None))
    assert got.processed == 1 and got.failed == 0
    choice = read_choice(out, vol.name)
    assert choice is not None and choice.primary == want, choice
    assert choice.probed == (1,) and len(choice.scores) == 2
    assert {k["primary"] for k in _keys(out, vol.name)} == {"" if want == "tesseract" else want}
    again = run_batch([vol], RunOptions(out=out, config_file=auto, progress=False, log=lambda line: None))
    assert again.processed == 0 and again.cached == 1


@pytest.mark.tesseract
@pytest.mark.slow
def test_a_volume_read_with_the_second_recogniser_has_tesseract_reread_its_doubtful_cells():
    import dataclasses

    from ocr import tesseract
    from pipeline.extract.page import process_page
    from samples.generator import render_volume

    images, truth = render_volume("birth", "ledger", 1, 42, degrade="heavy", fonts=("Roboto Condensed",))
    task = PageTask(truth.volume_id, truth.source_file, 1)
    cfg = dataclasses.replace(load_config(), primary="aster")
    engine = tesseract.make_engine()
    calls = {}
    for mode in ("off", "doubtful"):
        before = tesseract.CLOCK.calls
        r = process_page(task, np.array(images[0]), dataclasses.replace(cfg, second_reader=mode), engine)
        calls[mode] = tesseract.CLOCK.calls - before
        assert len(r.records) >= 10 and not r.errors
    assert calls["doubtful"] > calls["off"]  # the doubtful cells' second reads are Tesseract's
