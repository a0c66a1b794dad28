"""Mutated real-client files never crash the new reader paths (issue 10).

Each example takes one file written by a real client (tests/fixtures/traces/real/), replaces or
deletes one value anywhere in it, and loads it (with its companion file where it has one: OTLP
logs with their spans, Batch output with its input) in both modes. Only ``TraceFormatError``
may escape ``errors="raise"``; ``errors="collect"`` never raises and gives typed records.
Covered paths: OTLP logs joined to spans, base64 ids, Langfuse SDK spans, OpenInference,
LangSmith usage, Batch joins, the OpenAI fast path on model_dump() logs, zstd ``.eval`` members.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.traces._mutation import load_both_modes, mutated_file, odd_values

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "traces" / "real"
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))

values = odd_values("AAAAAAAAAAAAAAAAAAAAAA==", "zz", "null", '{"args": 1}', max_leaves=8)
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


@SETTINGS
@given(case=st.sampled_from(CASES), data=st.data(), value=values, delete=st.booleans())
def test_mutated_real_client_files(case: tuple[str, str | None], data, value, delete) -> None:
    name, companion = case
    with tempfile.TemporaryDirectory() as tmp:
        p, _ = mutated_file(REAL / name, Path(tmp), data, value, delete)
        files = [p]
        if companion is not None:
            shutil.copy(REAL / companion, Path(tmp) / companion)
            files.append(Path(tmp) / companion)
        load_both_modes(files)


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
        load_both_modes([p])
