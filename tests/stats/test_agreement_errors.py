"""Every validation branch gives a typed error whose message names the argument; undefined cases
return nan with UndefinedStatisticWarning pointing at the caller."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import UndefinedStatisticWarning
from evalkit.stats import DegenerateDataWarning
from evalkit.stats.agreement import (
    agreement_report,
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    pairwise_agreement,
    percent_agreement,
    to_wide,
)

OK = [[1, 1, 2], [2, 2, 2], [1, 2, 1], [1, 1, 1]]
GWET_FAMILY = [percent_agreement, brennan_prediger, fleiss_kappa, gwet_ac1]


@pytest.mark.parametrize("func", GWET_FAMILY)
def test_method_is_checked(func) -> None:
    with pytest.raises(
        ValueError,
        match=re.escape(
            "`method` must be one of 'analytic', 'bootstrap', 'jackknife'; got 'wald'."),
    ):
        func(OK, method="wald")


def test_alpha_method_is_checked() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape("`method` must be one of 'bootstrap', 'analytic'; got 'jackknife'."),
    ):
        krippendorff_alpha(OK, method="jackknife")


@pytest.mark.parametrize("func", [*GWET_FAMILY, krippendorff_alpha])
def test_bootstrap_method_is_checked(func) -> None:
    with pytest.raises(
        ValueError,
        match=re.escape(
            "`bootstrap_method` must be one of 'bca', 'percentile', 'basic'; got 'student'."
        ),
    ):
        func(OK, bootstrap_method="student")


@pytest.mark.parametrize("func", [*GWET_FAMILY, krippendorff_alpha])
def test_confidence_level_is_checked(func) -> None:
    with pytest.raises(
        ValueError, match=re.escape("`confidence_level` must be in (0, 1); got 1.5.")
    ):
        func(OK, confidence_level=1.5)
    with pytest.raises(TypeError, match="`confidence_level` must be a number in"):
        func(OK, confidence_level="high")


@pytest.mark.parametrize("func", [*GWET_FAMILY, krippendorff_alpha])
def test_n_resamples_is_checked(func) -> None:
    with pytest.raises(
        ValueError, match=re.escape("`n_resamples` must be a positive integer; got 0.")
    ):
        func(OK, n_resamples=0)
    with pytest.raises(
        TypeError, match=re.escape("`n_resamples` must be a positive integer; got 2.5.")
    ):
        func(OK, n_resamples=2.5)


@pytest.mark.parametrize("func", [gwet_ac1, cohen_kappa])
def test_weights_are_checked(func) -> None:
    msg = re.escape("`weights` must be one of None, 'linear', 'quadratic'; got 'lin'.")
    with pytest.raises(ValueError, match=msg):
        if func is cohen_kappa:
            func([1, 2], [1, 2], weights="lin")
        else:
            func(OK, weights="lin")


def test_n_population_is_checked() -> None:
    with pytest.raises(
        ValueError, match=re.escape("`n_population` must be a positive number; got -5.")
    ):
        gwet_ac1(OK, n_population=-5)
    with pytest.raises(
        ValueError, match=re.escape("`n_population` (3) is smaller than the 4 rated units.")
    ):
        gwet_ac1(OK, n_population=3)


def test_level_is_checked() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape(
            "`level` must be one of 'nominal', 'ordinal', 'interval', 'ratio'; got 'ordinl'."
        ),
    ):
        krippendorff_alpha(OK, level="ordinl")


def test_interval_level_needs_numbers() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape("`level='interval'` needs numeric ratings; got categories 'a', 'b'."),
    ):
        krippendorff_alpha([["a", "b"], ["b", "b"]], level="interval")


def test_custom_distance_is_checked() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape(
            "a custom `level` distance must return a (2, 2) matrix for 2 categories; "
            "got shape (2,)."
        ),
    ):
        krippendorff_alpha(OK, level=lambda v1, v2: np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="zero between a category and itself"):
        krippendorff_alpha(OK, level=lambda v1, v2: np.ones((2, 2)))


def test_ratings_shape_and_type_are_checked() -> None:
    with pytest.raises(TypeError, match=re.escape("`ratings` must be a units x raters table")):
        fleiss_kappa(pd.Series([1, 2, 3]))
    with pytest.raises(
        ValueError,
        match=re.escape("`ratings` must be 2-D (units x raters); got an array of shape (3,)."),
    ):
        fleiss_kappa([1, 2, 3])
    with pytest.raises(
        ValueError, match=re.escape("`ratings` needs at least 2 rater columns; got 1.")
    ):
        fleiss_kappa([[1], [2]])
    with pytest.raises(ValueError, match=re.escape("`ratings` holds no rating at all")):
        fleiss_kappa([[None, np.nan], [np.nan, None]])


def test_categories_are_checked() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape(
            "`ratings` holds ratings not in `categories`: 'maybe'; allowed: 'no', 'yes'."
        ),
    ):
        fleiss_kappa([["yes", "maybe"], ["no", "no"]], categories=["no", "yes"])
    with pytest.raises(ValueError, match=re.escape("`categories` must not repeat a label")):
        fleiss_kappa([["yes", "no"]], categories=["no", "no", "yes"])


def test_cohen_inputs_are_checked() -> None:
    with pytest.raises(
        ValueError, match=re.escape("`a` and `b` must have the same length; got 3 and 2.")
    ):
        cohen_kappa([1, 2, 1], [1, 2])
    with pytest.raises(ValueError, match=re.escape("`a` must be 1-D (one label per unit)")):
        cohen_kappa([[1, 2]], [1, 2])
    with pytest.raises(
        ValueError, match=re.escape("`a` and `b` share no unit rated by both raters.")
    ):
        cohen_kappa([1, None], [None, 2])
    with pytest.raises(
        ValueError,
        match=re.escape(
            "`method` must be one of 'analytic', 'fleiss-cohen-everitt', 'bootstrap'; got 'exact'."
        ),
    ):
        cohen_kappa([1, 2], [1, 2], method="exact")


def test_to_wide_is_checked() -> None:
    long = pd.DataFrame({"unit": [1, 1, 1], "rater": ["a", "b", "a"], "value": [0, 1, 1]})
    with pytest.raises(
        ValueError,
        match=re.escape(
            "2 rows repeat a (unit, rater) pair, e.g. row 0: unit=1, rater='a'; "
            "each rater rates a unit once."
        ),
    ):
        to_wide(long)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "`value` column 'label' is not in the frame; columns are ['unit', 'rater', 'value']."
        ),
    ):
        to_wide(long, value="label")
    with pytest.raises(TypeError, match=re.escape("`df` must be a pandas DataFrame; got list.")):
        to_wide([1, 2])


def test_report_inputs_are_checked() -> None:
    labels = pd.DataFrame(
        {
            "trace_id": [1, 1],
            "annotator": ["a", "b"],
            "verdict": ["p", "p"],
            "failure_modes": ["", ""],
        }
    )
    with pytest.raises(
        TypeError, match=re.escape("`labels` must be a pandas DataFrame; got dict.")
    ):
        agreement_report({"a": 1})
    with pytest.raises(ValueError, match=re.escape("column 'segment' is not in `labels`")):
        agreement_report(labels, by="segment")
    with pytest.raises(ValueError, match=re.escape("`coefficients` must be one of")):
        agreement_report(labels, coefficients=["kappa"])


def test_pairwise_inputs_are_checked() -> None:
    wide = pd.DataFrame({"a": [1, 2], "b": [1, 2]})
    with pytest.raises(
        ValueError,
        match=re.escape("`coefficient` must be one of 'cohen_kappa', 'percent_agreement'"),
    ):
        pairwise_agreement(wide, coefficient="kappa")
    with pytest.raises(
        ValueError, match=re.escape("`ratings` needs at least 2 rater columns; got 1.")
    ):
        pairwise_agreement(wide[["a"]])
    dup = pd.DataFrame([[1, 2], [2, 2]], columns=["a", "a"])
    with pytest.raises(ValueError, match=re.escape("`ratings` has repeated rater columns")):
        pairwise_agreement(dup)


# --------------------------------------------------------------------------- undefined cases

ONE_LABEL = [["pass", "pass"], ["pass", "pass"], ["pass", "pass"]]


@pytest.mark.parametrize(
    "call",
    [
        lambda: fleiss_kappa(ONE_LABEL),
        lambda: gwet_ac1(ONE_LABEL),
        lambda: brennan_prediger(ONE_LABEL),
        lambda: krippendorff_alpha(ONE_LABEL),
        lambda: cohen_kappa(["pass"] * 3, ["pass"] * 3),
    ],
    ids=["fleiss", "ac1", "bp", "alpha", "cohen"],
)
def test_single_category_is_undefined(call) -> None:
    with pytest.warns(UndefinedStatisticWarning, match="undefined") as record:
        res = call()
    assert math.isnan(res.statistic)
    assert all(math.isnan(x) for x in res.confidence_interval)
    assert math.isnan(res.standard_error)
    # stacklevel points at the caller (this file), not at evalkit internals
    assert record[0].filename == __file__


def test_percent_agreement_is_defined_with_one_category() -> None:
    # defined (no UndefinedStatisticWarning); the design itself is flagged as degenerate
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedStatisticWarning)
        with pytest.warns(DegenerateDataWarning, match="no disagreement at all among 3 units"):
            assert percent_agreement(ONE_LABEL).statistic == 1.0


@pytest.mark.parametrize("func", [*GWET_FAMILY, krippendorff_alpha])
def test_no_pairable_unit_is_undefined(func) -> None:
    ratings = [[1, None], [None, 2], [1, None]]
    with pytest.warns(UndefinedStatisticWarning, match="no unit has two or more ratings"):
        res = func(ratings)
    assert math.isnan(res.statistic)
