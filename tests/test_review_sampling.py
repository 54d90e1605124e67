"""Spot-check maths: sample size formula, Wilson interval, sampling, sign-off rule."""
import math

import pytest

from pipeline.review import sampling


def test_sample_size_formula_defaults():
    # n0 = ceil(1.96^2 * 0.03 * 0.97 / 0.02^2) = ceil(279.5) = 280
    z = sampling.z_value(0.95)
    assert z == pytest.approx(1.959964, abs=1e-6)
    n0 = math.ceil(z * z * 0.03 * 0.97 / 0.0004)
    assert n0 == 280
    # A huge volume needs ~n0; the finite-population correction shrinks small ones.
    assert sampling.sample_size(10**7) == 280
    assert sampling.sample_size(400) == math.ceil(280 * 400 / (280 + 399)) == 165
    assert sampling.sample_size(40) == math.ceil(280 * 40 / 319) == 36
    assert sampling.sample_size(1) == 1
    assert sampling.sample_size(0) == 0


def test_sample_size_worst_case_and_bounds():
    # p = 0.5, E = 0.02: the textbook 2401.
    assert sampling.sample_size(10**9, precision=0.02, expected_rate=0.5) == 2401
    for n in (1, 5, 50, 500, 5000):
        assert 0 < sampling.sample_size(n) <= n
    with pytest.raises(ValueError):
        sampling.sample_size(10, precision=0)
    with pytest.raises(ValueError):
        sampling.sample_size(-1)


def test_wilson_known_values():
    e = sampling.wilson_interval(0, 10)
    assert e.rate == 0 and e.low == pytest.approx(0, abs=1e-12)
    assert e.high == pytest.approx(0.2775, abs=1e-4)
    e = sampling.wilson_interval(5, 10)
    assert (e.low, e.high) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    e = sampling.wilson_interval(2, 165)
    assert e.low < 2 / 165 < e.high < 0.05
    assert sampling.wilson_interval(0, 0).high is None
    with pytest.raises(ValueError):
        sampling.wilson_interval(3, 2)


def test_wilson_covers_the_truth_about_95_percent():
    import random

    rng = random.Random(3)
    p, n, hits, trials = 0.04, 150, 0, 2000
    for _ in range(trials):
        k = sum(rng.random() < p for _ in range(n))
        e = sampling.wilson_interval(k, n)
        hits += e.low <= p <= e.high
    assert 0.92 <= hits / trials <= 0.985


def test_draw_sample_is_reproducible_and_without_replacement():
    ids = [f"V:0001:{i:02d}" for i in range(60)]
    a = sampling.draw_sample(ids, 20, seed=42)
    b = sampling.draw_sample(list(reversed(ids)), 20, seed=42)
    assert a == b and len(set(a)) == 20 and set(a) <= set(ids)
    assert sampling.draw_sample(ids, 20, seed=43) != a
    assert sorted(sampling.draw_sample(ids, 100, seed=1)) == sorted(ids)


def test_sign_off_needs_whole_sample_and_upper_bound_under_limit():
    good = sampling.wilson_interval(0, 100)  # upper ~3.7%
    assert sampling.can_sign_off(good, 100, 0.05)
    assert not sampling.can_sign_off(good, 120, 0.05)  # 20 items not judged yet
    assert not sampling.can_sign_off(good, 100, 0.03)
    bad = sampling.wilson_interval(6, 100)
    assert not sampling.can_sign_off(bad, 100, 0.05)
