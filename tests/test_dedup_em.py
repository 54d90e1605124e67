"""EM's two classes must be "same event" and "not": a "duplicate" class holding more pairs
than the records could form is refused and EM restarts from stricter agreement."""
from __future__ import annotations

import numpy as np

from pipeline.dedup.profiles import BIRTH
from pipeline.dedup.run import DedupSettings, _estimate


def _levels(n_pairs: int, n_dups: int, seed: int = 3) -> np.ndarray:
    """Candidates of a large set: most agree at the best level on three quarters of the
    comparisons (strangers blocked together on common values) and differ on the rest; the
    duplicates agree on every comparison."""
    rng = np.random.default_rng(seed)
    K = len(BIRTH.comparisons)
    n_levels = np.array([len(c.levels) for c in BIRTH.comparisons])
    lv = np.zeros((n_pairs, K), np.int8)
    for i in range(n_dups, n_pairs):
        worse = rng.choice(K, size=K // 4, replace=False)
        lv[i, worse] = n_levels[worse] - 1  # each comparison's last level: "different"
    return lv


def test_a_duplicate_class_the_records_cannot_hold_is_refused():
    levels = _levels(20_000, 100)
    n_records = 1_000  # 20,000 candidates among 1,000 records: at most a few hundred duplicates
    p = _estimate(BIRTH, levels, DedupSettings(), n_records)
    assert p.lam * len(levels) <= n_records
    # the usual start alone takes the blocked strangers for duplicates
    loose = _estimate(BIRTH, levels, DedupSettings(), n_records=10**9)
    assert loose.lam * len(levels) > n_records
