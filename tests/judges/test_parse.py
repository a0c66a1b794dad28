"""The judge-answer parser: lenient in shape, strict in content; fuzzed with hypothesis."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.judges import JudgeOutputError, load_example_rubric, parse_answer

QA = load_example_rubric("factual_qa_5dim")
BOT = load_example_rubric("support_bot_binary")
PAIR = load_example_rubric("support_bot_pairwise")


def _bot(values: list) -> dict:
    return dict(zip(BOT.criteria, values, strict=True))


def test_plain_fenced_and_chatty_answers_parse_the_same() -> None:
    obj = {c: {"verdict": "pass", "explanation": f"{c} ok"} for c in BOT.criteria}
    text = json.dumps(obj)
    for reply in (text, f"```json\n{text}\n```", f"Sure! Here it is: {text} Hope it helps {{"):
        got = parse_answer(reply, BOT)
        assert list(got) == list(BOT.criteria)
        assert got["concise"].verdict == "pass" and got["concise"].explanation == "concise ok"


def test_verdict_spellings() -> None:
    got = parse_answer(json.dumps(_bot(["Yes", "no", True, False, " PASS "])), BOT)
    assert [a.verdict for a in got.values()] == ["pass", "fail", "pass", "fail", "pass"]
    assert [a.score for a in got.values()] == [1.0, 0.0, 1.0, 0.0, 1.0]


def test_wrapped_lists_and_dicts() -> None:
    items = [{"id": c, "verdict": "fail", "reason": "r"} for c in BOT.criteria]
    got = parse_answer(json.dumps({"answers": items}), BOT)
    assert {a.verdict for a in got.values()} == {"fail"}
    assert got["in_scope"].explanation == "r"
    got = parse_answer(json.dumps({"verdicts": _bot(["pass"] * 5)}), BOT)
    assert {a.verdict for a in got.values()} == {"pass"}


def test_scores_map_to_verdicts_at_the_threshold() -> None:
    # pass_score 3 on a 1-4 scale: 3 and 4 pass, 1 and 2 fail
    obj = dict(zip(QA.criteria, [1, 2, "3", 4.0, {"score": 3, "explanation": None}],
                   strict=True))
    got = parse_answer(json.dumps(obj), QA)
    assert [a.verdict for a in got.values()] == ["fail", "fail", "pass", "pass", "pass"]
    assert [a.score for a in got.values()] == [1.0, 2.0, 3.0, 4.0, 3.0]
    assert got["appropriate_uncertainty"].explanation == ""


def test_pairwise_answers() -> None:
    assert parse_answer('{"better_response": "response b"}', PAIR)["better_response"].verdict == "B"
    assert parse_answer('{"better_response": {"verdict": "Tie"}}',
                        PAIR)["better_response"].score == 0.5


@pytest.mark.parametrize(("reply", "match"), [
    (None, "must be text; got NoneType"),
    ("I think it passes.", "no JSON object in the judge's answer; got 'I think it passes.'"),
    ('{"factual_accuracy": 3}', "criterion 'groundedness' is missing"),
    (json.dumps(dict.fromkeys(QA.criteria, 2.5)), r"integer in \[1, 4\]; got 2.5"),
    (json.dumps(dict.fromkeys(QA.criteria, 0)), r"integer in \[1, 4\]; got 0"),
    (json.dumps(dict.fromkeys(QA.criteria, "high")), "got 'high'"),
    (json.dumps(dict.fromkeys(QA.criteria, True)), "got True"),
    (json.dumps({c: {"explanation": "x"} for c in QA.criteria}), "no verdict or score"),
    ('{"factual_accuracy": 3, ', "no JSON object"),
])
def test_malformed_scale_answers(reply: object, match: str) -> None:
    with pytest.raises(JudgeOutputError, match=match):
        parse_answer(reply, QA)


def test_malformed_binary_and_pairwise_answers() -> None:
    with pytest.raises(JudgeOutputError, match="criterion 'grounded_policy': verdict must be "
                                               "'pass' or 'fail'; got 'maybe'"):
        parse_answer(json.dumps(_bot(["maybe"] * 5)), BOT)
    with pytest.raises(JudgeOutputError, match="must be 'A', 'B' or 'tie'; got 'C'"):
        parse_answer('{"better_response": "C"}', PAIR)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from([*QA.criteria, *BOT.criteria, "verdict", "score", "answers", "id", "x"]),
        inner, max_size=6),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200), value=json_values,
       rubric=st.sampled_from([QA, BOT, PAIR]))
def test_fuzz_only_typed_errors_escape(text: str, value: object, rubric) -> None:
    for reply in (text, json.dumps(value), text + json.dumps(value)):
        try:
            got = parse_answer(reply, rubric)
        except JudgeOutputError:
            continue
        assert list(got) == list(rubric.criteria)
        for a in got.values():
            if rubric.kind == "scale":
                assert a.score in {1.0, 2.0, 3.0, 4.0}
                assert a.verdict == ("pass" if a.score >= 3 else "fail")
            elif rubric.kind == "binary":
                assert (a.verdict, a.score) in {("pass", 1.0), ("fail", 0.0)}
            else:
                assert a.verdict in {"A", "B", "tie"}
