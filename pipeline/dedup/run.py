"""`hotich dedup OUT`: read every volume under OUT/records, find duplicates per register type,
write OUT/dedup/clusters.parquet, pairs.parquet and summary.json (all atomically).

Per type: features -> blocking (only pairs touching new or changed records when saved state
exists) -> comparison levels (chunks of pairs) -> EM on all pairs' levels -> scores and hard
rules -> clusters -> outputs and state. See the sibling modules for each step.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.dedup import state as S
from pipeline.dedup.blocking import (Candidates, block_sizes, candidate_pairs, pairs_in_blocks,
                                     size_of)
from pipeline.dedup.cluster import cluster
from pipeline.dedup.compare import compare_pairs
from pipeline.dedup.evidence import PAIRS_SCHEMA, contradictions, pairs_table
from pipeline.dedup.features import Features, fingerprints
from pipeline.dedup.model import (FSParams, agreement_start, expectation_maximisation,
                                  TermFrequencies, match_weights, patterns, prior_weight,
                                  probability, term_frequencies)
from pipeline.dedup.profiles import PROFILES, Profile
from schemas.arrow import CLUSTERS_SCHEMA
from schemas.outdir import dedup_dir
from schemas.parquet_io import write_parquet_atomic
from schemas.records_io import read_records, require_records

log = logging.getLogger("hotich.dedup")
STATE_FORMAT = "1"


@dataclass(frozen=True)
class DedupSettings:
    """Thresholds and sizes of a dedup run (each says what it decides).

    Attributes:
        threshold: match probability from which a pair is an edge between duplicates.
        cohesion: mean match probability a record (group) needs to every member of a
            cluster to join it (splits weak chains; cluster.py).
        block_cap: blocks with more records are not compared (counted in the summary).
        chunk_pairs: pairs compared per task (bounds memory).
        tf_clip: largest term-frequency adjustment, in bits.
        em_max_iter: EM iteration limit.
        prior_strength: pseudo-pairs per class pulling EM towards the declared priors.
        max_component: components above this size are cut before average linkage.
    """

    threshold: float = 0.9
    cohesion: float = 0.6
    block_cap: int = 300
    chunk_pairs: int = 1_000_000
    tf_clip: float = 2.0
    em_max_iter: int = 200
    prior_strength: float = 100.0
    max_component: int = 300


@dataclass(frozen=True)
class TypeResult:
    """One register type's outputs and summary."""

    clusters: pa.Table
    pairs: pa.Table
    summary: dict


def _load_records(out: Path, profile: Profile) -> tuple[pa.Table, int]:
    """The identity columns of one type's records, sorted by record_id, each id once."""
    t = read_records(out, profile.register_type, columns=["record_id", *profile.fields, "flags"])
    cols = ["record_id", "volume_id"] + [f for f in profile.fields if f in t.column_names]
    t = t.select(cols)
    t = t.take(pc.sort_indices(t, sort_keys=[("record_id", "ascending")]))
    rid = np.asarray(t.column("record_id").to_pylist(), dtype=object)
    dup = np.r_[False, rid[1:] == rid[:-1]] if len(rid) else np.zeros(0, bool)
    if dup.any():
        log.warning("%s: %d duplicated record_id(s) ignored", profile.register_type, dup.sum())
        t = t.filter(pa.array(~dup))
    return t, int(dup.sum())


class Scorer:
    """Comparison levels, partial weights, scores and hard rules for any pairs."""

    def __init__(self, profile: Profile, feats: Features, params: FSParams, tf: TermFrequencies):
        self.p, self.feats, self.params, self.tf = profile, feats, params, tf
        self.prior = prior_weight(params)

    def levels(self, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
        return compare_pairs(self.p.comparisons, self.feats, ia, ib)

    def partial(self, levels: np.ndarray, ia: np.ndarray) -> np.ndarray:
        return match_weights(levels, self.params, self.tf, self.p.comparisons, self.feats, ia)

    def forbid(self, levels: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
        out = np.zeros(len(ia), dtype=bool)
        for c in self.p.constraints:
            out |= c.applies(levels, self.p.comparisons, self.feats, ia, ib)
        return out

    def score(self, ia: np.ndarray, ib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(probability, forbidden) of arbitrary pairs (used inside clusters)."""
        lv = self.levels(ia, ib)
        w = self.prior + self.partial(lv, ia).sum(axis=1)
        return probability(w), self.forbid(lv, ia, ib)


def _levels_chunked(profile: Profile, feats: Features, cand: Candidates,
                    chunk: int) -> np.ndarray:
    out = np.empty((len(cand), len(profile.comparisons)), dtype=np.int8)
    for lo in range(0, len(cand), chunk):
        hi = min(lo + chunk, len(cand))
        out[lo:hi] = compare_pairs(profile.comparisons, feats, cand.ia[lo:hi], cand.ib[lo:hi])
    return out


def _merge(old: tuple, new: tuple, n: int) -> tuple:
    """Union of two (ia, ib, rules, levels) sets: rules OR-ed, new levels win."""
    ia = np.r_[old[0], new[0]].astype(np.int32)
    ib = np.r_[old[1], new[1]].astype(np.int32)
    rules = np.r_[old[2], new[2]].astype(np.uint8)
    levels = np.concatenate([old[3], new[3]])
    code = ia.astype(np.int64) * n + ib
    srt = np.argsort(code, kind="stable")
    code, ia, ib, rules, levels = code[srt], ia[srt], ib[srt], rules[srt], levels[srt]
    first = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) else np.zeros(0, int)
    last = np.r_[first[1:], len(code)] - 1 if len(code) else np.zeros(0, int)
    merged = np.bitwise_or.reduceat(rules, first) if len(code) else rules
    return ia[last], ib[last], merged, levels[last]


def _incremental(profile: Profile, settings: DedupSettings, feats: Features, rids: np.ndarray,
                 fps: np.ndarray, keys: np.ndarray, old: S.TypeState | None) -> tuple:
    """Reuse saved pairs among unchanged records; compare only what the new records need.

    Returns:
        ((ia, ib, rules, levels) of all candidate pairs, block stats, counts for the summary).
    """
    n, R = len(rids), len(profile.blocking)
    K = len(profile.comparisons)
    empty = (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.uint8),
             np.zeros((0, K), np.int8))
    if old is None:
        cand, stats = candidate_pairs(feats, profile.blocking, settings.block_cap,
                                      chunk_pairs=settings.chunk_pairs)
        lv = _levels_chunked(profile, feats, cand, settings.chunk_pairs)
        info = {"new_or_changed_records": n, "removed_records": 0, "reused_pairs": 0,
                "compared_pairs": len(cand)}
        return (cand.ia, cand.ib, cand.rules, lv), stats, info
    new_of_old = pd.Index(rids).get_indexer(old.record_ids)
    clean_old = new_of_old >= 0
    clean_old[clean_old] &= old.fingerprints[clean_old] == fps[new_of_old[clean_old]]
    dirty = np.ones(n, dtype=bool)
    dirty[new_of_old[clean_old]] = False
    # old pairs between unchanged records, moved to the new indices
    keep = clean_old[old.ia] & clean_old[old.ib]
    oa, ob = new_of_old[old.ia[keep]], new_of_old[old.ib[keep]]
    orules, olevels = old.rules[keep].copy(), old.levels[keep]
    dirty_by_rule = []
    for r in range(R):
        new_sizes = block_sizes(keys[:, r])
        old_sizes = block_sizes(old.keys[:, r])
        # a rule no longer proposes pairs of blocks that outgrew the cap
        over = size_of(keys[oa, r], new_sizes) > settings.block_cap
        orules[over] &= np.uint8(~(1 << r) & 0xFF)
        # blocks that shrank under the cap are generated afresh
        was_over = size_of(keys[:, r], old_sizes) > settings.block_cap
        dirty_by_rule.append(dirty | was_over)
    live = orules != 0
    old_set = (oa[live].astype(np.int32), ob[live].astype(np.int32), orules[live], olevels[live])
    cand, stats = candidate_pairs(feats, profile.blocking, settings.block_cap,
                                  dirty=dirty_by_rule, chunk_pairs=settings.chunk_pairs)
    lv = _levels_chunked(profile, feats, cand, settings.chunk_pairs)
    merged = _merge(old_set, (cand.ia, cand.ib, cand.rules, lv), n) if len(cand) or len(oa) \
        else empty
    info = {"new_or_changed_records": int(dirty.sum()),
            "removed_records": int((new_of_old < 0).sum()),
            "reused_pairs": int(live.sum()), "compared_pairs": len(cand)}
    return merged, stats, info


def _constraint_hits(profile: Profile, feats: Features, ia: np.ndarray, ib: np.ndarray,
                     levels: np.ndarray, chunk: int) -> np.ndarray:
    """uint8 per pair: bit r set when hard rule r forbids the merge."""
    if len(profile.constraints) > 8:
        raise ValueError("at most 8 hard rules (uint8 mask)")
    hits = np.zeros(len(ia), dtype=np.uint8)
    for lo in range(0, len(ia), chunk):
        sl = slice(lo, min(lo + chunk, len(ia)))
        for r, c in enumerate(profile.constraints):
            hit = c.applies(levels[sl], profile.comparisons, feats, ia[sl], ib[sl])
            hits[sl] |= hit.astype(np.uint8) << np.uint8(r)
    return hits


# EM's starting points, from the usual one to stricter ones (agreement_start's share)
EM_STARTS = (0.7, 0.8, 0.9, 1.0)


def _estimate(profile: Profile, levels: np.ndarray, settings: DedupSettings,
              n_records: int) -> FSParams:
    """EM on the candidate pairs but relatives (profiles.CannotLink.untrained; model.py).

    The two classes EM finds are not always "same event" and "not": with millions of
    candidates it can settle on another split (at 500k gen2 records, pairs that share a
    common mother's name: λ 0.41 of 20M candidates). Such a "duplicate" class holds more
    pairs than the records can form (λ·pairs > records would give every record several
    duplicates), so it is refused and EM restarts from stricter agreement; the first
    solution that fits is kept (the usual start where it fits, so most sets are unchanged).
    """
    cmp = profile.comparisons
    n_levels = [len(c.levels) for c in cmp]
    pats, counts = patterns(levels, n_levels)
    for share in EM_STARTS:
        params = expectation_maximisation(pats, counts, [c.prior_m for c in cmp],
                                          [c.prior_u for c in cmp], agreement_start(pats, share),
                                          prior_strength=settings.prior_strength,
                                          max_iter=settings.em_max_iter)
        if params.lam * counts.sum() <= max(n_records, 1):
            break
    return params


def _empty_result(register_type: str, started: float) -> TypeResult:
    return TypeResult(CLUSTERS_SCHEMA.empty_table(), PAIRS_SCHEMA.empty_table(),
                      {"records": 0, "candidate_pairs": 0, "pairs_kept": 0,
                       "duplicate_pairs": 0, "clusters": 0, "multi_record_clusters": 0,
                       "time_s": round(time.perf_counter() - started, 3)})


def dedup_type(out: Path, profile: Profile, settings: DedupSettings, state_dir: Path,
               use_state: bool) -> TypeResult:
    """Deduplicate one register type (see the module docstring)."""
    started = time.perf_counter()
    table, dup_ids = _load_records(out, profile)
    n = table.num_rows
    if n == 0:
        return _empty_result(profile.register_type, started)
    rids = np.asarray(table.column("record_id").to_pylist(), dtype=object)
    feats = Features(table)
    fps = fingerprints(table, ("record_id", "volume_id", "flags") + profile.fields)
    keys = np.column_stack([feats.key(r.keys) for r in profile.blocking])
    version = f"{STATE_FORMAT}:{profile.version()}:{settings.block_cap}"
    K = len(profile.comparisons)
    old = S.load(state_dir, profile.register_type, version, len(profile.blocking), K) \
        if use_state else None
    (ia, ib, rules, levels), bstats, info = _incremental(profile, settings, feats, rids, fps,
                                                         keys, old)
    t_pairs = time.perf_counter()
    hits = _constraint_hits(profile, feats, ia, ib, levels, settings.chunk_pairs)
    forbid = hits != 0
    untrained = np.uint8(sum(1 << r for r, c in enumerate(profile.constraints) if c.untrained))
    params = _estimate(profile, levels[(hits & untrained) == 0], settings, n)
    tf = term_frequencies(feats, profile.comparisons, settings.tf_clip)
    scorer = Scorer(profile, feats, params, tf)
    prob = np.empty(len(ia))
    for lo in range(0, len(ia), settings.chunk_pairs):
        sl = slice(lo, min(lo + settings.chunk_pairs, len(ia)))
        prob[sl] = probability(scorer.prior + scorer.partial(levels[sl], ia[sl]).sum(axis=1))
    above = prob >= settings.threshold
    vetoes = {c.name: int(((hits >> np.uint8(r)) & 1)[above].sum())
              for r, c in enumerate(profile.constraints)}
    labels, cstats = cluster(n, ia, ib, prob, forbid, scorer.score, settings.threshold,
                             settings.cohesion, settings.max_component)
    cluster_ids = np.array([f"{profile.register_type}:{r}" for r in rids[labels]], dtype=object)
    pairs = _duplicate_pairs(profile, scorer, rids, labels, cluster_ids, ia, ib, rules)
    clusters = _clusters_table(rids, cluster_ids, pairs)
    S.save(state_dir, profile.register_type, version,
           S.TypeState(rids, fps, keys, ia, ib, rules, levels))
    sizes = np.bincount(labels, minlength=n)
    sizes = sizes[sizes > 0]
    summary = {
        "records": n, "duplicate_record_ids_ignored": dup_ids, **info,
        "candidate_pairs": int(len(ia)), "pairs_kept": cstats["edges"],
        "duplicate_pairs": pairs.num_rows, "clusters": int(len(sizes)),
        "multi_record_clusters": int((sizes > 1).sum()), "largest_cluster": int(sizes.max()),
        "clusters_flagged": int(pc.sum(clusters.column("needs_review")).as_py() or 0)
        and len(set(pc.filter(clusters.column("cluster_id"),
                              clusters.column("needs_review")).to_pylist())),
        "records_in_duplicate_clusters": int(sizes[sizes > 1].sum()),
        "vetoed_by_rule": vetoes, "split_components": cstats["split_components"],
        "recut_components": cstats["recut_components"],
        "blocking": [asdict(s) for s in bstats],
        "model": params.as_dict(profile.comparisons),
        "time_s": round(time.perf_counter() - started, 3),
        "time_pairs_s": round(t_pairs - started, 3),
    }
    return TypeResult(clusters, pairs, summary)


def _clusters_table(rids: np.ndarray, cluster_ids: np.ndarray, pairs: pa.Table) -> pa.Table:
    """clusters.parquet rows; a cluster with a contradicting pair is flagged, with the
    comparisons that contradict (the pairs say which records)."""
    reasons: dict[str, set] = {}
    for cid, why in zip(pairs.column("cluster_id").to_pylist(),
                        pairs.column("contradicts").to_pylist()):
        if why:
            reasons.setdefault(cid, set()).update(why.split(","))
    reason = [",".join(sorted(reasons[c])) if c in reasons else None for c in cluster_ids]
    return pa.table({"record_id": pa.array(rids.tolist(), pa.string()),
                     "cluster_id": pa.array(cluster_ids.tolist(), pa.string()),
                     "needs_review": pa.array([r is not None for r in reason], pa.bool_()),
                     "review_reason": pa.array(reason, pa.string())}, schema=CLUSTERS_SCHEMA)


def _duplicate_pairs(profile: Profile, scorer: Scorer, rids: np.ndarray, labels: np.ndarray,
                     cluster_ids: np.ndarray, ia: np.ndarray, ib: np.ndarray,
                     rules: np.ndarray) -> pa.Table:
    """Every pair of records inside one cluster, with its score and evidence."""
    order = np.argsort(labels, kind="stable")
    lab = labels[order]
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
    sizes = np.diff(np.r_[starts, len(lab)])
    multi = sizes > 1
    a, b = pairs_in_blocks(order, starts[multi], sizes[multi])
    srt = np.lexsort((b, a))
    a, b = a[srt], b[srt]
    lv = scorer.levels(a, b)
    part = scorer.partial(lv, a)
    w = scorer.prior + part.sum(axis=1)
    n = np.int64(len(rids))
    cand_code = ia.astype(np.int64) * n + ib
    code = a.astype(np.int64) * n + b
    pos = np.clip(np.searchsorted(cand_code, code), 0, max(len(cand_code) - 1, 0))
    hit = (cand_code[pos] == code) if len(cand_code) else np.zeros(len(code), bool)
    names = [r.name for r in profile.blocking]
    found = [",".join(nm for r, nm in enumerate(names) if m >> r & 1) if h else "cluster"
             for h, m in zip(hit, rules[pos] if len(rules) else np.zeros(len(code), np.uint8))]
    return pairs_table(profile.register_type, profile.comparisons, rids[a], rids[b],
                       cluster_ids[a], probability(w), w, found, lv, part,
                       contradictions(profile.comparisons, profile.contradictions, lv))


def run_dedup(out: Path, settings: DedupSettings = DedupSettings(), full: bool = False) -> dict:
    """Deduplicate every register type under OUT/records; write OUT/dedup outputs.

    Args:
        out: the output folder (must hold records/).
        settings: thresholds and sizes.
        full: ignore saved state and compare everything afresh.
    Returns:
        The summary (also written to OUT/dedup/summary.json).
    Raises:
        RecordsError (a BadInputError): OUT/records is missing, holds no records, or a
            record file cannot be read (named, with the reason).
    """
    started = time.perf_counter()
    out = Path(out)
    # every record file readable, and records among them: dedup of nothing is an error
    # (a layout we could not see must never pass as "no duplicates, nothing changed")
    require_records(out)
    ddir = dedup_dir(out)
    state_dir = ddir / "state"
    manifest = {"files": S.volume_manifest(out), "settings": asdict(settings),
                "profiles": {t: p.version() for t, p in PROFILES.items()}, "format": STATE_FORMAT}
    saved = S.read_json(state_dir / "manifest.json")
    outputs = [ddir / "clusters.parquet", ddir / "pairs.parquet", ddir / "summary.json"]
    if not full and saved and saved.get("manifest") == manifest and all(p.exists() for p in outputs):
        summary = S.read_json(ddir / "summary.json") or saved["summary"]
        by_type = {t: dict(s, compared_pairs=0, reused_pairs=s.get("candidate_pairs", 0),
                           new_or_changed_records=0, removed_records=0, time_s=0.0)
                   for t, s in summary.get("by_type", {}).items()}
        return dict(summary, by_type=by_type, unchanged=True,
                    time_s=round(time.perf_counter() - started, 3))
    results = {t: dedup_type(out, p, settings, state_dir, use_state=not full)
               for t, p in PROFILES.items()}
    clusters = pa.concat_tables([r.clusters for r in results.values()])
    pairs = pa.concat_tables([r.pairs for r in results.values()])
    write_parquet_atomic(clusters, ddir / "clusters.parquet")
    write_parquet_atomic(pairs, ddir / "pairs.parquet")
    per_type = {t: r.summary for t, r in results.items()}
    summary = {
        "records": sum(s["records"] for s in per_type.values()),
        "candidate_pairs": sum(s["candidate_pairs"] for s in per_type.values()),
        "pairs_kept": sum(s["pairs_kept"] for s in per_type.values()),
        "duplicate_pairs": pairs.num_rows,
        "clusters": sum(s["clusters"] for s in per_type.values()),
        "multi_record_clusters": sum(s["multi_record_clusters"] for s in per_type.values()),
        "unchanged": False,
        "time_s": round(time.perf_counter() - started, 3),
        "by_type": per_type,
        "settings": asdict(settings),
    }
    S.write_json_atomic(summary, ddir / "summary.json")
    S.write_json_atomic({"manifest": manifest, "summary": summary}, state_dir / "manifest.json")
    return summary


def summary_lines(summary: dict) -> list[str]:
    """A short human-readable account of a summary (the CLI prints it)."""
    lines = []
    if summary.get("unchanged"):
        lines.append("nothing changed since the last run: outputs kept")
    for t, s in summary.get("by_type", {}).items():
        if not s.get("records"):
            continue
        lines.append(f"{t}: {s['records']} records, {s['candidate_pairs']} candidate pairs "
                     f"({s.get('compared_pairs', 0)} compared now, {s.get('reused_pairs', 0)} "
                     f"reused), {s['pairs_kept']} kept, {s['duplicate_pairs']} duplicate pairs, "
                     f"{s['clusters']} clusters ({s['multi_record_clusters']} with duplicates), "
                     f"{s['time_s']} s")
    lines.append(f"total: {summary['records']} records, {summary['clusters']} clusters, "
                 f"{summary['duplicate_pairs']} duplicate pairs, {summary['time_s']} s")
    return lines
