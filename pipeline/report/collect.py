"""Gather what the report shows from an output folder, reading only the columns it needs.

Everything here is read-only and tolerant: a part of OUT that does not exist yet (no run
manifest, no dedup, no review database) gives an empty section, not an error.
"""
from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.export.common import UNREVIEWED, volumes
from pipeline.review.signoffs import signoff_states
from schemas.fields import all_fields
from schemas.outdir import dedup_dir, pages_dir, review_db_path, runs_dir
from schemas.records_io import (RecordsError, check_files, count_records, read_records,
                                record_files)

CONF_BINS = np.linspace(0.0, 1.0, 21)


@dataclass(frozen=True)
class VolumeStat:
    """One volume: pages and records, flagged and how far review got."""

    register_type: str
    volume_id: str
    pages: int
    failed_pages: int
    records: int
    flagged: int
    reviewed: int  # flagged records accepted or corrected
    signoff: str | None = None  # latest sign-off: fresh | stale (records changed since) | unknown


@dataclass(frozen=True)
class FieldStat:
    """One field of one register type: how often flagged, and its confidence spread."""

    register_type: str
    field: str
    records: int
    flagged: int
    conf_quantiles: tuple[float, ...] | None  # p5, p25, p50, p75, p95 (None: no values)


@dataclass(frozen=True)
class PageTiming:
    volume_id: str
    page: int
    seconds: float
    stages: dict


@dataclass(frozen=True)
class FailedPage:
    volume_id: str
    page: int | None
    source_file: str
    stage: str
    reason: str


@dataclass(frozen=True)
class DedupStat:
    records: int
    clusters: int
    multi_clusters: int
    records_in_multi: int
    pairs: int
    scores: tuple[float, ...]
    cluster_sizes: dict


@dataclass(frozen=True)
class ReviewStat:
    """Review progress: record states by status (records), and reviews per day (database)."""

    by_status: dict            # accepted / corrected / unreviewed, over flagged records
    per_day: dict              # "2024-05-02" -> actions that day (review database)
    corrections: int | None    # corrected fields (review database)
    signoffs: int | None
    has_db: bool


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows."""

    out: str
    volumes: tuple[VolumeStat, ...]
    page_rates: dict           # volume_id -> {page: (records, flagged)}
    fields: tuple[FieldStat, ...]
    conf_hist: dict            # register_type -> histogram counts over CONF_BINS
    slowest: tuple[PageTiming, ...]
    stage_totals: dict         # stage -> seconds over all pages
    failed: tuple[FailedPage, ...]
    runs: tuple[dict, ...]
    dedup: DedupStat | None
    review: ReviewStat
    low_confidence: float
    pages_of: dict = field(default_factory=dict)  # volume_id -> pages with a page image


def _field_of(flag: str) -> str:
    return flag.split(":", 1)[1] if ":" in flag else "(entry)"


def _read_volume(out: Path, rtype: str, vol: str) -> pa.Table:
    cols = ["page", "flags", "needs_review", "review_status"] + [
        f + "_conf" for f in all_fields(rtype)]
    return read_records(out, rtype, vol, columns=cols)


def _manifests(out: Path) -> tuple[list[dict], list[dict]]:
    """Run manifests (OUT/runs/*.json, pipeline/store/manifest.py) and their per-page entries,
    oldest run first.

    A manifest holds `pages` ({volume_id, page, source_file, status, seconds, timings}) and
    `errors` ({volume_id, page, source_file, stage, reason}); a page's errors are attached to
    it here. A page listed by several runs keeps its latest entry (a rerun replaces the
    result; a page served from the cache is not listed again).
    """
    runs, pages = [], {}
    folder = runs_dir(out)
    for f in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            m = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(m, dict):
            continue
        entries = [dict(p) for p in m.get("pages") or [] if isinstance(p, dict)]
        errors: dict[tuple, list] = {}
        for e in m.get("errors") or []:
            if isinstance(e, dict):
                errors.setdefault((str(e.get("volume_id")), e.get("page")), []).append(e)
        for p in entries:
            key = (str(p.get("volume_id")), p.get("page"))
            if key in errors and not p.get("errors"):
                p["errors"] = errors.pop(key)
        runs.append({"run_id": m.get("run_id", f.stem), "started": m.get("started"),
                     "finished": m.get("ended") or m.get("finished"), "state": m.get("state"),
                     "pages": len(entries), "failed": sum(1 for p in entries if _is_failed(p))})
        for p in entries:
            pages[(str(p.get("volume_id")), p.get("page"), p.get("source_file"))] = p
        for (vol, page), errs in errors.items():  # errors of pages the run did not list
            pages[(vol, page, errs[0].get("source_file"))] = {
                "volume_id": vol, "page": page, "source_file": errs[0].get("source_file"),
                "status": "failed", "errors": errs}
    return runs, list(pages.values())


def _is_failed(p: dict) -> bool:
    return p.get("status") in ("failed", "error") or bool(p.get("errors"))


def _errors(p: dict) -> list[tuple[str, str]]:
    out = []
    for e in p.get("errors") or []:
        if isinstance(e, dict):
            out.append((str(e.get("stage") or "?"), str(e.get("reason") or e.get("message") or e)))
        else:
            out.append(("?", str(e)))
    return out or [("?", str(p.get("reason") or p.get("status") or "failed"))]


def _seconds(p: dict) -> tuple[float, dict]:
    stages = {k: float(v) for k, v in (p.get("timings") or {}).items() if isinstance(v, (int, float))}
    total = p.get("seconds")
    return (float(total) if isinstance(total, (int, float)) else sum(stages.values())), stages


def _dedup(out: Path) -> DedupStat | None:
    d = dedup_dir(out)
    if not (d / "clusters.parquet").exists():
        return None
    clusters = pq.read_table(d / "clusters.parquet", columns=["cluster_id"]).column("cluster_id")
    counts = pc.value_counts(clusters)
    sizes = np.asarray(counts.field("counts"))
    scores: tuple[float, ...] = ()
    pairs = 0
    if (d / "pairs.parquet").exists():
        t = pq.read_table(d / "pairs.parquet")
        pairs = t.num_rows
        if "score" in t.column_names:
            scores = tuple(float(s) for s in t.column("score").to_pylist() if s is not None)
    size_counts = Counter(int(s) for s in sizes)
    return DedupStat(records=len(clusters), clusters=len(sizes), multi_clusters=int((sizes > 1).sum()),
                     records_in_multi=int(sizes[sizes > 1].sum()), pairs=pairs, scores=scores,
                     cluster_sizes=dict(sorted(size_counts.items())))


def _review_db(out: Path) -> tuple[dict, int | None, int | None, bool]:
    path = review_db_path(out)
    if not path.exists():
        return {}, None, None, False
    per_day: Counter = Counter()
    corrections = signoffs = None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "changes" in tables:
                for day, n in con.execute("SELECT substr(at, 1, 10), count(*) FROM changes GROUP BY 1"):
                    per_day[day] += n
            elif "record_state" in tables:
                for day, n in con.execute("SELECT substr(at, 1, 10), count(*) FROM record_state GROUP BY 1"):
                    per_day[day] += n
            if "corrections" in tables:
                corrections = con.execute("SELECT count(*) FROM corrections").fetchone()[0]
            if "signoffs" in tables:
                signoffs = con.execute("SELECT count(*) FROM signoffs").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return {}, None, None, True
    return dict(sorted(per_day.items())), corrections, signoffs, True


def collect(out: Path, low_confidence: float = 0.8, slowest: int = 15) -> ReportData:
    """Read OUT and summarise it for the report.

    Args:
        out: the output folder.
        low_confidence: the threshold drawn on the confidence charts.
        slowest: how many of the slowest pages to keep.
    Returns:
        The report's data.
    """
    out = Path(out)
    runs, man_pages = _manifests(out)
    failed_by_vol = Counter(str(p.get("volume_id")) for p in man_pages if _is_failed(p))
    vols, page_rates, pages_of = [], {}, {}
    field_counts: dict[tuple[str, str], list] = {}
    conf_values: dict[tuple[str, str], list] = {}
    conf_hist: dict[str, np.ndarray] = {}
    status = Counter()
    files = record_files(out)
    check_files(files)  # an unreadable file is an error, not a volume left out
    read_pages = sum(int(p.get("records") or 0) for p in man_pages)
    if read_pages and not count_records(files):
        raise RecordsError(f"{out}/records: no records, though the runs read {read_pages} "
                           f"entries (rerun `hotich run`)")
    signoffs = signoff_states(out)
    for rtype, vol in volumes(out, require=False):
        t = _read_volume(out, rtype, vol)
        n = t.num_rows
        flagged_mask = t.column("needs_review").fill_null(False)
        flagged = int(pc.sum(flagged_mask).as_py() or 0)
        rs = t.column("review_status") if "review_status" in t.column_names else pa.nulls(n, pa.string())
        rs_list = rs.to_pylist()
        fl_list = flagged_mask.to_pylist()
        reviewed = 0
        for f_, s in zip(fl_list, rs_list):
            if f_:
                key = "unreviewed" if s in UNREVIEWED else str(s)
                status[key] += 1
                reviewed += key != "unreviewed"
        by_page = t.select(["page"]).append_column("f", pc.cast(flagged_mask, pa.int32())) \
                   .group_by("page").aggregate([("f", "sum"), ("f", "count")])
        rates = {int(p): (int(c), int(s)) for p, s, c in zip(by_page.column("page").to_pylist(),
                                                              by_page.column("f_sum").to_pylist(),
                                                              by_page.column("f_count").to_pylist())}
        page_rates.setdefault(vol, {}).update(rates)
        imgs = sorted(int(p.stem) for p in pages_dir(out, vol).glob("[0-9]*.png")) \
            if pages_dir(out, vol).is_dir() else []
        pages_of[vol] = imgs
        vols.append(VolumeStat(rtype, vol, pages=len(set(imgs) | set(rates)),
                               failed_pages=failed_by_vol.get(vol, 0), records=n,
                               flagged=flagged, reviewed=reviewed,
                               signoff=getattr(signoffs.get((rtype, vol)), "state", None)))
        flat = Counter(_field_of(f) for f in pc.list_flatten(t.column("flags")).to_pylist() if f)
        hist = conf_hist.setdefault(rtype, np.zeros(len(CONF_BINS) - 1, dtype=np.int64))
        for fname in all_fields(rtype):
            c = field_counts.setdefault((rtype, fname), [0, 0])
            c[0] += n
            c[1] += flat.get(fname, 0)
            col = f"{fname}_conf"
            if col in t.column_names:
                arr = t.column(col).drop_null().to_numpy()
                if arr.size:
                    conf_values.setdefault((rtype, fname), []).append(arr)
                    hist += np.histogram(np.clip(arr, 0, 1), CONF_BINS)[0]
        entry = field_counts.setdefault((rtype, "(entry)"), [0, 0])
        entry[0] += n
        entry[1] += flat.get("(entry)", 0)
    fields = []
    for (rtype, fname), (n, fl) in field_counts.items():
        vals = conf_values.get((rtype, fname))
        q = None
        if vals:
            allv = np.concatenate(vals)
            q = tuple(float(x) for x in np.quantile(allv, [0.05, 0.25, 0.5, 0.75, 0.95]))
        if fname != "(entry)" or fl:
            fields.append(FieldStat(rtype, fname, n, fl, q))

    timed = []
    stage_totals: Counter = Counter()
    failed = []
    for p in man_pages:
        secs, stages = _seconds(p)
        stage_totals.update(stages)
        if secs > 0:
            timed.append(PageTiming(str(p.get("volume_id")), int(p.get("page") or 0), secs, stages))
        if _is_failed(p):
            for stage, reason in _errors(p):
                failed.append(FailedPage(str(p.get("volume_id")), p.get("page"),
                                         str(p.get("source_file") or ""), stage, reason))
    timed.sort(key=lambda x: -x.seconds)
    per_day, corrections, signoffs, has_db = _review_db(out)
    return ReportData(out=str(out), volumes=tuple(vols), page_rates=page_rates, fields=tuple(fields),
                      conf_hist={k: v.tolist() for k, v in conf_hist.items()},
                      slowest=tuple(timed[:slowest]), stage_totals=dict(stage_totals),
                      failed=tuple(failed), runs=tuple(runs), dedup=_dedup(out),
                      review=ReviewStat(by_status=dict(status), per_day=per_day,
                                        corrections=corrections, signoffs=signoffs, has_db=has_db),
                      low_confidence=low_confidence, pages_of=pages_of)
