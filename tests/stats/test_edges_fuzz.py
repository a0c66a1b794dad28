"""Hypothesis fuzz targets for the count-based entry points of issue 11 and ``threshold=``:
any input either works or raises a typed evalkit error (never a bare numpy/pandas error)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.errors import EvalkitError
from evalkit.stats.agreement import CategoryCounts, fleiss_kappa, gwet_ac1, krippendorff_alpha
from evalkit.stats.calibration import CalibrationResult, calibrate, corrected_pass_rate

ANY = st.one_of(
    st.integers(-5, 10**6), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3),
    st.none(), st.booleans(), st.just(np.int64(3)), st.just(2.0),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(tp=ANY, fn=ANY, fp=ANY, tn=ANY)
def test_from_counts_typed_errors_only(tp, fn, fp, tn) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = CalibrationResult.from_counts(tp=tp, fn=fn, fp=fp, tn=tn)
        except EvalkitError:
            return
    assert res.n == res.tp + res.fn + res.fp + res.tn


CAL = CalibrationResult.from_counts(tp=40, fn=5, fp=6, tn=30)


@settings(max_examples=150, deadline=None)
@given(k=ANY, n=ANY, method=st.sampled_from(["lee2025", "bootstrap"]))
def test_corrected_counts_typed_errors_only(k, n, method) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = corrected_pass_rate(calibration=CAL, n_pass=k, n=n, method=method,
                                      n_resamples=200, rng=0)
        except EvalkitError:
            return
    assert math.isnan(res.statistic) or 0.0 <= res.statistic <= 1.0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.one_of(st.integers(-2, 6), st.floats(allow_nan=True), st.text(
    max_size=1)), min_size=2, max_size=2), min_size=1, max_size=8))
def test_category_counts_typed_errors_only(rows) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            table = CategoryCounts(pd.DataFrame(rows, columns=["x", "y"]))
        except EvalkitError:
            return
        for f in (fleiss_kappa, gwet_ac1):
            res = f(table)
            assert math.isnan(res.statistic) or -1.0 <= res.statistic <= 1.0
        krippendorff_alpha(table, method="analytic")


@settings(max_examples=60, deadline=None)
@given(thr=ANY.filter(lambda v: v is not None))  # None means "no threshold": verdicts path
def test_threshold_typed_errors_only(thr) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            calibrate(["pass", "fail", "pass"], [0.9, 0.2, 0.4], threshold=thr)
        except EvalkitError:
            return
