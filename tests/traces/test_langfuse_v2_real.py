"""Langfuse v2 observation exports saved from the real SDK's API client (issue 10).

``tests/fixtures/traces/real/generate_langfuse_v2.py`` drives ``langfuse`` (VERSIONS.txt)
``api.observations.get_many`` (``GET /api/public/v2/observations``) against a mock transport
serving the scenario as the SDK's own ``ObservationV2`` models, and saves what the client hands a
user: the page's ``.json()`` (camelCase), ``o.dict()`` per line (camelCase, ``str(datetime)``
times, three pages), ``o.model_dump()`` (snake_case) and a page without ``fields=`` (core and
basic groups only). Every canonical column is checked against the scenario (``_scenario.py``) and
the raw files themselves; a hypothesis fuzz mutates the files.
"""

from __future__ import annotations

import json
import math
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.errors import TraceFormatError, TraceWarning
from evalkit.traces import load_traces
from tests.traces._mutation import load_both_modes, mutated_file, odd_values
from tests.traces.test_real_clients import REAL, S, check_scenario

#: the files with every field group, and the field-name style each was saved in
FULL = {
    "langfuse_v2_observations.json": "camel",  # page.json()
    "langfuse_v2_observations_dict.jsonl": "camel",  # o.dict() per line, json.dumps(default=str)
    "langfuse_v2_observations_model_dump.json": "snake",  # o.model_dump(), json.dumps(default=str)
}
DEFAULT_FIELDS = "langfuse_v2_observations_default_fields.json"  # get_many() without fields=
ALL = [*FULL, DEFAULT_FIELDS]


def _observations(name: str) -> list[dict[str, Any]]:
    """The observation records of a generated file, keys in camelCase (the oracle)."""
    text = (REAL / name).read_text()
    if name.endswith(".jsonl"):
        recs = [json.loads(line) for line in text.splitlines()]
    else:
        doc = json.loads(text)
        recs = doc["data"] if isinstance(doc, dict) else doc
    camel = {
        "trace_id": "traceId",
        "start_time": "startTime",
        "end_time": "endTime",
        "parent_observation_id": "parentObservationId",
        "model_parameters": "modelParameters",
        "is_root_observation": "isRootObservation",
        "usage_details": "usageDetails",
    }
    return [{camel.get(k, k): v for k, v in r.items()} for r in recs]


def _root(name: str) -> dict[str, Any]:
    (root,) = [o for o in _observations(name) if o["isRootObservation"]]
    return root


def _load_one(name: str) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a complete export loads without a single warning
        df = load_traces(REAL / name)
    (row,) = df.to_dict("records")
    return row


@pytest.mark.parametrize("name", list(FULL))
def test_every_canonical_column_against_the_scenario(name: str) -> None:
    row = _load_one(name)
    root = _root(name)
    check_scenario(row, retrieved=True)  # input, output, messages, tools, docs, model, tokens...
    assert row["trace_id"] == root["traceId"]
    assert row["source"]["format"] == "langfuse"
    assert row["timestamp"] == pd.Timestamp(root["startTime"])
    # latency: the trace spans its root observation, whose v2 ``latency`` is in seconds
    assert row["latency_ms"] == pytest.approx(root["latency"] * 1000, abs=1e-3)
    assert row["segment"] == "weather" and row["metadata"]["segment"] == "weather"
    assert pd.isna(row["cost_usd"])  # the export has no cost (no price on the mock server)
    summaries = row["metadata"]["observations"]
    assert [o["type"] for o in summaries] == [
        "SPAN", "RETRIEVER", "GENERATION", "TOOL", "GENERATION",
    ]  # fmt: skip
    assert {o["id"] for o in summaries} == {o["id"] for o in _observations(name)}
    assert row["metadata"]["name"] == "weather_agent"  # traceName


@pytest.mark.parametrize("name", list(FULL))
def test_nothing_of_the_observations_is_dropped(name: str) -> None:
    """Fields with no canonical column (model parameters, usage total, environment) stay."""
    row = _load_one(name)
    by_id = {o["id"]: o for o in row["metadata"]["observations"]}
    for raw in _observations(name):
        kept = by_id[raw["id"]]
        if raw["type"] == "GENERATION":
            assert kept["modelParameters"] == raw["modelParameters"]
            assert kept["modelParameters"]["temperature"] == 0.2
            assert kept["usageDetails"] == raw["usageDetails"]
            assert raw["usageDetails"]["total"] == sum(
                raw["usageDetails"][k] for k in ("input", "output")
            )
        assert kept["environment"] == "default"
        assert kept["latency"] == raw["latency"]


def test_the_three_saved_forms_give_the_same_trace() -> None:
    times = {"start_time", "end_time", "createdAt", "updatedAt"}  # kept as each file writes them

    def comparable(row: dict[str, Any]) -> dict[str, Any]:
        nan = [c for c, v in row.items() if isinstance(v, float) and math.isnan(v)]
        out = {c: None if c in nan else v for c, v in row.items() if c != "source"}
        out["metadata"]["observations"] = [
            {k: pd.Timestamp(v) if k in times else v for k, v in o.items()}
            for o in out["metadata"]["observations"]
        ]
        return out

    first, *others = [comparable(_load_one(name)) for name in FULL]
    for other in others:
        assert other == first  # metadata too: the snake_case file is read under the API's names


def test_snake_case_model_dump_is_recognised_as_langfuse() -> None:
    """``model_dump()`` writes snake_case names (Fern aliases are not pydantic aliases)."""
    raw = _observations_raw("langfuse_v2_observations_model_dump.json")
    assert "trace_id" in raw[0] and "traceId" not in raw[0]
    df, errors = load_traces(REAL / "langfuse_v2_observations_model_dump.json", errors="collect")
    assert errors == [] and len(df) == 1
    assert df["source"].iloc[0]["format"] == "langfuse"


def _observations_raw(name: str) -> list[dict[str, Any]]:
    return list(json.loads((REAL / name).read_text()))


def test_default_field_groups_are_reported_not_silent() -> None:
    """Without ``fields=`` the API sends only core and basic fields: no input/output at all."""
    raw = json.loads((REAL / DEFAULT_FIELDS).read_text())["data"]
    assert all("input" not in o and "usageDetails" not in o for o in raw)
    with pytest.warns(TraceWarning, match="have no output"):
        df = load_traces(REAL / DEFAULT_FIELDS)
    (row,) = df.to_dict("records")
    assert row["trace_id"] == raw[0]["traceId"]
    assert (row["session_id"], row["user_id"]) == (S.SESSION, S.USER)
    assert row["input"] is None and row["output"] is None and list(row["messages"]) == []
    assert row["model"] is None and row["input_tokens"] is None


def test_a_file_with_two_traces_gives_two_rows(tmp_path: Path) -> None:
    """Observations of two traces in one JSONL (a session export) are grouped per traceId."""
    lines = (REAL / "langfuse_v2_observations_dict.jsonl").read_text().splitlines()
    other = [json.loads(x) for x in lines]
    for o in other:
        o["traceId"] = "f" * 32
        o["sessionId"] = "session-43"
    (tmp_path / "two.jsonl").write_text("\n".join(lines + [json.dumps(o) for o in other]) + "\n")
    rows = {r["trace_id"]: r for r in load_traces(tmp_path / "two.jsonl").to_dict("records")}
    assert len(rows) == 2
    assert rows["f" * 32]["session_id"] == "session-43"
    for row in rows.values():
        check_scenario(row, retrieved=True, session=False)


# --- fuzz -------------------------------------------------------------------------------------

values = odd_values("2026-01-01 00:00:00+00:00", '{"args": 1}', "GENERATION", "null", max_leaves=8)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(ALL), data=st.data(), value=values, delete=st.booleans())
def test_mutated_v2_exports(name: str, data: Any, value: Any, delete: bool) -> None:
    """One value replaced or deleted anywhere: only typed errors, never a crash."""
    with tempfile.TemporaryDirectory() as tmp:
        p, _ = mutated_file(REAL / name, Path(tmp), data, value, delete)
        load_both_modes(p)


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("start_time", "not a time", "start_time"),
        ("usage_details", {"input": "many", "output": 1}, "usage_details.input"),
        ("usage_details", [1], "usage_details"),
        ("trace_id", 7, "trace_id"),
    ],
)
def test_snake_case_errors_name_the_field_as_written(
    tmp_path: Path, key: str, value: Any, field: str
) -> None:
    recs = _observations_raw("langfuse_v2_observations_model_dump.json")
    i = next(i for i, o in enumerate(recs) if o["type"] == "GENERATION")
    recs[i][key] = value
    (tmp_path / "obs.json").write_text(json.dumps(recs))
    with pytest.raises(TraceFormatError) as err:
        load_traces(tmp_path / "obs.json")
    assert err.value.error.field == f"[{i}].{field}", err.value
    assert err.value.error.format == "langfuse"


def test_app_root_with_a_physical_parent_is_the_trace_root(tmp_path: Path) -> None:
    """``isRootObservation`` marks the app root even when it keeps a parent id (an @observe
    function called inside a web framework's span): its input/output are the trace's."""
    doc = json.loads((REAL / "langfuse_v2_observations.json").read_text())
    (root,) = [o for o in doc["data"] if o["isRootObservation"]]
    root["parentObservationId"] = "f" * 16  # the framework's span, not exported
    root["output"] = "It is 18C and sunny in Paris today. (checked)"  # the app post-processes
    (tmp_path / "obs.json").write_text(json.dumps(doc))
    (row,) = load_traces(tmp_path / "obs.json").to_dict("records")
    assert row["output"] == root["output"]
    assert row["input"] == S.QUESTION
    assert row["metadata"]["observations"][0]["id"] == root["id"]
