"""Test helpers shared by end-to-end tests: the contract checker and the `hotich` command.

The checker lives in ../shared beside the repository (as CI lays it out). Missing, it fails
the test under CI (CI=true) and skips it elsewhere: never a silent pass.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, in_ci

CONTRACT_CHECK = Path(REPO_ROOT).parent / "shared" / "contract_check.py"


def contract_check(out: Path) -> subprocess.CompletedProcess:
    """Run ../shared/contract_check.py on OUT (fail under CI / skip elsewhere when absent)."""
    if not CONTRACT_CHECK.is_file():
        msg = f"{CONTRACT_CHECK} not found (shared/ must sit beside the repository)"
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg)
    return subprocess.run([sys.executable, str(CONTRACT_CHECK), str(out)],
                          capture_output=True, text=True, timeout=120)


def hotich(*args: str) -> subprocess.CompletedProcess:
    """`hotich ARGS` in a child process running this checkout's code."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
