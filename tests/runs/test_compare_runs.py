"""compare_runs: pairing, per-segment statistics, the gate, counts in == rows in, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import evalkit
from evalkit.runs import (
    DuplicateCaseError,
    EmptySegmentError,
    MixedOutcomeError,
    RunInputError,
    RunsError,
    UnmatchedCasesError,
    VerdictMismatchError,
    compare_runs,
)
from evalkit.stats import mcnemar_pvalue, paired_difference_interval
from evalkit.stats.calibration import calibrate

LINK = '<a href="http://evil.invalid" target="_top">seg</a>'


def _runs(
    seed: int = 0, n: int = 600, segments: tuple[str, ...] = ("a", "b", "c"), p: float = 0.8,
    drop: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    seg = rng.choice(segments, size=n)
    base = rng.random(n) < p
    flip = rng.random(n) < 0.1
    cand = np.where(flip, ~base, base)
    for s, q in (drop or {}).items():
        hit = (seg == s) & (rng.random(n) < q)
        cand = np.where(hit, False, cand)
    ids = [f"c{i:05d}" for i in range(n)]
    b = pd.DataFrame({"case_id": ids, "segment": seg,
                      "verdict": np.where(base, "pass", "fail")})
    c = pd.DataFrame({"case_id": ids, "segment": seg,
                      "verdict": np.where(cand, "PASS", "Fail")})  # same vocabulary, other case
    return b, c.sample(frac=1.0, random_state=1)  # row order must not matter


def _tables(b: pd.DataFrame, c: pd.DataFrame) -> pd.DataFrame:
    """The paired 2x2 tables by plain pandas (independent of evalkit's pairing)."""
    m = b.merge(c, on=["case_id", "segment"], suffixes=("_b", "_c"))
    pb = m["verdict_b"].str.lower() == "pass"
    pc = m["verdict_c"].str.lower() == "pass"
    m = m.assign(n11=pb & pc, n10=pb & ~pc, n01=~pb & pc, n00=~pb & ~pc)
    return m.groupby("segment")[["n11", "n10", "n01", "n00"]].sum().reset_index()


def test_rows_match_a_pandas_crosstab_and_the_stats_functions() -> None:
    b, c = _runs()
    res = compare_runs(b, c, rng=0)
    f = res.to_frame()
    t = _tables(b, c)
    assert list(f["segment"]) == ["(all)", "a", "b", "c"]
    np.testing.assert_array_equal(f.loc[1:, ["n11", "n10", "n01", "n00"]].to_numpy(),
                                  t[["n11", "n10", "n01", "n00"]].to_numpy())
    lo, hi = paired_difference_interval(*t[["n11", "n10", "n01", "n00"]].to_numpy().T)
    np.testing.assert_allclose(f.loc[1:, "ci_low"], lo, rtol=0, atol=0)
    np.testing.assert_allclose(f.loc[1:, "ci_high"], hi, rtol=0, atol=0)
    np.testing.assert_allclose(f.loc[1:, "p_value"], mcnemar_pvalue(t["n10"], t["n01"]))
    tot = t[["n11", "n10", "n01", "n00"]].sum()
    assert res.statistic == (tot["n01"] - tot["n10"]) / tot.sum()
    assert res.n_pairs == 600 and res.method == "tango"


def test_counts_in_equals_rows_in() -> None:
    b, c = _runs(seed=5, drop={"b": 0.2})
    rows = compare_runs(b, c, rng=42).to_frame()
    counts = compare_runs(_tables(b, c), rng=42).to_frame()
    assert list(rows.columns) == list(counts.columns)
    num = rows.select_dtypes("number").columns
    np.testing.assert_allclose(rows[num].to_numpy(float), counts[num].to_numpy(float),
                               rtol=0, atol=1e-12)  # bootstrap included: it resamples the table
    assert (rows["regressed"] == counts["regressed"]).all()


def test_score_counts_in_equals_rows_in_and_matches_ttest_rel() -> None:
    rng = np.random.default_rng(9)
    n = 300
    seg = rng.choice(["x", "y"], n)
    xb = rng.uniform(0, 1, n)
    xc = np.clip(xb + rng.normal(0.02, 0.1, n), 0, 1)
    b = pd.DataFrame({"trace_id": range(n), "segment": seg, "score": xb})
    c = pd.DataFrame({"trace_id": range(n), "segment": seg, "score": xc})
    rows = compare_runs(b, c, rng=1)
    d = xc - xb
    sums = pd.DataFrame({"segment": ["x", "y"],
                         "n": [int((seg == s).sum()) for s in ("x", "y")],
                         "sum_baseline": [xb[seg == s].sum() for s in ("x", "y")],
                         "sum_candidate": [xc[seg == s].sum() for s in ("x", "y")],
                         "sum_diff": [d[seg == s].sum() for s in ("x", "y")],
                         "sum_diff_sq": [(d[seg == s] ** 2).sum() for s in ("x", "y")]})
    counts = compare_runs(sums, rng=1)
    cols = ["n", "baseline_rate", "candidate_rate", "delta", "ci_low", "ci_high", "p_value",
            "p_holm", "p_bh"]
    np.testing.assert_allclose(rows.to_frame()[cols].to_numpy(float),
                               counts.to_frame()[cols].to_numpy(float), rtol=0, atol=1e-12)
    ref = stats.ttest_rel(xc[seg == "x"], xb[seg == "x"])
    fx = rows.to_frame().set_index("segment").loc["x"]
    assert fx["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert fx["ci_low"] == pytest.approx(ref.confidence_interval().low, rel=1e-9)
    assert rows.outcome == "score" and rows.method == "t"
    # the score bootstrap needs rows: from sums it is nan, from rows it brackets the delta
    assert np.isnan(counts.to_frame()["bootstrap_low"]).all()
    assert (rows.to_frame()["bootstrap_low"] < rows.to_frame()["delta"]).all()


def test_gate_catches_a_rare_segment_hidden_by_an_average_improvement() -> None:
    rng = np.random.default_rng(1)
    n_big, n_rare = 4000, 400
    seg = np.r_[np.repeat("common", n_big), np.repeat("rare", n_rare)]
    base = rng.random(n_big + n_rare) < 0.8
    cand = base.copy()
    fix = (seg == "common") & ~base & (rng.random(len(seg)) < 0.5)  # +~10 points on common
    cand[fix] = True
    broke = (seg == "rare") & base & (rng.random(len(seg)) < 0.25)  # -~20 points on rare
    cand[broke] = False
    ids = np.arange(len(seg))
    b = pd.DataFrame({"case_id": ids, "segment": seg, "verdict": base})
    c = pd.DataFrame({"case_id": ids, "segment": seg, "verdict": cand})
    res = compare_runs(b, c, rng=0)
    assert res.statistic > 0  # the average improves
    assert not res.gate_passed and res.regressions == ("rare",)
    f = res.to_frame().set_index("segment")
    assert f.loc["rare", "ci_high"] < -0.03 and f.loc["rare", "regressed"]
    assert f.loc["rare", "significant"]  # survives Holm over the two segments


def test_bound_point_versus_lower() -> None:
    # one segment: delta = -0.02 on 100 cases; the point passes a 0.03 margin, the bound does not
    t = pd.DataFrame({"segment": ["s"], "n11": [70], "n10": [5], "n01": [3], "n00": [22]})
    assert compare_runs(t, bound="point", n_resamples=0).gate_passed
    low = compare_runs(t, bound="lower", n_resamples=0)
    assert not low.gate_passed and set(low.regressions) == {"(all)", "s"}
    assert low.to_frame()["gate_value"].iloc[0] == low.confidence_interval.low


def test_adjustments_reported_and_selected() -> None:
    b, c = _runs(seed=2, segments=tuple("abcdef"), drop={"a": 0.3})
    f = compare_runs(b, c, adjust="bh", n_resamples=0).to_frame()
    np.testing.assert_array_equal(f["p_adjusted"], f["p_bh"])
    seg = f["scope"] == "segment"
    from statsmodels.stats.multitest import multipletests

    np.testing.assert_allclose(f.loc[seg, "p_holm"],
                               multipletests(f.loc[seg, "p_value"], method="holm")[1], rtol=1e-12)
    assert f.loc[~seg, "p_holm"].iloc[0] == f.loc[~seg, "p_value"].iloc[0]
    none = compare_runs(b, c, adjust="none", n_resamples=0).to_frame()
    np.testing.assert_array_equal(none["p_adjusted"], none["p_value"])


def test_interval_choice_and_mid_p() -> None:
    b, c = _runs(seed=3)
    t = compare_runs(b, c, interval="newcombe", mid_p=True, rng=0)
    f = t.to_frame()
    np.testing.assert_array_equal(f["ci_low"], f["newcombe_low"])
    np.testing.assert_allclose(f["p_value"], mcnemar_pvalue(f["n10"], f["n01"], mid_p=True))
    boot = compare_runs(b, c, interval="bootstrap", rng=0).to_frame()
    np.testing.assert_array_equal(boot["ci_low"], boot["bootstrap_low"])
    again = compare_runs(b, c, interval="bootstrap", rng=0).to_frame()
    np.testing.assert_array_equal(boot["bootstrap_low"], again["bootstrap_low"])  # seeded


def test_unmatched_cases_error_lists_them_and_drop_reports_them() -> None:
    b, c = _runs()
    c2 = c[~c["case_id"].isin(["c00003", "c00007"])]
    b2 = pd.concat([b, pd.DataFrame({"case_id": ["extra"], "segment": ["a"], "verdict": ["pass"]})])
    with pytest.raises(UnmatchedCasesError, match=r"2 only in the baseline .*'c00003'.*"
                       r"1 only in the candidate|3 only in the baseline") as ei:
        compare_runs(b2, c2)
    assert set(ei.value.only_baseline) == {"c00003", "c00007", "extra"}
    res = compare_runs(b2, c2, unmatched="drop", n_resamples=0)
    assert res.n_pairs == 598 and set(res.only_baseline) == {"c00003", "c00007", "extra"}
    assert "3 unmatched case(s) dropped" in res.to_markdown()
    assert res.summary()["n_only_baseline"] == 3


def test_cases_list_restricts_and_supplies_segments() -> None:
    b, c = _runs()
    b = b.drop(columns="segment")
    c = c.drop(columns="segment")
    cases = pd.DataFrame({"case_id": [f"c{i:05d}" for i in range(100)],
                          "segment": ["x"] * 50 + ["y"] * 50})
    res = compare_runs(b, c, cases=cases, n_resamples=0)
    assert res.n_pairs == 100 and res.n_outside_cases == 1000
    assert list(res.to_frame()["segment"]) == ["(all)", "x", "y"]
    more = pd.concat([cases, pd.DataFrame({"case_id": ["zzz"], "segment": ["x"]})])
    with pytest.raises(UnmatchedCasesError, match="1 case\\(s\\) missing from the baseline"):
        compare_runs(b, c, cases=more)


def test_ids_compare_across_dtypes_and_row_order() -> None:
    b = pd.DataFrame({"case_id": [1, 2, 3], "verdict": [True, False, True]})
    c = pd.DataFrame({"case_id": ["3", "1", "2"], "verdict": ["yes", "yes", "no"]})
    res = compare_runs(b, c, by=None, n_resamples=0)
    assert res.to_frame()[["n11", "n10", "n01", "n00"]].iloc[0].tolist() == [2, 0, 0, 1]


def test_custom_vocabulary_and_mismatch() -> None:
    b = pd.DataFrame({"case_id": [1, 2], "verdict": ["good", "bad"]})
    c = pd.DataFrame({"case_id": [1, 2], "verdict": ["good", "good"]})
    res = compare_runs(b, c, positive="good", by=None, n_resamples=0)
    assert res.statistic == 0.5
    c_other = pd.DataFrame({"case_id": [1, 2], "verdict": ["pass", "fail"]})
    with pytest.raises(VerdictMismatchError, match="one two-valued vocabulary"):
        compare_runs(b, c_other, positive="good")
    with pytest.raises(VerdictMismatchError, match="not in the verdict vocabulary"):
        compare_runs(b, c)
    with pytest.raises(VerdictMismatchError, match="look like scores"):
        compare_runs(b.assign(verdict=[0.2, 0.9]), c, positive=None)


def test_bad_input_is_typed() -> None:
    b, c = _runs(n=20)
    with pytest.raises(DuplicateCaseError, match="1 duplicated case_id"):
        compare_runs(pd.concat([b, b.iloc[:1]]), c)
    with pytest.raises(MixedOutcomeError, match="baseline has verdicts and the candidate has sc"):
        compare_runs(b, c.drop(columns="verdict").assign(score=0.5))
    with pytest.raises(MixedOutcomeError, match="both a 'verdict' and a 'score'"):
        compare_runs(b.assign(score=1.0), c)
    with pytest.raises(RunInputError, match="needs a 'case_id' or 'trace_id'"):
        compare_runs(b.drop(columns="case_id"), c)
    with pytest.raises(RunInputError, match="disagree on 'segment'"):
        compare_runs(b, c.assign(segment="zzz"))
    with pytest.raises(RunInputError, match="`by` column 'tier' is in neither run"):
        compare_runs(b, c, by="tier")
    with pytest.raises(RunInputError, match="`bound` must be one of 'lower', 'point'; got 'upper'"):
        compare_runs(b, c, bound="upper")  # type: ignore[arg-type]
    with pytest.raises(RunInputError, match="`max_regression` must be in"):
        compare_runs(b, c, max_regression=-0.1)
    with pytest.raises(RunInputError, match="`max_regression` must be in"):
        compare_runs(b, c, max_regression=float("nan"))
    with pytest.raises(RunInputError, match="`confidence_level` must be in"):
        compare_runs(b, c, confidence_level=1.0)
    with pytest.raises(RunInputError, match="`interval` must be one of"):
        compare_runs(b, c, interval="t")
    with pytest.raises(RunInputError, match="needs two runs"):
        compare_runs(b)
    with pytest.raises(RunInputError, match="missing for 1 paired case"):
        compare_runs(b.assign(segment=[None] + ["a"] * 19), c.drop(columns="segment"))
    with pytest.raises(RunInputError, match="reserved for the overall row"):
        compare_runs(b.assign(segment="(all)"), c.drop(columns="segment"))
    with pytest.raises(EmptySegmentError, match="share no case"):
        compare_runs(b, c.assign(case_id="other" + c["case_id"]), unmatched="drop")
    with pytest.raises(VerdictMismatchError, match="missing verdict"):
        compare_runs(b.assign(verdict=[None] * 20), c)
    with pytest.raises(RunInputError, match="'score' must be finite"):
        compare_runs(b.drop(columns="verdict").assign(score=np.nan),
                     c.drop(columns="verdict").assign(score=1.0))
    with pytest.raises(RunInputError, match="`calibration` must be a CalibrationResult"):
        compare_runs(b, c, calibration="judge")
    assert issubclass(UnmatchedCasesError, RunsError)
    assert issubclass(RunsError, evalkit.EvalkitError)


def test_bad_counts_are_typed() -> None:
    ok = pd.DataFrame({"segment": ["a", "b"], "n11": [3, 4], "n10": [1, 0], "n01": [0, 1],
                       "n00": [2, 2]})
    with pytest.raises(EmptySegmentError, match="no paired case: 'b'"):
        compare_runs(ok.assign(n11=[3, 0], n01=[0, 0], n00=[2, 0]))
    with pytest.raises(RunInputError, match="non-negative integers"):
        compare_runs(ok.assign(n10=[1, -1]))
    with pytest.raises(RunInputError, match="non-negative integers"):
        compare_runs(ok.assign(n10=[1.5, 0]))
    with pytest.raises(DuplicateCaseError, match="segments listed twice"):
        compare_runs(ok.assign(segment=["a", "a"]))
    with pytest.raises(RunInputError, match="need a 'segment' column"):
        compare_runs(ok.drop(columns="segment"))
    with pytest.raises(RunInputError, match="numeric"):
        compare_runs(ok.assign(n11=["x", "y"]))


def test_calibrated_comparison_corrects_both_rates() -> None:
    rng = np.random.default_rng(4)
    human = np.repeat(["pass", "fail"], [150, 100])
    judge = np.where(rng.random(250) < 0.9, human, np.where(human == "pass", "fail", "pass"))
    cal = calibrate(human, judge)
    b, c = _runs(seed=6, drop={"a": 0.2})
    res = compare_runs(b, c, calibration=cal, rng=0)
    f = res.to_frame()
    tpr, tnr = cal.tpr.statistic, cal.tnr.statistic
    raw = f["raw_delta"].to_numpy()
    # one judge: the corrected delta is the raw delta divided by Youden's J
    np.testing.assert_allclose(f["delta"], raw / (tpr + tnr - 1), rtol=1e-12)
    assert res.method == "calibrated-bootstrap" and res.calibrated
    # the calibrated interval is wider than the raw bootstrap (calibration uncertainty added)
    raw_res = compare_runs(b, c, interval="bootstrap", rng=0).to_frame()
    assert ((f["ci_high"] - f["ci_low"]) > (raw_res["ci_high"] - raw_res["ci_low"])).all()
    two = compare_runs(b, c, calibration=(cal, cal), rng=0)
    assert two.statistic == pytest.approx(res.statistic)
    with pytest.raises(RunInputError, match="scores"):
        compare_runs(b.drop(columns="verdict").assign(score=0.1),
                     c.drop(columns="verdict").assign(score=0.2), calibration=cal)


def test_untrusted_names_are_escaped_in_html_markdown_and_plot() -> None:
    t = pd.DataFrame({"segment": [LINK, "x|y"], "n11": [50, 40], "n10": [9, 1], "n01": [1, 3],
                      "n00": [5, 10]})
    res = compare_runs(t, rng=0)
    page = res._repr_html_()
    assert "<a href" not in page and "&lt;a href" in page
    md = res.to_markdown()
    assert "<a href" not in md and "&lt;a href" in md and "x\\|y" in md
    fig = res.plot()
    texts = [str(v) for v in fig.data[0].y] + [fig.layout.title.text]
    texts += [a.text for a in fig.layout.annotations]
    assert all("<" not in s for s in texts)
    assert any("&lt;a href" in s for s in texts)
    assert str(res).startswith("candidate - baseline = ")
