"""`hotich run`: plan volumes, skip cached pages, stream the rest through an executor, store
each page as it completes, and rewrite each volume's records when its last page is in.

Crash safety comes from three rules: every file is written atomically; a page's cache slot is
written after its image and lines (so it commits the page); and a volume's records are
rebuilt from its slots, never appended to. A rerun after SIGKILL finds the finished slots,
redoes the rest, and rebuilds the same records an uninterrupted run writes.
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

from tqdm import tqdm

from configs.loader import Config, load_config
from pipeline.ingest.inputs import Volume, is_pdf, plan_volumes
from pipeline.extract.pagechecks import volume_type
from pipeline.ingest.pixels import MAX_PAGE_PIXELS
from pipeline.run.executors import make_executor
from pipeline.run.lock import out_lock
from pipeline.run.primary import (PRIMARIES, PROBE_PAGES, PageProbe, PrimaryChoice, choose_primary,
                                  key_of, page_probe, read_choice, write_choice)
from pipeline.run.profile import volume_profiles, with_profile, write_volume_profile
from pipeline.run.publish import publish_volume
from pipeline.run.worker import DEFAULT_ENGINE_FACTORY, DEFAULT_PAGE_FN, WorkUnit, resolve
from pipeline.store import cache
from pipeline.store.manifest import Manifest, error_dict, new_run_id, now_iso, versions
from pipeline.store.pagestore import slot_status, store_outcome
from schemas.content_hash import file_sha256
from schemas.errors import ExitCode, HotichError, NotImplementedYet
from schemas.pages import PageOutcome, PageTask
from schemas.records import PageError

DEFAULT_PAGE_TIMEOUT = 600.0  # seconds; a 400 dpi ledger page takes a few


def _pipeline_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("hotich")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


@dataclass(frozen=True)
class RunOptions:
    """Everything `hotich run` is told (CLI flags), with library defaults.

    Attributes:
        out: output folder.
        register_type: "birth" | "death" | "marriage", or None for auto (page title).
        volume: one volume id for all inputs, or None (one volume per input).
        workers: local worker processes, or LocalCluster workers for dask.
        executor: "local" | "dask".
        scheduler: dask scheduler address; None with dask starts a LocalCluster.
        config_file: YAML overriding configs/.
        silent_target: expected share of wrong and unflagged fields the flags are set for
            (None: settings.yaml thresholds.silent_target).
        force: redo pages even when cached.
        page_timeout: seconds before a page's worker is killed (None: no limit).
        progress: tqdm bars; None shows them when stderr is a terminal.
        argv: the command line, for the manifest.
        max_pixels: pages larger than this are refused.
        page_fn: the page reader ("module:function" or picklable callable).
        engine_factory: makes one OCR engine per worker ("module:function", callable, None).
        pipeline_version: stamped into records and cache keys.
        in_flight: pages submitted at once (default 2 per local worker; dask: its threads).
        log: where one-line page errors and notes go (default stderr).
        profile: a volume profile (docs/profile.md) applied to every page of every volume;
            None: a profile.yaml in a volume's input folder, else none.
    """

    out: Path
    register_type: str | None = None
    volume: str | None = None
    workers: int = 1
    executor: str = "local"
    scheduler: str | None = None
    config_file: Path | None = None
    silent_target: float | None = None
    force: bool = False
    page_timeout: float | None = DEFAULT_PAGE_TIMEOUT
    progress: bool | None = None
    argv: tuple[str, ...] = ()
    max_pixels: int = MAX_PAGE_PIXELS
    page_fn: str | Callable = DEFAULT_PAGE_FN
    engine_factory: str | Callable | None = DEFAULT_ENGINE_FACTORY
    pipeline_version: str = field(default_factory=_pipeline_version)
    in_flight: int | None = None
    log: Callable[[str], None] | None = None
    profile: Path | None = None


@dataclass(frozen=True)
class RunSummary:
    """What a run did. Page counts are over every page of the run's volumes.

    Attributes:
        processed: recognised in this run.  cached: reused without loading.
        unchanged: loaded, same pixels as a cached result, reused.  failed: reported.
        blank: blank leaves read in this run (done, no records; not a failure).
        pending: not finished (interrupted run).  volume_errors: volumes whose INPUT could
        not be read or whose records could not be written.  skipped: files and subfolders
        in input folders that are not pages (each named in a note).
    """

    run_id: str
    manifest: Path
    volumes: int
    pages: int
    processed: int
    cached: int
    unchanged: int
    failed: int
    blank: int
    pending: int
    volume_errors: int
    skipped: int
    records: int
    flagged: int
    interrupted: bool
    seconds: float

    @property
    def exit_code(self) -> ExitCode:
        if self.interrupted:
            return ExitCode.INTERRUPTED
        if self.failed or self.volume_errors:
            return ExitCode.PARTIAL
        return ExitCode.OK

    def describe(self) -> str:
        """One line for the operator."""
        done = self.processed + self.cached + self.unchanged + self.blank
        head = "interrupted" if self.interrupted else "done"
        text = (f"{head}: {self.volumes} volume(s), {done}/{self.pages} pages done "
                f"({self.processed} recognised, {self.cached + self.unchanged} from cache), "
                f"{self.failed} failed, {self.blank} blank, {self.records} records "
                f"({self.flagged} flagged) in {self.seconds:.1f} s; manifest {self.manifest}")
        if self.volume_errors:
            text += f"; {self.volume_errors} volume(s) not read or not written"
        if self.skipped:
            text += f"; {self.skipped} item(s) in input folders skipped"
        if self.interrupted:
            text += f"; {self.pending} pages pending: rerun the same command to resume"
        elif self.failed or self.volume_errors or self.skipped:
            text += "; see `hotich status` for the failed pages and what was skipped"
        return text


class _Batch:
    """One run's mutable state: plans, pages outstanding per volume, counters, bars."""

    def __init__(self, opts: RunOptions, cfg: Config, volumes: list[Volume], run_id: str,
                 manifest: Manifest, say: Callable[[str], None], progress: bool):
        self.opts, self.cfg, self.volumes, self.run_id = opts, cfg, volumes, run_id
        self.manifest, self.say = manifest, say
        self.type_option = opts.register_type or "auto"
        self.plans: dict[str, dict] = {}
        self.outstanding: dict[str, int] = {}
        self.emitted: set[str] = set()
        self.published: set[str] = set()
        self.counts = {"processed": 0, "cached": 0, "unchanged": 0, "failed": 0, "blank": 0}
        self.vol_counts: dict[str, dict] = {}
        self.volume_errors = 0
        # (records, flagged) per published volume: a volume published again replaces its own
        self.vol_records: dict[str, tuple[int, int]] = {}
        # A volume is one book: the register types its pages read, and the pages that could
        # not tell theirs (no readable title, headers of no clear register) to read again as
        # the volume's type once its other pages have decided it.
        self.vol_types: dict[str, Counter] = {}
        self.untyped: dict[str, list[PageTask]] = {}
        total = sum(len(v.tasks) for v in volumes)
        self.bar = tqdm(total=total, desc="batch", unit="page", position=0, file=sys.stderr,
                        disable=not progress, dynamic_ncols=True)
        self.vbars: dict[str, tqdm] = {}
        self.progress = progress
        self.profiles: dict = {}
        # the primary recogniser of each volume (recognition.primary), and the probe reads
        # of the volumes `auto` decides in this run
        self.choices: dict[str, PrimaryChoice] = {}
        self.probes: dict[str, dict[str, list[PageProbe]]] = {}

    # -- the primary recogniser -----------------------------------------------------------
    def probe_units(self) -> dict[str, list[WorkUnit]]:
        """Decide every volume's primary recogniser that needs no reading (a fixed
        recognition.primary, or the choice an earlier run recorded), and return the probe
        reads for the rest: their first PROBE_PAGES pages, per recogniser."""
        units: dict[str, list[WorkUnit]] = {p: [] for p in PRIMARIES}
        for vol in self.volumes:
            if vol.error:
                continue
            vid = vol.volume_id
            if self.cfg.primary != "auto":
                self.choices[vid] = PrimaryChoice(vid, self.cfg.primary, self.cfg.primary,
                                                  "recognition.primary")
                continue
            recorded = None if self.opts.force else read_choice(self.opts.out, vid)
            if recorded is not None:
                self.choices[vid] = recorded
                continue
            self.probes[vid] = {p: [] for p in PRIMARIES}
            for task in vol.tasks[:PROBE_PAGES]:
                for p in PRIMARIES:
                    units[p].append(WorkUnit(task=task, dpi=self.cfg.render_dpi,
                                          cfg=replace(self.cfg, primary=p),
                                          max_pixels=self.opts.max_pixels, page_fn=self.opts.page_fn,
                                          engine_factory=self.opts.engine_factory))
        return units

    def on_probe(self, o: PageOutcome, primary: str) -> None:
        """Keep one probe read's evidence (its F_perr), not the read: the volume's pages are
        read again with the chosen recogniser and stored as every other page."""
        self.probes[o.task.volume_id][primary].append(page_probe(o.task.page, o.result, o.seconds))

    def decide_primaries(self) -> None:
        """The probed volumes' primary recognisers, recorded in OUT/volumes/<ID>/recogniser.json
        (not when no probe page could be read: the next run probes again)."""
        for vid, probes in self.probes.items():
            primary, reason, scores = choose_primary(probes)
            choice = PrimaryChoice(vid, "auto", primary, reason,
                                   tuple(sorted({p.page for ps in probes.values() for p in ps})),
                                   tuple(s.as_dict() for s in scores), self.run_id, now_iso())
            self.choices[vid] = choice
            if any(p.read for ps in probes.values() for p in ps):
                try:
                    write_choice(self.opts.out, choice)
                except OSError as e:
                    self.say(f"hotich: volume {vid}: recogniser choice not recorded: {e}")
            line = f"volume {vid}: primary recogniser {primary} ({reason})"
            self.manifest.note(line)
            self.say(f"hotich: {line}")
        self.probes = {}

    def primary(self, vid: str) -> str:
        choice = self.choices.get(vid)
        return choice.primary if choice is not None else "tesseract"

    # -- planning -------------------------------------------------------------------------
    def _plan(self, vol: Volume) -> dict:
        """The volume's pages with their cache keys (hashes each file once)."""
        shas: dict[str, str | None] = {}
        pdfs: dict[str, bool] = {}
        pages = []
        for t in vol.tasks:
            if t.source_file not in shas:
                try:
                    shas[t.source_file] = file_sha256(Path(t.source_file))
                except OSError:
                    shas[t.source_file] = None  # the page's load reports why
                pdfs[t.source_file] = is_pdf(Path(t.source_file))
            sha = shas[t.source_file]
            skey = (cache.source_key(sha, t.index_in_file,
                                     self.cfg.render_dpi if pdfs[t.source_file] else None)
                    if sha else f"unreadable-{self.run_id}")
            prof = t.profile.sha256 if t.profile is not None else ""
            key = cache.PageKey(skey, self.cfg.hash, self.opts.pipeline_version, self.type_option, prof,
                                key_of(self.primary(vol.volume_id)))
            pages.append({"page": t.page, "source_file": t.source_file,
                          "index_in_file": t.index_in_file, "key": cache.key_dict(key)})
        return {"volume_id": vol.volume_id, "inputs": list(vol.inputs), "run_id": self.run_id,
                "planned_at": now_iso(), "config_hash": self.cfg.hash, "notes": list(vol.notes),
                "pipeline_version": self.opts.pipeline_version, "type_option": self.type_option,
                "pages": pages}

    def units(self) -> Iterator[WorkUnit]:
        """Work units for every page not already done, volume by volume (lazily, so a long
        batch starts at once and memory holds one volume's plan at a time)."""
        for vol in self.volumes:
            if vol.error:
                continue  # reported by input_error(); nothing of it is planned or published
            vid = vol.volume_id
            plan = self._plan(vol)
            cache.write_plan(self.opts.out, vid, plan)
            self.plans[vid] = plan
            self.outstanding[vid] = 0
            self.vol_counts[vid] = {"inputs": list(vol.inputs), "pages": len(vol.tasks),
                                    "processed": 0, "cached": 0, "unchanged": 0, "failed": 0,
                                    "blank": 0}
            if self.progress:
                self.vbars[vid] = tqdm(total=len(vol.tasks), desc=vid[:24], unit="page",
                                       position=1 + len(self.vbars) % 4, leave=False,
                                       file=sys.stderr, dynamic_ncols=True)
            for task, entry in zip(vol.tasks, plan["pages"]):
                key = cache.PageKey(**entry["key"])
                slot = cache.read_slot(self.opts.out, vid, task.page)
                if not self.opts.force and cache.is_done(slot, key):
                    self._count(vid, "cached")
                    if slot.get("register_type") and slot.get("records"):
                        self.vol_types.setdefault(vid, Counter())[slot["register_type"]] += 1
                    continue
                hint = None if self.opts.force else cache.unchanged_hint(slot, key)
                self.outstanding[vid] += 1
                yield self._unit(task, hint)
            self.emitted.add(vid)
            self._maybe_publish(vid)

    def _unit(self, task: PageTask, unchanged_if: str | None) -> WorkUnit:
        cfg = replace(self.cfg, primary=self.primary(task.volume_id))  # "auto" resolved
        return WorkUnit(task=task, dpi=self.cfg.render_dpi, cfg=cfg, unchanged_if=unchanged_if,
                        max_pixels=self.opts.max_pixels, page_fn=self.opts.page_fn,
                        engine_factory=self.opts.engine_factory)

    # -- results --------------------------------------------------------------------------
    def on_outcome(self, o: PageOutcome) -> None:
        """Store one page's outcome, report its errors, publish its volume when complete."""
        t = o.task
        vid = t.volume_id
        entry = self.plans[vid]["pages"][t.page - 1]
        key = cache.PageKey(**entry["key"])
        old = cache.read_slot(self.opts.out, vid, t.page)
        _slot, errors = store_outcome(self.opts.out, o, key, old, self.run_id)
        if o.unchanged:
            status = "unchanged"
        else:
            status = slot_status(o.result, errors)  # failed, blank or ok
            status = "processed" if status == "ok" else status
        self.manifest.add_page({
            "volume_id": vid, "page": t.page, "source_file": t.source_file,
            "index_in_file": t.index_in_file, "status": status, "worker": o.worker,
            "seconds": round(o.seconds, 4),
            "timings": dict(o.result.timings) if o.result is not None else {},
            "records": len(o.result.records) if o.result is not None else None,
        }, [error_dict(vid, e) for e in errors])
        r = o.result
        if r is not None and r.records and r.register_type:
            self.vol_types.setdefault(vid, Counter())[r.register_type] += 1
        untyped = (status == "failed" and r is not None and r.register_type is None
                   and t.register_type is None and self.opts.register_type is None
                   and all(e.stage == "layout" for e in errors))
        if untyped:
            self.untyped.setdefault(vid, []).append(t)
        else:
            for e in errors:
                self._report(vid, e)
        self.outstanding[vid] -= 1
        self._count(vid, status)
        self._maybe_publish(vid)
        self.manifest.maybe_flush()

    def volume_retries(self) -> list[WorkUnit]:
        """Pages that could not tell their register type, to read again as their volume's
        (the type most of its read pages agree on, when they are at least two and a clear
        majority). Their first failure is taken back from the counts and the manifest; a page
        whose volume has no clear type is reported as it failed."""
        units = []
        for vid, pending in self.untyped.items():
            types = self.vol_types.get(vid, Counter())
            rtype = volume_type(list(types.elements()))
            clear, n = rtype is not None, types.get(rtype, 0)
            for task in pending:
                errs = [e for e in self.manifest.data["errors"]
                        if e.get("volume_id") == vid and e.get("page") == task.page]
                if not clear:
                    for e in errs:
                        self._report(vid, PageError(e["source_file"], e["page"], e["stage"], e["reason"]))
                    continue
                self.manifest.data["errors"] = [e for e in self.manifest.data["errors"] if e not in errs]
                self.manifest.note(f"volume {vid}: page {task.page} named no register type; "
                                   f"read again as {rtype}, the type {n} of its pages agree on")
                self.counts["failed"] -= 1
                self.vol_counts[vid]["failed"] -= 1
                self.outstanding[vid] += 1
                self.published.discard(vid)
                units.append(self._unit(replace(task, register_type=rtype), None))
        self.untyped = {}
        return units

    def _report(self, vid: str, e: PageError) -> None:
        reason = " ".join(e.reason.split())
        self.say(f"hotich: {e.source_file}: page {e.page} of volume {vid} failed "
                 f"[{e.stage}]: {reason}")

    def _count(self, vid: str, status: str) -> None:
        self.counts[status] += 1
        self.vol_counts[vid][status] += 1
        self.bar.update(1)
        if vid in self.vbars:
            self.vbars[vid].update(1)

    def input_error(self, vol: Volume) -> None:
        """A volume whose INPUT cannot be read: one line, the manifest, and the volume's plan
        (so `hotich status` shows it); its earlier pages and records are left as they were."""
        where = ",".join(vol.inputs)
        self.volume_errors += 1
        self.manifest.data["errors"].append({"volume_id": vol.volume_id, "source_file": where,
                                             "page": 0, "stage": "input", "reason": vol.error})
        self.manifest.set_volume(vol.volume_id, {"inputs": list(vol.inputs), "pages": 0,
                                                 "input_error": vol.error})
        self.say(f"hotich: {where}: volume {vol.volume_id} not read [input]: {vol.error}")
        old = cache.read_plan(self.opts.out, vol.volume_id) or {
            "volume_id": vol.volume_id, "inputs": list(vol.inputs), "pages": []}
        cache.write_plan(self.opts.out, vol.volume_id, {
            **old, "input_error": vol.error, "input_error_run_id": self.run_id,
            "notes": list(vol.notes)})

    @property
    def records(self) -> int:
        return sum(n for n, _ in self.vol_records.values())

    @property
    def flagged(self) -> int:
        return sum(f for _, f in self.vol_records.values())

    def _maybe_publish(self, vid: str) -> None:
        if vid in self.emitted and self.outstanding[vid] == 0 and vid not in self.published:
            self.publish(vid)

    def publish(self, vid: str) -> None:
        """Rewrite the volume's records from its page results; a failure names the volume
        and the batch goes on."""
        summary = dict(self.vol_counts[vid])
        applied = self.profiles.get(vid)
        if applied is not None:
            summary.update(profile=applied.source, profile_sha256=applied.sha256)
        choice = self.choices.get(vid)
        if choice is not None:
            summary["primary"] = {**choice.as_dict(), "recorded": choice.recorded}
        try:
            written = write_volume_profile(self.opts.out, self.plans[vid], applied)
            if written is not None:
                summary["profile_written"] = str(written)
        except OSError as e:  # the records matter more than the profile: say so, go on
            self.say(f"hotich: volume {vid}: profile not written: {e}")
        try:
            recs = publish_volume(self.opts.out, self.plans[vid])
            summary.update(records=recs.records, flagged=recs.flagged)
            self.vol_records[vid] = (recs.total, recs.flagged)
        except HotichError as e:
            self.volume_errors += 1
            err = {"volume_id": vid, "source_file": ",".join(self.plans[vid]["inputs"]),
                   "page": 0, "stage": "records", "reason": e.message}
            self.manifest.data["errors"].append(err)
            summary["records_error"] = e.message
            self.say(f"hotich: volume {vid}: records not written: {e.message}")
        self.published.add(vid)
        summary["published_at"] = now_iso()
        self.manifest.set_volume(vid, summary)
        bar = self.vbars.pop(vid, None)
        if bar is not None:
            bar.close()

    def publish_started(self) -> None:
        """After an interrupt: publish every started volume from the pages finished so far
        (finished work becomes visible; the rest stays pending until the rerun)."""
        for vid in list(self.plans):
            if vid not in self.published:
                self.publish(vid)

    def close_bars(self) -> None:
        for bar in self.vbars.values():
            bar.close()
        self.bar.close()


def _check_dependencies(opts: RunOptions, volumes: list[Volume], cfg) -> None:
    """Fail before any work when a needed program or the page reader is missing."""
    try:
        resolve(opts.page_fn)
    except ModuleNotFoundError as e:
        raise NotImplementedYet(f"the page reader ({opts.page_fn}) is not available: {e}") from e
    if opts.engine_factory == DEFAULT_ENGINE_FACTORY:
        from ocr.tesseract import check_tesseract
        check_tesseract()
    if cfg.second_reader != "off" or cfg.primary != "tesseract":
        from ocr.aster import check_aster
        check_aster()
    if any(Path(p).is_file() and is_pdf(Path(p)) for v in volumes for p in v.inputs):
        from pipeline.ingest.pdf import check_poppler
        check_poppler()


def run_batch(inputs: list[Path], opts: RunOptions) -> RunSummary:
    """Run the batch: every page of every input, resumable and failure-isolated.

    Args:
        inputs: INPUT paths (folders, PDFs, images).
        opts: the run's options.

    Returns:
        RunSummary (its exit_code: 0 ok, 4 some pages failed, 130 interrupted).

    Raises:
        ConfigError, BadInputError: bad config, inputs or volume ids (before any work).
        MissingDependencyError: Tesseract, vie or poppler missing.
        NotImplementedYet: the page reader is not available.
    """
    t0 = time.monotonic()
    say = opts.log or (lambda line: tqdm.write(line, file=sys.stderr))
    cfg = load_config(opts.config_file, opts.silent_target)
    volumes = plan_volumes([Path(p) for p in inputs], opts.volume, opts.register_type)
    profiles = volume_profiles(volumes, opts.profile, opts.register_type)
    volumes = [with_profile(v, profiles.get(v.volume_id)) for v in volumes]
    _check_dependencies(opts, volumes, cfg)
    progress = sys.stderr.isatty() if opts.progress is None else opts.progress
    out = Path(opts.out)
    with out_lock(out):
        run_id = new_run_id()
        manifest = Manifest(out, run_id, list(opts.argv), _options_dict(opts), cfg, versions(
            opts.pipeline_version, tesseract=opts.engine_factory == DEFAULT_ENGINE_FACTORY,
            poppler=True, dask=opts.executor == "dask", second_reader=cfg.second_reader != "off" or cfg.primary != "tesseract"))
        for vol in volumes:
            for note in vol.notes:
                manifest.note(note)
                say(f"hotich: {note}")
        manifest.write("running")
        batch = _Batch(opts, cfg, volumes, run_id, manifest, say, progress)
        batch.profiles = profiles
        for vol in volumes:
            if vol.error:
                batch.input_error(vol)
        interrupted = False
        executor = None
        try:
            t_exec = time.monotonic()
            executor = make_executor(opts.executor, opts.workers, opts.scheduler,
                                     opts.page_timeout, opts.engine_factory)
            manifest.data["executor"] = {"kind": opts.executor, "capacity": executor.capacity,
                                         "start_seconds": round(time.monotonic() - t_exec, 3)}
            in_flight = opts.in_flight or 2 * executor.capacity
            # recognition.primary: auto: the undecided volumes' first pages with each recogniser
            # (one pass per recogniser: an outcome names its page, not what read it)
            for primary, probes in batch.probe_units().items():
                for outcome in executor.map_unordered(iter(probes), in_flight):
                    batch.on_probe(outcome, primary)
            batch.decide_primaries()
            for outcome in executor.map_unordered(batch.units(), in_flight):
                batch.on_outcome(outcome)
            retries = batch.volume_retries()  # a volume is one book: untyped pages take its type
            for outcome in executor.map_unordered(iter(retries), in_flight):
                batch.on_outcome(outcome)
        except KeyboardInterrupt:
            interrupted = True
        except HotichError as e:  # e.g. the dask scheduler cannot be reached
            manifest.note(e.message)
            manifest.write("failed")
            raise
        finally:
            if executor is not None:
                executor.close()
            batch.close_bars()
        if interrupted:
            batch.publish_started()
        summary = _summary(batch, volumes, run_id, manifest, interrupted, time.monotonic() - t0)
        state = "interrupted" if interrupted else ("partial" if summary.exit_code else "completed")
        manifest.write(state, totals=_totals(summary))
    return summary


def _options_dict(opts: RunOptions) -> dict:
    return {"out": str(opts.out), "type": opts.register_type or "auto", "volume": opts.volume,
            "workers": opts.workers, "executor": opts.executor, "scheduler": opts.scheduler,
            "config": str(opts.config_file) if opts.config_file else None, "force": opts.force,
            "silent_target": opts.silent_target,
            "page_timeout": opts.page_timeout, "max_pixels": opts.max_pixels,
            "page_fn": opts.page_fn if isinstance(opts.page_fn, str) else repr(opts.page_fn),
            "profile": str(opts.profile) if opts.profile else None}


def _summary(batch: _Batch, volumes: list[Volume], run_id: str, manifest: Manifest,
             interrupted: bool, seconds: float) -> RunSummary:
    c = batch.counts
    pages = sum(len(v.tasks) for v in volumes)
    return RunSummary(
        run_id=run_id, manifest=manifest.path, volumes=len(volumes), pages=pages,
        processed=c["processed"], cached=c["cached"], unchanged=c["unchanged"],
        failed=c["failed"], blank=c["blank"], pending=pages - sum(c.values()),
        volume_errors=batch.volume_errors, skipped=sum(len(v.notes) for v in volumes),
        records=batch.records, flagged=batch.flagged, interrupted=interrupted, seconds=seconds)


def _totals(s: RunSummary) -> dict:
    work = s.processed + s.unchanged + s.failed + s.blank
    return {"pages": s.pages, "processed": s.processed, "cached": s.cached,
            "unchanged": s.unchanged, "failed": s.failed, "blank": s.blank, "pending": s.pending,
            "volume_errors": s.volume_errors, "skipped": s.skipped, "records": s.records, "flagged": s.flagged,
            "seconds": round(s.seconds, 3),
            "pages_per_second": round(work / s.seconds, 3) if s.seconds > 0 else None,
            "exit_code": int(s.exit_code)}
