"""Pairs above the threshold -> clusters, without chaining strangers together.

Connected components alone chain: A~B and B~C put A and C together even when A and C are
plainly different people (two namesakes each resembling one damaged record). So:
1. edges are the pairs with probability >= `threshold` that no hard rule forbids;
2. components of two records are clusters as they are;
3. in a larger component every pair is scored (the candidates lack some), and the component
   is re-grouped by average linkage: two groups join only when the mean match probability
   between their members is >= `cohesion` and no pair across them is forbidden by a hard
   rule (different sex, twins, same book...). Weak chains therefore split.
Components larger than `max_component` are first cut by raising the edge threshold (a
component that big is a chain, never one event).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from pipeline.dedup.blocking import pairs_in_blocks

ScoreFn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def connected_components(n: int, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Label per node (the smallest node index of its component), by min-label propagation
    with pointer jumping; vectorised, a handful of passes for register-sized graphs."""
    labels = np.arange(n, dtype=np.int64)
    if len(ia) == 0:
        return labels
    a, b = ia.astype(np.int64), ib.astype(np.int64)
    while True:
        la, lb = labels[a], labels[b]
        low = np.minimum(la, lb)
        before = labels.copy()
        np.minimum.at(labels, a, low)
        np.minimum.at(labels, b, low)
        np.minimum.at(labels, la, low)
        np.minimum.at(labels, lb, low)
        while True:  # pointer jumping: follow labels to their roots
            nxt = labels[labels]
            if np.array_equal(nxt, labels):
                break
            labels = nxt
        if np.array_equal(labels, before):
            return labels


def _groups(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order, starts, sizes) of the nodes grouped by label."""
    order = np.argsort(labels, kind="stable")
    lab = labels[order]
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
    sizes = np.diff(np.r_[starts, len(lab)])
    return order, starts, sizes


def average_linkage(prob: np.ndarray, forbid: np.ndarray, cohesion: float) -> np.ndarray:
    """Group k records given their k x k match probabilities and forbidden pairs.

    Returns:
        A group number per record (0..), groups numbered by their first record.
    """
    k = len(prob)
    members = [[i] for i in range(k)]
    s = prob.astype(np.float64).copy()
    f = forbid.copy()
    np.fill_diagonal(s, -1.0)
    alive = np.ones(k, dtype=bool)
    while True:
        cand = np.where(f | ~alive[None, :] | ~alive[:, None], -1.0, s)
        i, j = np.unravel_index(int(np.argmax(cand)), cand.shape)
        if cand[i, j] < cohesion:
            break
        i, j = min(i, j), max(i, j)
        ni, nj = len(members[i]), len(members[j])
        s[i, :] = (ni * s[i, :] + nj * s[j, :]) / (ni + nj)
        s[:, i] = s[i, :]
        s[i, i] = -1.0
        f[i, :] |= f[j, :]
        f[:, i] = f[i, :]
        members[i] += members[j]
        members[j] = []
        alive[j] = False
    out = np.empty(k, dtype=np.int64)
    g = 0
    for i in range(k):
        if members[i]:
            out[members[i]] = g
            g += 1
    return out


def cluster(n: int, ia: np.ndarray, ib: np.ndarray, prob: np.ndarray, forbid: np.ndarray,
            score: ScoreFn, threshold: float, cohesion: float,
            max_component: int = 300) -> tuple[np.ndarray, dict]:
    """Cluster labels for n records from scored candidate pairs.

    Args:
        ia, ib, prob, forbid: the candidate pairs, their probabilities and hard-rule vetoes.
        score: (ia, ib) -> (prob, forbid) for any pairs (used inside large components).
        threshold: edge threshold; cohesion: average-linkage join threshold.
    Returns:
        (label per record: the smallest record index of its cluster, stats).
    """
    edge = (prob >= threshold) & ~forbid
    ea, eb, ep = ia[edge], ib[edge], prob[edge]
    labels = connected_components(n, ea, eb)
    stats = {"edges": int(edge.sum()), "vetoed_edges": int(((prob >= threshold) & forbid).sum()),
             "split_components": 0, "recut_components": 0}
    order, starts, sizes = _groups(labels)
    big = sizes > max_component
    t = threshold
    while big.any():  # cut chains: raise the edge threshold inside oversized components
        stats["recut_components"] += int(big.sum())
        t = 1 - (1 - t) / 10
        inside = np.isin(labels[ea], labels[order[starts[big]]])
        keep = ~inside | (ep >= t)
        ea, eb, ep = ea[keep], eb[keep], ep[keep]
        labels = connected_components(n, ea, eb)
        order, starts, sizes = _groups(labels)
        big = sizes > max_component
        if t > 1 - 1e-12:
            break
    multi = sizes > 2
    if not multi.any():
        return labels, stats
    # score every pair inside each component of 3+ records, then regroup each component
    pa_, pb_ = pairs_in_blocks(order, starts[multi], sizes[multi])
    pp, pf = score(pa_, pb_)
    new = labels.copy()
    comp_of_pair = labels[pa_]
    srt = np.argsort(comp_of_pair, kind="stable")
    pa_, pb_, pp, pf, comp_of_pair = pa_[srt], pb_[srt], pp[srt], pf[srt], comp_of_pair[srt]
    bounds = np.r_[0, np.flatnonzero(comp_of_pair[1:] != comp_of_pair[:-1]) + 1, len(pa_)]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        nodes = np.unique(np.r_[pa_[lo:hi], pb_[lo:hi]])
        pos = {int(x): i for i, x in enumerate(nodes)}
        k = len(nodes)
        P = np.zeros((k, k))
        Fb = np.zeros((k, k), dtype=bool)
        ai = np.array([pos[int(x)] for x in pa_[lo:hi]])
        bi = np.array([pos[int(x)] for x in pb_[lo:hi]])
        P[ai, bi] = P[bi, ai] = pp[lo:hi]
        Fb[ai, bi] = Fb[bi, ai] = pf[lo:hi]
        groups = average_linkage(P, Fb, cohesion)
        if groups.max() > 0:
            stats["split_components"] += 1
        for g in range(groups.max() + 1):
            sel = nodes[groups == g]
            new[sel] = sel.min()
    return new, stats
