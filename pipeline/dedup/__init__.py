"""Duplicate records across volumes (`hotich dedup OUT`).

    fold.py      diacritic-free keys, name parts, canonical places, reduced-precision dates
    features.py  per-record encoded features (computed once per distinct value)
    blocking.py  blocking rules -> candidate pairs (capped blocks, chunked tasks)
    compare.py   declared comparisons with documented levels (rapidfuzz, vectorised)
    profiles.py  per register type: identity fields, comparisons, blocking rules, hard rules
    model.py     Fellegi-Sunter weights by EM, term-frequency adjustment
    cluster.py   edges -> clusters without chaining strangers (cohesion, hard rules)
    state.py     what OUT/dedup/state keeps for incremental reruns
    evidence.py  the pairs.parquet schema
    run.py       the runner: run_dedup(OUT) -> summary
"""
from pipeline.dedup.run import DedupSettings, run_dedup

__all__ = ["DedupSettings", "run_dedup"]
