"""Issue 11 items 4, 6, 7, 8 and 9 (agreement side): missing ratings, ordinal labels, degenerate
designs, the documented defaults, and count tables in."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import evalkit.stats.agreement as agreement_module
from evalkit.stats import DegenerateDataWarning, LabelCodingWarning, StatisticsInputError
from evalkit.stats._agreement_variance import gwet_variance
from evalkit.stats._ratings import prepare_ratings
from evalkit.stats.agreement import (
    CategoryCounts,
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)

NA = np.nan
# Krippendorff (2011), section E / Gwet (2014)'s 4 raters x 12 units; unit 12 has one rating.
K2011 = pd.DataFrame({
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
    "C": [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
})
GWET = [percent_agreement, brennan_prediger, fleiss_kappa, gwet_ac1]


def quiet(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        return func(*args, **kwargs)


# --------------------------------------------------------------------------- item 4


def test_brennan_prediger_se_is_percent_agreement_se_scaled_with_missing_ratings() -> None:
    # BP = (pa - 1/q) / (1 - 1/q) is linear in pa, so SE(BP) = SE(PA) / (1 - 1/q) exactly,
    # whatever the missing pattern. Before the fix, with the single-rated unit 12:
    # SE(BP) = 0.1447 but SE(PA) / (1 - 1/5) = 0.1012 / 0.8 = 0.1265.
    pa, bp = quiet(percent_agreement, K2011), quiet(brennan_prediger, K2011)
    assert bp.n_categories == 5
    assert bp.standard_error == pytest.approx(pa.standard_error / (1 - 1 / 5), rel=1e-12)
    # and the interval is the same linear map of PA's (t quantile, same df)
    assert bp.statistic == pytest.approx((pa.statistic - 0.2) / 0.8, rel=1e-12)


@pytest.mark.parametrize("kind", ["fleiss", "gwet", "brennan_prediger"])
def test_ratio_linearization_equals_gwet_with_complete_data(kind: str) -> None:
    # complete data: every r_i >= 2 and n2 = n, so both linearizations coincide
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(40, 4)).astype(float)
    counts = prepare_ratings(x).counts()
    w = np.eye(3)
    a = gwet_variance(kind, counts, w)  # type: ignore[arg-type]
    b = gwet_variance(kind, counts, w, linearization="gwet")  # type: ignore[arg-type]
    assert a == pytest.approx(b, rel=1e-12)


@pytest.mark.parametrize(
    ("kind", "se"), [("gwet", 0.14295), ("fleiss", 0.15302)]
)
def test_gwet_linearization_still_reproduces_irrcac_with_missing(kind: str, se: float) -> None:
    # irrCAC.raw docstring (Gwet 2014's 4-raters example): AC1 se 0.14295, Fleiss se 0.15302.
    counts = prepare_ratings(K2011).counts()
    v = gwet_variance(kind, counts, np.eye(5), linearization="gwet")  # type: ignore[arg-type]
    assert math.sqrt(v) == pytest.approx(se, abs=1e-5)


# --------------------------------------------------------------------------- item 6

LMH = ["low", "medium", "high"]
A = ["low", "low", "medium", "high", "high", "medium", "low", "high", "medium", "low", "high",
     "medium"]
B = ["low", "medium", "medium", "high", "medium", "high", "low", "high", "low", "low", "high",
     "high"]
CODE = {"low": 1, "medium": 2, "high": 3}


def test_ordinal_alpha_on_strings_needs_categories() -> None:
    wide = pd.DataFrame({"a": A, "b": B})
    with pytest.raises(StatisticsInputError, match=r"`categories=`.*alphabetical"):
        krippendorff_alpha(wide, level="ordinal", method="analytic")
    got = krippendorff_alpha(wide, level="ordinal", categories=LMH, method="analytic")
    num = krippendorff_alpha(wide.apply(lambda c: c.map(CODE)), level="ordinal", method="analytic")
    assert got.statistic == pytest.approx(num.statistic, rel=1e-12)
    assert got.standard_error == pytest.approx(num.standard_error, rel=1e-12)
    # peer: the krippendorff package with value_domain in order gives 0.7139 (alphabetical
    # order, what we silently did before: 0.1727)
    import krippendorff

    peer = krippendorff.alpha(reliability_data=np.array([A, B]), value_domain=LMH,
                              level_of_measurement="ordinal")
    assert got.statistic == pytest.approx(peer, rel=1e-12)
    # nominal alpha does not order: no categories needed
    krippendorff_alpha(wide, level="nominal", method="analytic")


def test_weighted_cohen_on_strings_needs_labels() -> None:
    with pytest.raises(StatisticsInputError, match="`labels=`"):
        cohen_kappa(A, B, weights="quadratic")
    got = cohen_kappa(A, B, weights="quadratic", labels=LMH)
    num = cohen_kappa([CODE[x] for x in A], [CODE[x] for x in B], weights="quadratic")
    assert got.statistic == pytest.approx(num.statistic, rel=1e-12)
    # peer: scikit-learn with the labels in order gives 0.7059; sorted alphabetically
    # (high < low < medium, what we silently did before) it gives 0.125
    from sklearn.metrics import cohen_kappa_score

    assert got.statistic == pytest.approx(
        cohen_kappa_score(A, B, labels=LMH, weights="quadratic"), rel=1e-12)
    cohen_kappa(A, B)  # unweighted: fine


def test_ac2_on_strings_needs_categories() -> None:
    wide = pd.DataFrame({"a": A, "b": B})
    with pytest.raises(StatisticsInputError, match="`categories=`"):
        gwet_ac1(wide, weights="linear")
    got = gwet_ac1(wide, weights="linear", categories=LMH)
    num = gwet_ac1(wide.apply(lambda c: c.map(CODE)), weights="linear")
    assert got.statistic == pytest.approx(num.statistic, rel=1e-12)


def test_mixed_int_and_str_labels_warn() -> None:
    x = [[1, "1"], [2, 2], ["2", 2], [1, 1]] * 3
    with pytest.warns(LabelCodingWarning, match=r"1.*'1'"):
        fleiss_kappa(x)


def test_empty_string_is_missing() -> None:
    x = [["a", "a", ""], ["a", "b", "b"], ["b", "", "b"], ["a", "a", "a"], ["b", "b", "a"]] * 3
    y = [[None if v == "" else v for v in row] for row in x]
    for func in GWET:
        a, b = quiet(func, x), quiet(func, y)
        assert a.categories == ("a", "b")
        assert a.statistic == b.statistic and a.standard_error == b.standard_error


# --------------------------------------------------------------------------- item 7


@pytest.mark.parametrize("call", [
    lambda x: percent_agreement(x), lambda x: fleiss_kappa(x), lambda x: gwet_ac1(x),
    lambda x: brennan_prediger(x), lambda x: krippendorff_alpha(x, n_resamples=200, rng=0),
    lambda x: fleiss_kappa(x, method="bootstrap", n_resamples=200, rng=0),
    lambda x: cohen_kappa(x[:, 0], x[:, 1]),
], ids=["pa", "fleiss", "ac1", "bp", "alpha", "fleiss-boot", "cohen"])
def test_perfect_agreement_on_few_units_warns(call) -> None:  # type: ignore[no-untyped-def]
    x = np.array([[1, 1], [2, 2], [1, 1], [2, 2], [1, 1]])
    with pytest.warns(DegenerateDataWarning, match="no disagreement") as rec:
        call(x)
    assert rec[0].filename == __file__


def test_few_units_warn() -> None:
    with pytest.warns(DegenerateDataWarning, match="only 2 units"):
        cohen_kappa(["a", "b"], ["a", "a"])


@pytest.mark.parametrize(("func", "low"), [
    (percent_agreement, 0.0), (brennan_prediger, -1.0), (fleiss_kappa, -1.0), (gwet_ac1, -1.0),
])
def test_gwet_family_bounds_clipped_to_range(func, low: float) -> None:  # type: ignore[no-untyped-def]
    # 2 units: t quantile on 1 df is 12.7, so the raw lower bound is far below the range
    x = [[1, 2, 1], [2, 2, 2]]
    res = quiet(func, x)
    assert res.confidence_interval.low >= low, res.confidence_interval
    assert res.confidence_interval.high <= 1.0


# --------------------------------------------------------------------------- item 8


def test_docstring_table_names_cohen_default_correctly() -> None:
    doc = agreement_module.__doc__ or ""
    line = next(ln for ln in doc.splitlines() if ":func:`cohen_kappa`" in ln)
    assert "Gwet linearization (t)" in line
    assert cohen_kappa(A, B).method == "gwet-linearization"


# --------------------------------------------------------------------------- item 9


@pytest.mark.parametrize("func", [*GWET, krippendorff_alpha])
@pytest.mark.parametrize("method", ["analytic", "bootstrap"])
def test_counts_table_equals_rows(func, method: str) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(9)
    x = rng.integers(1, 4, size=(60, 4)).astype(float)
    x[rng.random(x.shape) < 0.3] = np.nan
    x = x[np.sum(~np.isnan(x), axis=1) >= 1]
    counts = pd.DataFrame(prepare_ratings(x).counts(), columns=[1, 2, 3])
    rows = func(x, method=method, rng=4, n_resamples=500)
    cnt = func(CategoryCounts(counts), method=method, rng=4, n_resamples=500)
    for attr in ("statistic", "standard_error", "observed_agreement", "chance_agreement"):
        assert getattr(cnt, attr) == pytest.approx(getattr(rows, attr), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(cnt.confidence_interval, rows.confidence_interval, rtol=1e-12,
                               atol=1e-12)
    assert cnt.categories == rows.categories and cnt.n_units == rows.n_units


def test_counts_table_errors() -> None:
    with pytest.raises(StatisticsInputError, match="non-negative integer counts"):
        CategoryCounts(pd.DataFrame({"a": [1, -1], "b": [1, 2]}))
    with pytest.raises(StatisticsInputError, match="2-D"):
        CategoryCounts(np.array([1, 2, 3]))
    with pytest.raises(StatisticsInputError, match="`categories`"):
        CategoryCounts(np.array([[1, 2]]), categories=["a"])
