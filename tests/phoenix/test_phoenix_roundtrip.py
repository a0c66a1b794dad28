"""Round trip against a real Arize Phoenix server on 127.0.0.1 (issue 18).

Runs in its own venv (``make test-phoenix``: the ``phoenix`` extra, arize-phoenix 20.26.1 and
arize-phoenix-client 3.5.0, plus the ``test`` extra); the main test run does not collect this
folder.
The README's Phoenix block is executed as written: it posts the current labels and deletes the
retracted ones. After a first export, a relabel (changed verdict, a code swapped in a list, an
undone score, an empty list that got an item) and a second export, the server holds exactly the
current labels, at span level and at trace level.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from phoenix.client import Client

from evalkit.labels import LabelStore

README = Path(__file__).resolve().parents[2] / "README.md"
# the server helper by path: .venv-phoenix has a third-party top-level `tests` package
_spec = importlib.util.spec_from_file_location("_srv", Path(__file__).with_name("_server.py"))
assert _spec is not None and _spec.loader is not None
_server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_server)
phoenix_server = _server.phoenix_server
PROJECT = "evalkit-roundtrip"
TRACES = {"5b8efff798038103d269b633813fc60c": "eee19b7ec3c1b174",
          "0af7651916cd43dd8448eb211c80319c": "b7ad6b7169203331"}


@pytest.fixture(scope="module")
def phoenix_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("EVALKIT_PHOENIX_URL"):  # a server you started (fresh project name needed)
        yield os.environ["EVALKIT_PHOENIX_URL"]
        return
    with phoenix_server(tmp_path_factory.mktemp("phoenix")) as url:
        yield url


@pytest.fixture(scope="module")
def spans_logged(phoenix_url: str) -> None:
    """Two traces with one root span each in project PROJECT (annotations need them)."""
    client = Client(base_url=phoenix_url)
    now = datetime.now(UTC)
    spans: list[Any] = [
        {
            "name": "chat",
            "context": {"trace_id": trace, "span_id": span},
            "span_kind": "LLM",
            "start_time": now.isoformat(),
            "end_time": (now + timedelta(seconds=1)).isoformat(),
            "status_code": "OK",
        }
        for trace, span in TRACES.items()
    ]
    client.spans.log_spans(project_identifier=PROJECT, spans=spans)
    deadline = time.monotonic() + 60
    got: Any = None
    while True:  # spans are ingested asynchronously (the project appears with them)
        try:
            got = client.spans.get_spans(project_identifier=PROJECT, limit=10)
        except httpx.HTTPStatusError as e:
            assert e.response.status_code == 404, e
        else:
            if {s["context"]["span_id"] for s in got} == set(TRACES.values()):
                return
        assert time.monotonic() < deadline, f"spans not ingested: {got}"
        time.sleep(0.5)


def _readme_block(tag: str) -> str:
    m = re.search(rf"<!-- {tag} -->\s*```python\n(.*?)```", README.read_text("utf-8"), re.S)
    assert m, f"README lost its {tag} block"
    return m.group(1)


def _held(url: str, level: str) -> set[tuple[Any, ...]]:
    """What the server holds: (target, name, identifier, label, score, explanation)."""
    ids = TRACES.values() if level == "span" else TRACES.keys()
    r = httpx.get(
        f"{url}/v1/projects/{PROJECT}/{level}_annotations",
        params={f"{level}_ids": list(ids), "limit": 1000},
    )
    r.raise_for_status()
    return {
        (
            a[f"{level}_id"], a["name"], a["identifier"], a["result"]["label"],
            a["result"]["score"], a["result"]["explanation"],
        )
        for a in r.json()["data"]
    }


def _current(store: LabelStore, tmp_path: Path, level: str) -> set[tuple[Any, ...]]:
    spans = TRACES if level == "span" else None
    doc = json.loads(
        store.export(tmp_path / f"now-{level}.json", format="phoenix", span_ids=spans).read_text()
    )
    key = f"{level}_id"
    return {
        (
            a[key], a["name"], a["identifier"], a["result"]["label"], a["result"]["score"],
            a["result"]["explanation"],
        )
        for a in doc["data"]
    }


def _label(store: LabelStore) -> None:
    (t1, t2) = TRACES
    store.register_field("rationale", kind="text")
    store.record(t1, annotator="alice", field="verdict", value="fail")
    store.record(t1, annotator="alice", field="note", value="invented a refund policy")
    modes = ["hallucinated_policy", "tone"]
    store.record(t1, annotator="alice", field="failure_modes", value=modes)
    store.record(t1, annotator="alice", field="severity", value=3)
    store.record(t1, annotator="gpt", field="verdict", value="fail", source="judge:gpt-x")
    store.record(t2, annotator="alice", field="verdict", value="pass")
    store.record(t2, annotator="alice", field="failure_modes", value=[])
    store.record(t2, annotator="bob", field="rationale", value="fine, if terse")
    store.record(t2, annotator="bob", field="note", value="check again")


def _relabel(store: LabelStore) -> None:
    (t1, t2) = TRACES
    store.record(t1, annotator="alice", field="verdict", value="pass")
    store.record(t1, annotator="alice", field="failure_modes", value=["tone", "verbosity"])
    store.undo("alice", trace_id=t1, field="severity")
    store.record(t2, annotator="alice", field="failure_modes", value=["missed_escalation"])
    store.record(t2, annotator="bob", field="note", value="")  # cleared


@pytest.mark.parametrize("level", ["span", "trace"])
def test_server_holds_exactly_the_current_labels(
    phoenix_url: str, spans_logged: None, tmp_path: Path, level: str
) -> None:
    block = _readme_block(f"phoenix-{level}")
    with LabelStore(tmp_path / f"labels-{level}.sqlite") as store:
        _label(store)
        namespace = {
            "store": store, "phoenix_url": phoenix_url, "project": PROJECT, "span_ids": TRACES,
        }
        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            exec(compile(block, f"README phoenix-{level}", "exec"), dict(namespace))
            first = _held(phoenix_url, level)
            assert first == _current(store, tmp_path, level)
            assert len(first) == 9  # t1: alice 1+2+1, gpt 1 | t2: alice 1+1 (empty), bob 2
            _relabel(store)
            exec(compile(block, f"README phoenix-{level}", "exec"), dict(namespace))
        finally:
            os.chdir(cwd)
        second = _held(phoenix_url, level)
        assert second == _current(store, tmp_path, level)
        labels = sorted((name, label) for _, name, _, label, _, _ in second if label)
        assert labels == [
            ("failure_modes", "missed_escalation"),
            ("failure_modes", "tone"),
            ("failure_modes", "verbosity"),
            ("verdict", "fail"),
            ("verdict", "pass"),
            ("verdict", "pass"),
        ]
        # the relabelled verdict was updated in place (same identifier), not duplicated
        assert len(second) == 7
        names = [name for _, name, *_ in second]
        assert "severity" not in names and names.count("review_note") == 0
