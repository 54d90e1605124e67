"""Helpers for the batch tests (import the `batch` fixture into a test module to use it): run a batch with a fake (or real) page reader and read
back every record."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.run.runner import RunOptions, run_batch
from schemas.fields import REGISTER_TYPES
from schemas.parquet_io import read_records
from tests.fakes import FakePage


def all_records(out: Path) -> pd.DataFrame:
    """Every record under OUT (all register types), sorted by record_id, as a frame."""
    frames = [read_records(out, t).to_pandas() for t in REGISTER_TYPES]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames).sort_values("record_id").reset_index(drop=True)


@pytest.fixture
def batch(tmp_path):
    """run(inputs, out=..., **options) with FakePage counting calls in tmp_path/calls.log."""
    log = tmp_path / "calls.log"
    lines: list[str] = []

    def run(inputs, out=None, page=None, **kw):
        kw.setdefault("progress", False)
        kw.setdefault("engine_factory", None)
        opts = RunOptions(out=Path(out or tmp_path / "out"), page_fn=page or FakePage(log=str(log)),
                          log=lines.append, **kw)
        return run_batch([Path(p) for p in inputs], opts)

    run.log = log
    run.lines = lines
    return run
