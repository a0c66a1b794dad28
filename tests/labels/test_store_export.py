"""Label store exports: flat round trips and the OTel / Phoenix / Langfuse shapes, by field."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from evalkit.labels import (
    InvalidLabelError,
    LabelFileError,
    LabelStore,
    LabelStoreError,
    read_labels,
)

OTEL_TRACE = "5b8efff798038103d269b633813fc60c"  # OTLP trace id (32 hex)
ROOT_SPAN = "eee19b7ec3c1b174"


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.sqlite")
    t0 = datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    s.record(
        OTEL_TRACE, annotator="alice", field="verdict", value="fail", note="see refund", time=t0
    )
    s.record(OTEL_TRACE, annotator="alice", field="note", value="invented a refund policy")
    s.record(
        OTEL_TRACE, annotator="alice", field="open_codes", value=["made-up policy", 'tone, "sharp"']
    )
    s.record(OTEL_TRACE, annotator="alice", field="severity", value=3)
    s.record("chatcmpl-abc", annotator="bob", field="verdict", value="pass")
    s.record("chatcmpl-abc", annotator="bob", field="verdict", value="defer")
    s.record(
        "chatcmpl-abc",
        annotator="judge_strict",
        field="verdict",
        value="pass",
        source="judge:gpt-x",
    )
    s.record("chatcmpl-abc", annotator="bob", field="note", value='multi\nline, "quoted"')
    s.record("chatcmpl-abc", annotator="bob", field="failure_modes", value=[])
    s.record("chatcmpl-abc", annotator="carol", field="severity", value=1)
    s.undo("carol")
    yield s
    s.close()


def _comparable(df: pd.DataFrame) -> list[tuple]:
    cols = ["event_id", "trace_id", "annotator", "field", "value", "note", "source", "created_at"]
    return [
        tuple(json.dumps(v) if isinstance(v, list) else v for v in row)
        for row in df[cols].itertuples(index=False)
    ]


# ---------------------------------------------------------------------- flat formats
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
@pytest.mark.parametrize("latest", [True, False])
def test_flat_roundtrip(store: LabelStore, tmp_path: Path, suffix: str, latest: bool) -> None:
    out = store.export(tmp_path / f"labels{suffix}", latest=latest)
    assert out == tmp_path / f"labels{suffix}"
    back = read_labels(out).rows
    expected = store.labels(latest=latest)
    assert _comparable(back) == _comparable(expected)
    if not latest:
        assert list(back["undone"]) == list(expected["undone"])
        assert back["undone"].sum() == 1
    # re-import into a fresh store gives the same labels (same ids, values, times, order)
    with LabelStore(tmp_path / f"copy{suffix}{latest}.sqlite") as copy:
        assert copy.record_many(back.to_dict("records")) == len(back)
        assert _comparable(copy.labels()) == _comparable(store.labels())
        if not latest:
            assert _comparable(copy.labels(latest=False)) == _comparable(store.labels(latest=False))
        # merging the same export again is a no-op with skip_existing
        assert copy.record_many(back.to_dict("records"), skip_existing=True) == 0


def test_csv_columns_and_text_values(store: LabelStore, tmp_path: Path) -> None:
    out = store.export(tmp_path / "l.csv")
    raw = pd.read_csv(out, dtype=str, keep_default_na=False)
    # the calibration CLI reads these columns
    assert list(raw.columns) == [
        "event_id",
        "trace_id",
        "annotator",
        "field",
        "value",
        "note",
        "source",
        "created_at",
    ]
    first = raw.iloc[0]
    assert (
        first.trace_id,
        first.annotator,
        first.field,
        first.value,
        first.note,
        first.source,
        first.created_at,
    ) == (
        OTEL_TRACE,
        "alice",
        "verdict",
        "fail",
        "see refund",
        "human",
        "2025-01-02T03:04:05.123456Z",
    )
    codes = raw[raw.field == "open_codes"].iloc[0]
    assert json.loads(codes.value) == ["made-up policy", 'tone, "sharp"']
    assert raw[raw.field == "severity"].value.tolist() == ["3"]
    assert raw[(raw.field == "verdict") & (raw.annotator == "bob")].value.tolist() == ["defer"]


def test_parquet_types(store: LabelStore, tmp_path: Path) -> None:
    out = store.export(tmp_path / "l.parquet")
    schema = pq.read_schema(out)
    assert str(schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("value").type) in {"string", "large_string"}
    assert str(schema.field("note").type) in {"string", "large_string"}


def test_jsonl_native_values(store: LabelStore, tmp_path: Path) -> None:
    out = store.export(tmp_path / "l.jsonl")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == len(store.labels())
    by = {(r["trace_id"], r["annotator"], r["field"]): r for r in rows}
    assert by[(OTEL_TRACE, "alice", "severity")]["value"] == 3
    assert by[(OTEL_TRACE, "alice", "open_codes")]["value"] == ["made-up policy", 'tone, "sharp"']
    assert by[("chatcmpl-abc", "bob", "failure_modes")]["value"] == []
    assert by[("chatcmpl-abc", "bob", "note")]["value"] == 'multi\nline, "quoted"'
    assert by[(OTEL_TRACE, "alice", "verdict")]["created_at"] == "2025-01-02T03:04:05.123456Z"


# ---------------------------------------------------------------------- OpenTelemetry
def _attrs(log: dict) -> dict:
    out = {}
    for kv in log["attributes"]:
        ((kind, value),) = kv["value"].items()
        out[kv["key"]] = (kind, value)
    return out


def test_otel_evaluation_events(store: LabelStore, tmp_path: Path) -> None:
    out = store.export(
        tmp_path / "evals.json",
        format="otel",
        span_ids={OTEL_TRACE: ROOT_SPAN.upper(), "chatcmpl-abc": "0123456789abcdef"},
    )
    doc = json.loads(out.read_text())
    (rl,) = doc["resourceLogs"]
    assert rl["resource"]["attributes"] == [
        {"key": "service.name", "value": {"stringValue": "evalkit"}}
    ]
    (sl,) = rl["scopeLogs"]
    assert sl["scope"]["name"] == "evalkit.store"
    logs = sl["logRecords"]
    assert all(log["eventName"] == "gen_ai.evaluation.result" for log in logs)
    assert all(log["severityNumber"] == 9 for log in logs)
    # alice: verdict (note folded in), 2 open codes, severity; bob: defer verdict (note folded),
    # empty failure_modes list (explicit empty state); judge verdict; carol's severity was undone
    assert len(logs) == 7  # 1 + 2 + 1 (alice) + 2 (bob) + 1 (judge)
    verdict = next(
        lg
        for lg in logs
        if _attrs(lg)["evalkit.annotator"][1] == "alice"
        and _attrs(lg)["gen_ai.evaluation.name"][1] == "verdict"
    )
    a = _attrs(verdict)
    assert a["gen_ai.evaluation.score.label"] == ("stringValue", "fail")
    assert a["gen_ai.evaluation.score.value"] == ("doubleValue", 0.0)
    assert a["gen_ai.evaluation.explanation"] == (
        "stringValue",
        "invented a refund policy\nsee refund",
    )
    assert a["evalkit.trace_id"] == ("stringValue", OTEL_TRACE)
    assert verdict["traceId"] == OTEL_TRACE and verdict["spanId"] == ROOT_SPAN
    assert verdict["timeUnixNano"] == str(
        int(datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC).timestamp()) * 10**9 + 123456000
    )
    severity = next(lg for lg in logs if _attrs(lg)["gen_ai.evaluation.name"][1] == "severity")
    assert _attrs(severity)["gen_ai.evaluation.score.value"] == ("doubleValue", 3.0)
    assert "gen_ai.evaluation.score.label" not in _attrs(severity)
    codes = [
        _attrs(lg)["gen_ai.evaluation.score.label"][1]
        for lg in logs
        if _attrs(lg)["gen_ai.evaluation.name"][1] == "open_codes"
    ]
    assert codes == ["made-up policy", 'tone, "sharp"']
    defer = next(
        lg
        for lg in logs
        if _attrs(lg)["evalkit.annotator"][1] == "bob"
        and _attrs(lg)["gen_ai.evaluation.name"][1] == "verdict"
    )
    assert _attrs(defer)["gen_ai.evaluation.score.label"] == ("stringValue", "defer")
    assert "gen_ai.evaluation.score.value" not in _attrs(defer)
    # a non-OTLP trace id gets no traceId (it is kept in evalkit.trace_id)
    assert "traceId" not in defer and "spanId" not in defer
    assert _attrs(defer)["evalkit.trace_id"] == ("stringValue", "chatcmpl-abc")


def test_otel_without_span_ids(store: LabelStore, tmp_path: Path) -> None:
    doc = json.loads(store.export(tmp_path / "e.json", format="otel").read_text())
    logs = doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    assert {lg.get("traceId") for lg in logs} == {OTEL_TRACE, None}
    assert all("spanId" not in lg for lg in logs)


# ---------------------------------------------------------------------- Phoenix
def test_phoenix_span_annotations(store: LabelStore, tmp_path: Path) -> None:
    spans = {OTEL_TRACE: ROOT_SPAN, "chatcmpl-abc": "0123456789abcdef"}
    doc = json.loads(
        store.export(tmp_path / "px.json", format="phoenix", span_ids=spans).read_text()
    )
    data = doc["data"]
    assert len(data) == 7
    for ann in data:
        assert set(ann) == {"span_id", "name", "annotator_kind", "result", "metadata", "identifier"}
        assert set(ann["result"]) == {"label", "score", "explanation"}
        assert ann["name"] != "note"  # reserved by Phoenix
    v = data[0]
    assert v["span_id"] == ROOT_SPAN and v["name"] == "verdict" and v["annotator_kind"] == "HUMAN"
    assert v["result"] == {
        "label": "fail",
        "score": 0.0,
        "explanation": "invented a refund policy\nsee refund",
    }
    assert v["identifier"] == v["metadata"]["evalkit.record_id"]
    assert v["metadata"]["evalkit.trace_id"] == OTEL_TRACE
    assert v["metadata"]["evalkit.created_at"] == "2025-01-02T03:04:05.123456Z"
    judge = next(a for a in data if a["metadata"]["evalkit.annotator"] == "judge_strict")
    assert judge["annotator_kind"] == "LLM"
    assert judge["result"] == {"label": "pass", "score": 1.0, "explanation": None}
    codes = [a for a in data if a["name"] == "open_codes"]
    assert [a["result"]["label"] for a in codes] == ["made-up policy", 'tone, "sharp"']
    # identifiers are unique per (name, span): annotations do not overwrite each other on upsert
    keys = [(a["name"], a["span_id"], a["identifier"]) for a in data]
    assert len(keys) == len(set(keys))


def test_phoenix_trace_level_fallback_and_standalone_note(tmp_path: Path) -> None:
    with LabelStore(tmp_path / "l.sqlite") as s:
        s.record("t1", annotator="a", field="note", value="no verdict yet")
        s.record("t1", annotator="b", field="verdict", value="pass", source="rules")
        doc = json.loads(s.export(tmp_path / "px.json", format="phoenix").read_text())
        note, verdict = doc["data"]
        assert note["trace_id"] == "t1" and "span_id" not in note
        assert note["name"] == "review_note"
        assert note["result"] == {"label": None, "score": None, "explanation": "no verdict yet"}
        assert verdict["annotator_kind"] == "CODE"
        rows = json.loads(s.export(tmp_path / "lf.json", format="langfuse").read_text())
        assert rows[0]["name"] == "note" and rows[0]["value"] == "no verdict yet"
        assert rows[0]["dataType"] == "TEXT" and rows[0]["comment"] is None
        assert rows[1]["source"] == "API"


# ---------------------------------------------------------------------- Langfuse
def test_langfuse_scores(store: LabelStore, tmp_path: Path) -> None:
    out = store.export(tmp_path / "scores.json", format="langfuse")
    rows = json.loads(out.read_text())  # one JSON array: the body of POST /api/public/scores
    assert isinstance(rows, list) and len(rows) == 7
    events = store.labels().set_index("event_id")
    for r in rows:
        assert set(r) == {
            "id",
            "traceId",
            "name",
            "value",
            "dataType",
            "comment",
            "source",
            "timestamp",
            "metadata",
        }
        assert r["dataType"] in {"CATEGORICAL", "NUMERIC", "TEXT"}
        assert r["source"] == "API"
        assert r["metadata"]["evalkit.event_id"] in events.index
        assert r["id"] == r["metadata"]["evalkit.record_id"]
    assert len({r["id"] for r in rows}) == len(rows)  # idempotency keys
    v = rows[0]
    assert (v["traceId"], v["name"], v["value"], v["dataType"], v["comment"]) == (
        OTEL_TRACE,
        "verdict",
        "fail",
        "CATEGORICAL",
        "invented a refund policy\nsee refund",
    )
    assert v["timestamp"] == "2025-01-02T03:04:05.123456Z"
    assert v["metadata"]["evalkit.annotator_kind"] == "HUMAN"
    sev = next(r for r in rows if r["name"] == "severity")
    assert (sev["value"], sev["dataType"]) == (3.0, "NUMERIC")
    judge = next(r for r in rows if r["metadata"]["evalkit.annotator"] == "judge_strict")
    assert (judge["value"], judge["metadata"]["evalkit.annotator_kind"]) == ("pass", "LLM")
    codes = [r for r in rows if r["name"] == "open_codes"]
    assert [c["value"] for c in codes] == ["made-up policy", 'tone, "sharp"']


# ---------------------------------------------------------------------- errors / atomicity
def test_export_errors(store: LabelStore, tmp_path: Path) -> None:
    with pytest.raises(
        InvalidLabelError,
        match=r"cannot tell the export format of '.*l\.txt' from its suffix '\.txt'",
    ):
        store.export(tmp_path / "l.txt")
    with pytest.raises(
        InvalidLabelError,
        match=r"`format` must be one of 'csv', 'parquet', 'jsonl', 'otel', 'phoenix', "
        r"'langfuse'; got 'xml'\.",
    ):
        store.export(tmp_path / "l.csv", format="xml")  # type: ignore[arg-type]
    with pytest.raises(
        InvalidLabelError, match=r"format 'otel' exports current labels only; got latest=False"
    ):
        store.export(tmp_path / "l.json", format="otel", latest=False)
    with pytest.raises(
        InvalidLabelError,
        match=r"`span_ids` has no span for 1 labelled trace\(s\), e.g. \['chatcmpl-abc'\]",
    ):
        store.export(tmp_path / "l.json", format="phoenix", span_ids={OTEL_TRACE: ROOT_SPAN})
    with pytest.raises(
        InvalidLabelError,
        match=r"`span_ids`\['chatcmpl-abc'\] must be a 16-hex-digit span id; got 'xyz'\.",
    ):
        store.export(
            tmp_path / "l.json",
            format="phoenix",
            span_ids={OTEL_TRACE: ROOT_SPAN, "chatcmpl-abc": "xyz"},
        )
    with pytest.raises(
        InvalidLabelError,
        match=r"`span_ids` only applies to formats 'otel' and 'phoenix'; got 'csv'\.",
    ):
        store.export(tmp_path / "l.csv", span_ids={})
    with pytest.raises(
        InvalidLabelError, match=r"cannot export to '.*missing.*': folder does not exist\."
    ):
        store.export(tmp_path / "missing" / "l.csv")
    assert sorted(os.listdir(tmp_path)) == [
        "labels.sqlite",
        "labels.sqlite-shm",
        "labels.sqlite-wal",
    ]


def test_export_is_atomic(
    store: LabelStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "l.csv"
    target.write_text("old content\n")

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    # the rename step fails: the old file is intact and no temp file is left behind
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(LabelStoreError, match="disk full"):  # issue 12: a typed store error
        store.export(target)
    assert target.read_text() == "old content\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    monkeypatch.undo()
    store.export(target)
    assert target.read_text().startswith("event_id,trace_id,")


def test_read_labels_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(
        LabelFileError, match=r"bad\.csv, field 'trace_id': missing required column"
    ):
        read_labels(bad)
    with pytest.raises(
        LabelFileError,
        match=r"`format` must be one of 'csv', 'parquet', 'jsonl'; got 'otel'\.",
    ):
        read_labels(bad, format="otel")


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_registered_fields_roundtrip(tmp_path: Path, suffix: str) -> None:
    def make(path: Path) -> LabelStore:
        s = LabelStore(path)
        s.register_field("rubric", kind="int", low=1, high=5)
        s.register_field("tags", kind="list")
        return s

    with make(tmp_path / "a.sqlite") as a, make(tmp_path / "b.sqlite") as b:
        a.record("t1", annotator="j", field="rubric", value=4)
        a.record("t1", annotator="j", field="tags", value=["x", "y"])
        back = read_labels(a.export(tmp_path / f"l{suffix}")).rows
        # read_labels knows only built-in fields; the target store parses its own fields
        b.record_many(back.to_dict("records"))
        assert _comparable(b.labels()) == _comparable(a.labels())
        assert type(b.labels().loc[0, "value"]) is int
