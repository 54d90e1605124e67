"""The pairs.parquet schema: each duplicate pair with the evidence the review page shows.

Columns:
    record_id_a, record_id_b   the pair (a < b)
    register_type              birth | death | marriage
    cluster_id                 the cluster both records are in (clusters.parquet)
    score                      match probability 0..1 (Fellegi–Sunter, model.py)
    match_weight               total match weight in bits (log2 odds), prior included
    found_by                   blocking rules that proposed the pair, comma separated;
                               "cluster" when it was scored only inside a cluster
    contradicts                comparisons on which the two records plainly disagree (level
                               "different", both values known), comma separated: two
                               mothers, two birth dates...; null when none. Clusters holding
                               such a pair are flagged (clusters.parquet needs_review)
    <comparison>_level         per comparison: the level reached (exact, diacritics,
                               ocr_close, similar, partial, typo, near, different, agree...;
                               "missing" when either side lacks the value; null when the
                               comparison is not one of this register type's)
    <comparison>_weight        that comparison's partial match weight in bits (term
                               frequency adjustment included); 0 when missing
The comparisons are the union over register types (profiles.py), in declaration order.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from pipeline.dedup.profiles import PROFILES
from schemas.arrow import SCHEMA_VERSION


def _union_names() -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for p in PROFILES.values():
        for c in p.comparisons:
            seen.setdefault(c.name, None)
    return tuple(seen)


COMPARISON_NAMES: tuple[str, ...] = _union_names()

PAIRS_SCHEMA = pa.schema(
    [pa.field("record_id_a", pa.string(), nullable=False),
     pa.field("record_id_b", pa.string(), nullable=False),
     pa.field("register_type", pa.string(), nullable=False),
     pa.field("cluster_id", pa.string(), nullable=False),
     pa.field("score", pa.float64(), nullable=False),
     pa.field("match_weight", pa.float32(), nullable=False),
     pa.field("found_by", pa.string()),
     pa.field("contradicts", pa.string())]
    + [f for n in COMPARISON_NAMES for f in (pa.field(f"{n}_level", pa.string()),
                                             pa.field(f"{n}_weight", pa.float32()))],
    metadata={b"hotich_schema_version": SCHEMA_VERSION.encode(), b"table": b"dedup_pairs"})


def contradictions(comparisons, names: tuple[str, ...], levels: np.ndarray) -> list:
    """Per pair: the comma-separated `names` whose comparison is at level "different"
    (None when none); missing values (level -1) never contradict."""
    hits = []
    for k, c in enumerate(comparisons):
        if c.name in names and "different" in c.levels:
            hits.append((c.name, levels[:, k] == c.levels.index("different")))
    out = [None] * len(levels)
    for i in np.flatnonzero(np.any([h for _, h in hits], axis=0)) if hits else []:
        out[i] = ",".join(n for n, h in hits if h[i])
    return out


def pairs_table(register_type: str, comparisons, rid_a: np.ndarray, rid_b: np.ndarray,
                cluster_ids: np.ndarray, score: np.ndarray, weight: np.ndarray,
                found_by: list, levels: np.ndarray, partial: np.ndarray,
                contradicts: list | None = None) -> pa.Table:
    """Build the pairs table of one register type.

    Args:
        rid_a, rid_b, cluster_ids: object arrays of strings; score, weight: per pair;
        found_by: strings; levels (pairs, K) int8 with -1 = missing; partial (pairs, K).
    """
    n = len(rid_a)
    cols = {"record_id_a": pa.array(rid_a.tolist(), pa.string()),
            "record_id_b": pa.array(rid_b.tolist(), pa.string()),
            "register_type": pa.array([register_type] * n, pa.string()),
            "cluster_id": pa.array(cluster_ids.tolist(), pa.string()),
            "score": pa.array(score.astype(np.float64)),
            "match_weight": pa.array(weight.astype(np.float32)),
            "found_by": pa.array(found_by, pa.string()),
            "contradicts": pa.array(contradicts or [None] * n, pa.string())}
    by_name = {c.name: (k, c) for k, c in enumerate(comparisons)}
    for name in COMPARISON_NAMES:
        if name in by_name:
            k, c = by_name[name]
            labels = np.array(list(c.levels) + ["missing"], dtype=object)
            lv = levels[:, k].astype(np.int64)
            cols[f"{name}_level"] = pa.array(labels[np.where(lv < 0, len(c.levels), lv)].tolist(),
                                             pa.string())
            cols[f"{name}_weight"] = pa.array(partial[:, k].astype(np.float32))
        else:
            cols[f"{name}_level"] = pa.nulls(n, pa.string())
            cols[f"{name}_weight"] = pa.nulls(n, pa.float32())
    return pa.Table.from_pydict(cols, schema=PAIRS_SCHEMA)
