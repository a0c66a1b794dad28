"""Acceptance of the paired statistics: published examples, hand derivations, statsmodels/scipy.

Published oracle: Cavo et al. (2012), complete response before/after consolidation therapy,
table [[59, 6], [16, 80]] (rows: before +/-, columns: after +/-), as analysed in Fagerland,
Lydersen & Laake (2017), "Statistical Analysis of Contingency Tables", chapter 8 (values as
printed by the book's R package `contingencytables`, whose test suite asserts them):
delta = pi_1+ - pi_+1 = (6 - 16)/161 = -0.0621;
Tango -0.1240 to -0.0054; Newcombe square-and-add -0.1186 to -0.0046; Wald -0.1184 to -0.0058;
McNemar exact conditional P = 0.052479, mid-P = 0.034690.
evalkit's delta is candidate - baseline, so with baseline = before the signs flip.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.multitest import multipletests

from evalkit.stats import (
    StatisticsInputError,
    adjust_pvalues,
    mcnemar_pvalue,
    paired_bootstrap_interval,
    paired_difference_interval,
    paired_proportion_difference,
    paired_t_interval,
)
from evalkit.stats._paired import tango_constrained_q

CAVO = (59, 6, 16, 80)  # n11 (both +), n10 (before + only), n01 (after + only), n00


@pytest.mark.parametrize(("method", "low", "high"), [
    ("tango", 0.0054, 0.1240),
    ("newcombe", 0.0046, 0.1186),
    ("wald", 0.0058, 0.1184),
])
def test_published_cavo_intervals(method: str, low: float, high: float) -> None:
    lo, hi = paired_difference_interval(*CAVO, method=method)  # type: ignore[arg-type]
    # published to 4 decimals
    assert float(lo) == pytest.approx(low, abs=5e-5)
    assert float(hi) == pytest.approx(high, abs=5e-5)


def test_published_cavo_mcnemar() -> None:
    assert float(mcnemar_pvalue(6, 16)) == pytest.approx(0.052479, abs=5e-7)
    assert float(mcnemar_pvalue(6, 16, mid_p=True)) == pytest.approx(0.034690, abs=5e-7)
    # symmetric in the discordant cells
    assert float(mcnemar_pvalue(16, 6)) == float(mcnemar_pvalue(6, 16))


def test_mcnemar_matches_statsmodels_on_seeded_tables() -> None:
    rng = np.random.default_rng(20261129)
    b = rng.integers(0, 60, size=300)
    c = rng.integers(0, 60, size=300)
    ours = mcnemar_pvalue(b, c)
    for i in range(300):
        ref = sm_mcnemar([[10, b[i]], [c[i], 10]], exact=True).pvalue
        assert ours[i] == pytest.approx(ref, rel=1e-12, abs=1e-15)


def test_mid_p_by_hand() -> None:
    # b=1, c=3, m=4: P(X<=1) = (1 + 4)/16 = 5/16; exact = 10/16; mid-p = 2*(5/16 - 4/32) = 6/16
    assert float(mcnemar_pvalue(1, 3)) == pytest.approx(10 / 16, abs=1e-15)
    assert float(mcnemar_pvalue(1, 3, mid_p=True)) == pytest.approx(6 / 16, abs=1e-15)
    assert float(mcnemar_pvalue(0, 0)) == 1.0


def test_tango_constrained_mle_matches_numerical_maximisation() -> None:
    # Constrained ML of the multinomial (n11, n10, n01, n00) under p01 - p10 = delta: profile
    # over (p10, p11) numerically and compare q = p10 with Tango's closed form.
    a, b, c, d = 12, 7, 15, 9
    n = a + b + c + d
    for delta in (-0.3, -0.05, 0.0, 0.1, 0.4):
        def negll(x: np.ndarray, delta: float = delta) -> float:
            p10, p11 = x
            p01 = p10 + delta
            p00 = 1 - p11 - p10 - p01
            if min(p10, p11, p01, p00) <= 0:
                return 1e12
            return -(a * np.log(p11) + b * np.log(p10) + c * np.log(p01) + d * np.log(p00))

        best = optimize.minimize(negll, x0=[max(0.05, -delta) + 0.05, 0.2], method="Nelder-Mead",
                                 options={"xatol": 1e-12, "fatol": 1e-12, "maxiter": 20000})
        q = float(tango_constrained_q(n, c, b, delta))
        assert q == pytest.approx(best.x[0], abs=1e-6)


def test_tango_limits_solve_the_score_equation() -> None:
    a, b, c, d = 30, 4, 11, 15
    n = a + b + c + d
    z = stats.norm.ppf(0.975)
    lo, hi = paired_difference_interval(a, b, c, d, method="tango")
    for limit, sign in ((float(lo), 1), (float(hi), -1)):
        q = float(tango_constrained_q(n, c, b, limit))
        score = (c - b - n * limit) / np.sqrt(n * (2 * q + limit * (1 - limit)))
        assert score == pytest.approx(sign * z, abs=1e-8)


def test_newcombe_by_hand() -> None:
    # a=3, b=1, c=0, d=1 (n=5): p_b = 4/5, p_c = 3/5, delta = -0.2; A = 3*1 - 0 = 3 > n/2 = 2.5
    # so phi = (3 - 2.5)/sqrt(4*1*3*2) = 0.5/sqrt(24). Wilson limits from scipy's binomtest.
    a, b, c, d = 3, 1, 0, 1
    w_b = stats.binomtest(4, 5).proportion_ci(method="wilson")
    w_c = stats.binomtest(3, 5).proportion_ci(method="wilson")
    phi = 0.5 / np.sqrt(24)
    dl, el = 0.6 - w_c.low, w_b.high - 0.8
    du, eu = w_c.high - 0.6, 0.8 - w_b.low
    low = -0.2 - np.sqrt(dl**2 + el**2 - 2 * phi * dl * el)
    high = -0.2 + np.sqrt(du**2 + eu**2 - 2 * phi * du * eu)
    lo, hi = paired_difference_interval(a, b, c, d, method="newcombe")
    assert float(lo) == pytest.approx(low, abs=1e-12)
    assert float(hi) == pytest.approx(high, abs=1e-12)


def test_intervals_are_vectorised_and_edge_cases_defined() -> None:
    tables = np.array([[0, 0, 0, 0], [5, 0, 0, 5], [0, 3, 0, 0], [0, 0, 10, 0]])
    for method in ("tango", "newcombe"):
        lo, hi = paired_difference_interval(*tables.T, method=method)  # type: ignore[arg-type]
        assert np.isnan(lo[0]) and np.isnan(hi[0])
        assert np.all(lo[1:] <= hi[1:])
        assert np.all((lo[1:] >= -1 - 1e-12) & (hi[1:] <= 1 + 1e-12))
        # every candidate lost the case (n10 = n): the difference is -1, inside the interval
        assert lo[2] == pytest.approx(-1.0, abs=1e-9)
        assert hi[3] == pytest.approx(1.0, abs=1e-9)
        # no discordant pair: the interval contains 0
        assert lo[1] < 0 < hi[1]


def test_interval_swaps_sign_with_the_runs() -> None:
    lo, hi = paired_difference_interval(20, 3, 9, 8)
    lo2, hi2 = paired_difference_interval(20, 9, 3, 8)
    assert float(lo) == pytest.approx(-float(hi2), abs=1e-12)
    assert float(hi) == pytest.approx(-float(lo2), abs=1e-12)


@pytest.mark.parametrize("method", ["holm", "bh"])
def test_adjust_matches_statsmodels(method: str) -> None:
    rng = np.random.default_rng(7)
    p = np.concatenate([rng.uniform(0, 0.05, 5), rng.uniform(0, 1, 15), [0.5, 0.5]])
    ref = multipletests(p, method={"holm": "holm", "bh": "fdr_bh"}[method])[1]
    np.testing.assert_allclose(adjust_pvalues(p, method=method), ref, rtol=1e-12)  # type: ignore[arg-type]


def test_adjust_keeps_nan_out_of_the_family() -> None:
    out = adjust_pvalues([0.01, np.nan, 0.04], method="holm")
    assert np.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2]], [0.02, 0.04])


def test_paired_t_matches_scipy_ttest_rel() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, 80)
    y = np.clip(x + rng.normal(0.03, 0.1, 80), 0, 1)
    d = y - x
    lo, hi, _se, p = paired_t_interval(len(d), d.sum(), (d * d).sum())
    ref = stats.ttest_rel(y, x)
    ci = ref.confidence_interval(0.95)
    assert float(p) == pytest.approx(ref.pvalue, rel=1e-9)
    assert float(lo) == pytest.approx(ci.low, rel=1e-9)
    assert float(hi) == pytest.approx(ci.high, rel=1e-9)


def test_bootstrap_from_counts_equals_bootstrap_from_rows() -> None:
    # rows: resample the 161 cases directly with the same multinomial machinery
    lo, hi, se = paired_bootstrap_interval(*CAVO, n_resamples=4000, rng=11)
    draws = np.random.default_rng(11).multinomial(161, np.array(CAVO) / 161, size=4000)
    delta = (draws[:, 2] - draws[:, 1]) / 161
    assert (lo, hi) == tuple(np.quantile(delta, [0.025, 0.975]))
    assert se == pytest.approx(np.std(delta, ddof=1), rel=1e-12)


def test_result_object_and_errors() -> None:
    res = paired_proportion_difference({"n11": 59, "n10": 6, "n01": 16, "n00": 80}, mid_p=True)
    assert res.statistic == pytest.approx(10 / 161)
    assert res.p_value == pytest.approx(0.034690, abs=5e-7)
    assert res.to_frame().loc[0, "n01"] == 16
    assert "<b>paired difference</b>" in res._repr_html_()
    with pytest.raises(StatisticsInputError, match="non-negative integers"):
        paired_proportion_difference([1, 2, -3, 4])
    with pytest.raises(StatisticsInputError, match="n11, n10, n01, n00"):
        paired_proportion_difference([1, 2, 3])
    with pytest.raises(StatisticsInputError, match="keys 'n11'"):
        paired_proportion_difference({"a": 1})
    with pytest.raises(StatisticsInputError, match="`method` must be one of"):
        paired_difference_interval(1, 2, 3, 4, method="exact")  # type: ignore[arg-type]
    with pytest.raises(StatisticsInputError, match="finite non-negative"):
        paired_difference_interval(1, -2, 3, 4)
    with pytest.raises(StatisticsInputError, match="non-negative counts"):
        mcnemar_pvalue(-1, 2)
    with pytest.raises(StatisticsInputError, match=r"p-values must lie in \[0, 1\]"):
        adjust_pvalues([0.5, 1.5])
    with pytest.raises(StatisticsInputError, match="`adjust` must be one of"):
        adjust_pvalues([0.5], method="bonferroni")  # type: ignore[arg-type]
