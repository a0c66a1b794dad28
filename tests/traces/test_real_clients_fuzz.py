"""Mutated real-client files never crash the new reader paths (issue 10).

Each example takes one file written by a real client (tests/fixtures/traces/real/), replaces or
deletes one value anywhere in it, and loads it (with its companion file where it has one: OTLP
logs with their spans, Batch output with its input) in both modes. Only ``TraceFormatError``
may escape ``errors="raise"``; ``errors="collect"`` never raises and gives typed records.
Covered paths: OTLP logs joined to spans, base64 ids, Langfuse SDK spans, OpenInference,
LangSmith usage, Batch joins, the OpenAI fast path on model_dump() logs, zstd ``.eval`` members.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.errors import TraceError, TraceFormatError
from evalkit.traces import load_traces

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "traces" / "real"
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["", "[", "{}", "AAAAAAAAAAAAAAAAAAAAAA==", "zz", "null", '{"args": 1}'])
)
values = st.recursive(
    scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=8,
)
#: (file to mutate, companion loaded with it or None)
CASES = [
    ("otel_legacy_logs.json", "otel_legacy_spans.json"),
    ("otel_event_only_logs.json", "otel_event_only_spans.json"),
    ("otel_span_only_spans.json", None),
    ("openinference_spans.json", None),
    ("langfuse_otel_spans.json", None),
    ("langsmith_runs.jsonl", None),
    ("openai_batch_output.jsonl", "openai_batch_input.jsonl"),
    ("openai_model_dump.jsonl", None),
]


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    items = (
        obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else []
    )
    for k, v in items:
        yield from _paths(v, (*prefix, k))


def _mutate(obj: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    cur = obj
    for k in path[:-1]:
        cur = cur[k]
    if delete and isinstance(cur, dict):
        del cur[path[-1]]
    else:
        cur[path[-1]] = value
    return obj


def _load_both_modes(files: list[Path]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.suppress(TraceFormatError):
            load_traces(files)
        _, errors = load_traces(files, errors="collect")
    assert all(isinstance(e, TraceError) for e in errors)


@SETTINGS
@given(case=st.sampled_from(CASES), data=st.data(), value=values, delete=st.booleans())
def test_mutated_real_client_files(case: tuple[str, str | None], data, value, delete) -> None:
    name, companion = case
    text = (REAL / name).read_text()
    jsonl = name.endswith(".jsonl")
    doc = [json.loads(x) for x in text.splitlines()] if jsonl else json.loads(text)
    path = data.draw(st.sampled_from([p for p in _paths(doc) if p or not jsonl]))
    doc = _mutate(doc, path, value, delete)
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / name
        p.write_text("\n".join(json.dumps(x) for x in doc) if jsonl else json.dumps(doc))
        files = [p]
        if companion is not None:
            shutil.copy(REAL / companion, Path(tmp) / companion)
            files.append(Path(tmp) / companion)
        _load_both_modes(files)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(at=st.integers(0, 20_000), byte=st.integers(0, 255), cut=st.booleans())
def test_corrupted_zstd_eval_files(at: int, byte: int, cut: bool) -> None:
    raw = bytearray((REAL / "inspect_log.eval").read_bytes())
    at %= len(raw)
    if cut:
        raw = raw[:at]
    else:
        raw[at] = byte
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "log.eval"
        p.write_bytes(bytes(raw))
        _load_both_modes([p])
