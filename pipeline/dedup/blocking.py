"""Candidate pairs: records that share a blocking key under at least one rule.

Several complementary rules (profiles.py) so that damage to one field does not hide a pair:
a pair found by any rule is a candidate. Keys are stable uint64 hashes of folded features
(features.Features.key), so the same records give the same blocks in every run.

Blocks larger than `cap` are skipped and counted: a key shared by thousands of records (a
very common name in one year) says nothing, and its pairs would swamp the run; the other rules
still see those records. Pair generation is a pure function over a chunk of blocks
(`pairs_in_blocks`), so blocks can be farmed out as independent tasks.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pipeline.dedup.features import Features


@dataclass(frozen=True)
class BlockingRule:
    """Records agreeing on all `keys` (feature names, see features.py) are compared."""

    name: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Blocks:
    """The blocks of one rule with 2..cap members.

    Attributes:
        order: record indices sorted by key.
        starts, sizes: each block's slice of `order`.
    """

    order: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray


@dataclass(frozen=True)
class BlockStats:
    """What one rule's blocking did (reported in the summary)."""

    rule: str
    records_with_key: int
    blocks: int
    largest: int
    capped_blocks: int
    capped_records: int
    pairs: int


@dataclass(frozen=True)
class Candidates:
    """Candidate pairs, `ia < ib` (indices into the sorted records), sorted, each once.

    Attributes:
        ia, ib: int32 record indices.
        rules: uint8 bitmask of the rules (by position) that proposed the pair.
    """

    ia: np.ndarray
    ib: np.ndarray
    rules: np.ndarray

    def __len__(self) -> int:
        return len(self.ia)

    @staticmethod
    def empty() -> "Candidates":
        return Candidates(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.uint8))


def make_blocks(keys: np.ndarray, cap: int) -> tuple[Blocks, BlockStats]:
    """Group records by key (0 = no key), keeping blocks of 2..cap records."""
    idx = np.flatnonzero(keys != 0)
    order = idx[np.argsort(keys[idx], kind="stable")]
    k = keys[order]
    if len(k) == 0:
        z = np.zeros(0, np.int64)
        return Blocks(order, z, z), BlockStats("", 0, 0, 0, 0, 0, 0)
    bounds = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    sizes = np.diff(np.r_[bounds, len(k)])
    big = sizes > cap
    keep = (sizes >= 2) & ~big
    starts, sizes_kept = bounds[keep], sizes[keep]
    stats = BlockStats("", int(len(idx)), int(keep.sum()), int(sizes.max()),
                       int(big.sum()), int(sizes[big].sum()),
                       int((sizes_kept * (sizes_kept - 1) // 2).sum()))
    return Blocks(order, starts, sizes_kept), stats


def pairs_in_blocks(order: np.ndarray, starts: np.ndarray,
                    sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair inside each block (i < j), vectorised; a task over a chunk of blocks.

    Returns:
        (ia, ib) record indices with ia < ib.
    """
    s = sizes.astype(np.int64)
    if len(s) == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    first = np.cumsum(s) - s
    pos = np.arange(s.sum()) - np.repeat(first, s)          # position inside its block
    elem = np.repeat(starts, s) + pos                        # index into order
    partners = np.repeat(s, s) - 1 - pos                     # members after it
    left = np.repeat(elem, partners)
    step = np.arange(partners.sum()) - np.repeat(np.cumsum(partners) - partners, partners) + 1
    a, b = order[left], order[left + step]
    return np.minimum(a, b).astype(np.int32), np.maximum(a, b).astype(np.int32)


def _chunks(sizes: np.ndarray, max_pairs: int):
    """Consecutive block ranges whose pair counts add up to about `max_pairs`."""
    pairs = sizes.astype(np.int64) * (sizes - 1) // 2
    start, total = 0, 0
    for i, p in enumerate(pairs):
        total += p
        if total >= max_pairs:
            yield start, i + 1
            start, total = i + 1, 0
    if start < len(sizes):
        yield start, len(sizes)


def candidate_pairs(feats: Features, rules: tuple[BlockingRule, ...], cap: int,
                    dirty: list[np.ndarray] | None = None,
                    chunk_pairs: int = 2_000_000) -> tuple[Candidates, list[BlockStats]]:
    """Candidate pairs under all rules, deduplicated, with the rules that found each.

    Args:
        feats: the records' features.
        rules: the blocking rules (at most 8: the rule mask is a uint8).
        cap: the largest block compared.
        dirty: when given (one bool mask per rule), only pairs with at least one record
            dirty for that rule are produced (incremental runs: the rest are known).
        chunk_pairs: pairs generated per task (bounds memory).
    Returns:
        (candidates, per-rule stats).
    """
    if len(rules) > 8:
        raise ValueError("at most 8 blocking rules (uint8 rule mask)")
    codes, masks, stats = [], [], []
    n = np.int64(feats.n)
    for r, rule in enumerate(rules):
        blocks, st = make_blocks(feats.key(rule.keys), cap)
        stats.append(replace(st, rule=rule.name))
        starts, sizes = blocks.starts, blocks.sizes
        dmask = dirty[r] if dirty is not None else None
        if dmask is not None and len(sizes):
            # keep only blocks holding at least one dirty record
            d = dmask[blocks.order].astype(np.int64)
            csum = np.r_[0, np.cumsum(d)]
            has = csum[starts + sizes] - csum[starts] > 0
            starts, sizes = starts[has], sizes[has]
        for lo, hi in _chunks(sizes, chunk_pairs):
            ia, ib = pairs_in_blocks(blocks.order, starts[lo:hi], sizes[lo:hi])
            if dmask is not None:
                keep = dmask[ia] | dmask[ib]
                ia, ib = ia[keep], ib[keep]
            codes.append(ia.astype(np.int64) * n + ib)
            masks.append(np.full(len(ia), 1 << r, dtype=np.uint8))
    if not codes or sum(len(c) for c in codes) == 0:
        return Candidates.empty(), stats
    code = np.concatenate(codes)
    mask = np.concatenate(masks)
    srt = np.argsort(code, kind="stable")
    code, mask = code[srt], mask[srt]
    first = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    merged = np.bitwise_or.reduceat(mask, first)
    code = code[first]
    return Candidates((code // n).astype(np.int32), (code % n).astype(np.int32), merged), stats


def block_sizes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct non-zero keys sorted, their record counts)."""
    k = keys[keys != 0]
    return np.unique(k, return_counts=True)


def size_of(keys: np.ndarray, table: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The block size of each key under a `block_sizes` table (0 when absent)."""
    uk, cnt = table
    if len(uk) == 0:
        return np.zeros(len(keys), dtype=np.int64)
    pos = np.clip(np.searchsorted(uk, keys), 0, len(uk) - 1)
    return np.where((uk[pos] == keys) & (keys != 0), cnt[pos], 0)
