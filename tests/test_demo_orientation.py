"""Regression: the upright sans-font marriage ledger of the demo (hbt-kh-1974-l, page 1,
200 dpi) was turned upside down by cleanup on weak glyph evidence, so its title read as noise
and the page failed with 'register type unrecognised'."""
from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from configs.loader import load_config
from ocr import cleanup
from pipeline.extract.page import process_page
from schemas.pages import PageTask

DEMO = Path(__file__).resolve().parent.parent / "samples" / "demo" / "hbt-kh-1974-l.pdf"


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> np.ndarray:
    out = tmp_path_factory.mktemp("demo") / "p"
    subprocess.run(["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-gray", "-png", str(DEMO),
                    str(out)], check=True)
    return cv2.imread(str(next(out.parent.glob("p*.png"))), cv2.IMREAD_GRAYSCALE)


def test_upright_sans_page_is_not_turned(page):
    assert cleanup.clean_page(page).rotation == 0


def test_upside_down_ledger_with_clear_evidence_is_still_turned(page):
    # the guard must not stop real half turns: a 300-dpi serif synthetic ledger (|upright| ~0.17)
    from tests.test_cleanup import COLS, ROWS
    from tests.synth import ledger

    upside = cleanup.turn(np.array(ledger(COLS, ROWS).image), 180)
    assert cleanup.detect_rotation(upside) == 180


@pytest.mark.tesseract
def test_demo_marriage_ledger_page_reads(page):
    from ocr.tesseract import make_engine

    task = PageTask("hbt-kh-1974-l", DEMO.name, 1, register_type=None)
    result = process_page(task, page, load_config(), make_engine())
    assert not result.errors, result.errors
    assert result.register_type == "marriage" and result.layout == "ledger"
    assert len(result.records) >= 10  # the page has 12 entries


@pytest.mark.tesseract
@pytest.mark.slow
def test_orientation_detector_overrules_the_glyph_measure_both_ways():
    # a generated 200-dpi death ledger whose glyphs score upright -0.12 (upside down) when
    # upright and +0.13 when upside down: Tesseract's orientation detector decides
    from ocr.tesseract import make_engine
    from samples.generator import render_volume

    images, truth = render_volume("death", "ledger", 1, 1007, degrade="moderate")
    a = np.array(images[0])
    cfg, engine = load_config(), make_engine()
    for arr in (a, np.ascontiguousarray(np.rot90(a, 2))):
        r = process_page(PageTask(truth.volume_id, truth.source_file, 1), arr, cfg, engine)
        assert not r.errors and r.register_type == "death"
        assert len(r.records) == len(truth.pages[0].entries)
