"""failure_rates(annotator="majority" | "any" | "all"): one vote per trace from all annotators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from evalkit.taxonomy import Taxonomy, TaxonomyError, failure_rates

TAX = Taxonomy(modes=["refusal", "dead_end"])


def _labels() -> pd.DataFrame:
    # trace t1: a, b, c say refusal (3/3); t2: a refusal, b dead_end, c nothing (1/3 each);
    # t3: a, b refusal, c dead_end (refusal 2/3); t4: a refusal, b nothing (1/2: a tie),
    # c defers (no vote)
    rows = [
        ("t1", "a", "refusal"), ("t1", "b", "refusal"), ("t1", "c", "refusal"),
        ("t2", "a", "refusal"), ("t2", "b", "dead_end"), ("t2", "c", ""),
        ("t3", "a", "refusal"), ("t3", "b", "refusal"), ("t3", "c", "dead_end"),
        ("t4", "a", "refusal"), ("t4", "b", ""), ("t4", "c", ""),
    ]  # fmt: skip
    df = pd.DataFrame(rows, columns=["trace_id", "annotator", "failure_modes"])
    df["verdict"] = ["fail" if m else "pass" for m in df["failure_modes"]]
    df.loc[11, "verdict"] = "defer"
    df["segment"] = df["trace_id"].map({"t1": "x", "t2": "x", "t3": "y", "t4": "y"})
    return df


def _overall(res: object) -> dict[str, int]:
    t = res.to_frame()  # type: ignore[attr-defined]
    overall = t[t["segment"] == "(all)"]
    return dict(zip(overall["mode"], overall["k"], strict=True))


def test_majority_any_all_by_hand() -> None:
    df = _labels()
    maj = failure_rates(df, TAX, annotator="majority")
    # refusal: t1 (3/3), t3 (2/3) -> 2; t4 ties 1/2 and is not counted; dead_end: none.
    # any mode: t1 3/3, t2 2/3, t3 3/3, t4 1/2 (tie) -> 3
    assert _overall(maj) == {"refusal": 2, "dead_end": 0, "(any mode)": 3}
    assert maj.n_traces == 4 and maj.annotators == "majority"
    # ties: t2 has none at 3 voters; t4 (2 voters): refusal 1/2 and (any mode) 1/2
    assert maj.n_ties == 2
    assert "2 tied trace-mode cells" in maj._repr_html_()
    lo, hi = proportion_confint(2, 4, method="wilson")
    row = maj.to_frame().query("segment == '(all)' and mode == 'refusal'").iloc[0]
    assert (row["rate"], row["ci_low"], row["ci_high"]) == pytest.approx((0.5, lo, hi))
    assert _overall(failure_rates(df, TAX, annotator="any")) == {
        "refusal": 4,
        "dead_end": 2,
        "(any mode)": 4,
    }
    assert _overall(failure_rates(df, TAX, annotator="all")) == {
        "refusal": 1,  # only t1: every voter of t4 (a, b) must agree, b did not
        "dead_end": 0,
        "(any mode)": 2,  # t1 and t3
    }
    per_seg = maj.to_frame().query("segment == 'y' and mode == 'refusal'").iloc[0]
    assert (per_seg["k"], per_seg["n"]) == (1, 2)


def test_majority_votes_on_parents() -> None:
    tax = Taxonomy(modes=["sched", "late", "wrong_day"]).define("late", parent="sched")
    tax = tax.define("wrong_day", parent="sched")
    df = pd.DataFrame(
        {"trace_id": ["t", "t"], "annotator": ["a", "b"], "failure_modes": ["late", "wrong_day"]}
    )
    res = failure_rates(df, tax, annotator="majority", by=None)
    t = res.to_frame().set_index("mode")["k"]
    # both agree on the parent (2/2); each child is 1/2, a tie
    assert (t["sched"], t["late"], t["wrong_day"]) == (1, 0, 0)
    assert res.n_ties == 2


def test_majority_matches_a_pandas_vote_on_random_labels() -> None:
    rng = np.random.default_rng(7)
    n, raters = 300, 5
    df = pd.DataFrame(
        {
            "trace_id": np.repeat([f"t{i}" for i in range(n)], raters),
            "annotator": np.tile([f"r{j}" for j in range(raters)], n),
            "failure_modes": rng.choice(
                ["refusal", "dead_end", "", "refusal;dead_end"], n * raters
            ),
        }
    )
    res = failure_rates(df, TAX, annotator="majority", by=None).to_frame().set_index("mode")
    for mode in ("refusal", "dead_end"):
        voted = df.assign(v=df["failure_modes"].str.contains(mode)).groupby("trace_id")["v"].mean()
        assert res.loc[mode, "k"] == int((voted > 0.5).sum())  # 5 raters: no ties


def test_combine_errors() -> None:
    df = _labels()
    with pytest.raises(TaxonomyError, match=r"`annotator` 'majority' is both an annotator"):
        failure_rates(df.assign(annotator="majority"), TAX, annotator="majority")
    with pytest.raises(TaxonomyError, match=r"`weights` must be a column name.*got ndarray"):
        failure_rates(df, TAX, annotator="any", weights=np.ones(len(df)))
    bad = df.assign(segment=["x", "y", "x"] + ["x"] * 9)
    with pytest.raises(TaxonomyError, match=r"column 'segment' differs between the annotators"):
        failure_rates(bad, TAX, annotator="majority")
    with pytest.raises(TaxonomyError, match=r"`annotator` 'zed' is not in the labels"):
        failure_rates(df, TAX, annotator="zed")
    w = failure_rates(df.assign(w=2.0), TAX, annotator="majority", weights="w")
    assert w.weighted and w.statistic == pytest.approx(0.75)  # equal weights: the same rate


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["t1", "t2", "t3"]),
            st.sampled_from(["a", "b", "majority"]),
            st.sampled_from(["refusal", "dead_end", "", "refusal;dead_end", "nope"]),
        ),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["majority", "any", "all", "a"]),
)
def test_fuzz_combination(rows: list[tuple[str, str, str]], rule: str) -> None:
    df = pd.DataFrame(rows, columns=["trace_id", "annotator", "failure_modes"])
    try:
        res = failure_rates(df, TAX, annotator=rule, by=None)
    except TaxonomyError:
        return
    k = res.to_frame().set_index("mode")["k"]
    assert 0 <= k["refusal"] <= k["(any mode)"] <= res.n_traces
