"""``errors="warn"`` (issue 10): a problem is a warning naming file, line and field/role, and a
record whose problem leaves it readable is kept, for every reader family.

The files are the real-client fixtures (and the hand-written spec fixtures) with the role
``assistant`` misspelt ``asssistant``, so the expected role and field come from the file itself.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from evalkit.errors import TraceFormatError, TraceProblemWarning, TraceWarning
from evalkit.traces import load_traces

FIX = Path(__file__).parents[1] / "fixtures" / "traces"
REAL = FIX / "real"
FAMILIES = {
    "openai": REAL / "openai_model_dump.jsonl",
    "langsmith": REAL / "langsmith_runs.jsonl",
    "langfuse_otel": REAL / "langfuse_otel_spans.json",
    "langfuse_export": FIX / "langfuse" / "traces_full.json",
    "otel_genai": REAL / "otel_span_only_spans.json",
    "openinference": REAL / "openinference_spans.json",
    "inspect": REAL / "inspect_log.json",
}


def _misspelt(src: Path, tmp_path: Path) -> Path:
    out = tmp_path / src.name
    out.write_text(src.read_text().replace("assistant", "asssistant"))
    return out


def _where(error):
    return (error.file, error.line, error.span_id, error.field, error.format)


def _problems(caught: list[warnings.WarningMessage]) -> list[TraceProblemWarning]:
    return [w.message for w in caught if isinstance(w.message, TraceProblemWarning)]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_unknown_role_warns_and_keeps_the_trace(family, tmp_path):
    path = _misspelt(FAMILIES[family], tmp_path)
    with pytest.raises(TraceFormatError, match="unknown message role 'asssistant'") as raised:
        load_traces(path)
    kept_in_collect, collected = load_traces(path, errors="collect")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = load_traces(path, errors="warn")
    assert isinstance(df, pd.DataFrame)  # the frame alone, as with errors="raise"
    problems = _problems(caught)
    # the same problems as "collect" (only the message adds what was kept)
    assert [_where(p.error) for p in problems] == [_where(e) for e in collected]
    role_problems = [p for p in problems if "unknown message role" in str(p)]
    assert role_problems and _where(role_problems[0].error) == _where(raised.value.error)
    text = str(role_problems[0])
    assert str(path) in text and "'asssistant'" in text and ".role" in text
    assert f":{raised.value.line}" in text  # file:line
    assert "kept with the role as written" in text
    # the traces collect dropped are kept, their role as the file spells it
    assert len(df) == len(kept_in_collect) + len({p.error.line for p in role_problems})
    roles = {m["role"] for msgs in df["messages"] for m in msgs}
    assert "asssistant" in roles


def test_generic_json_csv_and_frame_unknown_roles(tmp_path):
    records = [
        {"conversation": [{"role": "human", "content": "hi"}, {"role": "critic", "content": "no"}]},
        {"conversation": [{"role": "user", "content": "a"}, {"role": "bot", "content": "b"}]},
    ]
    (tmp_path / "a.json").write_text(json.dumps(records, indent=1))
    msgs = json.dumps(records[0]["conversation"])
    pd.DataFrame({"messages": [msgs], "trace_id": ["t1"]}).to_csv(tmp_path / "b.csv", index=False)
    for source, line in ((tmp_path / "a.json", 2), (tmp_path / "b.csv", 2)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df = load_traces(source, errors="warn")
        (problem,) = _problems(caught)
        assert problem.error.line == line and problem.error.field == "messages[1].role"
        assert "'critic'" in str(problem) and str(source) in str(problem)
        assert "critic" in {m["role"] for msgs in df["messages"] for m in msgs}
    frame = pd.DataFrame({"messages": [records[0]["conversation"]], "trace_id": ["t1"]})
    with pytest.warns(TraceProblemWarning, match="unknown message role 'critic'"):
        df = load_traces(frame, errors="warn")
    assert len(df) == 1


def test_bad_numbers_are_kept_as_null_under_warn(tmp_path):
    lines = [
        {"input": "q1", "output": "a1", "latency_ms": -5, "cost_usd": 0.1},
        {"input": "q2", "output": "a2", "latency_ms": 3, "usage": {"input_tokens": 2**70}},
    ]
    path = tmp_path / "n.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    df_c, errors = load_traces(path, format="json", errors="collect")
    assert df_c.empty and [e.field for e in errors] == ["latency_ms", "input_tokens"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = load_traces(path, format="json", errors="warn")
    problems = _problems(caught)
    assert [(p.error.line, p.error.field) for p in problems] == [
        (1, "latency_ms"),
        (2, "input_tokens"),
    ]
    assert all("kept with this value set to null" in str(p) for p in problems)
    assert df["input"].tolist() == ["q1", "q2"]
    assert pd.isna(df.loc[0, "latency_ms"]) and df.loc[0, "cost_usd"] == 0.1
    assert pd.isna(df.loc[1, "input_tokens"]) and df.loc[1, "latency_ms"] == 3


def test_unreadable_records_are_skipped_with_a_warning(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n{"messages": [\n')
    with pytest.warns(TraceProblemWarning, match=r"c\.jsonl:2 .*invalid JSON"):
        df = load_traces(path, errors="warn")
    assert len(df) == 1


def test_many_problems_show_twenty_then_one_summary(tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_text("{bad\n" * 25 + '{"messages": [{"role": "user", "content": "x"}]}\n')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = load_traces(path, errors="warn")
    assert len(df) == 1
    assert [p.error.line for p in _problems(caught)] == list(range(1, 21))
    summary = [
        str(w.message)
        for w in caught
        if type(w.message) is TraceWarning and "not shown one by one" in str(w.message)
    ]
    assert summary == [
        "5 more trace problem(s) not shown one by one (25 in all); use errors='collect' to get "
        "every one as a TraceError record"
    ]


def test_warn_is_a_documented_errors_value():
    with pytest.raises(ValueError, match="'raise', 'collect', 'warn'; got 'loud'"):
        load_traces(REAL / "openai_model_dump.jsonl", errors="loud")


def test_a_bad_first_line_of_json_lines_is_reported_once(tmp_path):
    """The generic reader tried the file as one document first and reported that failure too."""
    path = tmp_path / "x.jsonl"
    path.write_text('{bad\n{"input": "q", "output": "a"}\n')
    df, errors = load_traces(path, format="json", errors="collect")
    assert [e.line for e in errors] == [1] and df["input"].tolist() == ["q"]


@pytest.mark.parametrize("fmt", ["auto", "json"])
def test_one_unstorable_row_does_not_lose_the_rest_of_its_chunk(tmp_path, fmt):
    """A token count beyond int64 failed the whole chunk (the whole file, for small files)."""
    good = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}
    bad = {
        "request": {"model": "m", "messages": [{"role": "user", "content": "q"}]},
        "response": {
            "id": "c1",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "x"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 2**70, "completion_tokens": 1},
        },
    }
    if fmt == "json":  # the generic reader takes usage from the top of the record
        bad = {"input": "q", "output": "x", "usage": {"input_tokens": 2**70}}
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    options = {} if fmt == "auto" else {"format": fmt}
    df, errors = load_traces(path, errors="collect", **options)
    assert df["output"].tolist() == ["b"]
    assert [(e.line, e.field) for e in errors] == [(2, "input_tokens")]
    with pytest.warns(TraceProblemWarning, match="too large for a 64-bit token count"):
        df = load_traces(path, errors="warn", **options)
    assert df["output"].tolist() == ["b", "x"] and pd.isna(df.loc[1, "input_tokens"])


def test_unknown_role_found_in_a_later_chunk_names_its_line(tmp_path):
    """The role check runs chunk by chunk (2,000 rows each): rows and positions stay exact."""
    lines = []
    for i in range(1, 4_501):
        role = "critic" if i in (2_345, 4_001) else "assistant"
        msgs = [{"role": "user", "content": f"q{i}"}, {"role": role, "content": f"a{i}"}]
        lines.append(json.dumps({"messages": msgs}))
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(lines) + "\n")
    df, errors = load_traces(path, errors="collect")
    assert [(e.line, e.field) for e in errors] == [
        (2_345, "messages[1].role"),
        (4_001, "messages[1].role"),
    ]
    assert len(df) == 4_498 and "q2345" not in set(df["input"])
