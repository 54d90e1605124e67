"""A stable hash of one volume's record values: what a sign-off vouches for.

A sign-off stores it; status, the report and the review page compare it with the records as
they are now, so a rerun that changes a value shows the sign-off as stale.

What is hashed: each record's id and the values of the register type's fields (entry_no,
registration_date and the type's own), records sorted by id. What is left out, because it can
change without the values changing and must not make a sign-off stale: review bookkeeping
(review_status, flags, needs_review: accepting a record or a `review_stale` flag changes
them), OCR internals (F_raw, F_conf, F_perr, F_bbox, bbox) and provenance (image_sha256,
config_hash, pipeline_version, source_file), which an unchanged rerun may restamp.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from schemas.fields import all_fields
from schemas.records_io import read_files, record_files


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes, read in 1 MiB blocks (memory stays flat on big PDFs
    and model files)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def records_hash(register_type: str, rows: list[dict]) -> str:
    """sha256 (hex) over the sorted records' ids and field values (canonical JSON)."""
    fields = all_fields(register_type)
    h = hashlib.sha256(register_type.encode())
    for r in sorted(rows, key=lambda r: r["record_id"]):
        h.update(json.dumps([r["record_id"], *(r.get(f) for f in fields)],
                            ensure_ascii=False, separators=(",", ":")).encode())
        h.update(b"\n")
    return h.hexdigest()


def volume_hash(out: Path, register_type: str, volume_id: str) -> str | None:
    """The hash of one volume's records as stored under OUT/records, every part file of the
    partition (None: no record file)."""
    files = record_files(out, register_type, volume_id)
    if not files:
        return None
    cols = ["record_id", *all_fields(register_type)]
    return records_hash(register_type, read_files(files, register_type, cols).to_pylist())


def signoff_state(signed_hash: str | None, current_hash: str | None) -> str:
    """"fresh" (records as signed off), "stale" (changed since), "unknown" (a sign-off made
    before hashes were recorded: it cannot be checked)."""
    if not signed_hash:
        return "unknown"
    return "fresh" if signed_hash == current_hash else "stale"
