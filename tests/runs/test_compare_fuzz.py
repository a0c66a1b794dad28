"""Fuzz compare_runs and `evalkit gate`: only typed evalkit errors escape; valid input agrees.

* random run frames (ids of mixed types, duplicates, missing values, odd verdicts, scores,
  segments with hostile names) and random options: a RunComparison or an EvalkitError;
* random count tables: the counts path never raises anything else and agrees with the rows it
  was built from;
* `evalkit gate` on random file contents in every suffix: exit 0, 1 or 2, never a traceback.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.cli import main
from evalkit.errors import EvalkitError
from evalkit.runs import compare_runs

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])

ids = st.one_of(st.integers(-3, 12), st.text(max_size=3), st.none(), st.floats(allow_nan=True))
verdicts = st.one_of(st.sampled_from(["pass", "fail", "PASS", " no", "yes", "good", "bad", ""]),
                     st.booleans(), st.integers(-1, 2), st.floats(allow_nan=True), st.none())
segments = st.one_of(st.sampled_from(["a", "b", "<b>x</b>", "(all)", "x|y"]), st.none(),
                     st.integers(0, 2))


@st.composite
def run_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 8))
    cols: dict[str, list[object]] = {draw(st.sampled_from(["case_id", "trace_id", "id"])):
                                     draw(st.lists(ids, min_size=n, max_size=n))}
    kind = draw(st.sampled_from(["verdict", "score", "both", "none"]))
    if kind in ("verdict", "both"):
        cols["verdict"] = draw(st.lists(verdicts, min_size=n, max_size=n))
    if kind in ("score", "both"):
        cols["score"] = draw(st.lists(st.one_of(st.floats(-2, 2), st.text(max_size=2)),
                                      min_size=n, max_size=n))
    if draw(st.booleans()):
        cols["segment"] = draw(st.lists(segments, min_size=n, max_size=n))
    return pd.DataFrame(cols)


@SETTINGS
@given(b=run_frames(), c=run_frames(),
       opts=st.fixed_dictionaries({}, optional={
           "by": st.sampled_from([None, "segment", "tier"]),
           "bound": st.sampled_from(["lower", "point", "upper"]),
           "adjust": st.sampled_from(["holm", "bh", "none", "bonf"]),
           "interval": st.sampled_from(["tango", "newcombe", "wald", "bootstrap", "t", "x"]),
           "unmatched": st.sampled_from(["error", "drop"]),
           "positive": st.sampled_from(["good", "pass", 1]),
           "max_regression": st.one_of(st.floats(-1, 2), st.just("0.1")),
           "mid_p": st.booleans()}))
def test_compare_runs_raises_only_typed_errors(b: pd.DataFrame, c: pd.DataFrame,
                                               opts: dict[str, object]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = compare_runs(b, c, n_resamples=50, rng=0, **opts)  # type: ignore[arg-type]
        except EvalkitError:
            return
    f = res.to_frame()
    assert f["segment"].iloc[0] == "(all)"
    assert res.gate_passed == (not f["regressed"].any())
    assert int(f["n"].iloc[0]) == res.n_pairs == int(f["n"].iloc[1:].sum() or f["n"].iloc[0])
    assert "<b>x" not in res._repr_html_()


@st.composite
def valid_pairs(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = draw(st.integers(1, 40))
    ids = draw(st.lists(st.one_of(st.integers(0, 10**6), st.text(min_size=1, max_size=6)),
                        min_size=n, max_size=n, unique_by=str))
    seg = draw(st.lists(st.sampled_from(["a", "<b>x</b>", "x|y", 3]), min_size=n, max_size=n))
    word = st.sampled_from(["pass", "fail", "PASS", " no", "yes", True, False, 1, 0])
    vb = draw(st.lists(word, min_size=n, max_size=n))
    vc = draw(st.lists(word, min_size=n, max_size=n))
    b = pd.DataFrame({"case_id": ids, "segment": seg, "verdict": vb})
    c = pd.DataFrame({"case_id": ids, "segment": seg, "verdict": vc}).iloc[::-1]
    return b, c


@SETTINGS
@given(pair=valid_pairs(), bound=st.sampled_from(["lower", "point"]),
       interval=st.sampled_from(["tango", "newcombe", "wald", "bootstrap"]),
       margin=st.floats(0, 1), adjust=st.sampled_from(["holm", "bh", "none"]))
def test_valid_runs_always_compare(pair: tuple[pd.DataFrame, pd.DataFrame], bound: str,
                                   interval: str, margin: float, adjust: str) -> None:
    res = compare_runs(*pair, bound=bound, interval=interval, max_regression=margin,  # type: ignore[arg-type]
                       adjust=adjust, n_resamples=50, rng=0)  # type: ignore[arg-type]
    f = res.to_frame()
    assert res.n_pairs == len(pair[0]) == int(f["n"].iloc[1:].sum())
    assert res.gate_passed == (not f["regressed"].any())
    value = f["ci_low"] if bound == "lower" else f["delta"]
    np.testing.assert_array_equal(f["regressed"], ~(value >= -margin))
    for m in ("tango", "newcombe"):  # score intervals contain the estimate
        assert (f[f"{m}_low"] <= f["delta"] + 1e-9).all()
        assert (f["delta"] <= f[f"{m}_high"] + 1e-9).all()
    assert (f["p_holm"] >= f["p_value"] - 1e-15).all() and (f["p_bh"] <= f["p_holm"] + 1e-15).all()
    assert "<b>x" not in res._repr_html_() and "<b>x" not in res.to_markdown()


@SETTINGS
@given(cells=st.lists(st.tuples(*[st.integers(0, 30)] * 4), min_size=1, max_size=5),
       seed=st.integers(0, 3))
def test_counts_in_agree_with_the_rows_they_stand_for(cells: list[tuple[int, ...]],
                                                      seed: int) -> None:
    names = [f"s{i}" for i in range(len(cells))]
    counts = pd.DataFrame(cells, columns=["n11", "n10", "n01", "n00"]).assign(segment=names)
    rows_b, rows_c, seg = [], [], []
    for name, cell in zip(names, cells, strict=True):
        for (vb, vc), k in zip([(1, 1), (1, 0), (0, 1), (0, 0)], cell, strict=True):
            rows_b += [vb] * k
            rows_c += [vc] * k
            seg += [name] * k
    b = pd.DataFrame({"case_id": range(len(seg)), "segment": seg, "verdict": rows_b})
    c = b.assign(verdict=rows_c)
    try:
        from_counts = compare_runs(counts, n_resamples=100, rng=seed)
    except EvalkitError:
        assert any(sum(x) == 0 for x in cells)  # an empty segment is the only way to fail
        return
    a = compare_runs(b, c, n_resamples=100, rng=seed).to_frame()
    f = from_counts.to_frame()
    num = a.select_dtypes("number").columns
    np.testing.assert_allclose(a[num].to_numpy(float), f[num].to_numpy(float), atol=1e-12,
                               rtol=0)


@SETTINGS
@given(text=st.text(max_size=200), suffix=st.sampled_from([".csv", ".jsonl", ".json",
                                                           ".parquet", ".txt"]))
def test_gate_cli_random_files_exit_0_1_or_2(tmp_path: Path, text: str, suffix: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.csv"
    pd.DataFrame({"case_id": [1, 2], "verdict": ["pass", "fail"]}).to_csv(good, index=False)
    bad = tmp_path / f"run{suffix}"
    bad.write_bytes(text.encode("utf-8", "surrogatepass"))
    for args in (["gate", str(good), str(bad)], ["gate", str(bad), str(good), "--json"]):
        assert main(args) in (0, 1, 2)
        assert "Traceback" not in capsys.readouterr().err


def test_case_list_ids_of_another_type() -> None:
    b = pd.DataFrame({"trace_id": [1, 2, 3], "verdict": ["pass", "fail", "pass"]})
    cases = pd.DataFrame({"trace_id": ["1", "2"], "segment": ["x", "y"]})
    res = compare_runs(b, b, cases=cases, n_resamples=0)
    assert res.n_pairs == 2 and res.n_outside_cases == 2
