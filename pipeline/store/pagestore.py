"""Store one page's outcome under OUT: cleaned image and lines (OUT/pages/V/), then its cache
slot (OUT/cache/volumes/V/NNNN.json) last, as the commit marker (see pipeline/store/cache.py)."""
from __future__ import annotations

import io
from dataclasses import asdict
from pathlib import Path

from PIL import Image

from schemas.pages import PageOutcome, PageResult
from pipeline.store import cache
from pipeline.store.manifest import now_iso
from schemas.atomic import write_bytes_atomic, write_json_atomic
from schemas.fields import REGISTER_TYPES
from schemas.outdir import page_image_path, page_lines_path
from schemas.records import PageError


def _png_size(png: bytes) -> tuple[int | None, int | None]:
    try:
        with Image.open(io.BytesIO(png)) as im:
            return im.size
    except Exception:
        return None, None


def _check_records(outcome: PageOutcome) -> tuple[PageError, ...]:
    """Records the volume writer could not place: rows without a known register type."""
    r = outcome.result
    types = {row.get("register_type") or r.register_type for row in r.records}
    bad = sorted(str(t) for t in types if t not in REGISTER_TYPES)
    if not bad:
        return ()
    return (PageError(source_file=r.task.source_file, page=r.task.page, stage="records",
                      reason=f"records with unknown register type {', '.join(bad)}"),)


def remove_page_files(out: Path, volume_id: str, page: int) -> None:
    """Drop a page's cleaned image and lines (they belong to a result that is gone)."""
    page_image_path(out, volume_id, page).unlink(missing_ok=True)
    page_lines_path(out, volume_id, page).unlink(missing_ok=True)


def slot_status(result: PageResult, errors: tuple[PageError, ...]) -> str:
    """failed (reported), blank (a leaf with no ink: done, no records) or ok."""
    return "failed" if errors else ("blank" if result.blank else "ok")


def store_outcome(out: Path, outcome: PageOutcome, key: cache.PageKey, old_slot: dict | None,
                  run_id: str) -> tuple[dict, tuple[PageError, ...]]:
    """Write one page's outcome and return (the slot now in the cache, the page's errors).

    - unchanged (same pixels as a good cached result): the old slot gets the new key.
    - failed while a good result for the same key and pixels exists (a --force retry that
      hit a transient failure): the good result is kept; the errors are still returned.
    - otherwise the new result replaces the page's image, lines and slot.
    """
    t = outcome.task
    if outcome.unchanged and old_slot is not None:
        slot = {**old_slot, "key": cache.key_dict(key), "source_file": t.source_file,
                "index_in_file": t.index_in_file, "run_id": run_id, "finished_at": now_iso()}
        cache.write_slot(out, t.volume_id, t.page, slot)
        return slot, ()
    r = outcome.result
    errors = tuple(r.errors) + _check_records(outcome)
    if errors and cache.is_done(old_slot, key):
        return old_slot, errors
    # A failed page keeps whatever image and lines it got (a page the reader could not lay
    # out is still shown for manual entry); a page that never loaded has none.
    width = height = None
    if r.cleaned_png is not None:
        write_bytes_atomic(page_image_path(out, t.volume_id, t.page), r.cleaned_png)
        width, height = _png_size(r.cleaned_png)
    else:
        page_image_path(out, t.volume_id, t.page).unlink(missing_ok=True)
    if r.cleaned_png is not None or r.lines:
        write_json_atomic(page_lines_path(out, t.volume_id, t.page), {
            "volume_id": t.volume_id, "page": t.page, "source_file": t.source_file,
            "image_sha256": outcome.image_sha256, "register_type": r.register_type,
            "layout": r.layout, "width": width, "height": height, "lines": list(r.lines)})
    else:
        page_lines_path(out, t.volume_id, t.page).unlink(missing_ok=True)
    slot = {
        "volume_id": t.volume_id, "page": t.page, "source_file": t.source_file,
        "index_in_file": t.index_in_file, "key": cache.key_dict(key),
        "image_sha256": outcome.image_sha256, "status": slot_status(r, errors), "blank": r.blank,
        "register_type": r.register_type, "layout": r.layout, "width": width, "height": height,
        "records": [dict(row) for row in r.records],
        "layout_info": r.layout_info,
        "errors": [asdict(e) for e in errors], "timings": dict(r.timings or {}),
        "run_id": run_id, "finished_at": now_iso(),
    }
    cache.write_slot(out, t.volume_id, t.page, slot)
    return slot, errors
