"""Fuzz the new reader paths (issue 10): ``columns=`` with any dotted path on mutated real-client
files, under ``errors="raise"``, ``"collect"`` and ``"warn"``; only typed evalkit errors escape.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.traces import load_traces
from evalkit.traces._columns import COLUMNS, get_path
from tests.traces._mutation import load_both_modes, mutated_file, odd_values, paths

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "traces" / "real"
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
FILES = [
    "langsmith_runs.jsonl",
    "langfuse_otel_spans.json",
    "otel_span_only_spans.json",
    "openinference_spans.json",
    "inspect_log.json",
]
values = odd_values("Infinity", "NaN", '"quoted"', '{"a": [1, {"b": 2}]}', max_leaves=6)
path_text = st.lists(
    st.sampled_from(["attributes", "metadata", "extra", "0", "1", "a", "b", "name", "x.y", ""])
    | st.text(max_size=5),
    min_size=1,
    max_size=4,
).map(".".join)


def _doc_paths(doc: Any) -> list[str]:
    return [".".join(map(str, p)) for p in paths(doc) if p][:400]


@SETTINGS
@given(
    name=st.sampled_from(FILES),
    data=st.data(),
    value=values,
    delete=st.booleans(),
    column=st.sampled_from(sorted(COLUMNS)),
)
def test_columns_on_mutated_real_files(name, data, value, delete, column) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        p, doc = mutated_file(REAL / name, Path(tmp), data, value, delete)
        record = doc[0] if name.endswith(".jsonl") and doc else doc
        field = data.draw(st.sampled_from(_doc_paths(record) or ["x"]) | path_text)
        errors = load_both_modes(p, columns={field: column})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame, again = load_traces(p, columns={field: column}, errors="collect")
            warned = load_traces(p, columns={field: column}, errors="warn")
        assert len(again) == len(errors) and len(warned) >= len(frame)


@settings(max_examples=300, deadline=None)
@given(record=odd_values("{}", "[1]", '{"a": {"b": 1}}', max_leaves=12), path=path_text)
def test_get_path_never_raises(record, path) -> None:
    found, value = get_path(record, path)
    assert found or value is None


def test_get_path_with_a_unicode_digit_index_is_not_found() -> None:
    # "²".isdigit() is True but int("²") raises: hypothesis found it (a flaky CI failure)
    assert get_path([], "²") == (False, None)
    assert get_path(["a", "b"], "١") == (False, None)  # an Arabic-Indic one: int() reads it
    assert get_path(["a", "b"], "1") == (True, "b")
