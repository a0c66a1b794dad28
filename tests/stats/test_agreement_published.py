"""Published worked examples (sources cited per test) and tiny cases derived by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.stats.agreement import (
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)

# Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", Annenberg School for
# Communication, https://repository.upenn.edu/asc_papers/43 -- section E: 4 observers, 12 units,
# values 1-5, missing data. Published: nominal .743, ordinal .815, interval .849, ratio .797.
# (The same table is Gwet (2014)'s 4-raters example, irrCAC's `raw_4raters`.)
NA = np.nan
KRIPPENDORFF_2011 = pd.DataFrame(
    {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
        "C": [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
    }
)


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_worked_example(level: str, published: float) -> None:
    res = krippendorff_alpha(KRIPPENDORFF_2011, level=level, n_resamples=500, rng=0)
    assert res.statistic == pytest.approx(published, abs=5e-4)
    # unit 12 has a single value and is not pairable
    assert res.n_units == 11
    assert res.n_raters == 4
    lo, hi = res.confidence_interval
    assert lo < res.statistic < hi <= 1.0


# Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
# Bulletin 76(5), 378-382, Table 1: 30 patients, 6 psychiatrists, 5 diagnoses. Published
# kappa = .430 (R irr::kappam.fleiss(diagnoses) prints 0.430).
FLEISS_1971 = np.array(
    [
        [4, 4, 4, 4, 4, 4],
        [2, 2, 2, 5, 5, 5],
        [2, 3, 3, 3, 3, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4],
        [1, 1, 3, 3, 3, 3],
        [3, 3, 3, 3, 5, 5],
        [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4],
        [5, 5, 5, 5, 5, 5],
        [1, 4, 4, 4, 4, 4],
        [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3],
        [1, 4, 4, 4, 4, 4],
        [2, 2, 4, 4, 4, 5],
        [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5],
        [1, 1, 1, 1, 1, 2],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 4, 4, 4, 4, 4],
        [2, 2, 4, 5, 5, 5],
        [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5],
        [2, 2, 2, 2, 2, 4],
        [1, 1, 1, 1, 5, 5],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3],
        [5, 5, 5, 5, 5, 5],
    ]
)


def test_fleiss_1971_diagnoses() -> None:
    res = fleiss_kappa(FLEISS_1971)
    assert res.statistic == pytest.approx(0.4302445, abs=1e-7)
    assert round(res.statistic, 3) == 0.430
    assert (res.n_units, res.n_raters, res.n_categories) == (30, 6, 5)


# Gwet, K. L. (2014). Handbook of Inter-Rater Reliability, 4th ed., the 4-raters x 12-subjects
# example (the Krippendorff table above), as printed in the documentation of irrCAC (the Python
# port of Gwet's R package), `irrCAC.raw` module docstring: AC1 = 0.77544 (se 0.14295, 95% CI
# 0.46081 to 1, pa 0.81818, pe 0.19032); Fleiss' kappa = 0.76117 (se 0.15302, CI 0.42438 to 1,
# pa 0.81818, pe 0.23872).
@pytest.mark.parametrize(
    ("func", "value", "se", "low", "pe"),
    [
        (gwet_ac1, 0.77544, 0.14295, 0.46081, 0.19032),
        (fleiss_kappa, 0.76117, 0.15302, 0.42438, 0.23872),
    ],
)
def test_gwet_2014_four_raters(func, value: float, se: float, low: float, pe: float) -> None:
    # unit 12 has one rating: Gwet's linearization (the default is the ratio form, see
    # test_agreement_edges.py)
    res = func(KRIPPENDORFF_2011, linearization="gwet")
    assert res.statistic == pytest.approx(value, abs=1e-5)
    assert res.standard_error == pytest.approx(se, abs=1e-5)
    assert res.confidence_interval.low == pytest.approx(low, abs=1e-5)
    assert res.confidence_interval.high == 1.0  # t-interval truncated at the maximum
    assert res.observed_agreement == pytest.approx(0.81818, abs=1e-5)
    assert res.chance_agreement == pytest.approx(pe, abs=1e-5)
    assert res.method == "gwet-linearization"
    assert res.n_units == 12  # Gwet counts every unit with at least one rating


def test_gwet_2014_four_raters_percent_agreement() -> None:
    # pa = 0.81818 as printed above; by hand: units 1-12 pair agreement
    # 1, 1/2, 1, 1, 1, 0, 1, 1/2, 1, 1, 1, (unit 12 has one rating) -> 9/11 = 0.81818.
    res = percent_agreement(KRIPPENDORFF_2011)
    assert res.statistic == pytest.approx(9 / 11, abs=1e-12)


# SAS/STAT PROC FREQ "AGREE" output for a 3x3 table, as reproduced in statsmodels'
# stats/tests/test_inter_rater.py (table10): simple kappa .4842, ASE .1380, CI .2137-.7547;
# weighted (Cicchetti-Allison = linear) kappa .4701, ASE .1457, CI .1845-.7558.
TABLE10 = np.array([[0, 4, 1], [0, 8, 0], [0, 1, 5]])


def _expand(table: np.ndarray) -> tuple[list[int], list[int]]:
    a, b = [], []
    for i, j in np.ndindex(table.shape):
        a += [i] * int(table[i, j])
        b += [j] * int(table[i, j])
    return a, b


@pytest.mark.parametrize(
    ("weights", "kappa", "ase", "low", "high"),
    [(None, 0.4842, 0.1380, 0.2137, 0.7547), ("linear", 0.4701, 0.1457, 0.1845, 0.7558)],
)
def test_cohen_sas_example(
    weights: str | None, kappa: float, ase: float, low: float, high: float
) -> None:
    a, b = _expand(TABLE10)
    res = cohen_kappa(a, b, weights=weights, labels=[0, 1, 2], method="fleiss-cohen-everitt")
    assert res.statistic == pytest.approx(kappa, abs=5e-5)
    assert res.standard_error == pytest.approx(ase, abs=5e-5)
    np.testing.assert_allclose(res.confidence_interval, (low, high), atol=5e-5)
    assert res.method == "fleiss-cohen-everitt"


def test_cohen_fleiss_levin_paik_diagnoses() -> None:
    # Fleiss, Levin & Paik (2003), Statistical Methods for Rates and Proportions, 3rd ed.,
    # ch. 18: two raters, 100 subjects, psychotic / neurotic / organic; kappa = .676.
    # By hand: p_o = (75 + 4 + 10)/100 = .89; margins (.80, .10, .10) and (.80, .05, .15);
    # p_e = .64 + .005 + .015 = .66; kappa = (.89 - .66)/(1 - .66) = .23/.34 = .6765.
    table = np.array([[75, 1, 4], [5, 4, 1], [0, 0, 10]])
    a, b = _expand(table)
    res = cohen_kappa(a, b)
    assert res.statistic == pytest.approx(0.23 / 0.34, abs=1e-12)
    assert round(res.statistic, 3) == 0.676
    assert res.observed_agreement == pytest.approx(0.89)
    assert res.chance_agreement == pytest.approx(0.66)


# --------------------------------------------------------------------------- by hand


def test_cohen_two_by_two_by_hand() -> None:
    # 50 units: both yes 20, both no 15, a-yes/b-no 5, a-no/b-yes 10.
    # p_o = 35/50 = .7; p_yes(a) = .5, p_yes(b) = .6; p_e = .5*.6 + .5*.4 = .5; kappa = .2/.5 = .4
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b).statistic == pytest.approx(0.4, abs=1e-12)


def test_skewed_prevalence_kappa_paradox_by_hand() -> None:
    # 10 units, 2 raters: 8 x (pass, pass), 1 x (pass, fail), 1 x (fail, pass).
    # pa = .8; pi_pass = 18/20 = .9.
    # Fleiss: pe = .9^2 + .1^2 = .82 -> kappa = (.8 - .82)/.18 = -1/9.
    # AC1: pe = 2 * .9 * .1 = .18 -> (.8 - .18)/.82 = .62/.82 = .7561.
    # BP: pe = 1/2 -> (.8 - .5)/.5 = .6.
    ratings = [["pass", "pass"]] * 8 + [["pass", "fail"], ["fail", "pass"]]
    assert percent_agreement(ratings).statistic == pytest.approx(0.8)
    assert fleiss_kappa(ratings).statistic == pytest.approx(-1 / 9)
    assert gwet_ac1(ratings).statistic == pytest.approx(0.62 / 0.82)
    assert brennan_prediger(ratings).statistic == pytest.approx(0.6)
    a, b = zip(*ratings, strict=True)
    # Cohen: both raters' margins (.9, .1) -> same pe = .82
    assert cohen_kappa(list(a), list(b)).statistic == pytest.approx(-1 / 9)


def test_alpha_nominal_by_hand() -> None:
    # units (1,1), (2,2), (1,2), (2,2): n = 8 values, n_1 = 3, n_2 = 5.
    # Disagreeing coincidences: o_12 + o_21 = 2 (unit 3, 1/(m_u - 1) = 1 each way).
    # alpha = 1 - (n - 1) * 2 / (2 * n_1 * n_2) = 1 - 7 * 2 / 30 = 8/15.
    res = krippendorff_alpha([[1, 1], [2, 2], [1, 2], [2, 2]], n_resamples=100, rng=0)
    assert res.statistic == pytest.approx(8 / 15, abs=1e-12)


def test_alpha_interval_by_hand() -> None:
    # units (1, 3), (2, 2): values 1, 3, 2, 2 (n = 4).
    # Observed: unit 1 contributes 2 * (1-3)^2 / (2-1) = 8; unit 2 contributes 0.
    # Expected: sum_{c,k} n_c n_k (c - k)^2 over values {1:1, 2:2, 3:1}
    #   = 2 * [1*2*1 + 1*1*4 + 2*1*1] = 16.
    # alpha = 1 - (n - 1) * 8 / 16 = 1 - 3 * 0.5 = -0.5.
    res = krippendorff_alpha([[1, 3], [2, 2]], level="interval", n_resamples=50, rng=0)
    assert res.statistic == pytest.approx(-0.5, abs=1e-12)


def test_fleiss_equals_ac1_at_balanced_prevalence_by_hand() -> None:
    # units (1,1,1), (1,2,2), (2,2,2), (1,1,2): pair agreement 1, 1/3, 1, 1/3 -> pa = 2/3;
    # pi_1 = (3 + 1 + 0 + 2)/12 = .5, so Fleiss pe = .25 + .25 = .5 and AC1 pe = 2 * .25 = .5:
    # both equal (2/3 - 1/2)/(1/2) = 1/3.
    r = [[1, 1, 1], [1, 2, 2], [2, 2, 2], [1, 1, 2]]
    assert fleiss_kappa(r).statistic == pytest.approx(1 / 3)
    assert gwet_ac1(r).statistic == pytest.approx(1 / 3)
    assert percent_agreement(r).statistic == pytest.approx(2 / 3)


def test_missing_ratings_follow_gwet_by_hand() -> None:
    # unit 3 has one rating: it counts in n (pi_k) but not in pa (needs two ratings).
    # units (a,a), (a,b), (b, -): pa = (1 + 0)/2 = .5; pi_a = (1 + .5 + 0)/3 = .5 -> pe(F) = .5
    # Fleiss = (.5 - .5)/.5 = 0.
    r = [["a", "a"], ["a", "b"], ["b", None]]
    res = fleiss_kappa(r)
    assert res.statistic == pytest.approx(0.0, abs=1e-12)
    assert res.n_units == 3
    assert percent_agreement(r).statistic == pytest.approx(0.5)


def test_percent_agreement_variance_by_hand() -> None:
    # units (a,a), (a,b), (b,b), (a,-): n = 4 units, n2 = 3 pairable; pa_i = 1, 0, 1 -> pa = 2/3.
    # Ratio linearization: residuals (n/n2) 1[r_i>=2] (pa_i - pa) = 4/9, -8/9, 4/9, 0;
    # var = sum(residual^2) / (n (n - 1)) = (16 + 64 + 16)/81 / 12 = 96/972.
    # (Gwet's pa.coeff.raw residuals (n/n2) pa_i 1[r_i>=2] - pa = 2/3, -2/3, 2/3, -2/3 would give
    # 16/9/12 = 0.148: it also counts the chance of a unit being pairable.)
    res = percent_agreement([["a", "a"], ["a", "b"], ["b", "b"], ["a", None]])
    assert res.statistic == pytest.approx(2 / 3)
    assert res.standard_error == pytest.approx((96 / 972) ** 0.5, rel=1e-12)
    assert res.n_units == 4
