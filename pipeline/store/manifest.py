"""The run manifest: one JSON file per run under OUT/runs/ (what ran, with which versions and
config, how long each page took, what failed and why). Written atomically at the start, every
FLUSH_SECONDS while running, and at the end, so even a killed run leaves a trace."""
from __future__ import annotations

import os
import platform
import secrets
import time
from datetime import datetime, timezone
from pathlib import Path

from configs.loader import Config
from schemas.atomic import read_json, write_json_atomic
from schemas.outdir import runs_dir
from schemas.records import PageError

FLUSH_SECONDS = 30.0


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_run_id() -> str:
    """Sortable and unique: UTC start time plus 4 random hex digits."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def versions(pipeline_version: str, *, tesseract: bool, poppler: bool, dask: bool,
             second_reader: bool = False) -> dict:
    """Versions of hotich and the programs the run used (None: not used or not found)."""
    v = {"hotich": pipeline_version, "python": platform.python_version(),
         "platform": platform.platform(), "tesseract": None, "poppler": None, "dask": None,
         "second_recogniser": None}
    if second_reader:
        from ocr.aster import check_aster
        info = check_aster()
        v["second_recogniser"] = {"asterocr": info.version, "onnxruntime": info.onnxruntime,
                                  "model_sha256": info.model_sha256}
    if tesseract:
        from ocr.tesseract import check_tesseract
        try:
            v["tesseract"] = check_tesseract().version
        except Exception:
            pass
    if poppler:
        from pipeline.ingest.pdf import poppler_version
        v["poppler"] = poppler_version()
    if dask:
        import distributed
        v["dask"] = distributed.__version__
    return v


def error_dict(volume_id: str, e: PageError) -> dict:
    return {"volume_id": volume_id, "source_file": e.source_file, "page": e.page,
            "stage": e.stage, "reason": e.reason}


class Manifest:
    """Accumulates one run's facts and writes them to OUT/runs/<run_id>.json."""

    def __init__(self, out: Path, run_id: str, argv: list[str], options: dict, cfg: Config,
                 versions_: dict):
        self.path = runs_dir(out) / f"{run_id}.json"
        self._t0 = time.monotonic()
        self._flushed = 0.0
        self.data: dict = {
            "run_id": run_id, "state": "running", "pid": os.getpid(),
            "started": now_iso(), "ended": None, "argv": list(argv), "options": options,
            "versions": versions_,
            "config": {"hash": cfg.hash, "sources": list(cfg.sources),
                       "render_dpi": cfg.render_dpi,
                       # the field error model's version and the target its flags are set for
                       "perr_model": getattr(cfg, "perr_model", None),
                       "silent_target": getattr(cfg, "silent_target", None)},
            "volumes": {}, "pages": [], "errors": [], "notes": [], "totals": {},
        }

    def note(self, text: str) -> None:
        self.data["notes"].append(text)

    def add_page(self, entry: dict, errors: list[dict]) -> None:
        """Record one page's outcome, stamped with the seconds since the run started."""
        self.data["pages"].append({**entry, "at_s": round(time.monotonic() - self._t0, 3)})
        self.data["errors"].extend(errors)

    def set_volume(self, volume_id: str, summary: dict) -> None:
        self.data["volumes"][volume_id] = summary

    def maybe_flush(self) -> None:
        """Rewrite the file if FLUSH_SECONDS passed since the last write."""
        if time.monotonic() - self._flushed > FLUSH_SECONDS:
            self.write()

    def write(self, state: str | None = None, totals: dict | None = None) -> None:
        if state is not None:
            self.data["state"] = state
            if state != "running":
                self.data["ended"] = now_iso()
        if totals is not None:
            self.data["totals"] = totals
        self.data["elapsed_seconds"] = round(time.monotonic() - self._t0, 3)
        write_json_atomic(self.path, self.data)
        self._flushed = time.monotonic()


def read_manifest(out: Path, run_id: str) -> dict | None:
    return read_json(runs_dir(out) / f"{run_id}.json")


def latest_manifest(out: Path) -> dict | None:
    """The newest run's manifest (run ids sort by start time)."""
    runs = sorted(runs_dir(out).glob("*.json")) if runs_dir(out).is_dir() else []
    return read_json(runs[-1]) if runs else None
