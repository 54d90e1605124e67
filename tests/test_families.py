"""Book families (samples/family.py): the space is wide, a seed is one book, blank leaves hold
nothing, and the reader never takes a column-number row of any style for an entry.

Seeds here are 20-79: the bench's development (300...) and held-out (9001...) families are
never used by tests.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from samples.design import VolumeDesign
from samples.family import family_design
from samples.generator import _render, generate_families, plan_family
from samples.render import page_size

SEEDS = range(20, 80)


def _designs() -> list[VolumeDesign]:
    return [family_design(s)[0] for s in SEEDS]


def test_a_family_seed_is_one_book():
    assert family_design(41) == family_design(41)
    assert family_design(41) != family_design(42)


def test_families_span_the_space_the_issue_names():
    ds = _designs()
    assert {d.register_type for d in ds} == {"birth", "death", "marriage"}
    assert {d.layout for d in ds} == {"ledger", "form"}
    # both orientations for ledgers (forms too), and more than one paper size
    assert {(d.layout, d.orientation) for d in ds} >= {("ledger", "portrait"), ("ledger", "landscape"),
                                                        ("form", "portrait")}
    assert len({d.paper for d in ds}) == 3
    assert len({d.face for d in ds} | {d.label_face for d in ds if d.label_face}) >= 10
    assert any(d.label_face for d in ds)  # labels and values in different faces
    assert {d.number_style for d in ds if d.number_row} == {"plain", "paren", "cot"}
    groups = {c.group for d in ds for c in d.columns if c.group}
    assert {"Người chết"} <= groups or {"Người đi khai", "Người khai"} & groups
    assert any(c.field.startswith("x_") for d in ds for c in d.columns)  # columns no record has
    assert any(d.degrade_extra for d in ds) and any(d.stamp_rate for d in ds)
    # the wordings go beyond the reader's vocabulary (configs/)
    from configs.loader import load_config

    cfg = load_config()
    known = {h for r in cfg.registers.values() for f in r.fields.values() for h in f.headers + f.subheaders}
    unknown = {c.header for d in ds for c in d.columns if not c.field.startswith("x_")} - known
    assert len(unknown) >= 5, unknown


def test_a_family_page_has_the_paper_it_says():
    d, _ = family_design(next(s for s in SEEDS if family_design(s)[0].paper[0] > 15))
    w, h = page_size(d.layout, d.dpi, d.paper, d.orientation)
    assert max(w, h) == pytest.approx(d.paper[0] * d.dpi, rel=0.01)
    assert (w > h) == (d.orientation == "landscape")


def test_blank_leaves_hold_no_entries_and_the_reader_calls_them_blank():
    from configs.loader import load_config
    from ocr.cleanup import clean_page
    from ocr.recognize import NEAR_BLANK_GLYPHS, glyph_marks
    from pipeline.extract.page import PageTask, process_page

    seed = next(s for s in SEEDS if plan_family(s, 4)[0].design.blank_pages)
    plan, degrade = plan_family(seed, 4)
    rendered, truth = _render(plan, degrade, "x.pdf")
    cfg = load_config()
    for page, r in zip(truth.pages, rendered):
        if page.page in plan.design.blank_pages:
            assert page.entries == ()
            # stops before any reading (no engine needed): a blank leaf, not a failure
            res = process_page(PageTask(plan.design.volume_id, "x.pdf", page.page), np.asarray(r.image), cfg, None)
            assert res.blank and not res.errors and not res.records, (seed, page.page, res.errors)
        else:
            assert page.entries
            # a written page has far more glyph-sized marks than a blank leaf may
            assert glyph_marks(clean_page(np.asarray(r.image)).gray) >= NEAR_BLANK_GLYPHS
    # entry numbers run on across the blank leaf
    nums = [e.fields["entry_no"] for p in truth.pages for e in p.entries]
    assert len(nums) == len(set(nums))


def test_families_are_written_with_truth(tmp_path):
    truths = generate_families(tmp_path, [23, 24], pages=1, fmt="png")
    assert [t.volume_id.split("-")[0] for t in truths] == ["fam23", "fam24"]
    for t in truths:
        assert (tmp_path / "truth" / f"{t.volume_id}.json").is_file()
        assert (tmp_path / t.volume_id / "page-0001.png").is_file()


@pytest.mark.tesseract
@pytest.mark.slow
@pytest.mark.parametrize("style", ["paren", "cot"])
def test_a_column_number_row_of_any_style_is_never_an_entry(style):
    from configs.loader import load_config
    from ocr.tesseract import make_engine
    from pipeline.extract.page import PageTask, process_page

    from samples.generator import plan_volume

    # the default generator's book (its wordings the reader knows), only the numbers row changed
    plan = plan_volume("death", "ledger", 1, seed=21, dpi=300)
    d = replace(plan.design, number_row=True, number_style=style)
    plan = replace(plan, design=d)
    rendered, truth = _render(plan, "light", "x.pdf")
    res = process_page(PageTask(d.volume_id, "x.pdf", 1), np.asarray(rendered[0].image), load_config(),
                       make_engine())
    rows = [r.get("entry_no") for r in res.records]
    truth_nos = [e.fields["entry_no"] for e in truth.pages[0].entries]
    assert len(rows) == len(truth_nos), (rows, truth_nos)  # no entry made of the numbers row
    assert rows[0] == truth_nos[0], (rows, truth_nos)  # and nothing shifted by it
