"""Mutated fixtures never crash the Langfuse, LangSmith, Inspect and CSV readers.

Each example takes a valid fixture, replaces (or deletes) one value anywhere in it with an odd
value, and reads it in both modes: the only exception allowed is ``TraceFormatError``, and the rows
that come back must build a canonical frame.
"""

from __future__ import annotations

import contextlib
import csv
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from evalkit.errors import TraceFormatError
from evalkit.traces import _inspect, _langfuse, _langsmith, _tabular
from evalkit.traces._base import ErrorSink
from evalkit.traces.schema import COLUMNS, to_canonical
from tests.traces._mutation import mutate, odd_values, paths

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))

values = odd_values("2025-01-01T00:00:00Z", "9999-12-31T00:00:00Z", "attachment://x", max_leaves=10)
CASES = [
    (_langfuse, "langfuse/traces_full.json"),
    (_langfuse, "langfuse/traces.jsonl"),
    (_langsmith, "langsmith/runs.jsonl"),
    (_inspect, "inspect/log.json"),
]


def _check(module: Any, path: Path) -> None:
    with contextlib.suppress(TraceFormatError):
        to_canonical(module.read(path, sink=ErrorSink(mode="raise")))
    sink = ErrorSink(mode="collect")
    frame = to_canonical(module.read(path, sink=sink))
    assert list(frame.columns) == COLUMNS
    # the tabular module serves csv and parquet and sniffs the content (a .csv holding "PAR1..."
    # is reported as the Parquet file it claims to be)
    names = getattr(module, "NAMES", (module.NAME,))
    assert all(e.file == str(path) and e.format in names for e in sink.errors)


@SETTINGS
@given(case=st.sampled_from(CASES), data=st.data(), value=values, delete=st.booleans())
def test_mutated_json_fixtures(
    case: tuple[Any, str], data: st.DataObject, value: Any, delete: bool
) -> None:
    module, name = case
    text = (FIX / name).read_text()
    jsonl = name.endswith(".jsonl")
    doc = [json.loads(x) for x in text.splitlines()] if jsonl else json.loads(text)
    path = data.draw(st.sampled_from([p for p in paths(doc) if p or not jsonl]))
    doc = mutate(doc, path, value, delete)
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / Path(name).name
        p.write_text("\n".join(json.dumps(x) for x in doc) if jsonl else json.dumps(doc))
        _check(module, p)
        if module is _inspect and isinstance(doc, dict):
            z = Path(tmp) / "log.eval"
            with zipfile.ZipFile(z, "w") as zf:
                zf.writestr(
                    "header.json", json.dumps({k: v for k, v in doc.items() if k != "samples"})
                )
                samples = doc.get("samples") if isinstance(doc.get("samples"), list) else []
                for i, s in enumerate(samples):
                    zf.writestr(f"samples/{i}_epoch_1.json", json.dumps(s))
            _check(_inspect, z)


@SETTINGS
@given(data=st.data(), value=st.text(max_size=15), quote_all=st.booleans())
def test_mutated_csv_cells(data: st.DataObject, value: str, quote_all: bool) -> None:
    with open(FIX / "tabular" / "support.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    r = data.draw(st.integers(0, len(rows) - 1))
    c = data.draw(st.integers(0, len(rows[0]) - 1))
    rows[r][c] = value
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "support.csv"
        with open(p, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerows(
                rows
            )
        _check(_tabular, p)


@SETTINGS
@given(
    blob=st.binary(max_size=300), case=st.sampled_from([*CASES, (_tabular, "tabular/support.csv")])
)
@example(blob=b"PAR1 not parquet", case=(_tabular, "tabular/support.csv"))
def test_arbitrary_bytes(blob: bytes, case: tuple[Any, str]) -> None:
    module, name = case
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / Path(name).name
        p.write_bytes(blob)
        _check(module, p)
