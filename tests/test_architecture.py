"""The layers of docs/architecture.md hold: import-linter's contracts in pyproject.toml pass on
the code, and fail on a copy of it with one upward import (so the check can fail at all)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipeline", "ocr", "normalize", "samples", "configs", "schemas")
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    # PYTHONPATH first: the tree's packages, not the editable install's, are the ones analysed.
    env = {**os.environ, "PYTHONPATH": str(tree), "NO_COLOR": "1"}
    return subprocess.run([str(LINT), "--config", str(tree / "pyproject.toml"), "--no-cache"],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=300)


def _copy_tree(dest: Path) -> Path:
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, dest / pkg, ignore=shutil.ignore_patterns("__pycache__", "data", "*.png"))
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def test_layer_contracts_are_kept():
    res = _lint(ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert re.search(r"2 kept, 0 broken", res.stdout), res.stdout


def test_an_upward_import_breaks_the_layers(tmp_path):
    tree = _copy_tree(tmp_path)
    errors = tree / "schemas" / "errors.py"  # the bottom layer reaching up into the runner
    errors.write_text(errors.read_text(encoding="utf-8") + "\nimport pipeline.run.runner  # noqa\n",
                      encoding="utf-8")
    res = _lint(tree)
    assert res.returncode != 0
    assert "BROKEN" in res.stdout and "schemas.errors -> pipeline.run.runner" in res.stdout, res.stdout


def test_a_stage_reaching_up_breaks_the_stage_layers(tmp_path):
    tree = _copy_tree(tmp_path)
    inputs = tree / "pipeline" / "ingest" / "inputs.py"  # ingest must not know the page store
    inputs.write_text(inputs.read_text(encoding="utf-8") + "\nimport pipeline.store.cache  # noqa\n",
                      encoding="utf-8")
    res = _lint(tree)
    assert res.returncode != 0
    assert "pipeline.ingest.inputs -> pipeline.store.cache" in res.stdout, res.stdout


def test_architecture_doc_names_every_stage_and_only_real_code():
    """docs/architecture.md stays true: each path it names exists, each function it names is
    defined in the module of its row, and every pipeline stage (sub-package or module) is in it."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for path in set(re.findall(r"`((?:pipeline|ocr|normalize|schemas|configs|samples)/[\w/]*(?:\.py)?)", doc)):
        assert (ROOT / path).exists(), f"docs/architecture.md names {path}, which does not exist"
    for row in (line for line in doc.splitlines() if line.startswith("| ") and ".py`" in line):
        modules = re.findall(r"`((?:pipeline|ocr|normalize)/[\w/]+\.py)`", row)
        for fn in re.findall(r"`(\w+)\(", row):
            defined = any(re.search(rf"^def {fn}\(", (ROOT / m).read_text(encoding="utf-8"), re.M)
                          for m in modules)
            assert defined, f"docs/architecture.md: {fn} is not defined in {modules}"
    stages = [p.name + ("/" if p.is_dir() else "") for p in (ROOT / "pipeline").iterdir()
              if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.stem != "__init__")]
    for stage in stages:
        if stage != "version.py":
            assert f"pipeline/{stage}" in doc, f"docs/architecture.md does not place pipeline/{stage}"
