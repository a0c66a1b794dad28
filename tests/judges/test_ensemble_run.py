"""Rubric ensembles (median per dimension, majority per question, flags) and pairwise swaps."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from evalkit.judges import (
    Judge,
    JudgeConfigError,
    ensemble_judges,
    ensemble_rubric,
    load_example_rubric,
    position_bias,
    run_judges,
    run_pairwise,
)


def _long(scores: dict[str, dict[str, list[int]]]) -> pd.DataFrame:
    rows = []
    for tid, crits in scores.items():
        for crit, vals in crits.items():
            for judge, v in zip("abc", vals, strict=True):
                rows.append({"trace_id": tid, "judge": judge, "criterion": crit,
                             "verdict": "pass" if v >= 3 else "fail", "score": float(v),
                             "error": None})
    return pd.DataFrame(rows)


def test_median_per_dimension_and_gap_flags_by_hand() -> None:
    df = _long({"t1": {"accuracy": [4, 4, 1], "grounded": [3, 4, 4]},
                "t2": {"accuracy": [2, 3, 3], "grounded": [1, 2, 2]}})
    ens = ensemble_rubric(df)
    f = ens.frame.set_index(["trace_id", "criterion"])
    # medians: t1 (4,4,1) -> 4, (3,4,4) -> 4; t2 (2,3,3) -> 3, (1,2,2) -> 2
    assert f["score"].to_dict() == {("t1", "accuracy"): 4.0, ("t1", "grounded"): 4.0,
                                    ("t2", "accuracy"): 3.0, ("t2", "grounded"): 2.0}
    # only t1/accuracy spans more than one point (4 - 1 = 3)
    assert f["flagged"].to_dict() == {("t1", "accuracy"): True, ("t1", "grounded"): False,
                                      ("t2", "accuracy"): False, ("t2", "grounded"): False}
    assert ens.review_queue.to_dict("list") == {
        "trace_id": ["t1"], "reason": ["scores disagree by more than 1"],
        "criteria": ["accuracy"], "max_spread": [3.0]}
    dis = ens.disagreements.iloc[0]
    assert (dis["score_a"], dis["score_b"], dis["score_c"]) == (4.0, 4.0, 1.0)


def test_agrees_with_ensemble_judges_criterion_by_criterion() -> None:
    df = _long({f"t{i}": {"x": [i % 4 + 1, (i * 3) % 4 + 1, 2], "y": [1, 4, (i * 5) % 4 + 1]}
                for i in range(20)})
    ens = ensemble_rubric(df, max_score_gap=2)
    for crit, sub in df.groupby("criterion"):
        ref = ensemble_judges(sub.drop(columns=["criterion", "error"]), max_score_gap=2)
        got = ens.frame[ens.frame["criterion"] == crit].reset_index(drop=True)
        pd.testing.assert_series_equal(got["score"], ref.frame["score"], check_names=False)
        assert got["verdict"].tolist() == ref.frame["verdict"].tolist()
        assert set(got.loc[got["flagged"], "trace_id"]) == set(ref.review_queue["trace_id"])


def test_binary_majority_and_no_flag_for_a_split_vote() -> None:
    df = _long({"t1": {"q": [4, 4, 1]}}).assign(score=lambda d: (d["verdict"] == "pass") * 1.0)
    ens = ensemble_rubric(df)
    assert ens.frame["verdict"].tolist() == ["pass"] and ens.review_queue.empty
    assert ens.verdicts("q")["verdict"].tolist() == ["pass"]
    with pytest.raises(JudgeConfigError, match="`criterion` must be one of"):
        ens.verdicts("overall")


def test_error_rows_send_the_trace_to_review_never_away() -> None:
    df = _long({"t1": {"q": [4, 4, 4]}, "t2": {"q": [4, 4, 4]}})
    df.loc[df.index[-1], ["verdict", "score", "error"]] = [None, float("nan"), "HTTPError: 500"]
    ens = ensemble_rubric(df)
    assert ens.frame["trace_id"].tolist() == ["t1"]
    assert ens.review_queue.to_dict("list")["reason"] == ["only 2 of 3 judges answered"]
    assert ens.n_error_rows == 1
    assert "1 error rows" in ens._repr_html_()


def test_missing_columns() -> None:
    with pytest.raises(JudgeConfigError, match="needs columns"):
        ensemble_rubric(pd.DataFrame({"trace_id": ["a"]}))


def test_run_judges_frame_into_ensemble(traces, fakes) -> None:
    rubric = load_example_rubric("factual_qa_5dim")
    judges = {n: fakes.judge(fakes.Scripted(fakes.answer_for(rubric, score=s)))
              for n, s in (("a", 4), ("b", 3), ("c", 1))}
    out = run_judges(traces, rubric, judges, cache=None, progress=False)
    ens = ensemble_rubric(out)
    # every dimension: median of (4, 3, 1) is 3 and the spread 3 > 1 flags every trace
    assert set(ens.frame["score"]) == {3.0} and len(ens.review_queue) == len(traces)


def _pair_judge(pick):
    def client(messages, **params):
        user = messages[-1]["content"]
        a = user.split("<response_A>\n")[1].split("\n")[0]
        b = user.split("<response_B>\n")[1].split("\n")[0]
        return json.dumps({"better_response": pick(a, b)})
    return Judge(client, model="pair", price=(0, 0))


def test_position_swapped_pairs_cancel_order_bias() -> None:
    pairs = pd.DataFrame({"pair_id": ["p1", "p2", "p3"],
                          "output_a": ["good 1", "bad 2", "good 3"],
                          "output_b": ["bad 1", "good 2", "bad 3"]})
    judges = {
        "fair": _pair_judge(lambda a, b: "A" if a.startswith("good") else "B"),
        "first": _pair_judge(lambda a, b: "A"),
        "second": _pair_judge(lambda a, b: "B"),
    }
    res = run_pairwise(pairs, load_example_rubric("support_bot_pairwise"), judges, cache=None,
                       progress=False)
    fair = res.frame[res.frame["judge"] == "fair"]
    assert fair["winner"].tolist() == ["A", "B", "A"] and fair["consistent"].all()
    assert set(res.frame.loc[res.frame["judge"] != "fair", "winner"]) == {"tie"}
    # cross-check with position_bias on the same choices
    first = res.frame[res.frame["judge"] == "first"]
    ref = position_bias(first["shown_ab"].tolist(), first["shown_ba"].tolist())
    assert res.position_bias["first"].statistic == ref.statistic == 0.5
    assert res.position_bias["second"].statistic == -0.5
    assert res.position_bias["fair"].statistic == 0.0
    # majority over judges: fair decides, the two biased judges tie -> tie wins 2 of 3
    assert res.winners["winner"].tolist() == ["tie", "tie", "tie"]
    assert res.winners[["n_A", "n_B", "n_tie"]].sum().tolist() == [2, 1, 6]
    assert "first-position bias" in res._repr_html_()


def test_pairwise_input_errors() -> None:
    r = load_example_rubric("support_bot_pairwise")
    j = {"x": _pair_judge(lambda a, b: "A")}
    with pytest.raises(JudgeConfigError, match="pairwise Rubric"):
        run_pairwise(pd.DataFrame(), load_example_rubric("support_bot_binary"), j)
    with pytest.raises(JudgeConfigError, match="needs columns"):
        run_pairwise(pd.DataFrame({"pair_id": ["p"]}), r, j)
    with pytest.raises(JudgeConfigError, match="lists pair 'p' twice"):
        run_pairwise(pd.DataFrame({"pair_id": ["p", "p"], "output_a": ["a", "b"],
                                   "output_b": ["c", "d"]}), r, j)
