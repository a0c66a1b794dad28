"""Hypothesis fuzz: run_checks and the config loader let only typed evalkit errors escape."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evalkit
from evalkit import checks
from evalkit.checks import VERDICTS, CheckError, load_config
from evalkit.errors import EvalkitError

text = st.one_of(st.none(), st.text(max_size=40),
                 st.sampled_from(['{"answer": "x"}', "[1, 2", "I can't help with that.",
                                  "¿Dónde está mi factura, por favor?", "KB-1 says yes"]))
scalar = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=8))
args = st.one_of(st.text(max_size=20), st.dictionaries(st.sampled_from(["id", "email", "q"]),
                                                        scalar, max_size=3))
tool_call = st.fixed_dictionaries({"name": st.sampled_from(["get_invoice", "x", ""]),
                                   "arguments": args, "result": st.none() | st.text(max_size=5)})
message = st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "tool", "system"]),
                                 "content": st.none() | st.text(max_size=20)})
doc = st.fixed_dictionaries({"id": st.none() | st.text(max_size=6),
                             "text": st.none() | st.text(max_size=30)})
numbers = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(-10, 10**6))
metadata = st.one_of(st.none(), st.dictionaries(st.sampled_from(["tools", "llm.tools", "x"]),
                                                st.one_of(st.text(max_size=10),
                                                          st.lists(scalar, max_size=2)),
                                                max_size=2))

CHECKS = [
    checks.json_valid(), checks.json_schema({"type": "object", "required": ["answer"]}),
    checks.required_fields(["answer"]), checks.tool_called("get_invoice"),
    checks.tool_not_called("x"),
    checks.tool_args_valid({"get_invoice": {"type": "object", "required": ["id"]}}),
    checks.no_invented_ids(), checks.regex(r"\d+"), checks.contains(["KB"]),
    checks.not_contains(["help"]), checks.exact("input"), checks.normalized_exact("input"),
    checks.refusal(), checks.language_match(detector=lambda t: t[:1]),
    checks.budget(latency_ms=1000, tokens=100, cost_usd=0.01,
                  by_segment={"a": {"latency_ms": 10}}),
    checks.cites_retrieved(pattern=r"\[(\w+)\]"), checks.lexical_overlap(),
    checks.contradicts_retrieved(),
    checks.contradicts_retrieved(nli=lambda pairs: [len(h) % 2 for _, h in pairs]),
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.fixed_dictionaries({
    "output": text, "input": text, "segment": st.none() | st.sampled_from(["a", "b", "<i>"]),
    "tool_calls": st.none() | st.lists(tool_call, max_size=2),
    "messages": st.lists(message, max_size=3), "retrieved": st.none() | st.lists(doc, max_size=2),
    "latency_ms": numbers, "input_tokens": numbers, "output_tokens": numbers,
    "cost_usd": numbers, "metadata": metadata}), max_size=8))
def test_run_checks_never_raises_untyped_errors(rows: list[dict]) -> None:
    t = pd.DataFrame(rows, columns=["output", "input", "segment", "tool_calls", "messages",
                                    "retrieved", "latency_ms", "input_tokens", "output_tokens",
                                    "cost_usd", "metadata"])
    t.insert(0, "trace_id", [f"t{i}" for i in range(len(t))])
    try:
        res = evalkit.run_checks(t, CHECKS)
    except EvalkitError:
        return
    assert len(res.frame) == len(t) * len(CHECKS)
    assert set(res.frame["verdict"].astype(str)) <= set(VERDICTS)
    s = res.summary
    assert (s["n"] == s["n_pass"] + s["n_fail"] + s["n_na"] + s["n_error"]).all()
    assert all(math.isnan(x) or 0 <= x <= 1 for x in s["failure_rate"])


config_value = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=True)
    | st.text(max_size=12) | st.sampled_from(list(checks.registry())),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["check", "name", "pattern", "text", "schema", "tool",
                                       "latency_ms", "fields", "reference", "keys", "gate",
                                       "checks"]), inner, max_size=4),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(config=config_value)
def test_config_loader_raises_only_config_errors(config: object) -> None:
    try:
        cfg = load_config(config if isinstance(config, dict) else {"checks": config})
    except CheckError:
        return
    assert cfg.checks and all(c.name for c in cfg.checks)


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(checks.registry())),
       kwargs=st.dictionaries(st.sampled_from(
           ["pattern", "text", "schema", "fields", "keys", "segments", "latency_ms", "tokens",
            "by_segment", "phrases", "extra", "languages", "min_chars", "min_overlap",
            "reference", "schemas", "require", "name", "column", "rules", "negation_overlap",
            "nli", "nli_threshold", "batch_size"]), config_value, max_size=3))
def test_factories_raise_only_typed_errors(name: str, kwargs: dict) -> None:
    factory = checks.registry()[name]
    try:
        factory(**kwargs)
    except CheckError:
        pass
    except TypeError as exc:  # Python's own signature check: an unknown or missing argument
        assert "argument" in str(exc)
