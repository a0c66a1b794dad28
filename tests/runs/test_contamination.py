"""contamination_gap and the Newcombe two-sample interval: statsmodels, published values, fuzz."""

from __future__ import annotations

import contextlib
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from evalkit import contamination_gap
from evalkit.errors import EvalkitError
from evalkit.runs import (
    DuplicateCaseError,
    EmptySegmentError,
    MixedOutcomeError,
    RunInputError,
    VerdictMismatchError,
)
from evalkit.stats import StatisticsInputError, newcombe_difference_interval


def test_newcombe_published_examples() -> None:
    # Newcombe (1998), Table II, method 10 (hybrid score): (a) 56/70 - 48/80 -> 0.0524, 0.3339;
    # (b) 9/10 - 3/10 -> 0.1705, 0.8090.
    for (k1, n1, k2, n2), (lo, hi) in {(56, 70, 48, 80): (0.0524, 0.3339),
                                       (9, 10, 3, 10): (0.1705, 0.8090)}.items():
        _, got_lo, got_hi = newcombe_difference_interval(k1, n1, k2, n2)
        assert (float(got_lo), float(got_hi)) == pytest.approx((lo, hi), abs=5e-5)


def test_newcombe_matches_statsmodels_on_seeded_data() -> None:
    rng = np.random.default_rng(11)
    n1, n2 = rng.integers(1, 400, 300), rng.integers(1, 400, 300)
    k1, k2 = rng.binomial(n1, rng.random(300)), rng.binomial(n2, rng.random(300))
    for cl in (0.9, 0.95, 0.99):
        _, lo, hi = newcombe_difference_interval(k1, n1, k2, n2, confidence_level=cl)
        for i in range(300):
            elo, ehi = confint_proportions_2indep(k1[i], n1[i], k2[i], n2[i], method="newcomb",
                                                  alpha=1 - cl)
            assert lo[i] == pytest.approx(elo, abs=1e-10)
            assert hi[i] == pytest.approx(ehi, abs=1e-10)


def test_newcombe_bad_input() -> None:
    with pytest.raises(StatisticsInputError, match=r"`k1` successes must lie in \[0, n\]"):
        newcombe_difference_interval(5, 3, 1, 2)
    d, lo, hi = newcombe_difference_interval(0, 0, 1, 2)
    assert np.isnan(d) and np.isnan(lo) and np.isnan(hi)


def _rows(rng: np.random.Generator, n: int, p: float, prefix: str) -> pd.DataFrame:
    return pd.DataFrame({"case_id": [f"{prefix}{i}" for i in range(n)],
                         "segment": rng.choice(["a", "b", "c"], n),
                         "verdict": np.where(rng.random(n) < p, "pass", "fail")})


def test_gap_matches_statsmodels_per_segment() -> None:
    rng = np.random.default_rng(5)
    act, hold = _rows(rng, 400, 0.9, "a"), _rows(rng, 150, 0.8, "h")
    gap = contamination_gap(act, hold)
    t = gap.table
    assert t["segment"].tolist() == [None, "a", "b", "c"]
    for seg in [None, "a", "b", "c"]:
        ma = act if seg is None else act[act["segment"] == seg]
        mh = hold if seg is None else hold[hold["segment"] == seg]
        ka, na = int((ma["verdict"] == "pass").sum()), len(ma)
        kh, nh = int((mh["verdict"] == "pass").sum()), len(mh)
        row = t[t["segment"].isna()].iloc[0] if seg is None else t[t["segment"] == seg].iloc[0]
        lo, hi = confint_proportions_2indep(ka, na, kh, nh, method="newcomb")
        assert row["gap"] == pytest.approx(ka / na - kh / nh, abs=1e-15)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), abs=1e-10)
        assert row["p_value"] == pytest.approx(proportions_ztest([ka, kh], [na, nh])[1],
                                               rel=1e-10)
    assert gap.statistic == t["gap"].iloc[0]
    assert gap.confidence_interval == (t["ci_low"].iloc[0], t["ci_high"].iloc[0])


def test_counts_in_equals_rows_in() -> None:
    rng = np.random.default_rng(8)
    act, hold = _rows(rng, 300, 0.85, "a"), _rows(rng, 120, 0.8, "h")

    def counts(df: pd.DataFrame) -> pd.DataFrame:
        g = df.assign(p=df["verdict"] == "pass").groupby("segment")["p"]
        return pd.DataFrame({"segment": g.size().index, "n": g.size().to_numpy(),
                             "passes": g.sum().to_numpy()})

    a = contamination_gap(act, hold).table
    b = contamination_gap(counts(act), counts(hold)).table
    num = ["n_active", "n_holdout", "rate_active", "rate_holdout", "gap", "ci_low", "ci_high",
           "p_value"]
    np.testing.assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float), rtol=0,
                               atol=1e-12)


def test_scores_use_welch_and_segments_missing() -> None:
    act = pd.DataFrame({"case_id": ["1", "2", "3", "4"], "score": [0.9, 0.8, 0.7, 1.0],
                        "segment": ["a", "a", "b", "b"]})
    hold = pd.DataFrame({"case_id": ["5", "6", "7"], "score": [0.5, 0.7, 0.6],
                         "segment": ["a", "a", "a"]})
    t = contamination_gap(act, hold).table
    # overall: mean 0.85 - 0.6; Welch se = sqrt(var(act)/4 + var(hold)/3)
    se = np.sqrt(np.var([0.9, 0.8, 0.7, 1.0], ddof=1) / 4 + np.var([0.5, 0.7, 0.6], ddof=1) / 3)
    assert t["gap"].iloc[0] == pytest.approx(0.25)
    assert t["ci_high"].iloc[0] - t["gap"].iloc[0] == pytest.approx(1.959963984540054 * se)
    assert t.loc[t["segment"] == "b", "method"].item() == "segment-missing"


def test_bad_input() -> None:
    ok = pd.DataFrame({"case_id": ["1"], "verdict": ["pass"], "segment": ["a"]})
    with pytest.raises(MixedOutcomeError, match="`active` holds verdicts but `holdout` holds "
                                                "scores"):
        contamination_gap(ok, pd.DataFrame({"case_id": ["1"], "score": [1.0],
                                            "segment": ["a"]}))
    with pytest.raises(RunInputError, match="`holdout` must be a pandas DataFrame"):
        contamination_gap(ok, [1, 2])  # type: ignore[arg-type]
    with pytest.raises(DuplicateCaseError, match="`active` column 'case_id'"):
        contamination_gap(pd.concat([ok, ok]), ok)
    with pytest.raises(VerdictMismatchError, match=r"\['PASSED!'\]"):
        contamination_gap(ok.assign(verdict="PASSED!"), ok)
    with pytest.raises(EmptySegmentError, match="`holdout` has no rows"):
        contamination_gap(ok, ok.iloc[:0])
    with pytest.raises(RunInputError, match="no column 'tier'"):
        contamination_gap(ok, ok, by="tier")


def test_html_escapes_and_plot() -> None:
    evil = "<script>x</script>"
    df = pd.DataFrame({"case_id": ["1", "2"], "verdict": ["pass", "fail"], "segment": evil})
    gap = contamination_gap(df, df)
    assert evil not in gap._repr_html_() and evil not in gap.plot().to_json()
    assert gap.to_frame().equals(gap.table)


_cell = st.one_of(st.none(), st.text(string.printable, max_size=5), st.integers(-1, 5),
                  st.floats(allow_nan=True), st.booleans())


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.fixed_dictionaries({"case_id": _cell, "verdict": _cell,
                                            "segment": _cell, "n": _cell, "passes": _cell}),
                     max_size=5),
       drop=st.sets(st.sampled_from(["case_id", "verdict", "n", "passes"])),
       by=st.sampled_from(["segment", None, "x"]))
def test_fuzz_only_evalkit_errors(rows: list[dict[str, object]], drop: set[str],
                                  by: str | None) -> None:
    df = pd.DataFrame(rows, columns=["case_id", "verdict", "segment", "n", "passes"])
    df = df.drop(columns=sorted(drop))
    with contextlib.suppress(EvalkitError):
        contamination_gap(df, df, by=by)
