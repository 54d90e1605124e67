"""What a dedup run keeps under OUT/dedup/state/ so the next run redoes only what changed.

    state/manifest.json          volume files seen (size, mtime) + settings: a rerun with
                                 nothing new is recognised without reading any record
    state/<type>/records.parquet record_id, fingerprint (hash of the identity fields),
                                 the blocking key of each rule
    state/<type>/pairs.parquet   every candidate pair (indices into records.parquet), the
                                 rules that proposed it and its comparison levels
    state/<type>/meta.json       the profile/settings version these were made with

Pairs are kept as comparison levels, not scores: the model is re-estimated on all pairs each
run (milliseconds), so an incremental run scores exactly as a full run would.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from schemas.atomic import write_bytes_atomic
from schemas.parquet_io import write_parquet_atomic
from schemas.records_io import record_files, records_dir


def write_json_atomic(obj, path: Path) -> None:
    """Atomically replace `path` with `obj` as indented JSON (schemas.atomic)."""
    text = json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


def read_json(path: Path):
    """The JSON at `path`, or None when it is missing or unreadable (state is optional)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class TypeState:
    """One register type's saved state.

    Attributes:
        record_ids: object array, sorted; fingerprints: uint64; keys: (records, rules) uint64.
        ia, ib: int32 pair indices into record_ids; rules: uint8 masks; levels: (pairs, K) int8.
    """

    record_ids: np.ndarray
    fingerprints: np.ndarray
    keys: np.ndarray
    ia: np.ndarray
    ib: np.ndarray
    rules: np.ndarray
    levels: np.ndarray


def type_dir(state_dir: Path, register_type: str) -> Path:
    return Path(state_dir) / register_type


def load(state_dir: Path, register_type: str, version: str, n_rules: int,
         n_comparisons: int) -> TypeState | None:
    """The saved state of one type, or None when absent, unreadable or of another version."""
    d = type_dir(state_dir, register_type)
    meta = read_json(d / "meta.json")
    if not meta or meta.get("version") != version:
        return None
    try:
        rec = pq.read_table(d / "records.parquet")
        prs = pq.read_table(d / "pairs.parquet")
    except (OSError, pa.ArrowInvalid):
        return None
    if rec.num_rows != meta.get("records") or prs.num_rows != meta.get("pairs"):
        return None
    keys = np.column_stack([rec.column(f"key{r}").to_numpy() for r in range(n_rules)]) \
        if n_rules else np.zeros((rec.num_rows, 0), np.uint64)
    levels = np.column_stack([prs.column(f"l{k}").to_numpy() for k in range(n_comparisons)]) \
        if prs.num_rows else np.zeros((0, n_comparisons), np.int8)
    return TypeState(np.asarray(rec.column("record_id").to_pylist(), dtype=object),
                     rec.column("fingerprint").to_numpy(), keys.astype(np.uint64),
                     prs.column("ia").to_numpy(), prs.column("ib").to_numpy(),
                     prs.column("rules").to_numpy(), levels.astype(np.int8))


def save(state_dir: Path, register_type: str, version: str, st: TypeState) -> None:
    """Write one type's state atomically (files first, meta.json last: it validates them)."""
    d = type_dir(state_dir, register_type)
    cols = {"record_id": pa.array(st.record_ids.tolist(), pa.string()),
            "fingerprint": pa.array(st.fingerprints, pa.uint64())}
    for r in range(st.keys.shape[1]):
        cols[f"key{r}"] = pa.array(st.keys[:, r], pa.uint64())
    write_parquet_atomic(pa.table(cols), d / "records.parquet")
    pcols = {"ia": pa.array(st.ia, pa.int32()), "ib": pa.array(st.ib, pa.int32()),
             "rules": pa.array(st.rules, pa.uint8())}
    for k in range(st.levels.shape[1]):
        pcols[f"l{k}"] = pa.array(st.levels[:, k], pa.int8())
    write_parquet_atomic(pa.table(pcols), d / "pairs.parquet")
    write_json_atomic({"version": version, "records": len(st.record_ids), "pairs": len(st.ia)},
                      d / "meta.json")


def volume_manifest(out: Path) -> dict:
    """{relative path: [size, mtime_ns]} of every record file under OUT/records
    (schemas.records_io: the files the records are read from)."""
    base = records_dir(out)
    return {str(f.path.relative_to(base)): [f.size, f.mtime_ns] for f in record_files(out)}
