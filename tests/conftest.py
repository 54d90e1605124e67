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

from schemas.errors import MissingDependencyError

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


def pytest_runtest_setup(item):
    """Tesseract-marked tests: skip locally without `vie`, FAIL under CI (CI=true)."""
    if "tesseract" not in item.keywords:
        return
    problem = _tesseract_problem_cached()
    if problem is None:
        return
    if in_ci():
        pytest.fail(f"CI=true and Tesseract/vie is missing: {problem}", pytrace=False)
    pytest.skip(f"needs Tesseract vie: {problem}")


_PROBLEM: list[str | None] = []


def _tesseract_problem_cached() -> str | None:
    if not _PROBLEM:
        _PROBLEM.append(tesseract_problem())
    return _PROBLEM[0]


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
