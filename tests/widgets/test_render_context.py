"""Rendering: context in system/tool messages (15.4), hostile numbers (12.10), caps (12.16)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.store import LabelStore
from evalkit.widgets._render import MAX_CHARS, MAX_ITEMS, render_trace
from evalkit.widgets.annotator import Annotator
from evalkit.widgets.trace_view import TraceView

PROMPT = "You are Acme's support assistant."
CONTEXT = "Context: refunds are possible within 30 days of renewal."


def _system_prompts(out: str) -> int:
    return len(re.findall(r"System prompt<span", out))


def test_second_system_message_is_context_not_a_second_prompt() -> None:
    out = render_trace(
        {
            "messages": [
                {"role": "system", "content": PROMPT},
                {"role": "system", "content": CONTEXT},
                {"role": "user", "content": "refund?"},
                {"role": "assistant", "content": "No refunds, ever."},
            ]
        }
    )
    assert _system_prompts(out) == 1  # used to be 2: the context hid as a second prompt
    assert "Context (system message)" in out
    # shown open, not collapsed inside a <details>
    ctx = out[out.index("Context (system message)") :]
    assert ctx.index("refunds are possible") < ctx.index("refund?")
    start = out.index("Context (system message)") - 200
    assert "<details" not in out[start : out.index(CONTEXT[:20])]


def test_structured_context_shows_as_documents() -> None:
    docs = [
        {"id": "kb/refunds.md", "text": "Refunds within 30 days.", "score": 0.9},
        {"id": "kb/<b>x</b>.md", "text": "Second <script>doc</script>", "score": 0.0},
    ]
    out = render_trace(
        {
            "messages": [
                {"role": "system", "content": PROMPT},
                {"role": "system", "content": json.dumps(docs)},
                {"role": "user", "content": "refund?"},
                {
                    "role": "tool",
                    "content": json.dumps({"documents": [{"title": "FAQ", "content": "T doc"}]}),
                },
                {"role": "assistant", "content": "ok"},
            ]
        }
    )
    assert "Context documents (system message)" in out
    assert "kb/refunds.md" in out and "kb/&lt;b&gt;x&lt;/b&gt;.md" in out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert 'style="width:0%"' in out  # a 0.0 score still gets its bar
    assert "Retrieved documents" in out and "FAQ" in out and "T doc" in out
    # a plain JSON tool result is not mistaken for documents
    plain = render_trace({"messages": [{"role": "tool", "content": '{"plan": "Team"}'}]})
    assert "Retrieved documents" not in plain and "plan" in plain


def test_hostile_numbers_render_as_text() -> None:
    row = {
        "trace_id": "t1", "input": "hi", "input_tokens": "n/a", "output_tokens": float("inf"),
        "cost_usd": "free", "latency_ms": "slow",
    }  # fmt: skip
    out = TraceView(row).html  # raised ValueError / OverflowError before
    assert "n/a in · inf out" in out and "free" in out and "slow" in out


def test_annotator_opens_traces_with_hostile_numbers(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "trace_id": ["a", "b"],
            "input": ["x", "y"],
            "input_tokens": ["n/a", 5],
            "output_tokens": [float("inf"), 3],
            "cost_usd": ["free", 0.1],
        }
    )
    with LabelStore(tmp_path / "s.sqlite") as store:
        ann = Annotator(frame, store, annotator="me")
        assert "n/a in" in ann.html and "free" in ann.html
        ann.press("1")
        assert ann.current == "b"


def test_message_count_is_capped() -> None:
    big = "x" * MAX_CHARS
    n = 20_000
    messages = [{"role": "user" if i % 2 else "assistant", "content": big} for i in range(n)]
    messages[-1] = {"role": "user", "content": "THE LAST QUESTION"}
    out = render_trace({"messages": messages, "output": "final"})
    assert len(out) < (MAX_ITEMS + 5) * MAX_CHARS * 1.2  # was ~402 MB for 20k x 20 KB
    assert f"{n - MAX_ITEMS:,} more messages not shown" in out
    assert "THE LAST QUESTION" in out and "final" in out
    docs = [{"id": f"d{i}", "text": "t"} for i in range(999)]
    many = render_trace({"input": "q", "retrieved": docs})
    assert f"{999 - MAX_ITEMS:,} more documents not shown" in many


_values = st.one_of(
    st.none(), st.text(max_size=6), st.floats(allow_nan=True), st.integers(), st.booleans()
)


@settings(max_examples=60, deadline=None)
@given(tin=_values, tout=_values, cost=_values, latency=_values, score=_values)
def test_fuzz_metadata_never_crashes(
    tin: object, tout: object, cost: object, latency: object, score: object
) -> None:
    out = render_trace(
        {
            "trace_id": "t", "input": "q", "input_tokens": tin, "output_tokens": tout,
            "cost_usd": cost, "latency_ms": latency,
            "retrieved": [{"id": "d", "text": "t", "score": score}],
        }
    )  # fmt: skip
    assert out.startswith('<div class="ek-trace">')
