"""Issue 11 items 1-3 and 9 (calibration side), issue 12 item 5: the corrected pass rate and
calibration at the edges (tiny calibration sets, empty cells, out-of-range estimates, counts in).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import EvalkitError, UndefinedStatisticWarning
from evalkit.stats import EstimateOutOfRangeWarning, SmallSampleWarning, StatisticsInputError
from evalkit.stats._rogan_gladen import lee_interval
from evalkit.stats.calibration import CalibrationResult, calibrate, corrected_pass_rate


def _rows(tp: int, fn: int, fp: int, tn: int) -> tuple[np.ndarray, np.ndarray]:
    human = np.repeat(["pass", "fail"], [tp + fn, fp + tn])
    judge = np.repeat(["pass", "fail", "pass", "fail"], [tp, fn, fp, tn])
    return human, judge


# --------------------------------------------------------------------------- item 1


def test_bootstrap_keeps_calibration_uncertainty_with_empty_off_diagonal_cells() -> None:
    # 30 calibration labels, the judge made no error on them (fn = fp = 0). Resampling the
    # calibration cases gives TPR = TNR = 1 in every resample, so the interval only carries the
    # noise of 10,000 unlabeled verdicts (half-width ~0.006). With 28 human-pass and 2 human-fail
    # cases TNR is barely measured: a 95% Jeffreys interval for TNR from 2/2 is (0.32, 1), so the
    # corrected rate (p + TNR - 1) / (TPR + TNR - 1) must be uncertain by far more than 0.05.
    cal = calibrate(*_rows(28, 0, 0, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        res = corrected_pass_rate(np.repeat(["pass", "fail"], [9000, 1000]), cal,
                                  method="bootstrap", rng=1)
    lo, hi = res.confidence_interval
    assert hi - lo > 0.05, (lo, hi)
    assert lo <= 0.9 <= hi


@pytest.mark.slow
def test_bootstrap_coverage_with_30_labels_and_a_good_judge() -> None:
    # The failing cell: 30 random calibration labels, TPR = TNR = 0.95, true pass rate
    # 0.9, 1,000 unlabeled verdicts. Case resampling covered 54-68%.
    rng = np.random.default_rng(11)
    theta, q, m, n, reps = 0.9, 0.95, 30, 1000, 400  # MC SE of 95% coverage: 0.011
    hits = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(reps):
            h = rng.random(m) < theta
            j = np.where(h, rng.random(m) < q, rng.random(m) >= q)
            k = rng.binomial(n, theta * q + (1 - theta) * (1 - q))
            cal = calibrate(h.astype(int), j.astype(int))
            res = corrected_pass_rate(np.r_[np.ones(k), np.zeros(n - k)].astype(int), cal,
                                      method="bootstrap", n_resamples=2000, rng=rng)
            lo, hi = res.confidence_interval
            hits += bool(lo <= theta <= hi)
    cov = hits / reps
    assert cov >= 0.95 - 0.015 - 3 * 0.011, cov


# --------------------------------------------------------------------------- item 2


def test_lee_interval_is_defined_when_a_class_is_missing() -> None:
    # m0 = 0: TNR is 0/0 = nan, but Lee's add-2 smoothing needs only the count of correct
    # fails (0): q0~ = (0 + 1) / (0 + 2). So passing tnr=nan must equal passing any tnr with 0
    # correct cases out of 0, e.g. tnr=0.0, which the formula handles.
    got = lee_interval(0.9, 0.95, math.nan, 1000, 30, 0)
    want = lee_interval(0.9, 0.95, 0.0, 1000, 30, 0)
    np.testing.assert_allclose(np.array(got, dtype=float), np.array(want, dtype=float),
                               rtol=1e-15)
    assert all(math.isfinite(float(x)) for x in got)


def test_default_interval_not_nan_when_calibration_lacks_human_fails() -> None:
    # 30 labels from traffic with a 0.9 pass rate have no human-fail case 4% of the time.
    cal = calibrate(*_rows(28, 2, 0, 0))
    for method in ("bootstrap", "lee2025"):  # the default, then Lee's
        with pytest.warns(UndefinedStatisticWarning, match="TPR or TNR is undefined"):
            res = corrected_pass_rate(np.repeat(["pass", "fail"], [850, 150]), cal,
                                      method=method, rng=0)  # type: ignore[arg-type]
        assert math.isnan(res.statistic)  # Rogan-Gladen needs TNR
        lo, hi = res.confidence_interval
        assert 0.0 <= lo < hi <= 1.0
    want_lo, want_hi, _ = lee_interval(0.85, 28 / 30, 0.0, 1000, 30, 0)
    assert (lo, hi) == (float(want_lo), float(want_hi))


def test_small_calibration_class_warns() -> None:
    cal = calibrate(*_rows(25, 1, 1, 3))  # only 4 human-fail cases
    with pytest.warns(SmallSampleWarning, match="4 human-fail cases"):
        corrected_pass_rate(np.repeat(["pass", "fail"], [80, 20]), cal)


# --------------------------------------------------------------------------- item 3


def test_out_of_range_reports_raw_and_clipped_with_named_warning() -> None:
    # Lee et al.'s reference row p=0.05, q0=q1=0.9, n=1000, m0=m1=200 gives the interval (0, 0):
    # raw estimate (0.05 + 0.9 - 1) / (0.9 + 0.9 - 1) = -0.0625.
    cal = calibrate(*_rows(180, 20, 20, 180))
    with pytest.warns(EstimateOutOfRangeWarning, match=r"below 1 - TNR.*-0\.0625"):
        res = corrected_pass_rate(np.repeat(["pass", "fail"], [50, 950]), cal, method="lee2025")
    assert res.statistic == 0.0
    assert res.unclipped_estimate == pytest.approx(-0.0625, rel=1e-12)
    assert res.confidence_interval == (0.0, 0.0)  # Lee's reference, now with a warning
    assert res.unclipped_interval.low < res.unclipped_interval.high < 0.0
    assert issubclass(EstimateOutOfRangeWarning, UndefinedStatisticWarning)


def test_above_tpr_is_reported_too() -> None:
    # p = 0.97 > TPR = 0.9: raw (0.97 + 0.9 - 1) / 0.8 = 1.0875
    cal = calibrate(*_rows(180, 20, 20, 180))
    with pytest.warns(EstimateOutOfRangeWarning, match="above TPR"):
        res = corrected_pass_rate(np.repeat(["pass", "fail"], [970, 30]), cal, method="bootstrap",
                                  rng=0, n_resamples=2000)
    assert res.statistic == 1.0 and res.unclipped_estimate == pytest.approx(1.0875, rel=1e-12)


def test_in_range_has_no_range_warning_and_unclipped_equals_clipped() -> None:
    cal = calibrate(*_rows(180, 20, 60, 140))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = corrected_pass_rate(np.repeat(["pass", "fail"], [400, 600]), cal)
    assert res.unclipped_estimate == res.statistic
    assert res.unclipped_interval == res.confidence_interval


# --------------------------------------------------------------------------- issue 12 item 5


@pytest.mark.parametrize("thr", [float("nan"), float("inf"), -float("inf"), "high"])
def test_threshold_must_be_finite(thr: object) -> None:
    with pytest.raises(StatisticsInputError, match="`threshold` must be a finite number"):
        calibrate(["pass", "fail"], [0.9, 0.1], threshold=thr)  # type: ignore[arg-type]
    assert issubclass(StatisticsInputError, EvalkitError)
    assert issubclass(StatisticsInputError, ValueError)


# --------------------------------------------------------------------------- item 9, counts in


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson", "jeffreys", "bootstrap"])
def test_from_counts_equals_rows(method: str) -> None:
    rows = calibrate(*_rows(41, 7, 5, 23), method=method, rng=3)  # type: ignore[arg-type]
    cnt = CalibrationResult.from_counts(tp=41, fn=7, fp=5, tn=23, method=method,  # type: ignore[arg-type]
                                        rng=3)
    a, b = rows.to_frame(), cnt.to_frame()
    pd.testing.assert_frame_equal(a, b, rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(rows.confusion_matrix, cnt.confusion_matrix)


@pytest.mark.parametrize("bad", [-1, 2.5, "3", True, None])
def test_from_counts_rejects_bad_counts(bad: object) -> None:
    with pytest.raises(StatisticsInputError, match="`fp` must be a non-negative integer"):
        CalibrationResult.from_counts(tp=1, fn=1, fp=bad, tn=1)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["lee2025", "bootstrap"])
def test_corrected_pass_rate_from_counts_equals_rows(method: str) -> None:
    rng = np.random.default_rng(4)
    seg_h = np.repeat(["a", "b"], [120, 80])
    h = rng.random(200) < 0.7
    j = np.where(h, rng.random(200) < 0.9, rng.random(200) < 0.2)
    human = pd.DataFrame({"trace_id": range(200), "verdict": h.astype(int), "seg": seg_h})
    judge = pd.DataFrame({"trace_id": range(200), "verdict": j.astype(int)})
    cal = calibrate(human, judge, by="seg")
    u = (rng.random(3000) < 0.6).astype(int)
    seg_u = np.where(rng.random(3000) < 0.4, "a", "b")
    unl = pd.DataFrame({"trace_id": range(3000), "verdict": u, "seg": seg_u})
    rows = corrected_pass_rate(unl, cal, by="seg", method=method, rng=5)  # type: ignore[arg-type]
    n_pass = unl.groupby("seg")["verdict"].sum()
    n = unl.groupby("seg")["verdict"].size()
    cnt = corrected_pass_rate(calibration=cal, n_pass=n_pass, n=n, method=method,  # type: ignore[arg-type]
                              rng=5)
    pd.testing.assert_frame_equal(rows.to_frame(), cnt.to_frame(), rtol=1e-12, atol=1e-12)
    one = corrected_pass_rate(calibration=cal, n_pass=int(u.sum()), n=3000)
    assert one.statistic == pytest.approx(rows.statistic, abs=1e-12) if method == "lee2025" \
        else math.isfinite(one.statistic)


def test_corrected_pass_rate_counts_errors() -> None:
    cal = calibrate(*_rows(180, 20, 60, 140))
    with pytest.raises(StatisticsInputError, match="`n_pass` must not exceed `n`"):
        corrected_pass_rate(calibration=cal, n_pass=11, n=10)
    with pytest.raises(StatisticsInputError, match="not both"):
        corrected_pass_rate(["pass"], cal, n_pass=1, n=1)
    with pytest.raises(StatisticsInputError, match="got neither"):
        corrected_pass_rate(calibration=cal)
    with pytest.raises(StatisticsInputError, match="same segments"):
        corrected_pass_rate(calibration=cal, n_pass={"a": 1}, n={"b": 2})
    with pytest.raises(StatisticsInputError, match="`n` must be a non-negative integer"):
        corrected_pass_rate(calibration=cal, n_pass=1, n=-3)


def test_non_numeric_scores_are_typed_errors_naming_the_trace() -> None:
    from evalkit.stats.calibration import ordinal_agreement

    with pytest.raises(StatisticsInputError, match=r"got 'high' for trace 1"):
        calibrate(["pass", "fail"], [0.9, "high"], threshold=0.5)
    with pytest.raises(StatisticsInputError, match=r"`judge_scores` has 'high' for trace 1"):
        ordinal_agreement([1, 2, 3], [1, "high", 3])
