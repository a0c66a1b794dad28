"""online_signals and compare_online: hand derivations, statsmodels cluster-robust oracle, fuzz."""

from __future__ import annotations

import contextlib
import string

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from evalkit import compare_online, online_signals
from evalkit.errors import EvalkitError
from evalkit.runs import RunInputError, VerdictMismatchError
from evalkit.stats import StatisticsInputError

T0 = pd.Timestamp("2025-02-01T00:00:00Z")


def _small() -> pd.DataFrame:
    # s1: three turns at 0 s, 60 s ("why?"), 2000 s ("ok"); s2: one turn.
    return pd.DataFrame({
        "session_id": ["s1", "s1", "s1", "s2"],
        "timestamp": [T0, T0 + pd.Timedelta(60, "s"), T0 + pd.Timedelta(2000, "s"), T0],
        "segment": ["a", "a", "a", "b"],
        "input": ["hello", "why?", "ok", "hi?"],
        "escalated": [False, False, True, None],
        "task_completed": [None, None, False, True],
        "feedback": ["up", None, "down", "thumbs_up"],
    })


def test_hand_derived_rates() -> None:
    t = online_signals(_small()).table
    ov = t[t["segment"].isna()].set_index("signal")
    # continuation: turns 1 and 2 of s1 are followed by another turn; 2 of 4 answers
    assert ov.loc["continuation", ["k", "n"]].tolist() == [2, 4]
    # follow-up within 600 s asking a question: only turn 1 (next turn at 60 s with "?")
    assert ov.loc["follow_up", "k"] == 1
    # escalation per session: s1 has a True, s2 has no value -> 1 of 1 session
    assert ov.loc["escalation", ["k", "n"]].tolist() == [1, 1]
    # task completion per session: s1 False, s2 True
    assert ov.loc["task_completion", ["k", "n"]].tolist() == [1, 2]
    # thumbs: up, down, up (one answer unrated) -> 2 of 3
    assert ov.loc["thumbs_up", ["k", "n"]].tolist() == [2, 3]
    seg_b = t[(t["segment"] == "b") & (t["signal"] == "task_completion")].iloc[0]
    assert (seg_b["k"], seg_b["n"]) == (1, 1)


def test_session_rates_are_plain_wilson() -> None:
    rng = np.random.default_rng(2)
    n = 300
    df = pd.DataFrame({"session_id": [f"s{i}" for i in range(n)], "timestamp": T0,
                       "task_completed": rng.random(n) < 0.7})
    row = online_signals(df, by=None).table.set_index("signal").loc["task_completion"]
    lo, hi = proportion_confint(int(row["k"]), n, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), abs=1e-12)


def test_turn_rates_use_cluster_robust_design_effect() -> None:
    rng = np.random.default_rng(4)
    sizes = rng.integers(1, 8, 200)
    sess = np.repeat(np.arange(200), sizes)
    # session-level propensity: answers within a session are correlated
    p = np.repeat(rng.beta(1, 1, 200), sizes)
    fb = np.where(rng.random(sess.size) < p, "up", "down")
    df = pd.DataFrame({"session_id": [f"s{i:03d}" for i in sess], "feedback": fb,
                       "timestamp": T0 + pd.to_timedelta(np.arange(sess.size), "s")})
    row = online_signals(df, by=None).table.set_index("signal").loc["thumbs_up"]
    y = (fb == "up").astype(float)
    ols = sm.OLS(y, np.ones_like(y)).fit(cov_type="cluster", cov_kwds={"groups": sess})
    var_iid = y.mean() * (1 - y.mean()) / y.size
    assert row["design_effect"] == pytest.approx(ols.bse[0] ** 2 / var_iid, rel=1e-10)
    assert row["design_effect"] > 1.5
    n_eff = y.size / row["design_effect"]
    lo, hi = proportion_confint(y.mean() * n_eff, n_eff, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), abs=1e-10)


def _arm(n: int, completed: float, escalated: float, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({"session_id": [f"s{i}" for i in range(n)], "timestamp": T0,
                         "task_completed": rng.random(n) < completed,
                         "escalated": rng.random(n) < escalated})


def test_compare_online_verdicts() -> None:
    rng = np.random.default_rng(9)
    control = online_signals(_arm(20000, 0.80, 0.10, rng), by=None)  # a result is accepted too
    same = compare_online(control, _arm(20000, 0.80, 0.10, rng), by=None)
    assert same.verdict == "pass"
    worse = compare_online(control, _arm(4000, 0.70, 0.10, rng), by=None)
    tab = worse.table.set_index("signal")
    assert tab.loc["task_completion", "verdict"] == "fail" and worse.verdict == "fail"
    # escalation: lower is better, so a rise is the bad direction
    more_esc = compare_online(control, _arm(4000, 0.80, 0.16, rng), by=None)
    assert more_esc.table.set_index("signal").loc["escalation", "verdict"] == "fail"
    small = compare_online(_arm(50, 0.8, 0.1, rng), _arm(50, 0.8, 0.1, rng), by=None)
    assert small.verdict == "inconclusive"
    # relative tolerance: 2% of a 0.8 rate is 0.016
    rel = compare_online(control, _arm(2000, 0.80, 0.10, rng), by=None, relative=True)
    assert rel.table.set_index("signal").loc["task_completion", "tolerance"] == pytest.approx(
        0.02 * rel.table.set_index("signal").loc["task_completion", "rate_control"])
    # direction override
    flipped = compare_online(control, _arm(4000, 0.70, 0.10, rng), by=None,
                             higher_is_better={"task_completion": False})
    assert flipped.table.set_index("signal").loc["task_completion", "verdict"] == "pass"
    assert set(worse.statistic) == {"task_completion", "escalation", "continuation"}


def test_compare_online_rule_matches_hand_rule() -> None:
    rng = np.random.default_rng(1)
    cmp = compare_online(_arm(3000, 0.8, 0.1, rng), _arm(3000, 0.78, 0.1, rng), by=None)
    t = cmp.table.set_index("signal")
    for sig, row in t.iterrows():
        g_lo = row["ci_low"] if row["higher_is_better"] else -row["ci_high"]
        g_hi = row["ci_high"] if row["higher_is_better"] else -row["ci_low"]
        want = ("pass" if g_lo >= -0.02 else "fail" if g_hi < -0.02 else "inconclusive")
        assert row["verdict"] == want, sig


def test_bad_input() -> None:
    with pytest.raises(RunInputError, match=r"no column\(s\) \['session_id'\]"):
        online_signals(pd.DataFrame({"timestamp": [T0]}), by=None)
    with pytest.raises(RunInputError, match="column 'session_id', row 1: missing value"):
        online_signals(pd.DataFrame({"session_id": ["a", None], "timestamp": [T0, T0]}),
                       by=None)
    with pytest.raises(VerdictMismatchError, match=r"'feedback'.*got 'meh'"):
        online_signals(_small().assign(feedback="meh"))
    with pytest.raises(VerdictMismatchError, match=r"'escalated'.*got 'sometimes'"):
        online_signals(_small().assign(escalated="sometimes"))
    with pytest.raises(RunInputError, match="not timestamps"):
        online_signals(_small().assign(timestamp="yesterday"))
    with pytest.raises(RunInputError, match="`followup_window` must be"):
        online_signals(_small(), followup_window=-1)
    with pytest.raises(RunInputError, match="`tolerance` must be a number"):
        compare_online(_small(), _small(), tolerance=2)
    with pytest.raises(RunInputError, match="'nps' is not a signal"):
        compare_online(_small(), _small(), higher_is_better={"nps": True})
    with pytest.raises(StatisticsInputError, match="confidence_level"):
        online_signals(_small(), confidence_level=1.5)
    with pytest.raises(RunInputError, match="must be a pandas DataFrame"):
        online_signals([1, 2])  # type: ignore[arg-type]


def test_html_escapes_and_plots() -> None:
    evil = "<img src=x onerror=alert(1)>"
    df = _small().assign(segment=evil)
    sig = online_signals(df)
    cmp = compare_online(df, df)
    for r in (sig, cmp):
        assert evil not in r._repr_html_() and "&lt;img" in r._repr_html_()
        assert evil not in r.plot().to_json()
        assert r.to_frame().equals(r.table)


_cell = st.one_of(st.none(), st.text(string.printable, max_size=4), st.integers(-1, 2),
                  st.floats(allow_nan=True), st.booleans())


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.fixed_dictionaries({
    "session_id": _cell, "timestamp": st.one_of(_cell, st.just("2025-01-01T00:00:00Z")),
    "segment": _cell, "input": _cell, "escalated": _cell, "task_completed": _cell,
    "feedback": _cell}), max_size=5),
    drop=st.sets(st.sampled_from(["session_id", "segment", "escalated", "feedback"])))
def test_fuzz_only_evalkit_errors(rows: list[dict[str, object]], drop: set[str]) -> None:
    df = pd.DataFrame(rows, columns=["session_id", "timestamp", "segment", "input", "escalated",
                                     "task_completed", "feedback"]).drop(columns=sorted(drop))
    with contextlib.suppress(EvalkitError):
        compare_online(df, df)
