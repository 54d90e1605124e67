"""Generated pages are legible: real Tesseract (vie) reads known cells, cropped by the truth's
cell boxes, back as the truth's printed text."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageOps
from rapidfuzz.distance import Levenshtein

from samples.generator import render_volume

pytestmark = pytest.mark.tesseract

CASES = [("birth", "ledger", 11), ("marriage", "ledger", 12), ("death", "form", 13),
         ("birth", "form", 14)]


def _read(api, img: Image.Image, box, inset: int) -> str:
    x0, y0, x1, y1 = box
    crop = img.crop((x0 + inset, y0 + inset, x1 - inset, y1 - inset)).convert("L")
    # A margin of the crop's own paper colour: Tesseract misses text touching the edge.
    paper = int(np.percentile(np.asarray(crop), 90))
    api.SetImage(ImageOps.expand(crop, 24, fill=paper))
    return " ".join(api.GetUTF8Text().split())


@pytest.fixture(scope="module")
def engine():
    from ocr.tesseract import make_engine

    api = make_engine(psm="SINGLE_BLOCK")
    yield api
    api.End()


@pytest.mark.parametrize("register_type,layout,seed", CASES)
def test_known_cells_read_back(engine, register_type, layout, seed):
    images, truth = render_volume(register_type, layout, 1, seed=seed, degrade="light", dpi=300)
    page = truth.pages[0]
    inset = 4 if layout == "ledger" else 0  # ledger boxes are cell interiors; stay off the rules
    scores = []
    for entry in page.entries[:3]:
        for field, text in entry.cells.items():
            if text is None or len(text) < 3:  # lone digits need a digit-only engine
                continue
            got = _read(engine, images[0], entry.cell_bboxes[field], inset)
            scores.append((Levenshtein.normalized_distance(got, text), field, text, got))
    assert len(scores) >= 8
    mean = sum(s[0] for s in scores) / len(scores)
    bad = [s for s in scores if s[0] > 0.25]
    assert mean <= 0.1, f"mean CER {mean:.3f}; worst: {sorted(scores)[-3:]}"
    assert len(bad) <= len(scores) // 10, bad
