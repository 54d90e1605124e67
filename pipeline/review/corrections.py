"""Re-applying review work to record rows, and rewriting a volume's records with it.

`apply_corrections` is the hook the batch runner calls whenever it rewrites a volume's records
(after an OCR rerun): the review database, not the Parquet file, is where corrections live, so
a rerun can never lose them. The rule for each stored correction:

- same page image (image_sha256 equal to the one the correction was made on): the corrected
  value replaces the OCR value and the record's review_status is "corrected";
- the page image changed: the OCR value is kept, the row gets a flag `review_stale:FIELD` and
  review_status "unreviewed", so an archivist looks again (the correction stays in the
  database and the review page offers it back). Nothing is silently kept or dropped.

A record accepted as read on an older image likewise gets a bare `review_stale` flag.
"""
from __future__ import annotations

import fcntl
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from pipeline.review.store import ReviewStore
from schemas.arrow import PARTITION_COLUMNS
from schemas.outdir import review_db_path
from schemas.parquet_io import write_volume
from schemas.records_io import read_records, record_files

log = logging.getLogger(__name__)

STALE = "review_stale"
UNREVIEWED, ACCEPTED, CORRECTED = "unreviewed", "accepted", "corrected"


def _is_stale_flag(flag: str) -> bool:
    return flag == STALE or flag.startswith(STALE + ":")


def apply_corrections(out: Path, register_type: str, volume_id: str,
                      rows: Iterable[Mapping]) -> list[dict]:
    """Re-apply stored review work to one volume's record rows (pure over rows + the DB).

    Args:
        out: the output folder (its review/review.sqlite is read, never written).
        register_type, volume_id: which volume the rows are.
        rows: record rows as written by the runner (dicts with the record columns).

    Returns:
        New row dicts (the input is not modified): corrected values set, `review_status`
        and `flags`/`needs_review` updated, stale corrections flagged `review_stale:FIELD`.
        Rows without any review work get review_status "unreviewed". Idempotent: applying
        twice gives the same rows.
    """
    rows = [dict(r) for r in rows]
    if not review_db_path(out).exists():
        for r in rows:
            r["flags"] = [f for f in (r.get("flags") or []) if not _is_stale_flag(f)]
            r["needs_review"] = bool(r["flags"])
            r["review_status"] = UNREVIEWED
        return rows
    store = ReviewStore(out)
    corrections = store.corrections(register_type, volume_id)
    states = store.states(register_type, volume_id)
    seen: set[str] = set()
    for r in rows:
        rid = r["record_id"]
        seen.add(rid)
        sha = r.get("image_sha256")
        flags = [f for f in (r.get("flags") or []) if not _is_stale_flag(f)]
        applied = stale = False
        for field, c in sorted(corrections.get(rid, {}).items()):
            if field not in r and f"{field}_raw" not in r:
                log.warning("%s: correction of unknown field %s ignored", rid, field)
                continue
            if c.image_sha256 == sha:
                r[field] = c.value
                applied = True
            else:
                flags.append(f"{STALE}:{field}")
                stale = True
        state = states.get(rid)
        if stale:
            status = UNREVIEWED
        elif applied:
            status = CORRECTED
        elif state is not None and state.status in (ACCEPTED, CORRECTED):
            if state.image_sha256 == sha:
                status = ACCEPTED
            else:
                flags.append(STALE)
                status = UNREVIEWED
        else:
            status = UNREVIEWED
        r["flags"] = flags
        r["needs_review"] = bool(flags)
        r["review_status"] = status
    orphans = sorted(set(corrections) - seen)
    if orphans:
        # A rerun found fewer entries: the corrections stay in the database, visible in the
        # audit trail; say so rather than drop them quietly.
        log.warning("%s/%s: %d corrected record(s) no longer in the OCR output: %s",
                    register_type, volume_id, len(orphans), ", ".join(orphans[:5]))
    return rows


@contextmanager
def records_lock(out: Path) -> Iterator[None]:
    """An exclusive lock for read-modify-write of record files, shared by every process that
    uses it (the review server and the runner via write_reviewed_volume), so two writers
    cannot interleave and drop each other's changes."""
    path = review_db_path(out).parent / "records.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def write_reviewed_volume(out: Path, register_type: str, volume_id: str,
                          rows: Iterable[Mapping]) -> list[dict]:
    """apply_corrections then write_volume (atomic), under the records lock: the one call a
    writer of record files needs to keep review work.

    Returns:
        The rows as written (corrections applied).

    Raises:
        SchemaError: the rows do not fit the register type's schema.
    """
    with records_lock(out):
        reviewed = apply_corrections(out, register_type, volume_id, rows)
        write_volume(out, register_type, volume_id, reviewed)
    return reviewed


def _stamp(out: Path, register_type: str, volume_id: str) -> tuple:
    """What changes when any record file of the volume is replaced (inode: a rename)."""
    stamps = []
    for f in record_files(out, register_type, volume_id):
        try:
            stamps.append((*f.stamp, f.path.stat().st_ino))
        except FileNotFoundError:
            stamps.append((*f.stamp, None))
    return tuple(stamps)


def refresh_volume(out: Path, register_type: str, volume_id: str, attempts: int = 5) -> Path:
    """Rewrite one volume's record file from itself plus the review database (after a save).

    Under the records lock; and in case a writer that does not take the lock (a runner
    calling write_volume directly) replaced the file meanwhile, the file is re-read until it
    stayed the same while we worked, so its new OCR results are not overwritten by old ones.

    Raises:
        SchemaError: the file's rows do not fit the schema.
    """
    with records_lock(out):
        for _ in range(attempts):
            before = _stamp(out, register_type, volume_id)
            table = read_records(out, register_type, volume_id).drop_columns(list(PARTITION_COLUMNS))
            rows = apply_corrections(out, register_type, volume_id, table.to_pylist())
            if _stamp(out, register_type, volume_id) == before:
                break
        return write_volume(out, register_type, volume_id, rows)
