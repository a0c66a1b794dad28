"""failure_rates, intervals, ranking, saturation, transitions; oracles: statsmodels, scipy."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

import evalkit
from evalkit.labels import LabelStore
from evalkit.stats import agreement_report
from evalkit.taxonomy import (
    Mode,
    Taxonomy,
    TaxonomyError,
    UnknownModeError,
    UnknownTaxonomyVersionError,
    failure_rates,
    failure_transitions,
    rank_failures,
    record_modes,
    saturation,
    weighted_proportion_interval,
    weighted_rate_sums,
)

MODES = ["refusal", "dead_end", "made_up"]


def _labels(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seg = rng.choice(["billing", "legal", "outage"], size=n, p=[0.6, 0.25, 0.15])
    modes = [
        ";".join(
            m
            for m, p in zip(MODES, (0.1, 0.2 if s == "legal" else 0.05, 0.07), strict=True)
            if rng.random() < p
        )
        for s in seg
    ]
    return pd.DataFrame(
        {
            "trace_id": [f"t{i}" for i in range(n)],
            "segment": seg,
            "failure_modes": modes,
            "sample_weight": rng.uniform(1, 6, n),
        }
    )


def test_public_interval_functions() -> None:
    assert evalkit.wilson_interval is evalkit.stats.wilson_interval
    lo, hi = evalkit.stats.proportion_interval(3, 10, method="clopper-pearson")
    # scipy's binomtest is the peer for Clopper-Pearson
    from scipy.stats import binomtest

    ci = binomtest(3, 10).proportion_ci(method="exact")
    assert (float(lo), float(hi)) == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_unweighted_rates_match_statsmodels_wilson_per_segment() -> None:
    df = _labels(700, seed=1)
    res = failure_rates(df, Taxonomy(modes=MODES))
    t = res.to_frame()
    for seg in ["(all)", "billing", "legal", "outage"]:
        part = df if seg == "(all)" else df[df["segment"] == seg]
        for mode in MODES:
            k = int(part["failure_modes"].str.split(";").apply(lambda v, m=mode: m in v).sum())
            row = t[(t["segment"] == seg) & (t["mode"] == mode)].iloc[0]
            lo, hi = proportion_confint(k, len(part), alpha=0.05, method="wilson")
            assert (row["k"], row["n"]) == (k, len(part))
            assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), rel=1e-10)
    anyk = int((df["failure_modes"] != "").sum())
    assert res.statistic == pytest.approx(anyk / len(df))
    assert res.rate("made_up", "legal").statistic == pytest.approx(
        t.query("segment == 'legal' and mode == 'made_up'")["rate"].iloc[0]
    )


def test_weighted_rate_and_se_match_statsmodels_wls_hc1() -> None:
    df = _labels(500, seed=2)
    res = failure_rates(df, Taxonomy(modes=MODES), weights="sample_weight", by=None)
    t = res.to_frame().set_index("mode")
    for mode in MODES:
        y = df["failure_modes"].str.split(";").apply(lambda v, m=mode: m in v).astype(float)
        fit = sm.WLS(y.to_numpy(), np.ones(len(y)), weights=df["sample_weight"]).fit(cov_type="HC1")
        assert t.loc[mode, "rate"] == pytest.approx(fit.params[0], rel=1e-12)
        assert t.loc[mode, "standard_error"] == pytest.approx(fit.bse[0], rel=1e-10)
        # Korn-Graubard: Wilson on n* = p(1-p)/V, capped at n
        p, v = fit.params[0], fit.bse[0] ** 2
        n_eff = min(p * (1 - p) / v, len(y))
        lo, hi = proportion_confint(p * n_eff, n_eff, method="wilson")
        assert (t.loc[mode, "ci_low"], t.loc[mode, "ci_high"]) == pytest.approx((lo, hi), rel=1e-9)
    assert res.weighted and res.method.startswith("weighted")


def test_equal_weights_by_hand() -> None:
    # 2 of 10, all weights 1: V = 10/9 * (0.2*0.8)/10, so n* = 9 (hand derivation)
    _p, se, lo, hi, n_eff = weighted_rate_sums(10.0, 2.0, 10.0, 2.0, 10)
    assert float(n_eff) == pytest.approx(9.0)
    assert float(se) == pytest.approx(np.sqrt(0.16 / 9))
    wlo, whi = proportion_confint(1.8, 9, method="wilson")
    assert (float(lo), float(hi)) == pytest.approx((wlo, whi))
    # no failures: Kish n* = (sum w)^2 / sum w^2 = 16/10 with weights 1, 3
    p0, _, lo0, _hi0, n0 = weighted_rate_sums(4.0, 0.0, 10.0, 0.0, 2)
    assert float(p0) == 0.0 and float(lo0) == 0.0 and float(n0) == pytest.approx(1.6)
    with pytest.raises(ValueError, match="positive and finite"):
        weighted_proportion_interval([1, 0], [1.0, -1.0])
    with pytest.raises(ValueError, match="one length"):
        weighted_proportion_interval([1, 0], [1.0])


@pytest.mark.slow
def test_weighted_interval_coverage_simulation() -> None:
    """Stratified sample, unequal probabilities: the weighted interval covers the population rate.

    The count of failures drawn without replacement in each stratum is hypergeometric, so every
    replication reduces to four weight sums (vectorised over 20,000 replications per scenario).
    """
    rng = np.random.default_rng(20250303)
    reps = 20_000
    scenarios = [  # (N_h, rate_h, n_h)
        ((8000, 1000, 1000), (0.03, 0.30, 0.50), (40, 40, 40)),
        ((8000, 1000, 1000), (0.01, 0.05, 0.10), (60, 30, 30)),
        ((5000, 3000, 2000), (0.10, 0.20, 0.40), (30, 30, 60)),
    ]
    for big_n, rate, small_n in scenarios:
        big_n_, small_n_ = np.array(big_n), np.array(small_n)
        ones = np.rint(big_n_ * np.array(rate)).astype(int)
        truth = ones.sum() / big_n_.sum()
        k = np.column_stack(
            [
                rng.hypergeometric(ones[h], big_n_[h] - ones[h], small_n_[h], size=reps)
                for h in range(3)
            ]
        )
        w = big_n_ / small_n_
        sw = float((w * small_n_).sum())
        sw2 = float((w**2 * small_n_).sum())
        _, _, lo, hi, _ = weighted_rate_sums(sw, k @ w, sw2, k @ w**2, small_n_.sum())
        coverage = np.mean((lo <= truth) & (truth <= hi))
        assert 0.93 <= coverage <= 0.995, (big_n, rate, coverage)
        # the unweighted Wilson interval on the same samples misses the population rate
        ulo, uhi = evalkit.wilson_interval(k.sum(axis=1), small_n_.sum())
        assert np.mean((ulo <= truth) & (truth <= uhi)) < 0.8


def test_parents_roll_up_and_codes_and_history_resolve() -> None:
    tax = Taxonomy(
        modes=[
            Mode(name="scheduling"),
            Mode(name="reschedule", parent="scheduling"),
            Mode(name="cancel", parent="scheduling"),
            Mode(name="tone"),
        ],
        codes={"moved wrong day": "reschedule"},
    ).rename("tone", "rude", who="a", when="2025-01-01T00:00:00Z")
    df = pd.DataFrame(
        {
            "trace_id": list("abcde"),
            "failure_modes": ["moved wrong day", "cancel;reschedule", "tone", "", "rude"],
        }
    )
    t = failure_rates(df, tax, by=None).to_frame().set_index("mode")
    # hand count: scheduling = a, b (any child); reschedule = a, b; cancel = b; rude = c, e
    assert t["k"].to_dict() == {
        "scheduling": 2,
        "reschedule": 2,
        "cancel": 1,
        "rude": 2,
        "(any mode)": 4,
    }
    ranked = rank_failures(failure_rates(df, tax, by=None)).to_frame()
    assert "scheduling" not in set(ranked["mode"])  # parents would double count


def test_failure_rates_errors() -> None:
    tax = Taxonomy(modes=["a"])
    df = pd.DataFrame({"trace_id": ["x", "y"], "failure_modes": ["a", "zzz"]})
    with pytest.raises(UnknownModeError, match="trace 'y' has failure mode 'zzz'"):
        failure_rates(df, tax, by=None)
    with pytest.raises(TaxonomyError, match="`by` column 'segment' is not in the labels"):
        failure_rates(df.iloc[:1], tax)
    with pytest.raises(TaxonomyError, match="`weights` column 'w' is not in the labels"):
        failure_rates(df.iloc[:1], tax, by=None, weights="w")
    with pytest.raises(TaxonomyError, match=r"trace 'x' has 0\.0"):
        failure_rates(df.iloc[:1], tax, by=None, weights=[0.0])
    two = pd.DataFrame(
        {"trace_id": ["x", "x"], "annotator": ["p", "q"], "failure_modes": ["a", ""]}
    )
    with pytest.raises(TaxonomyError, match="several annotators per trace \\(p, q\\)"):
        failure_rates(two, tax, by=None)
    assert failure_rates(two, tax, by=None, annotator="q").statistic == 0.0
    versioned = df.iloc[:1].assign(taxonomy_version=[4])
    with pytest.raises(UnknownTaxonomyVersionError, match=r"trace 'x' .* v4"):
        failure_rates(versioned, tax, by=None)
    with pytest.raises(TaxonomyError, match="must be a Taxonomy"):
        failure_rates(df, ["a"], by=None)  # type: ignore[arg-type]


def test_deferred_traces_are_left_out_and_store_input_works(tmp_path) -> None:
    tax = Taxonomy(modes=["a", "b"])
    with LabelStore(tmp_path / "s.sqlite") as store:
        for tid, verdict, modes in [
            ("t1", "fail", ["a"]),
            ("t2", "pass", []),
            ("t3", "defer", ["b"]),
            ("t4", "fail", ["a", "b"]),
        ]:
            store.record(tid, annotator="ann", field="verdict", value=verdict)
            record_modes(store, tid, modes, taxonomy=tax, annotator="ann")
        t = failure_rates(store, tax, by=None).to_frame().set_index("mode")
        assert t.loc["a", "n"] == 3 and t.loc["a", "k"] == 2 and t.loc["b", "k"] == 1
        html_out = failure_rates(store, tax, by=None)._repr_html_()
        assert "Failure rates" in html_out


def test_html_and_plots_escape_names() -> None:
    tax = Taxonomy(modes=["<img src=x>"])
    df = pd.DataFrame(
        {
            "trace_id": ["a", "b"],
            "segment": ["<b>s</b>", "&x"],
            "failure_modes": ["<img src=x>", ""],
        }
    )
    res = failure_rates(df, tax)
    assert "<img" not in res._repr_html_() and "&lt;img src=x&gt;" in res._repr_html_()
    fig = res.plot()
    assert "&lt;b&gt;s&lt;/b&gt;" in list(fig.data[0].x) and "&amp;x" in list(fig.data[0].x)
    assert all("<img" not in y for y in fig.data[0].y)
    fig2 = rank_failures(res).plot()
    assert list(fig2.data[0].x) == ["&lt;img src=x&gt;"]


def test_rank_failures_by_hand() -> None:
    tax = Taxonomy(
        modes=[
            {"name": "a", "severity": 1},
            {"name": "b", "severity": 3},
            {"name": "c", "severity": 2},
        ]
    )
    df = pd.DataFrame(
        {
            "trace_id": list("0123456789"),
            "failure_modes": ["a", "a", "a", "a", "b", "c", "", "", "", ""],
        }
    )
    r = rank_failures(df, tax, by=None, cost={"c": 5.0})
    t = r.to_frame()
    # impact: a 0.4*1*1 = 0.4, b 0.1*3*1 = 0.3, c 0.1*2*5 = 1.0; total 1.7
    assert t["mode"].tolist() == ["c", "a", "b"]
    assert t["impact"].tolist() == pytest.approx([1.0, 0.4, 0.3])
    assert t["cumulative_share"].tolist() == pytest.approx([1 / 1.7, 1.4 / 1.7, 1.0])
    assert r.top == "c" and r.statistic == pytest.approx(0.1)
    with pytest.raises(UnknownModeError, match=r"`cost` names unknown modes \['zz'\]"):
        rank_failures(df, tax, by=None, cost={"zz": 1.0})
    with pytest.raises(TaxonomyError, match="`taxonomy` is required"):
        rank_failures(df)


def test_saturation_flags_a_run_without_new_codes() -> None:
    codes = ["a", "b", "c"] + [""] * 5 + ["d"] + ["a"] * 25
    df = pd.DataFrame({"trace_id": [f"t{i}" for i in range(len(codes))], "open_codes": codes})
    s = saturation(df, window=20)
    # new code at positions 1, 2, 3 and 9; 20 traces later (position 29) the run completes
    assert s.n_codes == 4 and s.saturated and s.saturated_at == 29
    assert s.curve["new_codes"].sum() == 4 and s.statistic == 0.0
    lo, hi = evalkit.wilson_interval(0, 20)
    assert tuple(s.confidence_interval) == pytest.approx((float(lo), float(hi)))
    short = saturation(df.iloc[:10], window=20)
    assert not short.saturated and short.saturated_at is None
    assert short.statistic == pytest.approx(0.4)  # 4 of the last 10 brought a new code
    assert "keep reviewing" in short._repr_html_()
    assert s.plot().data[0].y[-1] == 4
    with pytest.raises(TaxonomyError, match="`window` must be a positive integer; got 0"):
        saturation(df, window=0)
    ordered = df.assign(created_at=np.arange(len(df))[::-1])
    assert saturation(ordered).curve["trace_id"].iloc[0] == df["trace_id"].iloc[-1]


def test_failure_transitions_from_labels_and_steps() -> None:
    df = pd.DataFrame(
        {
            "trace_id": list("abcde"),
            "last_ok_state": ["plan", "plan", "search", None, "plan"],
            "first_failed_state": ["search", "search", "answer", "plan", None],
        }
    )
    tr = failure_transitions(df, states=["plan", "search", "answer"])
    assert tr.n_failing == 4
    assert tr.counts.loc["plan", "search"] == 2 and tr.counts.loc["(start)", "plan"] == 1
    cell = tr.to_frame().set_index(["last_ok", "first_fail"]).loc[("plan", "search")]
    lo, hi = proportion_confint(2, 4, method="wilson")
    assert (cell["share"], cell["ci_low"], cell["ci_high"]) == pytest.approx((0.5, lo, hi))
    assert tr.queue("plan", "search")["trace_id"].tolist() == ["a", "b"]
    assert tr.statistic == 0.5
    with pytest.raises(TaxonomyError, match="`last_ok` 'nope' is not a state"):
        tr.queue("nope", "search")
    with pytest.raises(TaxonomyError, match=r"states \['answer'\] are not in `states`"):
        failure_transitions(df, states=["plan", "search"])
    steps = pd.DataFrame(
        {
            "trace_id": ["s1", "s2"],
            "spans": [
                [{"name": "plan", "status": "ok"}, {"name": "search", "status": "error"}],
                [{"name": "plan", "status": "OK"}, {"name": "search", "status": "ok"}],
            ],
        }
    )
    tr2 = failure_transitions(steps, steps="spans")
    assert tr2.members.to_numpy().tolist() == [["s1", "plan", "search"]]
    fig = tr.plot()
    assert fig.data[0].z[1][1] == 2
    with pytest.raises(TaxonomyError, match="step 0 must be a dict"):
        failure_transitions(steps.assign(spans=[["x"], []]), steps="spans")


def test_agreement_report_accepts_a_store_and_its_frame(tmp_path) -> None:
    long = pd.DataFrame(
        {
            "trace_id": ["1", "1", "2", "2", "3", "3", "4", "4"],
            "annotator": ["a", "b"] * 4,
            "verdict": ["pass", "pass", "fail", "fail", "fail", "pass", "pass", "pass"],
            "failure_modes": ["", "", "x", "x;y", "x", "", "", ""],
        }
    )
    want = agreement_report(long, coefficients=["percent_agreement"]).frame
    with LabelStore(tmp_path / "s.sqlite") as store:
        for r in long.itertuples():
            store.record(r.trace_id, annotator=r.annotator, field="verdict", value=r.verdict)
            modes = [m for m in r.failure_modes.split(";") if m]
            store.record(r.trace_id, annotator=r.annotator, field="failure_modes", value=modes)
        for source in (store, store.labels()):
            got = agreement_report(source, coefficients=["percent_agreement"]).frame
            assert got["field"].tolist() == want["field"].tolist()
            assert got["statistic"].tolist() == pytest.approx(want["statistic"].tolist())


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "", "zz", "a;b"]), st.floats(-1, 5)), max_size=8),
    st.booleans(),
)
def test_fuzz_failure_rates_raises_only_typed_errors(rows, weighted) -> None:
    df = pd.DataFrame(
        {
            "trace_id": [f"t{i}" for i in range(len(rows))],
            "failure_modes": [r[0] for r in rows],
            "w": [r[1] for r in rows],
        }
    )
    try:
        res = failure_rates(
            df, Taxonomy(modes=["a", "b"]), by=None, weights="w" if weighted else None
        )
    except TaxonomyError:
        return
    t = res.to_frame()
    ok = t["n"] > 0
    assert (
        (t.loc[ok, "ci_low"] <= t.loc[ok, "rate"] + 1e-12)
        & (t.loc[ok, "rate"] <= t.loc[ok, "ci_high"] + 1e-12)
    ).all()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "", "c;d"]), st.sampled_from(["x", None])), max_size=10
    ),
    st.integers(-2, 25),
)
def test_fuzz_saturation_and_transitions_raise_only_typed_errors(rows, window) -> None:
    df = pd.DataFrame(
        {
            "trace_id": [f"t{i}" for i in range(len(rows))],
            "open_codes": [r[0] for r in rows],
            "last_ok_state": [r[1] for r in rows],
            "first_failed_state": [r[1] and "y" for r in rows],
        }
    )
    try:
        s = saturation(df, window=window)
        assert s.curve["distinct_codes"].is_monotonic_increasing
    except TaxonomyError:
        pass
    with contextlib.suppress(TaxonomyError):
        failure_transitions(df, states=None)


def test_saturation_follows_review_order_in_a_store(tmp_path) -> None:
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    with LabelStore(tmp_path / "s.sqlite") as store:
        # labelled z, y, x in that order: trace ids sort the other way
        for i, (tid, codes) in enumerate([("z", ["a"]), ("y", ["b"]), ("x", ["a"])]):
            store.record(tid, annotator="ann", field="open_codes", value=codes,
                         time=t0 + timedelta(minutes=i))  # fmt: skip
        s = saturation(store, window=1)
    assert s.curve["trace_id"].tolist() == ["z", "y", "x"]
    assert s.curve["new_codes"].tolist() == [1, 1, 0] and s.saturated_at == 3


@pytest.mark.parametrize("scale", [1e-296, 1e-160, 1e160, 1e300])
def test_weighted_rates_do_not_depend_on_the_scale_of_the_weights(scale) -> None:
    # Rates, SEs, intervals and effective n are invariant to multiplying every weight by a
    # constant; tiny or huge weights must not underflow or overflow w**2 into NaN intervals.
    df = pd.DataFrame(
        {
            "trace_id": [f"t{i}" for i in range(5)],
            "failure_modes": ["a", "", "a;b", "", "b"],
            "w": [1.0, 2.0, 3.0, 1.5, 0.5],
        }
    )
    tax = Taxonomy(modes=["a", "b"])
    want = failure_rates(df, tax, by=None, weights="w").to_frame()
    got = failure_rates(df.assign(w=df["w"] * scale), tax, by=None, weights="w").to_frame()
    cols = ["rate", "ci_low", "ci_high"]
    assert np.isfinite(got[cols].to_numpy()).all()
    np.testing.assert_allclose(got[cols].to_numpy(), want[cols].to_numpy(), rtol=1e-9)
    one = failure_rates(df.head(1).assign(w=scale), tax, by=None, weights="w").to_frame()
    assert np.isfinite(one[cols].to_numpy()).all()
