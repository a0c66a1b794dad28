"""calibrate(): hand-derived cases, cross-checks against scikit-learn/statsmodels/scipy, errors."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm

import evalkit
from evalkit.errors import UndefinedStatisticWarning
from evalkit.labels import LabelAlignmentError
from evalkit.stats.calibration import (
    METRIC_NAMES,
    CalibrationResult,
    calibrate,
    check_gate,
)


def _pair(tp: int, fn: int, fp: int, tn: int) -> tuple[pd.Series, pd.Series]:
    human = ["pass"] * (tp + fn) + ["fail"] * (fp + tn)
    judge = ["pass"] * tp + ["fail"] * fn + ["pass"] * fp + ["fail"] * tn
    ids = [f"t{i}" for i in range(len(human))]
    return pd.Series(human, index=ids), pd.Series(judge, index=ids)


def test_public_exports() -> None:
    assert evalkit.calibrate is calibrate
    assert evalkit.CalibrationResult is CalibrationResult
    assert evalkit.stats.calibrate is calibrate


def test_hand_derived_confusion_and_rates() -> None:
    # tp=40 fn=10 fp=5 tn=45 (n=100)
    # TPR = 40/50 = 0.8; TNR = 45/50 = 0.9; precision = 40/45; NPV = 45/55; accuracy = 85/100
    # balanced = 0.85; F1 = 80/(80+15) = 0.8421; prevalence = 0.5
    # kappa: po = .85, pe = (50*45 + 50*55)/100^2 = 0.5 -> (0.85-0.5)/0.5 = 0.7
    res = calibrate(*_pair(40, 10, 5, 45))
    assert (res.tp, res.fn, res.fp, res.tn, res.n) == (40, 10, 5, 45, 100)
    assert res.confusion_matrix.loc["pass", "pass"] == 40
    assert res.confusion_matrix.loc["fail", "pass"] == 5
    expected = {
        "tpr": 0.8,
        "tnr": 0.9,
        "precision": 40 / 45,
        "npv": 45 / 55,
        "accuracy": 0.85,
        "balanced_accuracy": 0.85,
        "f1": 80 / 95,
        "kappa": 0.7,
        "prevalence": 0.5,
    }
    for name, value in expected.items():
        assert getattr(res, name).statistic == pytest.approx(value, abs=1e-12), name
    assert res.judge_pass_rate == pytest.approx(0.45)


@pytest.mark.parametrize(
    "method,scipy_method", [("wilson", "wilson"), ("clopper-pearson", "exact")]
)
def test_proportion_intervals_match_scipy(method: str, scipy_method: str) -> None:
    res = calibrate(*_pair(37, 13, 8, 42), method=method, confidence_level=0.9)
    for name, (k, n) in {
        "tpr": (37, 50),
        "tnr": (42, 50),
        "precision": (37, 45),
        "npv": (42, 55),
        "accuracy": (79, 100),
        "prevalence": (50, 100),
    }.items():
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.9, method=scipy_method)
        got = getattr(res, name).confidence_interval
        assert got.low == pytest.approx(ci.low, abs=1e-10), name
        assert got.high == pytest.approx(ci.high, abs=1e-10), name


@pytest.mark.parametrize("seed", range(5))
def test_point_estimates_match_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(50, 400))
    h = rng.random(n) < rng.uniform(0.2, 0.8)
    j = np.where(h, rng.random(n) < 0.85, rng.random(n) < 0.3)
    res = calibrate(h.astype(int), j.astype(int))
    assert res.tpr.statistic == pytest.approx(skm.recall_score(h, j))
    assert res.tnr.statistic == pytest.approx(skm.recall_score(~h, ~j))
    assert res.precision.statistic == pytest.approx(skm.precision_score(h, j))
    assert res.npv.statistic == pytest.approx(skm.precision_score(~h, ~j))
    assert res.accuracy.statistic == pytest.approx(skm.accuracy_score(h, j))
    assert res.balanced_accuracy.statistic == pytest.approx(skm.balanced_accuracy_score(h, j))
    assert res.f1.statistic == pytest.approx(skm.f1_score(h, j))
    assert res.kappa.statistic == pytest.approx(skm.cohen_kappa_score(h, j))
    tn, fp, fn, tp = skm.confusion_matrix(h, j).ravel()
    assert (res.tp, res.fn, res.fp, res.tn) == (tp, fn, fp, tn)


def test_kappa_standard_error_matches_statsmodels() -> None:
    from statsmodels.stats.inter_rater import cohens_kappa

    res = calibrate(*_pair(40, 10, 5, 45))
    sm = cohens_kappa(np.array([[40, 10], [5, 45]]))
    assert res.kappa.standard_error == pytest.approx(sm["std_kappa"], rel=1e-5)
    assert res.kappa.confidence_interval.low == pytest.approx(sm["kappa_low"], rel=1e-5)


def test_balanced_accuracy_delta_se_by_hand() -> None:
    # Var(BA) = (TPR(1-TPR)/P + TNR(1-TNR)/N) / 4 under independent binomials;
    # the multinomial delta method agrees: 0.25*(0.8*0.2/50 + 0.9*0.1/50) = 0.00125
    res = calibrate(*_pair(40, 10, 5, 45))
    assert res.balanced_accuracy.standard_error == pytest.approx(math.sqrt(0.00125), rel=1e-5)


def test_bootstrap_method_is_seeded_and_covers_estimate() -> None:
    h, j = _pair(40, 10, 5, 45)
    a = calibrate(h, j, method="bootstrap", rng=3, n_resamples=1000)
    b = calibrate(h, j, method="bootstrap", rng=3, n_resamples=1000)
    for name in METRIC_NAMES:
        ea, eb = getattr(a, name), getattr(b, name)
        assert ea.confidence_interval == eb.confidence_interval
        assert ea.confidence_interval.low <= ea.statistic <= ea.confidence_interval.high
    # the bootstrap TPR interval is close to Wilson's at n=50
    w = calibrate(h, j).tpr.confidence_interval
    assert a.tpr.confidence_interval.low == pytest.approx(w.low, abs=0.04)


def test_alignment_on_index_and_trace_id() -> None:
    h = pd.DataFrame({"trace_id": ["a", "b", "c"], "verdict": ["pass", "fail", "pass"]})
    j = pd.DataFrame(
        {"trace_id": ["c", "x", "b", "a"], "verdict": ["fail", "pass", "fail", "pass"]}
    )
    res = calibrate(h, j)  # 'x' is unlabeled production traffic: ignored
    assert (res.tp, res.fn, res.fp, res.tn) == (1, 1, 0, 1)
    hs = h.set_index("trace_id")["verdict"]
    js = j.set_index("trace_id")["verdict"]
    assert calibrate(hs, js).tp == 1
    with pytest.raises(LabelAlignmentError, match=r"1 judge trace ids have no human label"):
        calibrate(h, j, strict=True)


def test_alignment_errors() -> None:
    h = pd.Series(["pass", "fail"], index=["a", "b"])
    with pytest.raises(
        LabelAlignmentError,
        match=r"1 of 2 human-labelled trace ids have no "
        r"judge verdict \(e.g. \['b'\]\)",
    ):
        calibrate(h, pd.Series(["pass"], index=["a"]))
    with pytest.raises(LabelAlignmentError, match=r"`human` has duplicated trace ids \['a'\]"):
        calibrate(pd.Series(["pass", "fail"], index=["a", "a"]), h)
    with pytest.raises(LabelAlignmentError, match=r"`judge` has 1 missing verdicts"):
        calibrate(h, pd.Series(["pass", None], index=["a", "b"]))
    with pytest.raises(LabelAlignmentError, match="same length; got 2 and 3"):
        calibrate(["pass", "fail"], ["pass", "fail", "pass"])
    with pytest.raises(LabelAlignmentError, match="must have a 'verdict' column"):
        calibrate(pd.DataFrame({"trace_id": ["a"], "label": ["pass"]}), h)


def test_validation_messages() -> None:
    h, j = _pair(3, 1, 1, 3)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "`method` must be one of 'wilson', 'clopper-pearson', 'jeffreys', 'bootstrap'; "
            "got 'wald'."
        ),
    ):
        calibrate(h, j, method="wald")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"`confidence_level` must be in \(0, 1\); got 1.5"):
        calibrate(h, j, confidence_level=1.5)
    with pytest.raises(ValueError, match="verdicts must be binary"):
        calibrate(["pass", "fail", "defer"], ["pass", "fail", "pass"])
    with pytest.raises(ValueError, match="`threshold` needs numeric judge scores"):
        calibrate(["pass", "fail"], ["x", "y"], threshold=3)


def test_undefined_metrics_warn_and_return_nan() -> None:
    # no human-fail cases: TNR undefined; judge always passes: NPV undefined; kappa: pe = 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = calibrate(["pass"] * 5, ["pass"] * 5)
    msgs = [str(w.message) for w in caught if w.category is UndefinedStatisticWarning]
    assert any(m.startswith("tnr is undefined") for m in msgs)
    assert any(m.startswith("kappa is undefined") for m in msgs)
    assert math.isnan(res.tnr.statistic) and math.isnan(res.npv.statistic)
    assert math.isnan(res.kappa.statistic)
    assert res.tpr.statistic == 1.0


def test_threshold_binarises_scores() -> None:
    h = pd.DataFrame({"trace_id": list("abcd"), "verdict": ["pass", "pass", "fail", "fail"]})
    j = pd.DataFrame({"trace_id": list("abcd"), "verdict": ["?"] * 4, "score": [5, 3, 4, 1]})
    res = calibrate(h, j, threshold=4)  # passes a (5) and c (4)
    assert (res.tp, res.fn, res.fp, res.tn) == (1, 1, 1, 1)


def test_by_segments_tidy_frame() -> None:
    rng = np.random.default_rng(1)
    n = 300
    seg = rng.choice(["billing", "outage", "sso"], n)
    h = rng.random(n) < 0.6
    j = np.where(h, rng.random(n) < 0.9, rng.random(n) < 0.2)
    frame = pd.DataFrame(
        {
            "trace_id": [f"t{i}" for i in range(n)],
            "verdict": np.where(h, "pass", "fail"),
            "segment": seg,
        }
    )
    judge = pd.DataFrame({"trace_id": frame["trace_id"], "verdict": np.where(j, "pass", "fail")})
    res = calibrate(frame, judge, by="segment")
    assert set(res.segments) == {"billing", "outage", "sso"}
    for s, r in res.segments.items():
        m = seg == s
        assert r.n == m.sum()
        assert r.tp == int(np.sum(h[m] & j[m]))
    tidy = res.to_frame()
    assert list(tidy["segment"].unique()) == ["(all)", "billing", "outage", "sso"]
    assert len(tidy) == 4 * len(METRIC_NAMES)
    assert {"metric", "statistic", "ci_low", "ci_high", "n"} <= set(tidy.columns)
    with pytest.raises(ValueError, match="`by` column 'region' is not in `human` or `judge`"):
        calibrate(frame, judge, by="region")


def test_recompute_html_and_str() -> None:
    res = calibrate(*_pair(40, 10, 5, 45))
    cp = res.recompute(method="clopper-pearson", confidence_level=0.99)
    assert cp.tpr.statistic == res.tpr.statistic
    assert cp.tpr.confidence_interval.low < res.tpr.confidence_interval.low
    assert cp.method == "clopper-pearson"
    html = res._repr_html_()
    assert "Judge calibration" in html and "tpr" in html and "<table" in html
    assert "TPR=0.800" in str(res)


def test_gate_lower_vs_point() -> None:
    res = calibrate(*_pair(42, 8, 6, 44))  # TPR 0.84, TNR 0.88; Wilson lower ~0.71, 0.76
    assert check_gate(res, min_tpr=0.8, min_tnr=0.8, bound="point").passed
    gate = check_gate(res, min_tpr=0.8, min_tnr=0.8, bound="lower")
    assert not gate.passed
    assert gate.checks["passed"].tolist() == [False, False]
    assert "gate failed" in gate.to_markdown(res)
    with pytest.raises(ValueError, match="`bound` must be one of 'lower', 'point'; got 'upper'"):
        check_gate(res, bound="upper")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"`min_tpr` must be in \[0, 1\]; got 1.2"):
        check_gate(res, min_tpr=1.2)


def test_boolean_and_01_verdicts() -> None:
    res = calibrate([True, True, False, False], [True, False, False, False])
    assert (res.tp, res.fn, res.fp, res.tn) == (1, 1, 0, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res2 = calibrate([1, 1, 0, 0], [1, 0, 0, 0])
    assert res2.tpr.statistic == 0.5


# Property registry (sklearn test_common style): how each metric transforms when the roles of
# pass and fail are swapped (positive='fail'). Every metric must be listed.
SWAP_PARTNER = {
    "tpr": "tnr",
    "tnr": "tpr",
    "precision": "npv",
    "npv": "precision",
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced_accuracy",
    "kappa": "kappa",
}
SWAP_COMPLEMENT = {"prevalence"}  # becomes 1 - itself
SWAP_NONE = {"f1"}  # F1 of the other class: no fixed relation


def test_every_metric_is_in_the_registry() -> None:
    assert set(METRIC_NAMES) == set(SWAP_PARTNER) | SWAP_COMPLEMENT | SWAP_NONE


@pytest.mark.parametrize("name", sorted(SWAP_PARTNER))
def test_relabelling_swaps_partner_metrics(name: str) -> None:
    h, j = _pair(31, 9, 12, 48)
    a = calibrate(h, j)
    b = calibrate(h, j, positive="fail")
    ea, eb = getattr(a, name), getattr(b, SWAP_PARTNER[name])
    assert eb.statistic == pytest.approx(ea.statistic)
    assert eb.confidence_interval.low == pytest.approx(ea.confidence_interval.low)
    assert eb.confidence_interval.high == pytest.approx(ea.confidence_interval.high)


def test_relabelling_complements_prevalence() -> None:
    h, j = _pair(31, 9, 12, 48)
    assert calibrate(h, j, positive="fail").prevalence.statistic == pytest.approx(
        1 - calibrate(h, j).prevalence.statistic
    )


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_order_of_cases_does_not_matter(name: str) -> None:
    h, j = _pair(31, 9, 12, 48)
    perm = np.random.default_rng(0).permutation(len(h))
    a = getattr(calibrate(h, j), name)
    b = getattr(calibrate(h.iloc[perm], j.iloc[perm[::-1]]), name)  # aligned by id, not position
    assert a.statistic == pytest.approx(b.statistic)
    assert a.confidence_interval == pytest.approx(b.confidence_interval)
