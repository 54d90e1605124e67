"""Shared fixtures and the Tesseract rule.

- `sample_set` (session): one generated sample set (all register types, both layouts,
  2 pages each, seed 1) written once to a temporary folder for every test that needs pages.
- Tests marked `tesseract` need real Tesseract with the `vie` model. Locally they are skipped
  when it is missing; under CI (CI=true) a missing model FAILS them, never a silent skip.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.errors import MissingDependencyError

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PAGES = 2
SAMPLE_SEED = 1


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def tesseract_problem() -> str | None:
    """Why real Tesseract with `vie` cannot run here, or None when it can."""
    from ocr.tesseract import check_tesseract

    try:
        check_tesseract()
    except MissingDependencyError as e:
        return e.message
    return None


def pytest_collection_modifyitems(config, items):
    problem = tesseract_problem()
    if problem is None:
        return
    for item in items:
        if "tesseract" not in item.keywords:
            continue
        if in_ci():
            item.add_marker(pytest.mark.usefixtures("_tesseract_required"))
        else:
            item.add_marker(pytest.mark.skip(reason=f"needs Tesseract vie: {problem}"))


@pytest.fixture
def _tesseract_required():
    """Under CI a tesseract-marked test fails loudly when the model is missing."""
    problem = tesseract_problem()
    if problem is not None:
        pytest.fail(f"CI=true and Tesseract/vie is missing: {problem}")


@dataclass(frozen=True)
class SampleSet:
    """A generated sample set: its folder, truths by volume id and duplicate groups."""

    dest: Path
    truths: dict
    duplicates: list

    def truth_dir(self) -> Path:
        return self.dest / "truth"


@pytest.fixture(scope="session")
def sample_set(tmp_path_factory) -> SampleSet:
    from samples.generator import generate

    dest = tmp_path_factory.mktemp("samples")
    truths = generate(dest, pages=SAMPLE_PAGES, seed=SAMPLE_SEED)
    dups = json.loads((dest / "truth" / "duplicates.json").read_text(encoding="utf-8"))
    return SampleSet(dest=dest, truths={t.volume_id: t for t in truths}, duplicates=dups)
