"""Evaluation exports that flow back into Phoenix and Langfuse: issue 18, items 1-6.

Langfuse rows are validated with the Langfuse SDK's own request models (``langfuse`` pinned in the
``test`` extra); the Phoenix server round trip is in ``test_phoenix_roundtrip.py``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pandas as pd
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from langfuse.api.scores import CreateScoreRequest

from evalkit.labels import LabelStore
from tests.labels._langfuse_sdk import validate as validate_langfuse

T0 = datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
EVAL_FORMATS = ("otel", "phoenix", "langfuse")


def _export(store: LabelStore, tmp_path: Path, fmt: str, **kw: Any) -> Any:
    name = f"{fmt}-{len(list(tmp_path.iterdir()))}.json"
    return json.loads(store.export(tmp_path / name, format=fmt, **kw).read_text())  # type: ignore[arg-type]


def _otel_attrs(doc: dict) -> list[dict[str, Any]]:
    logs = doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    return [{kv["key"]: next(iter(kv["value"].values())) for kv in lg["attributes"]} for lg in logs]


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.sqlite")
    yield s
    s.close()


# ---------------------------------------------------------------------- 1. pandas 3 notes
@pytest.mark.parametrize("fmt", EVAL_FORMATS)
def test_missing_notes_under_pandas3_strings(store: LabelStore, tmp_path: Path, fmt: str) -> None:
    # pandas 3 (and pandas 2 with future.infer_string) reads the note column as str with NaN for
    # missing notes; NaN is truthy, and the explanation join crashed with a TypeError
    store.record("t1", annotator="a", field="verdict", value="fail", note="why", time=T0)
    store.record("t1", annotator="a", field="severity", value=2, time=T0)
    store.record("t2", annotator="a", field="verdict", value="pass", time=T0)
    with pd.option_context("future.infer_string", True):
        assert pd.isna(store.labels()["note"]).sum() == 2  # the pandas 3 shape
        doc = _export(store, tmp_path, fmt)
    text = json.dumps(doc)
    assert "NaN" not in text and "nan" not in text
    assert text.count('"why"') == 1  # the one note, once, as the failing verdict's explanation


def test_missing_notes_in_flat_exports_under_pandas3_strings(
    store: LabelStore, tmp_path: Path
) -> None:
    store.record("t1", annotator="a", field="verdict", value="pass", time=T0)
    store.record("t2", annotator="a", field="verdict", value="fail", note="why", time=T0)
    with pd.option_context("future.infer_string", True):
        out = store.export(tmp_path / "l.jsonl")
    first, second = out.read_text().splitlines()
    assert "NaN" not in first  # NaN is not JSON
    assert json.loads(first)["note"] is None and json.loads(second)["note"] == "why"


# ---------------------------------------------------------------------- 2. + 3. Langfuse requests
def _mixed(store: LabelStore) -> None:
    store.register_field("rationale", kind="text")
    store.register_field("tone", kind="choice", choices=["ok", "rude"])
    store.record("t1", annotator="alice", field="verdict", value="fail", time=T0)
    store.record("t1", annotator="alice", field="note", value="invented a policy", time=T0)
    store.record("t1", annotator="alice", field="failure_modes", value=["made-up", "=cmd"])
    store.record("t1", annotator="alice", field="severity", value=3)
    store.record("t2", annotator="bob", field="note", value="looks fine?")
    store.record("t2", annotator="bob", field="rationale", value="x" * 600)
    store.record("t2", annotator="bob", field="tone", value="ok")
    store.record("t2", annotator="bob", field="open_codes", value=[])
    store.record("t2", annotator="gpt", field="verdict", value="pass", source="judge:gpt-x")
    store.record("t3", annotator="rules", field="verdict", value="defer", source="regex")


def test_langfuse_rows_validate_with_the_sdk(store: LabelStore, tmp_path: Path) -> None:
    _mixed(store)
    rows = _export(store, tmp_path, "langfuse")
    assert isinstance(rows, list)  # one JSON array, the body of POST /api/public/scores
    models = validate_langfuse(rows)
    assert len(models) == 10  # alice 4 (note folded), bob 4 (empty codes: 1), gpt 1, rules 1
    # EVAL is refused by CreateScoreRequest; ANNOTATION needs a configId evalkit does not have
    assert {m.source for m in models} == {"API"}
    assert all(m.config_id is None for m in models)
    assert all(m.timestamp is not None and m.timestamp.tzinfo is not None for m in models)
    kinds = {(r["metadata"]["evalkit.annotator"], r["name"]): r["dataType"] for r in rows}
    assert kinds[("alice", "verdict")] == "CATEGORICAL"
    assert kinds[("alice", "severity")] == "NUMERIC"
    assert kinds[("bob", "note")] == "TEXT" and kinds[("bob", "rationale")] == "TEXT"
    assert kinds[("bob", "tone")] == "CATEGORICAL"
    judge = next(r for r in rows if r["metadata"]["evalkit.annotator"] == "gpt")
    assert judge["metadata"]["evalkit.source"] == "judge:gpt-x"
    assert judge["metadata"]["evalkit.annotator_kind"] == "LLM"


def test_langfuse_refuses_the_old_sources() -> None:
    # the oracle for item 2: the SDK's own model rejects what evalkit used to send for judges
    with pytest.raises(pydantic.ValidationError, match="'API' or 'ANNOTATION'"):
        CreateScoreRequest.model_validate(
            {"traceId": "t", "name": "verdict", "value": "pass", "source": "EVAL"}
        )


def test_langfuse_text_limits(store: LabelStore, tmp_path: Path) -> None:
    _mixed(store)
    store.record("t4", annotator="c", field="note", value="😀" * 300)  # 600 UTF-16 units
    store.record("t5", annotator="c", field="note", value="   ")  # blank: no record
    rows = {(r["traceId"], r["name"]): r for r in _export(store, tmp_path, "langfuse")}
    validate_langfuse(list(rows.values()))
    long = rows[("t2", "rationale")]
    assert len(long["value"]) == 500 and long["value"].endswith("…")
    assert long["comment"] == "x" * 600 and long["metadata"]["evalkit.truncated"] is True
    emoji = rows[("t4", "note")]["value"]
    assert emoji == "😀" * 249 + "…"  # 498 + 1 UTF-16 units
    assert ("t5", "note") not in rows
    short = rows[("t2", "note")]
    assert (short["value"], short["comment"], short["dataType"]) == ("looks fine?", None, "TEXT")


# ---------------------------------------------------------------------- 4. free text
def test_text_fields_are_explanations_not_labels(store: LabelStore, tmp_path: Path) -> None:
    store.register_field("rationale", kind="text")
    store.record("t1", annotator="a", field="rationale", value="because the refund is invented")
    store.record("t1", annotator="a", field="note", value="a note")
    (px,) = [d for d in _export(store, tmp_path, "phoenix")["data"] if d["name"] == "rationale"]
    assert px["result"] == {
        "label": None,
        "score": None,
        "explanation": "because the refund is invented",
    }
    note = next(d for d in _export(store, tmp_path, "phoenix")["data"] if d["name"] != "rationale")
    assert note["name"] == "review_note" and note["result"]["label"] is None
    for attrs in _otel_attrs(_export(store, tmp_path, "otel")):
        assert "gen_ai.evaluation.score.label" not in attrs
        explanation = attrs["gen_ai.evaluation.explanation"]
        assert explanation in {"because the refund is invented", "a note"}
    lf = _export(store, tmp_path, "langfuse")
    assert {r["dataType"] for r in lf} == {"TEXT"}


# ---------------------------------------------------------------------- 5. stable ids, retraction
def test_reexport_after_relabel_addresses_the_same_records(
    store: LabelStore, tmp_path: Path
) -> None:
    store.record("t1", annotator="alice", field="verdict", value="fail", time=T0)
    store.record("t1", annotator="alice", field="failure_modes", value=["a", "b"], time=T0)
    first = {fmt: _export(store, tmp_path, fmt) for fmt in EVAL_FORMATS}
    later = T0 + timedelta(days=1)
    store.record("t1", annotator="alice", field="verdict", value="pass", time=later)
    store.record("t1", annotator="alice", field="failure_modes", value=["b", "c"], time=later)
    second = {fmt: _export(store, tmp_path, fmt) for fmt in EVAL_FORMATS}

    def by_label(rows: list[dict], key: str, label: str) -> dict:
        return {r[label]: r[key] for r in rows}

    lf1 = {(r["name"], r["value"]): r for r in first["langfuse"]}
    lf2 = {(r["name"], r["value"]): r for r in second["langfuse"]}
    # the verdict changed value but keeps its id and timestamp: Langfuse updates it in place
    assert lf1[("verdict", "fail")]["id"] == lf2[("verdict", "pass")]["id"]
    assert lf1[("verdict", "fail")]["timestamp"] == lf2[("verdict", "pass")]["timestamp"]
    assert lf2[("verdict", "pass")]["timestamp"] == "2025-03-04T05:06:07.890123Z"
    # a list item keeps its id by value, not by position
    assert lf1[("failure_modes", "b")]["id"] == lf2[("failure_modes", "b")]["id"]
    assert lf1[("failure_modes", "a")]["id"] != lf2[("failure_modes", "c")]["id"]
    px1 = {(d["name"], d["result"]["label"]): d["identifier"] for d in first["phoenix"]["data"]}
    px2 = {(d["name"], d["result"]["label"]): d["identifier"] for d in second["phoenix"]["data"]}
    assert px1[("verdict", "fail")] == px2[("verdict", "pass")]
    assert px1[("failure_modes", "b")] == px2[("failure_modes", "b")]
    label = "gen_ai.evaluation.score.label"
    ot1 = by_label(_otel_attrs(first["otel"]), "evalkit.record_id", label)
    ot2 = by_label(_otel_attrs(second["otel"]), "evalkit.record_id", label)
    assert ot1["fail"] == ot2["pass"] == lf1[("verdict", "fail")]["id"]

    # retract: exactly the item that left the list, in every format
    gone = lf1[("failure_modes", "a")]["id"]
    lf_r = _export(store, tmp_path, "langfuse", retract=True)
    assert lf_r == [{"id": gone, "traceId": "t1", "name": "failure_modes"}]
    px_r = _export(store, tmp_path, "phoenix", retract=True)
    assert px_r == {"data": [{"trace_id": "t1", "name": "failure_modes", "identifier": gone}]}
    (ot_r,) = _otel_attrs(_export(store, tmp_path, "otel", retract=True))
    assert ot_r["evalkit.retracted"] is True and ot_r["evalkit.record_id"] == gone
    assert "gen_ai.evaluation.score.label" not in ot_r


def test_retract_after_undo_and_cleared_note(store: LabelStore, tmp_path: Path) -> None:
    store.record("t1", annotator="a", field="severity", value=2)
    store.record("t1", annotator="a", field="note", value="first thought")
    sev_id = _export(store, tmp_path, "langfuse")[0]["id"]
    note_id = _export(store, tmp_path, "langfuse")[1]["id"]
    store.undo("a", field="severity")
    store.record("t1", annotator="a", field="note", value="")  # cleared
    assert _export(store, tmp_path, "langfuse") == []
    gone = {r["id"] for r in _export(store, tmp_path, "langfuse", retract=True)}
    assert gone == {sev_id, note_id}
    # a note folded into a verdict retracts its standalone record
    store.record("t1", annotator="a", field="note", value="second thought")
    store.record("t1", annotator="a", field="verdict", value="fail")
    (verdict,) = _export(store, tmp_path, "langfuse")
    assert verdict["comment"] == "second thought"
    assert note_id in {r["id"] for r in _export(store, tmp_path, "langfuse", retract=True)}


def test_retract_needs_spans_for_retracted_traces(store: LabelStore, tmp_path: Path) -> None:
    from evalkit.labels import InvalidLabelError

    store.record("t1", annotator="a", field="verdict", value="fail")
    store.undo("a")
    with pytest.raises(InvalidLabelError, match=r"`span_ids` has no span for 1 labelled trace"):
        store.export(tmp_path / "r.json", format="phoenix", retract=True, span_ids={})
    doc = _export(store, tmp_path, "phoenix", retract=True, span_ids={"t1": "00000000000000aa"})
    assert doc["data"][0]["span_id"] == "00000000000000aa"
    with pytest.raises(InvalidLabelError, match=r"`retract` only applies to formats 'otel'"):
        store.export(tmp_path / "r.csv", retract=True)


# ---------------------------------------------------------------------- 6. reviewed, nothing found
def test_empty_list_is_an_explicit_state(store: LabelStore, tmp_path: Path) -> None:
    store.record("t1", annotator="a", field="failure_modes", value=[], time=T0)
    (px,) = _export(store, tmp_path, "phoenix")["data"]
    assert (px["name"], px["result"]["label"]) == ("failure_modes", "(none)")
    assert px["metadata"]["evalkit.empty"] is True
    (lf,) = _export(store, tmp_path, "langfuse")
    validate_langfuse([lf])
    assert (lf["value"], lf["dataType"]) == ("(none)", "CATEGORICAL")
    (ot,) = _otel_attrs(_export(store, tmp_path, "otel"))
    assert ot["gen_ai.evaluation.score.label"] == "(none)"
    # a mode found later replaces the empty state (which is then retracted)
    store.record("t1", annotator="a", field="failure_modes", value=["x"])
    (lf2,) = _export(store, tmp_path, "langfuse")
    assert lf2["value"] == "x"
    assert _export(store, tmp_path, "langfuse", retract=True) == [
        {"id": lf["id"], "traceId": "t1", "name": "failure_modes"}
    ]


# ---------------------------------------------------------------------- README: the Langfuse call
def test_readme_langfuse_block_posts_the_export(
    store: LabelStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    import httpx

    readme = Path(__file__).resolve().parents[2] / "README.md"
    m = re.search(r"<!-- langfuse -->\s*```python\n(.*?)```", readme.read_text("utf-8"), re.S)
    assert m, "README lost its langfuse block"
    seen: list[httpx.Request] = []

    def handle(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "DELETE":  # one retraction was never sent: the server says 404
            found = request.url.path.endswith(gone_first)
            return httpx.Response(200 if found else 404, json={"message": "ok"}, request=request)
        return httpx.Response(202, json={"message": "Accepted"}, request=request)

    # the SDK's own client, transport replaced at the httpx level (no network)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle)
    store.record("t1", annotator="a", field="failure_modes", value=["x", "y"], time=T0)
    store.record("t1", annotator="a", field="verdict", value="fail", source="judge:j", time=T0)
    store.record("t1", annotator="a", field="failure_modes", value=["y"], time=T0)
    store.undo("a", field="verdict")
    retract = _export(store, tmp_path, "langfuse", retract=True)
    gone_first = retract[0]["id"]
    monkeypatch.chdir(tmp_path)
    namespace = {
        "store": store, "langfuse_host": "http://127.0.0.1:1", "public_key": "pk-lf-x",
        "secret_key": "sk-lf-x",
    }
    exec(compile(m.group(1), "README langfuse", "exec"), namespace)
    post, *deletes = seen
    assert (post.method, post.url.path) == ("POST", "/api/public/scores")
    assert post.headers["authorization"].startswith("Basic ")
    sent = json.loads(post.content)
    exported = json.loads((tmp_path / "scores.json").read_text())
    assert [r["id"] for r in sent] == [r["id"] for r in exported]
    validate_langfuse(exported)
    assert [(d.method, d.url.path) for d in deletes] == [
        ("DELETE", f"/api/public/scores/{r['id']}") for r in retract
    ]
    assert len(deletes) == 2  # item 'x' and the undone verdict


# ---------------------------------------------------------------------- fuzz: any labels export
_any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
_name = _any_text.filter(lambda s: s.strip())


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    trace=_name,
    annotator=_name,
    note=_any_text,
    codes=st.lists(_name, max_size=4),
    verdict=st.sampled_from(["pass", "fail", "defer"]),
    relabel=st.booleans(),
)
def test_any_labels_export_and_validate(
    tmp_path: Path, trace: str, annotator: str, note: str, codes: list[str], verdict: str,
    relabel: bool,
) -> None:
    for p in tmp_path.iterdir():
        p.unlink()
    with LabelStore(tmp_path / "fuzz.sqlite") as s:
        s.record(trace, annotator=annotator, field="note", value=note)
        s.record(trace, annotator=annotator, field="failure_modes", value=codes, note=note or None)
        s.record(trace, annotator=annotator, field="verdict", value=verdict, source=annotator)
        if relabel:
            s.record(trace, annotator=annotator, field="failure_modes", value=codes[1:])
        for fmt in EVAL_FORMATS:
            for retract in (False, True):
                out = s.export(tmp_path / f"{fmt}{retract}.json", format=fmt, retract=retract)
                json.loads(out.read_text())
        validate_langfuse(json.loads((tmp_path / "langfuseFalse.json").read_text()))
        gone = json.loads((tmp_path / "langfuseTrue.json").read_text())
        live = {r["id"] for r in json.loads((tmp_path / "langfuseFalse.json").read_text())}
        assert not live & {r["id"] for r in gone}  # never retract a current record
