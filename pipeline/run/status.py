"""`hotich status OUT`: per volume, pages done (blank leaves among them)/failed/pending, records, flagged, last run and
the errors, read from the cache slots, the record files and the run manifests (no OCR)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.review.signoffs import SignoffState, signoff_states
from pipeline.run.lock import is_locked
from pipeline.store import cache
from pipeline.store.manifest import latest_manifest, read_manifest
from schemas.fields import REGISTER_TYPES
from schemas.records_io import RecordsError, read_files, record_files


@dataclass(frozen=True)
class VolumeStatus:
    """One volume's state.

    Attributes:
        pages: pages in its last plan.  done / failed / pending: their state under that plan
        (pending: not finished since the plan changed, e.g. an interrupted run).  blank: the
        done pages that are blank leaves (no ink, no records; not failures).
        records: rows per register type in OUT/records.  flagged: rows needing review.
        last_run: run id of the last run that planned it.  last_run_state: completed,
        partial, interrupted, failed, running, or killed (running but nobody holds the lock).
        errors: the failed pages' errors (volume_id, source_file, page, stage, reason), and
            the volume's own (stage "input": its INPUT could not be read in the last run).
        skipped: what its input folders hold that was not read (one note each).
        signoff: its latest sign-off's state: "fresh", "stale" (the records changed after
            it, e.g. a rerun), "unknown" (signed before records hashes were kept), None (not
            signed off). With several register types, the worst of them.
    """

    volume_id: str
    pages: int
    done: int
    failed: int
    pending: int
    records: dict[str, int]
    flagged: int
    last_run: str | None
    last_run_state: str | None
    last_run_ended: str | None
    errors: tuple[dict, ...] = field(default_factory=tuple)
    blank: int = 0
    skipped: tuple[str, ...] = ()
    signoff: str | None = None

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


def _run_state(out: Path, run_id: str | None) -> tuple[str | None, str | None]:
    m = read_manifest(out, run_id) if run_id else None
    if m is None:
        return None, None
    state = m.get("state")
    if state == "running" and not is_locked(out):
        state = "killed"
    return state, m.get("ended")


def _records(out: Path, volume_id: str) -> tuple[dict[str, int], int]:
    """Rows per register type and flagged rows of one volume (every record file of it).

    Raises:
        RecordsError: a record file cannot be read (named, with the reason).
    """
    counts: dict[str, int] = {}
    flagged = 0
    for rtype in REGISTER_TYPES:
        files = record_files(out, rtype, volume_id)
        if files:
            col = read_files(files, rtype, columns=["needs_review"]).column("needs_review")
            counts[rtype] = len(col)
            flagged += sum(1 for v in col.to_pylist() if v)
    return counts, flagged


def _entries_done(out: Path, volume_id: str, plan: dict) -> int:
    """Entries the volume's finished pages hold in the cache (what OUT/records should have)."""
    n = 0
    for entry in plan["pages"]:
        slot = cache.read_slot(out, volume_id, entry["page"])
        if slot and slot.get("status") == "ok" and \
                cache.is_current(slot, cache.PageKey(**entry["key"])):
            n += len(slot.get("records") or [])
    return n


def _signoff(states: dict[tuple[str, str], SignoffState], volume_id: str) -> str | None:
    mine = {s.state for (_, vid), s in states.items() if vid == volume_id}
    return next((st for st in ("stale", "unknown", "fresh") if st in mine), None)


def volume_status(out: Path, volume_id: str,
                  signoffs: dict[tuple[str, str], SignoffState] | None = None) -> VolumeStatus:
    """The state of one volume that hotich has planned under OUT (`signoffs`: the batch's,
    read once by batch_status; read here when not given)."""
    out = Path(out)
    if signoffs is None:
        signoffs = signoff_states(out)
    plan = cache.read_plan(out, volume_id) or {"pages": []}
    done = failed = pending = blank = 0
    errors: list[dict] = []
    for entry in plan["pages"]:
        slot = cache.read_slot(out, volume_id, entry["page"])
        if not cache.is_current(slot, cache.PageKey(**entry["key"])):
            pending += 1
        elif slot.get("status") in cache.DONE:
            done += 1
            blank += slot.get("status") == "blank"
        else:
            failed += 1
            errors += [{"volume_id": volume_id, **e} for e in slot.get("errors", [])]
    if plan.get("input_error"):
        errors.insert(0, {"volume_id": volume_id, "source_file": ",".join(plan.get("inputs", [])),
                          "page": 0, "stage": "input", "reason": plan["input_error"]})
    run_id = plan.get("input_error_run_id") or plan.get("run_id")
    state, ended = _run_state(out, run_id)
    m = read_manifest(out, run_id) if run_id else None
    rec_err = ((m or {}).get("volumes", {}).get(volume_id) or {}).get("records_error")
    if rec_err:
        errors.append({"volume_id": volume_id, "source_file": ",".join(plan.get("inputs", [])),
                       "page": 0, "stage": "records", "reason": rec_err})
    records, flagged = _records(out, volume_id)
    if not sum(records.values()) and (expected := _entries_done(out, volume_id, plan)):
        errors.append({"volume_id": volume_id, "source_file": ",".join(plan.get("inputs", [])),
                       "page": 0, "stage": "records",
                       "reason": f"{expected} entries read on {done} done page(s) but no records "
                                 f"under OUT/records (rerun `hotich run`)"})
    return VolumeStatus(volume_id, len(plan["pages"]), done, failed, pending, records, flagged,
                        run_id, state, ended, tuple(errors), blank, tuple(plan.get("notes", [])),
                        _signoff(signoffs, volume_id))


def batch_status(out: Path) -> list[VolumeStatus]:
    """Every volume under OUT, by volume id.

    Raises:
        RecordsError: a record file cannot be read, or pages were read and entries found but
            OUT/records holds none of them (the outputs are not what the runs produced).
    """
    signoffs = signoff_states(out)
    found = [volume_status(out, vid, signoffs) for vid in cache.cached_volume_ids(out)]
    if found and not any(v.total_records for v in found):
        missing = [e["reason"] for v in found for e in v.errors
                   if e["stage"] == "records" and "no records under" in e["reason"]]
        if missing:
            raise RecordsError(f"{out}/records: no records, though {len(missing)} volume(s) "
                               f"had pages read ({missing[0]})")
    return found


def status_json(out: Path, volumes: list[VolumeStatus]) -> dict:
    """The `--json` form: volumes (with errors) and the latest run's totals."""
    last = latest_manifest(out)
    last_run = None
    if last is not None:
        state, _ = _run_state(out, last.get("run_id"))
        last_run = {"run_id": last.get("run_id"), "state": state, "started": last.get("started"),
                    "ended": last.get("ended"), "totals": last.get("totals")}
    return {"out": str(out), "last_run": last_run,
            "volumes": [{**asdict(v), "errors": list(v.errors), "total_records": v.total_records}
                        for v in volumes]}


_SIGNOFF_TEXT = {None: "-", "fresh": "signed", "stale": "STALE", "unknown": "unknown"}


def format_table(volumes: list[VolumeStatus]) -> str:
    """A plain-text table, one line per volume, then one line per error."""
    head = ("volume", "pages", "done", "blank", "failed", "pending", "records", "flagged", "sign-off",
            "last run")
    rows = [head] + [
        (v.volume_id, str(v.pages), str(v.done), str(v.blank), str(v.failed), str(v.pending),
         str(v.total_records), str(v.flagged), _SIGNOFF_TEXT[v.signoff],
         f"{v.last_run or '-'} ({v.last_run_state or '?'})") for v in volumes]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    last = len(head) - 1
    lines = ["  ".join(c.ljust(w) if i in (0, last) else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths))).rstrip() for r in rows]
    total = ("total", sum(v.pages for v in volumes), sum(v.done for v in volumes),
             sum(v.blank for v in volumes), sum(v.failed for v in volumes), sum(v.pending for v in volumes),
             sum(v.total_records for v in volumes), sum(v.flagged for v in volumes), "")
    if len(volumes) > 1:
        lines.append("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                               for i, (c, w) in enumerate(zip(total, widths))))
    errors = [e for v in volumes for e in v.errors]
    if errors:
        lines.append("")
        lines.append(f"errors ({len(errors)}):")
        lines += [f"  {e['volume_id']} page {e['page']} {e['source_file']}: [{e['stage']}] "
                  f"{' '.join(str(e['reason']).split())}" for e in errors]
    stale = [v.volume_id for v in volumes if v.signoff == "stale"]
    if stale:
        lines.append("")
        lines.append(f"sign-offs STALE ({len(stale)}): the records changed after the sign-off "
                     f"(draw a new spot check): {', '.join(stale)}")
    skipped = [n for v in volumes for n in v.skipped]
    if skipped:
        lines.append("")
        lines.append(f"skipped ({len(skipped)}):")
        lines += [f"  {n}" for n in skipped]
    if not volumes:
        lines = ["no volumes under this output folder yet (run `hotich run INPUT --out OUT`)"]
    return "\n".join(lines)
