"""run_checks: the tidy frame, error verdicts, Wilson summaries, labels, queues and calibration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

import evalkit
from evalkit import checks
from evalkit.checks import CheckError
from evalkit.sample_data import load_human_labels

from .conftest import frame


def test_tidy_frame_one_row_per_trace_and_check() -> None:
    t = frame(output=['{"a": 1}', "x", None], segment=["s", "s", "u"])
    res = evalkit.run_checks(t, [checks.json_valid(), checks.contains("x")])
    f = res.frame
    assert list(f.columns) == ["trace_id", "check", "verdict", "reason"]
    assert f[["trace_id", "check", "verdict"]].astype(str).to_numpy().tolist() == [
        ["t0", "json_valid", "pass"], ["t1", "json_valid", "fail"], ["t2", "json_valid", "n/a"],
        ["t0", "contains", "fail"], ["t1", "contains", "pass"], ["t2", "contains", "n/a"],
    ]
    # t0 fails contains, t1 fails json_valid, t2 is n/a on both: 2 of 3 fail at least one
    assert res.n_failing == 2 and res.statistic == pytest.approx(2 / 3)


def test_summary_matches_statsmodels_wilson() -> None:
    rng = np.random.default_rng(7)
    n = 500
    out = np.where(rng.random(n) < 0.2, "not json", "{}")
    seg = rng.choice(["a", "b", "c"], n)
    res = evalkit.run_checks(frame(output=out.tolist(), segment=seg.tolist()),
                             [checks.json_valid()], confidence_level=0.9)
    for _, r in res.summary.iterrows():
        mask = np.ones(n, bool) if r["segment"] == "(all)" else seg == r["segment"]
        k, m = int((out[mask] == "not json").sum()), int(mask.sum())
        lo, hi = proportion_confint(k, m, alpha=0.1, method="wilson")
        assert (r["n_fail"], r["n"]) == (k, m)
        np.testing.assert_allclose([r["ci_low"], r["ci_high"]], [lo, hi], atol=1e-12)
    e = res.failure_rate("json_valid", segment="a")
    assert e.statistic == pytest.approx(res.summary.query("segment == 'a'")["failure_rate"].item())
    with pytest.raises(CheckError, match="`segment` must be one of"):
        res.failure_rate("json_valid", segment="zzz")
    with pytest.raises(CheckError, match="`check` must be one of"):
        res.failure_rate("nope")


def test_a_row_check_that_raises_gives_error_verdicts_not_an_abort() -> None:
    @evalkit.check
    def picky(row: dict) -> bool:
        if row["output"] == "boom":
            raise KeyError("no such field")
        return len(row["output"]) < 4

    res = evalkit.run_checks(frame(output=["ok", "boom", "long text"]), [picky], by=None)
    assert res.frame["verdict"].astype(str).tolist() == ["pass", "error", "fail"]
    assert res.frame["reason"].tolist()[1] == "KeyError: 'no such field'"
    row = res.summary.iloc[0]
    assert (row["n_error"], row["n_fail"], row["failure_rate"]) == (1, 1, 0.5)


def test_a_vectorized_check_that_raises_is_pinned_to_its_rows() -> None:
    @evalkit.check(vectorized=True, columns=["output"])
    def no_boom(df: pd.DataFrame) -> pd.Series:
        if (df["output"] == "boom").any():
            raise ValueError("cannot handle boom")
        return df["output"].str.len() < 4

    out = ["ok"] * 50 + ["boom"] + ["long text"] * 49
    res = evalkit.run_checks(frame(output=out), [no_boom], by=None)
    v = res.frame["verdict"].astype(str)
    assert v.tolist() == ["pass"] * 50 + ["error"] + ["fail"] * 49
    assert res.frame["reason"].iloc[50] == "ValueError: cannot handle boom"


def test_bad_return_values_are_error_verdicts() -> None:
    checks_ = [evalkit.check(lambda row: "maybe", name="unsure"),
               evalkit.check(lambda df: [True], vectorized=True, name="short")]
    res = evalkit.run_checks(frame(output=["a", "b"]), checks_, by=None)
    assert res.frame["verdict"].astype(str).tolist() == ["error"] * 4
    assert res.frame["reason"].iloc[0].startswith("CheckError: a check must return True/False")
    assert "returned 1 verdicts for 2 traces" in res.frame["reason"].iloc[2]


def test_row_checks_accept_every_documented_return_shape() -> None:
    values = iter([True, False, None, "fail", ("pass", "fine"), ("n/a", None)])
    c = evalkit.check(lambda row: next(values), name="shapes")
    res = evalkit.run_checks(frame(output=list("abcdef")), [c], by=None)
    assert res.frame["verdict"].astype(str).tolist() == ["pass", "fail", "n/a", "fail", "pass",
                                                         "n/a"]
    assert res.frame["reason"].tolist()[4] == "fine"


def test_vectorized_frame_return_with_reasons() -> None:
    @evalkit.check(vectorized=True)
    def length(df: pd.DataFrame) -> pd.DataFrame:
        long = df["output"].str.len() > 3
        return pd.DataFrame({"verdict": np.where(long, "fail", "pass"),
                             "reason": np.where(long, "too long", "")})

    res = evalkit.run_checks(frame(output=["abc", "abcd"]), [length], by=None)
    assert res.frame[["verdict", "reason"]].astype(str).to_numpy().tolist() == [
        ["pass", ""], ["fail", "too long"]]


@pytest.mark.parametrize(("args", "kwargs", "match"), [
    (("not a frame", [checks.json_valid()]), {}, "`traces` must be a pandas DataFrame"),
    ((pd.DataFrame({"output": ["x"]}), [checks.json_valid()]), {}, "no 'trace_id' column"),
    ((pd.DataFrame({"trace_id": ["a", "a"], "output": ["x", "y"]}), [checks.json_valid()]), {},
     "duplicate trace ids, e.g. 'a'"),
    ((pd.DataFrame({"trace_id": ["a"], "x": [1]}), [checks.json_valid()]), {"by": None},
     r"needs columns \['output'\]"),
    ((pd.DataFrame({"trace_id": ["a"], "output": ["x"]}), [checks.json_valid()] * 2),
     {"by": None}, "appear more than once"),
    ((pd.DataFrame({"trace_id": ["a"], "output": ["x"]}), []), {"by": None}, "is empty"),
    ((pd.DataFrame({"trace_id": ["a"], "output": ["x"]}), [42]), {"by": None},
     r"`checks\[0\]` must be a Check"),
    ((pd.DataFrame({"trace_id": ["a"], "output": ["x"]}), [checks.json_valid()]), {},
     "`by` 'segment' is not a column"),
])
def test_bad_input_is_a_typed_error(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(CheckError, match=match):
        evalkit.run_checks(*args, **kwargs)


def test_check_names_are_validated_and_renamable() -> None:
    with pytest.raises(CheckError, match="a check name must be a non-empty string"):
        evalkit.check(lambda row: True, name="<b>")
    c = checks.json_valid().renamed("json_valid_again")
    assert c.name == "json_valid_again"


def test_labels_go_into_the_store_and_stay_hidden_in_blind_mode(tmp_path: Path) -> None:
    from evalkit.widgets.annotator import Annotator

    t = frame(output=["{}", "x", None], input=["q"] * 3)
    res = evalkit.run_checks(t, [checks.json_valid()], by=None)
    labels = res.to_labels()
    assert labels.to_numpy().tolist() == [
        ["t0", "check:json_valid", "pass", None, "check:json_valid"],
        ["t1", "check:json_valid", "fail",
         "not JSON: does not start like a JSON value", "check:json_valid"],
    ]
    store = evalkit.LabelStore(tmp_path / "labels.sqlite")
    assert res.to_store(store) == 2
    got = store.labels(field="verdict")
    assert set(got["source"]) == {"check:json_valid"}
    notes = store.history("t1")
    assert notes["note"].tolist() == ["not JSON: does not start like a JSON value"]
    assert got.set_index("trace_id")["value"].to_dict() == {"t0": "pass", "t1": "fail"}
    ann = Annotator(t, store, annotator="alice", queue=res.review_queue())
    assert ann.current == "t1"
    assert "Hidden until you pass or fail" in ann.labels_html
    ann.press("2")
    assert "check:json_valid" in ann.labels_html
    store.close()


def test_review_queue_orders_by_number_of_failed_checks() -> None:
    t = frame(output=["x", "{}", "y"])
    res = evalkit.run_checks(t, [checks.json_valid(), checks.contains("y")], by=None)
    q = res.review_queue()
    # t0 ("x") fails both, t1 ("{}") fails contains, t2 ("y") fails json_valid
    assert q["trace_id"].tolist() == ["t0", "t1", "t2"]
    assert q["n_failed"].tolist() == [2, 1, 1]
    assert q["failed_checks"].tolist() == ["json_valid;contains", "contains", "json_valid"]
    assert res.review_queue(["contains"])["trace_id"].tolist() == ["t0", "t1"]
    assert list(evalkit.run_checks(frame(output=["{}"]), [checks.json_valid()], by=None)
                .review_queue().columns)[:1] == ["trace_id"]


def test_calibrate_a_check_against_the_bundled_human_labels(sample_traces: pd.DataFrame) -> None:
    # The invented-id check judges one failure mode: compare it with the humans' verdict on that
    # mode (fail when they tagged invented_tool_params). evalkit.calibrate is used as it is.
    human = load_human_labels().query("annotator == 'ann_alice'")
    mode = np.where(human["failure_modes"].str.contains("invented_tool_params"), "fail", "pass")
    human_mode = pd.DataFrame({"trace_id": human["trace_id"], "verdict": mode})
    res = evalkit.run_checks(sample_traces, [checks.no_invented_ids()])
    cal = evalkit.calibrate(human_mode, res.verdicts("no_invented_ids", na="pass"))
    cm = cal.confusion_matrix
    # oracle: the confusion matrix counted directly from the two label columns
    check_v = res.verdicts("no_invented_ids", na="pass").set_index("trace_id")["verdict"]
    direct = pd.crosstab(human_mode["verdict"], check_v.reindex(human_mode["trace_id"]).values)
    assert cm.loc["pass", "pass"] == direct.loc["pass", "pass"]
    assert cm.loc["fail", "fail"] == direct.loc["fail", "fail"]
    assert cal.tnr.statistic > 0.9 and cal.tpr.statistic > 0.95
    with pytest.raises(CheckError, match="`na` must be 'pass', 'fail' or None"):
        res.verdicts("no_invented_ids", na="skip")  # type: ignore[arg-type]


def test_gate_on_pass_rates() -> None:
    t = frame(output=["{}"] * 98 + ["x", "y"])
    res = evalkit.run_checks(t, [checks.json_valid()], by=None)
    assert res.gate("json_valid>=0.98").passed
    assert not res.gate("json_valid>0.98").passed
    assert res.gate("json_valid>=0.9", bound="lower").passed  # Wilson lower bound 0.930
    assert not res.gate("json_valid>=0.95", bound="lower").passed
    lo = 1 - res.summary["ci_high"].item()
    assert lo == pytest.approx(proportion_confint(98, 100, method="wilson")[0])
    assert "check gate failed" in res.gate("json_valid>=0.99").to_markdown()
    with pytest.raises(CheckError, match=r"must look like 'check>=0\.99'"):
        res.gate("json_valid == 1")
    with pytest.raises(CheckError, match="which was not run"):
        res.gate("other>=0.5")
    with pytest.raises(CheckError, match=r"pass rate must be in \[0, 1\]"):
        res.gate("json_valid>=1.5")


def test_gate_fails_on_error_verdicts_and_on_checks_that_never_applied() -> None:
    boom = evalkit.check(lambda row: 1 / 0, name="boom")
    res = evalkit.run_checks(frame(output=[None, None]), [boom, checks.json_valid()], by=None)
    g = res.gate(["boom>=0", "json_valid>=0"])
    assert not g.passed
    assert g.table["why"].tolist() == ["2 error verdicts", "the check applied to no trace"]


def test_result_display_escapes_untrusted_text() -> None:
    c = evalkit.check(lambda row: ("fail", "<script>x</script>"), name="evil")
    res = evalkit.run_checks(frame(output=["a"], segment=["<b>seg</b>"]), [c])
    html = res._repr_html_()
    assert "<script>" not in html and "<b>seg" not in html
    assert "evil" in res.to_markdown() and str(res).startswith("CheckResult(1 checks")
