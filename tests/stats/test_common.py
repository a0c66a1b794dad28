"""The shared bootstrap engine: hand-derived cases, scipy as the peer, and seeded coverage."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from evalkit.stats._common import (
    bootstrap_interval,
    check_choice,
    check_confidence_level,
    check_n_resamples,
    compress_units,
    resample_sums,
)


def test_compress_units_counts_distinct_rows() -> None:
    u = compress_units(np.array([[1, 0], [0, 1], [1, 0], [1, 0]]))
    # rows sorted lexicographically: [0,1] once, [1,0] three times
    assert u.rows.tolist() == [[0, 1], [1, 0]]
    assert u.counts.tolist() == [1, 3]
    assert u.total().tolist() == [3, 1]


def test_resample_sums_preserve_unit_count() -> None:
    u = compress_units(np.r_[np.ones(7), np.zeros(3)])
    rng = np.random.default_rng(0)
    s = resample_sums(u, 500, rng)
    # the "ones" column of a resample of 10 units is Binomial(10, 0.7): mean 7
    assert s.shape == (500, 1)
    assert abs(s.mean() - 7) < 0.2


def test_bootstrap_is_reproducible_with_seed() -> None:
    u = compress_units(np.r_[np.ones(20), np.zeros(30)])
    f = lambda s: s[:, 0] / 50  # noqa: E731
    a = bootstrap_interval(f, u, rng=7)
    b = bootstrap_interval(f, u, rng=7)
    assert a.confidence_interval == b.confidence_interval


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_bootstrap_matches_scipy_bootstrap_on_a_mean(method: str) -> None:
    rng = np.random.default_rng(3)
    x = rng.binomial(1, 0.3, size=400).astype(float)
    ours = bootstrap_interval(
        lambda s: s[:, 0] / x.size, compress_units(x), n_resamples=20000, method=method, rng=1
    )
    # random_state, not rng: scipy >= 1.12 is declared, and `rng=` arrived in scipy 1.15
    ref = stats.bootstrap(
        (x,), np.mean, n_resamples=20000, method=method, random_state=np.random.default_rng(2)
    )
    np.testing.assert_allclose(ours.confidence_interval, tuple(ref.confidence_interval), atol=0.006)
    np.testing.assert_allclose(ours.standard_error, ref.standard_error, rtol=0.05)


def test_two_independent_samples() -> None:
    # difference of two proportions: se ~ sqrt(p1 q1/n1 + p2 q2/n2)
    a = compress_units(np.r_[np.ones(60), np.zeros(40)])
    b = compress_units(np.r_[np.ones(30), np.zeros(70)])
    res = bootstrap_interval(
        lambda s, t: s[:, 0] / 100 - t[:, 0] / 100, a, b, rng=0, n_resamples=20000
    )
    expected = np.sqrt(0.6 * 0.4 / 100 + 0.3 * 0.7 / 100)
    assert res.standard_error == pytest.approx(expected, rel=0.05)


@pytest.mark.slow
def test_bca_coverage_of_a_proportion() -> None:
    rng = np.random.default_rng(11)
    hits, reps, p = 0, 400, 0.3
    for _ in range(reps):
        x = rng.binomial(1, p, size=200).astype(float)
        ci = bootstrap_interval(
            lambda s: s[:, 0] / 200, compress_units(x), rng=rng, n_resamples=1000
        ).confidence_interval
        hits += ci.low <= p <= ci.high
    assert abs(hits / reps - 0.95) < 0.03


def test_validation_messages() -> None:
    with pytest.raises(ValueError, match=r"`confidence_level` must be in \(0, 1\); got 1.5"):
        check_confidence_level(1.5)
    with pytest.raises(TypeError, match="`confidence_level` must be a number"):
        check_confidence_level("high")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`n_resamples` must be a positive integer; got 0"):
        check_n_resamples(0)
    with pytest.raises(TypeError, match="`n_resamples` must be a positive integer"):
        check_n_resamples(2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`method` must be one of 'a', 'b'; got 'c'"):
        check_choice("method", "c", ("a", "b"))
    with pytest.raises(ValueError, match="`method` must be one of 'bca'"):
        bootstrap_interval(lambda s: s[:, 0], compress_units([1.0]), method="bogus")  # type: ignore[arg-type]
