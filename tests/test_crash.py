"""Crash safety: SIGKILL a real run at several points, rerun, and get exactly the records of
an uninterrupted run (none lost, none duplicated); Ctrl-C stops cleanly with exit 130."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from schemas.outdir import cache_dir
from tests import badfiles
from tests.batchutil import all_records
from tests.fakes import image_folder

ROOT = Path(__file__).resolve().parents[1]
PAGES = 12


def _driver(out: Path, inputs: list[Path], *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.crash_driver", str(out),
                             *map(str, inputs), *extra], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _slots(out: Path) -> int:
    base = cache_dir(out) / "volumes"
    return sum(1 for p in base.glob("*/[0-9]*.json")) if base.is_dir() else 0


def _wait_for(cond, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("condition not reached")
        time.sleep(0.01)


@pytest.fixture(scope="module")
def volumes(tmp_path_factory):
    base = tmp_path_factory.mktemp("vols")
    return [image_folder(base / "A", PAGES // 2), badfiles.pdf_of_pages(base / "B.pdf",
                                                                         list(range(PAGES // 2)))]


@pytest.fixture(scope="module")
def reference(volumes, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "out"
    p = _driver(out, volumes)
    assert p.wait(120) == 0, p.stderr.read()
    df = all_records(out)
    assert len(df) == 3 * PAGES and df.record_id.is_unique
    return df


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [0, 5, PAGES])
def test_sigkill_then_rerun_gives_the_uninterrupted_records(tmp_path, volumes, reference,
                                                             kill_after):
    out = tmp_path / "out"
    # at one point a worker is stuck in a hung page: it must die with the run too
    hang = ["--hang-on", "6"] if kill_after == 5 else []
    p = _driver(out, volumes, "--sleep", "0.15", *hang)
    if kill_after == 0:
        _wait_for(lambda: (out / "runs").is_dir() or p.poll() is not None)
    else:
        _wait_for(lambda: _slots(out) >= kill_after or p.poll() is not None)
    workers = psutil.Process(p.pid).children(recursive=True)
    os.kill(p.pid, signal.SIGKILL)  # the main process only, as `kill -9 PID` does
    p.wait(30)
    # no orphan survives: idle workers see their pipe close, a busy or hung one is killed
    # by the kernel when its parent dies (PR_SET_PDEATHSIG)
    gone, alive = psutil.wait_procs(workers, timeout=20)
    assert not alive
    done_before = _slots(out)
    rerun = _driver(out, volumes)
    assert rerun.wait(120) == 0, rerun.stderr.read()
    assert f"{done_before} from cache" in rerun.stderr.read() or done_before == 0
    df = all_records(out)
    assert df.record_id.is_unique
    assert df.equals(reference)


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_rerun_resumes(tmp_path, volumes, reference):
    out = tmp_path / "out"
    p = _driver(out, volumes, "--sleep", "0.15")
    _wait_for(lambda: _slots(out) >= 4)
    os.killpg(p.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole process group
    assert p.wait(60) == 130
    err = p.stderr.read()
    assert "interrupted" in err and "rerun the same command to resume" in err
    partial = all_records(out)
    assert 0 < len(partial) < len(reference) and partial.record_id.is_unique
    rerun = _driver(out, volumes)
    assert rerun.wait(120) == 0, rerun.stderr.read()
    assert all_records(out).equals(reference)
