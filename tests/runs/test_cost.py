"""cost_per_success: delta-method oracle, counts-in = rows-in to 1e-12, bootstrap, sessions."""

from __future__ import annotations

import contextlib
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit import compare_cost_per_success, cost_per_success
from evalkit.errors import EvalkitError
from evalkit.runs import RunInputError, UnmatchedCasesError, VerdictMismatchError
from evalkit.runs._cost import SUMS
from evalkit.stats import StatisticsInputError

Z95 = 1.959963984540054


def _data(n: int = 500, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    t = pd.DataFrame({"trace_id": [f"t{i}" for i in range(n)],
                      "session_id": [f"s{i // 3}" for i in range(n)],
                      "timestamp": pd.Timestamp("2025-01-01", tz="UTC")
                      + pd.to_timedelta(np.arange(n), "s"),
                      "segment": rng.choice(["a", "b"], n),
                      "cost_usd": rng.gamma(2.0, 0.01, n)})
    v = pd.DataFrame({"trace_id": t["trace_id"],
                      "verdict": np.where(rng.random(n) < 0.7, "pass", "fail")})
    return t, v


def test_delta_method_matches_linearisation_oracle() -> None:
    t, v = _data()
    res = cost_per_success(t, v)
    x = t["cost_usd"].to_numpy()
    y = (v["verdict"] == "pass").to_numpy(float)
    for row in res.table.to_dict("records"):
        seg = row["segment"]
        m = np.ones(len(t), bool) if seg is None else (t["segment"] == seg).to_numpy()
        xs, ys = x[m], y[m]
        r = xs.sum() / ys.sum()
        # linearised residuals u = x - R y have mean 0; var(R) = s_u^2 / (n ybar^2)
        u = xs - r * ys
        se = np.sqrt(np.sum(u**2) / (xs.size - 1) / (xs.size * ys.mean() ** 2))
        assert row["statistic"] == pytest.approx(r, rel=1e-12)
        assert row["standard_error"] == pytest.approx(se, rel=1e-9)
        assert row["ci_high"] - row["statistic"] == pytest.approx(Z95 * se, rel=1e-9)


def test_counts_in_equals_rows_in() -> None:
    t, v = _data(800, seed=3)
    rows = cost_per_success(t, v)
    x, y = t["cost_usd"], (v["verdict"] == "pass").astype(float)
    df = pd.DataFrame({"segment": t["segment"], "x": x, "y": y})
    # what a warehouse would compute: GROUP BY segment with SUM(x), SUM(x*x), SUM(y), SUM(x*y)
    counts = df.groupby("segment").agg(n=("x", "size"), cost_sum=("x", "sum")).reset_index()
    counts["cost_sq_sum"] = df.assign(v=x**2).groupby("segment")["v"].sum().to_numpy()
    counts["successes"] = df.groupby("segment")["y"].sum().to_numpy()
    counts["cost_success_sum"] = df.assign(v=x * y).groupby("segment")["v"].sum().to_numpy()
    cin = cost_per_success(counts)
    num = [*SUMS, "statistic", "ci_low", "ci_high", "standard_error"]
    np.testing.assert_allclose(rows.table[num].to_numpy(float), cin.table[num].to_numpy(float),
                               rtol=0, atol=1e-12)


def test_bootstrap_is_seeded_and_near_delta() -> None:
    t, v = _data(600, seed=5)
    a = cost_per_success(t, v, method="bootstrap", rng=1, n_resamples=1000)
    b = cost_per_success(t, v, method="bootstrap", rng=1, n_resamples=1000)
    d = cost_per_success(t, v)
    assert a.table.equals(b.table)
    width_b = a.table["ci_high"] - a.table["ci_low"]
    width_d = d.table["ci_high"] - d.table["ci_low"]
    np.testing.assert_allclose(width_b, width_d, rtol=0.2)
    assert a.statistic == d.statistic


def test_session_unit_hand_example() -> None:
    # s1: costs 1 + 2, last trace passes -> success; s2: cost 4, fails; s3: cost 1, passes
    t = pd.DataFrame({"trace_id": ["a", "b", "c", "d"], "session_id": ["s1", "s1", "s2", "s3"],
                      "timestamp": pd.to_datetime(["2025-01-01T00:00:00Z",
                                                   "2025-01-01T00:01:00Z",
                                                   "2025-01-01T00:00:00Z",
                                                   "2025-01-01T00:00:00Z"]),
                      "cost_usd": [1.0, 2.0, 4.0, 1.0]})
    v = pd.DataFrame({"trace_id": ["b", "a", "c", "d"], "verdict": ["pass", "fail", "fail",
                                                                   "pass"]})
    res = cost_per_success(t, v, unit="session", by=None)
    assert res.statistic == pytest.approx(8.0 / 2)  # 8 dollars, 2 successful sessions
    assert res.table["n"].iloc[0] == 3
    per_trace = cost_per_success(t, v, by=None)
    assert per_trace.statistic == pytest.approx(8.0 / 2)  # traces b and d pass


def test_compare_ratio_and_difference() -> None:
    ta, va = _data(500, seed=1)
    tb, vb = _data(500, seed=2)
    tb = tb.assign(cost_usd=tb["cost_usd"] * 2)
    a, b = cost_per_success(ta, va), cost_per_success(tb, vb)
    r = compare_cost_per_success(a, b)
    d = compare_cost_per_success(a, b, kind="difference")
    assert r.statistic == pytest.approx(b.statistic / a.statistic)
    se_log = np.sqrt((a.table["standard_error"].iloc[0] / a.statistic) ** 2
                     + (b.table["standard_error"].iloc[0] / b.statistic) ** 2)
    assert r.confidence_interval.low == pytest.approx(r.statistic * np.exp(-Z95 * se_log))
    se = np.hypot(a.table["standard_error"].iloc[0], b.table["standard_error"].iloc[0])
    assert d.confidence_interval.high == pytest.approx(d.statistic + Z95 * se)
    assert r.table["segment"].tolist() == [None, "a", "b"]
    assert "ratio" in r._repr_html_()


def test_bad_input() -> None:
    t, v = _data(10)
    with pytest.raises(UnmatchedCasesError, match="1 only in traces") as err:
        cost_per_success(t, v.iloc[1:])
    assert err.value.only_baseline == ("t0",)
    with pytest.raises(RunInputError, match=r"row 2: cost must be a finite number >= 0"):
        cost_per_success(t.assign(cost_usd=[0.1, 0.1, -1] + [0.1] * 7), v)
    with pytest.raises(VerdictMismatchError, match="verdict vocabulary"):
        cost_per_success(t, v.assign(verdict="great"))
    with pytest.raises(RunInputError, match="duplicate trace ids"):
        cost_per_success(pd.concat([t, t]), v)
    with pytest.raises(RunInputError, match="needs a 'session_id'"):
        cost_per_success(t.drop(columns="session_id"), v, unit="session")
    with pytest.raises(StatisticsInputError, match="`unit` must be one of"):
        cost_per_success(t, v, unit="call")
    counts = pd.DataFrame({"segment": ["a"], "n": [10], "cost_sum": [1.0], "cost_sq_sum": [0.2],
                           "successes": [5], "cost_success_sum": [0.5]})
    with pytest.raises(RunInputError, match="method='bootstrap' resamples units"):
        cost_per_success(counts, method="bootstrap")
    with pytest.raises(RunInputError, match=r"no column\(s\) \['cost_success_sum'\]"):
        cost_per_success(counts.drop(columns="cost_success_sum"))
    with pytest.raises(RunInputError, match="successes <= n"):
        cost_per_success(counts.assign(successes=11))
    a = cost_per_success(t, v)
    with pytest.raises(RunInputError, match="must be a CostPerSuccess"):
        compare_cost_per_success(a, 3)  # type: ignore[arg-type]
    with pytest.raises(RunInputError, match="per successful trace with cost per successful "
                                            "session"):
        compare_cost_per_success(a, cost_per_success(t, v, unit="session"))


def test_no_success_gives_nan_and_html_escapes() -> None:
    evil = "<b onmouseover=x>seg</b>"
    t = pd.DataFrame({"trace_id": ["a", "b"], "cost_usd": [1.0, 2.0], "segment": evil})
    v = pd.DataFrame({"trace_id": ["a", "b"], "verdict": ["fail", "fail"]})
    res = cost_per_success(t, v)
    assert np.isnan(res.statistic)
    assert evil not in res._repr_html_() and evil not in res.plot().to_json()


_cell = st.one_of(st.none(), st.text(string.printable, max_size=4), st.integers(-1, 3),
                  st.floats(allow_nan=True, allow_infinity=True), st.booleans())


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.fixed_dictionaries({"trace_id": _cell, "cost_usd": _cell,
                                            "segment": _cell, "session_id": _cell,
                                            "verdict": _cell}), max_size=5),
       unit=st.sampled_from(["trace", "session"]), by=st.sampled_from(["segment", None]),
       method=st.sampled_from(["delta", "bootstrap"]))
def test_fuzz_only_evalkit_errors(rows: list[dict[str, object]], unit: str, by: str | None,
                                  method: str) -> None:
    df = pd.DataFrame(rows, columns=["trace_id", "cost_usd", "segment", "session_id",
                                     "verdict"])
    with contextlib.suppress(EvalkitError):
        cost_per_success(df, df[["trace_id", "verdict"]], unit=unit, by=by, method=method,
                         n_resamples=50, rng=0)
