"""Spot-check statistics: how many unflagged records to check, and what the checks say.

The question a spot check answers: of the records hotich did NOT flag, what fraction is wrong
(the silent-error rate)? We draw a simple random sample without replacement from a volume's
unflagged records, the archivist judges each one right or wrong, and we report the proportion
wrong with a 95% Wilson score interval.

Sample size (documented formula, normal approximation for a proportion):

    n0 = ceil( z^2 * p * (1 - p) / E^2 )          z = 1.96 for 95%
                                                  p = planning (expected) error rate
                                                  E = wanted half-width of the interval
    n  = ceil( n0 * N / (n0 + N - 1) )            finite-population correction, N = unflagged
                                                  records in the volume; so n <= N always

With the defaults (E = 0.02, p = 0.03) n0 = 280; a volume with 400 unflagged records needs
165 checks, one with 40 needs 36.

Interval: Wilson score interval (Wilson 1927), which unlike the Wald interval stays inside
[0, 1] and is sensible with 0 errors found:

    centre = (k + z^2/2) / (n + z^2),  half = z / (n + z^2) * sqrt(k (n - k) / n + z^2 / 4)
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from statistics import NormalDist
from typing import Sequence


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile: 1.959964 for confidence 0.95.

    Raises:
        ValueError: confidence not strictly between 0 and 1.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def sample_size(population: int, precision: float = 0.02, expected_rate: float = 0.03,
                confidence: float = 0.95) -> int:
    """How many of `population` unflagged records to check (formula in the module docstring).

    Args:
        population: N, the number of unflagged records in the volume.
        precision: E, the wanted half-width of the confidence interval (0.02 = ±2 points).
        expected_rate: p, the planning error rate (a prior guess; 0.5 is the worst case).
        confidence: the interval's confidence level.

    Returns:
        n with 0 <= n <= population.

    Raises:
        ValueError: a parameter is out of range.
    """
    if population < 0:
        raise ValueError("population must be >= 0")
    if not 0 < precision < 1 or not 0 < expected_rate < 1:
        raise ValueError("precision and expected_rate must be in (0, 1)")
    if population == 0:
        return 0
    z = z_value(confidence)
    n0 = math.ceil(z * z * expected_rate * (1 - expected_rate) / (precision * precision))
    return min(population, math.ceil(n0 * population / (n0 + population - 1)))


@dataclass(frozen=True)
class Estimate:
    """An estimated error rate with its confidence interval.

    Attributes:
        judged: records judged so far (n).
        wrong: records judged wrong (k).
        rate: k / n (None before any judgement).
        low, high: the Wilson interval bounds (None before any judgement).
        confidence: the interval's level (0.95).
    """

    judged: int
    wrong: int
    rate: float | None
    low: float | None
    high: float | None
    confidence: float = 0.95


def wilson_interval(wrong: int, judged: int, confidence: float = 0.95) -> Estimate:
    """The Wilson score interval for `wrong` errors in `judged` checks.

    Raises:
        ValueError: counts out of range.
    """
    if judged < 0 or not 0 <= wrong <= judged:
        raise ValueError(f"need 0 <= wrong <= judged, got {wrong}/{judged}")
    if judged == 0:
        return Estimate(0, 0, None, None, None, confidence)
    z = z_value(confidence)
    z2 = z * z
    centre = (wrong + z2 / 2) / (judged + z2)
    half = z / (judged + z2) * math.sqrt(wrong * (judged - wrong) / judged + z2 / 4)
    return Estimate(judged, wrong, wrong / judged, max(0.0, centre - half),
                    min(1.0, centre + half), confidence)


def draw_sample(record_ids: Sequence[str], size: int, seed: int) -> list[str]:
    """A simple random sample without replacement, reproducible from `seed`.

    The population is sorted first so that the same seed and records give the same sample
    whatever order the index returned them in.
    """
    pop = sorted(record_ids)
    return random.Random(seed).sample(pop, min(size, len(pop)))


def can_sign_off(estimate: Estimate, sample_size_: int, limit: float) -> bool:
    """A volume may be signed off when the whole sample is judged and the interval's upper
    bound is under `limit` (judging only part of it and stopping when it looks good would
    bias the bound)."""
    return (sample_size_ > 0 and estimate.judged >= sample_size_ and estimate.high is not None
            and estimate.high < limit)
