"""Hypothesis fuzz of the judge-run entry points: only typed evalkit errors may escape."""

from __future__ import annotations

import pandas as pd
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.errors import EvalkitError
from evalkit.judges import Judge, Rubric, ensemble_rubric, load_example_rubric, run_judges

scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=6)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["id", "question", "pass", "fail", "levels", "description", "examples",
                     "response", "answer", "x"]) | st.integers(0, 5).map(str), inner,
    max_size=5), max_leaves=15)
rubric_dicts = st.fixed_dictionaries({}, optional={
    "name": scalars, "version": scalars, "kind": st.sampled_from(["binary", "scale", "pairwise",
                                                                  "x"]) | scalars,
    "questions": values, "dimensions": values, "scale": values, "pass_score": scalars,
    "template": st.text(max_size=20), "description": scalars, "extra": scalars})


@settings(max_examples=300, deadline=None)
@given(data=rubric_dicts | values)
def test_fuzz_rubric_from_dict(data: object) -> None:
    try:
        r = Rubric.from_dict(data)  # type: ignore[arg-type]
    except EvalkitError:
        return
    assert Rubric.from_dict(r.to_dict()) == r
    assert len(r.content_hash) == 64 and r.criteria
    # YAML round trip, whatever the text (multi-line, trailing spaces, odd characters)
    assert Rubric.from_dict(yaml.safe_load(r.to_yaml())) == r


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(min_size=1, max_size=30).filter(str.strip), min_size=3,
                      max_size=3))
def test_fuzz_rubric_yaml_round_trip_of_any_text(texts: list[str]) -> None:
    r = Rubric.from_dict({"name": texts[0], "version": "1", "description": texts[1],
                          "questions": [{"id": "q", "question": texts[2], "pass": texts[1],
                                         "fail": texts[0] + "\n" + texts[2]}]})
    back = Rubric.from_dict(yaml.safe_load(r.to_yaml()))
    assert back == r and back.content_hash == r.content_hash


QA = load_example_rubric("factual_qa_5dim")
TRACES = pd.DataFrame({"trace_id": ["a", "b", "c"], "output": ["x", "y", "z"]})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replies=st.lists(st.text(max_size=60) | st.builds(
    lambda d: __import__("json").dumps(d), st.dictionaries(st.sampled_from(QA.criteria),
                                                           scalars, max_size=5)),
    min_size=1, max_size=6))
def test_fuzz_run_judges_with_garbage_replies(replies: list[str]) -> None:
    it = iter(replies * 10)

    def client(messages, **params):
        return next(it)

    judges = {n: Judge(client, model=n, price=(0, 0)) for n in ("j1", "j2", "j3")}
    out = run_judges(TRACES, QA, judges, cache=None, progress=False, max_retries=1,
                     backoff=0.0, concurrency=1)
    # nothing dropped: every (trace, judge, criterion) is a row, an answer or an error
    assert len(out) == 3 * 3 * (len(QA.criteria) + 1)
    assert (out["verdict"].notna() ^ out["error"].notna()).all()
    ens = ensemble_rubric(out)
    assert set(ens.review_queue["trace_id"]) | set(ens.frame["trace_id"]) <= {"a", "b", "c"}
