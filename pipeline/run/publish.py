"""Rewrite a volume's records from its cached page results (one atomic file per register
type), after review corrections are re-applied.

Review corrections are re-applied on every rewrite (pipeline.review.write_reviewed_volume),
so an archivist's corrections survive a rerun that rewrites the volume.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.extract.pagechecks import flag_type_disagreement, flag_volume_entry_breaks, volume_type
from pipeline.review.corrections import write_reviewed_volume
from pipeline.store import cache
from pipeline.store.pagestore import remove_page_files
from schemas.atomic import remove_stale_temps
from schemas.fields import REGISTER_TYPES
from schemas.outdir import pages_dir
from schemas.parquet_io import volume_path
from schemas.records_io import record_files

@dataclass(frozen=True)
class VolumeRecords:
    """What a volume's records came to: rows per register type, rows needing review."""

    records: dict[str, int] = field(default_factory=dict)
    flagged: int = 0

    @property
    def total(self) -> int:
        return sum(self.records.values())


def volume_rows(out: Path, plan: dict) -> dict[str, list[dict]]:
    """Rows of the volume's current page results, by register type, in page/row order.

    Provenance columns are stamped from the plan and the slot (the cache is keyed by pixels,
    so a result can be reused for a file that moved: source_file comes from the plan).
    """
    by_type: dict[str, list[dict]] = {t: [] for t in REGISTER_TYPES}
    slots = []
    for entry in plan["pages"]:
        key = cache.PageKey(**entry["key"])
        slot = cache.read_slot(out, plan["volume_id"], entry["page"])
        if cache.is_current(slot, key):  # else pending: not (re)done under this plan yet
            slots.append((entry, key, slot))
    # a volume is one book: a page of records typed otherwise is flagged, not re-mapped
    vtype = volume_type([s.get("register_type") for _, _, s in slots if s.get("records")])
    for entry, key, slot in slots:
        rows = flag_type_disagreement(list(slot["records"]), slot.get("register_type"), vtype)
        for row in rows:
            rtype = row.get("register_type") or slot.get("register_type")
            if rtype not in by_type:
                continue  # reported as a page error when stored (pagestore._check_records)
            by_type[rtype].append({
                **row, "source_file": entry["source_file"], "image_sha256": slot["image_sha256"],
                "config_hash": key.config_hash, "pipeline_version": key.pipeline_version})
    # (rows are in page and row order: slots follow the plan)
    return {t: flag_volume_entry_breaks(rows) for t, rows in by_type.items()}


def publish_volume(out: Path, plan: dict) -> VolumeRecords:
    """Replace the volume's record files with its current page results.

    A type with rows gets its file rewritten atomically (schemas.parquet_io.write_volume);
    a type without rows loses a file left by an earlier run. Cached results and page files
    of pages beyond the plan (the volume got shorter) are removed.

    Raises:
        SchemaError: rows do not fit the schema (a page reader bug; named by column).
    """
    vid = plan["volume_id"]
    counts: dict[str, int] = {}
    flagged = 0
    for rtype, rows in volume_rows(out, plan).items():
        path = volume_path(out, rtype, vid)
        if rows:
            # Under the review server's records lock, with its corrections re-applied:
            # a save landing while we publish is neither lost nor overwritten.
            written = write_reviewed_volume(out, rtype, vid, rows)
            counts[rtype] = len(written)
            flagged += sum(1 for r in written if r.get("needs_review"))
        else:
            for f in record_files(out, rtype, vid):  # every file the readers would see
                f.path.unlink(missing_ok=True)
        remove_stale_temps(path.parent)
    _drop_pages_beyond(out, vid, len(plan["pages"]))
    return VolumeRecords(counts, flagged)


def _drop_pages_beyond(out: Path, volume_id: str, n_pages: int) -> None:
    folder = cache.volume_cache_dir(out, volume_id)
    remove_stale_temps(folder)
    remove_stale_temps(pages_dir(out, volume_id))
    for p in folder.glob("[0-9]*.json"):
        if p.stem.isdigit() and int(p.stem) > n_pages:
            p.unlink(missing_ok=True)
            remove_page_files(out, volume_id, int(p.stem))
