"""Fellegi–Sunter match weights, estimated from the data by EM, with term-frequency adjustment.

Why this model. Each comparison k puts a pair at a level l (compare.py). With m_k[l] =
P(level l | same event) and u_k[l] = P(level l | different events), the match weight
log2(λ/(1-λ)) + Σ_k log2(m_k[l_k]/u_k[l_k]) is the log-odds that a pair is a duplicate under
conditional independence; 1/(1+2^-w) is the match probability (the pairs.parquet `score`).
It needs no labelled pairs (archives have none), every weight is explainable field by field to
an archivist (the evidence columns), and it is the reference approach (Splink).

How the parameters are estimated:
- m, u and λ by expectation–maximisation on the candidate pairs, both m and u free
  (Splink fixes u from random pairs instead). We score only candidate pairs, so the u that
  matters is u *among candidates*: blocking has already made non-matching candidates agree on
  the blocked fields (same date and surname, same parents...), and a u from random pairs would
  overrate exactly that agreement. EM on candidates learns it. Relatives picked out by a
  hard rule (profiles.CannotLink.untrained: a different given name or sex) are left out:
  twins agree on parents, date and place, and EM would otherwise learn a "same family" class
  instead of "same event". Other forbidden pairs stay in: without them too few
  non-duplicates would remain for EM to tell apart from damaged duplicates. (Keeping every
  forbidden pair in as a known non-duplicate, responsibility fixed at 0, was tried and
  measured worse on two development sets.) EM starts from the pairs themselves (those whose
  fields mostly agree exactly count as duplicates, `agreement_start`) and shrinks towards
  the comparisons' declared priors with a fixed number of pseudo-pairs (MAP-EM), so that a
  small output folder with a few dozen pairs still gets sane weights.
  All of it comes from the pairs alone, so a run that reuses saved pairs estimates exactly
  what a full run would.
- EM runs on distinct comparison vectors with their counts (a few thousand patterns for
  millions of pairs), so it costs milliseconds; it is deterministic for the same pairs, which
  incremental runs rely on.
- Missing values (level -1) contribute nothing (weight 0), in EM and in scoring.
- Term frequencies: a common name agreeing means less than a rare one ("Nguyễn Văn Hùng" vs
  a rare given name). For comparisons with `tf_feature`, the exact-level weight gets
  log2(u_exact_random / f(value)) added, where f is the value's share among records and
  u_exact_random = Σ f² the chance two random records share a value: Splink's adjustment,
  clipped to ±`tf_clip` bits so one rare value cannot outvote everything else. (Centring it
  on the candidates' agreeing values instead, to match our candidate-conditional u, was
  tried and measured no better on the benchmark set.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.dedup.features import Features

_FLOOR = 1e-6


@dataclass(frozen=True)
class FSParams:
    """Estimated parameters.

    Attributes:
        lam: prior probability that a candidate pair is a duplicate.
        m, u: per comparison, per level: P(level | duplicate), P(level | not).
        iterations: EM iterations run; converged: whether the change fell below tolerance.
    """

    lam: float
    m: tuple[tuple[float, ...], ...]
    u: tuple[tuple[float, ...], ...]
    iterations: int
    converged: bool

    def weights(self) -> list[np.ndarray]:
        """log2(m/u) per comparison and level."""
        return [np.log2(np.maximum(np.array(m), _FLOOR) / np.maximum(np.array(u), _FLOOR))
                for m, u in zip(self.m, self.u)]

    def as_dict(self, comparisons) -> dict:
        return {"lambda": self.lam, "iterations": self.iterations, "converged": self.converged,
                "comparisons": {c.name: {lv: {"m": round(mm, 6), "u": round(uu, 6)}
                                         for lv, mm, uu in zip(c.levels, m, u)}
                                for c, m, u in zip(comparisons, self.m, self.u)}}


def patterns(levels: np.ndarray, n_levels: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct comparison vectors and their counts.

    Args:
        levels: (pairs, K) int8, -1 = null.
        n_levels: number of levels per comparison.
    Returns:
        (patterns (P, K) int8, counts (P,) int64).
    """
    if len(levels) == 0:
        return np.zeros((0, len(n_levels)), np.int8), np.zeros(0, np.int64)
    code = np.zeros(len(levels), dtype=np.int64)
    for k, n in enumerate(n_levels):
        code = code * (n + 1) + (levels[:, k].astype(np.int64) + 1)
    uniq, first, counts = np.unique(code, return_index=True, return_counts=True)
    return levels[first], counts


def agreement_start(pats: np.ndarray, share: float = 0.7) -> np.ndarray:
    """Starting responsibilities: 1 for patterns whose known comparisons mostly reach their
    best level (0), else 0. Starting EM from the data, not from a guessed λ, keeps the
    "duplicate" class on the agreeing side whatever the share of duplicates among the pairs
    (after hard rules remove the obvious non-duplicates, most candidates may be duplicates)."""
    known = (pats >= 0).sum(axis=1)
    top = (pats == 0).sum(axis=1)
    return (top >= share * np.maximum(known, 1)).astype(float)


def expectation_maximisation(pats: np.ndarray, counts: np.ndarray, prior_m: list[np.ndarray],
                             prior_u: list[np.ndarray], r0: np.ndarray,
                             prior_strength: float = 100.0, max_iter: int = 200,
                             tol: float = 1e-7) -> FSParams:
    """EM for the two-class mixture (duplicate / not) over comparison patterns.

    The M-step adds `prior_strength` pseudo-pairs distributed as the declared priors to each
    class (a Dirichlet prior, i.e. MAP-EM): a handful of pairs (a small OUT) then gives
    sensible weights, while hundreds of thousands of pairs are not moved by it.

    Args:
        pats: (P, K) distinct patterns (-1 = null); counts: how many pairs have each.
        prior_m, prior_u: per comparison, the prior level distributions.
        r0: starting responsibility per pattern (`agreement_start`); EM begins with an
            M-step from it.
        prior_strength: pseudo-pairs per class.
    Returns:
        FSParams. With no pairs: the priors and λ = 0.5.
    """
    K = pats.shape[1]
    pm = [np.asarray(x, dtype=float) / np.sum(x) for x in prior_m]
    pu = [np.asarray(x, dtype=float) / np.sum(x) for x in prior_u]
    c = counts.astype(float)
    r = np.asarray(r0, dtype=float)
    m, u, lam = [x.copy() for x in pm], [x.copy() for x in pu], 0.5
    it, converged = 0, False
    for it in range(1, max_iter + 1):
        # M-step (with the Dirichlet pseudo-pairs)
        new_lam = float(np.clip(((c * r).sum() + 1.0) / (c.sum() + 2.0), 1e-9, 1 - 1e-9))
        delta = abs(new_lam - lam)
        for k in range(K):
            col = pats[:, k]
            ok = col >= 0
            n = len(pm[k])
            wm = np.bincount(col[ok], weights=(c * r)[ok], minlength=n) + prior_strength * pm[k]
            wu = np.bincount(col[ok], weights=(c * (1 - r))[ok], minlength=n) \
                + prior_strength * pu[k]
            nm, nu = wm / wm.sum(), wu / wu.sum()
            delta = max(delta, float(np.abs(nm - m[k]).max()), float(np.abs(nu - u[k]).max()))
            m[k], u[k] = nm, nu
        lam = new_lam
        if delta < tol and it > 1:
            converged = True
            break
        # E-step
        logit = np.full(len(pats), np.log(lam) - np.log1p(-lam))
        for k in range(K):
            col = pats[:, k]
            ok = col >= 0
            logit[ok] += np.log(m[k][col[ok]]) - np.log(u[k][col[ok]])
        r = 1.0 / (1.0 + np.exp(-np.clip(logit, -700, 700)))
    return FSParams(lam, tuple(tuple(map(float, x)) for x in m),
                    tuple(tuple(map(float, x)) for x in u), it, converged)


@dataclass(frozen=True)
class TermFrequencies:
    """Per comparison with a tf feature: the adjustment (bits) per value code."""

    adjust: dict[int, np.ndarray]  # comparison index -> per-code adjustment


def term_frequencies(feats: Features, comparisons, clip: float) -> TermFrequencies:
    """Splink-style tf adjustment for each comparison that asks for one (see module doc)."""
    adjust = {}
    for k, c in enumerate(comparisons):
        name = c.tf_feature
        if name is None:
            continue
        enc = feats.encoded(name)
        codes = enc.codes[enc.codes >= 0]
        if len(codes) == 0:
            continue
        f = np.bincount(codes, minlength=len(enc.values)) / len(codes)
        u_random = float((f ** 2).sum())
        adj = np.log2(u_random / np.maximum(f, 1.0 / len(codes)))
        adjust[k] = np.clip(adj, -clip, clip)
    return TermFrequencies(adjust)


def match_weights(levels: np.ndarray, params: FSParams, tf: TermFrequencies,
                  comparisons, feats: Features, ia: np.ndarray) -> np.ndarray:
    """Per-comparison partial weights (pairs, K) float32: 0 for null levels, tf at exact."""
    w = params.weights()
    out = np.zeros(levels.shape, dtype=np.float32)
    for k in range(levels.shape[1]):
        col = levels[:, k]
        ok = col >= 0
        out[ok, k] = w[k][col[ok]]
        if k in tf.adjust:
            ex = col == 0
            codes = feats.encoded(comparisons[k].tf_feature).codes[ia[ex]]
            out[ex, k] += tf.adjust[k][codes]
    return out


def prior_weight(params: FSParams) -> float:
    return float(np.log2(params.lam / (1 - params.lam)))


def probability(total_weight: np.ndarray) -> np.ndarray:
    """Match probability from the total match weight (bits)."""
    return 1.0 / (1.0 + np.exp2(-np.clip(total_weight.astype(np.float64), -60, 60)))
