"""A writer killed (SIGKILL) in the middle of replacing a Parquet file leaves the previous
complete file readable, and no half-written file under a name a reader would pick up."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO_ROOT

ROWS = 1_500_000
WRITER = f"""
import sys
import numpy as np
import pyarrow as pa
from schemas.parquet_io import write_parquet_atomic
path = sys.argv[1]
rng = np.random.default_rng(0)
noise = rng.integers(0, 2**62, {ROWS})  # incompressible, so each write takes a while
for version in range(1, 10_000):
    table = pa.table({{"version": pa.array(np.full({ROWS}, version)), "x": pa.array(noise + version)}})
    print("writing", version, flush=True)
    write_parquet_atomic(table, path)
    print("wrote", version, flush=True)
"""


def _kill_mid_write(path: Path, after_writes: int, delay: float) -> int:
    """Start the writer, let it finish `after_writes` versions, SIGKILL it `delay` s into the
    next one; return the last version it reported complete."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE,
                            text=True, env=env)
    done = 0
    try:
        for line in proc.stdout:
            if line.startswith("wrote"):
                done = int(line.split()[1])
            elif line.startswith("writing") and done >= after_writes:
                time.sleep(delay)
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        rest = proc.stdout.read()
        proc.stdout.close()
    # it may have finished a write before the signal landed; the kill can cut the last line
    # short ("wrote" without its number), which reports nothing
    for line in rest.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] == "wrote" and words[1].isdigit():
            done = int(words[1])
    return done


@pytest.mark.parametrize("delay", [0.02, 0.15])
def test_killed_writer_leaves_a_complete_file(tmp_path, delay):
    path = tmp_path / "records.parquet"
    done = _kill_mid_write(path, after_writes=1, delay=delay)
    assert done >= 1
    table = pq.read_table(path)
    versions = set(table.column("version").to_pylist())
    assert len(versions) == 1 and table.num_rows == ROWS
    (version,) = versions
    assert version in (done, done + 1)  # the last complete version, or the one racing the kill
    noise = np.random.default_rng(0).integers(0, 2**62, ROWS)
    assert np.array_equal(table.column("x").to_numpy(), noise + version)  # every row intact
    visible = [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert visible == ["records.parquet"], visible
