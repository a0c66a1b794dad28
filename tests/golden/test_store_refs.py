"""References from the label store (the Annotator's fields), the store hash (WAL included),
export settings history, the streamed re-export and the compiled schema check."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.golden import GoldenSchemaError, export_golden, load_golden, verify_golden
from evalkit.golden._cases import case_id_for
from evalkit.golden._folder import sha256_file
from evalkit.golden._schema import CASE_SCHEMA, case_checker
from evalkit.golden._storehash import store_sha256
from evalkit.labels import LabelStore
from tests.golden.conftest import make_labels, make_traces


def _store(path: Path, tr: pd.DataFrame) -> LabelStore:
    s = LabelStore(path)
    for f in ("reference_high", "reference_borderline"):
        s.register_field(f, kind="text")
    for i, t in enumerate(tr["trace_id"]):
        s.record(t, annotator="ana", field="verdict", value="fail" if i % 2 else "pass")
    return s


def _cases(g: Path) -> dict[str, dict[str, Any]]:
    lines = (g / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    return {c["trace_id"]: c for c in map(json.loads, lines)}


def test_store_references_with_authors_and_frames(tmp_path: Path) -> None:
    tr = make_traces(4)
    s = _store(tmp_path / "l.sqlite", tr)
    s.record("t0", annotator="ana", field="reference_high", value="Ana high")
    s.record("t0", annotator="bo", field="reference_borderline", value="Bo borderline")
    s.record("t0", annotator="bo", field="reference_high", value="Bo high")
    s.record("t1", annotator="ana", field="reference_borderline", value="")  # cleared: none
    frame = pd.DataFrame({"trace_id": ["t0"], "text": ["From a frame"], "quality": ["high"],
                          "author": ["cy"]})
    export_golden(tr, s, tmp_path / "g", references=frame, holdout=0.0, floor=0.0)
    c = _cases(tmp_path / "g")
    assert c["t0"]["references"] == [  # the frame first, then the store: high, then borderline
        {"author": "cy", "quality": "high", "text": "From a frame"},
        {"author": "ana", "quality": "high", "text": "Ana high"},
        {"author": "bo", "quality": "high", "text": "Bo high"},
        {"author": "bo", "quality": "borderline", "text": "Bo borderline"},
    ]
    assert c["t1"]["references"] == []
    # bo wrote references but no verdict: a reference row is not a verdict (ana's verdict rules)
    assert c["t0"]["provenance"]["annotators"] == ["ana"]
    assert c["t0"]["expected_verdict"] == "pass"
    s.close()


def test_reexport_replaces_an_edited_or_cleared_store_reference(tmp_path: Path) -> None:
    tr = make_traces(3)
    s = _store(tmp_path / "l.sqlite", tr)
    s.record("t0", annotator="ana", field="reference_high", value="first try")
    s.record("t1", annotator="ana", field="reference_borderline", value="meh")
    frame = pd.DataFrame({"trace_id": ["t0"], "text": ["kept"], "quality": ["borderline"],
                          "author": ["cy"]})
    export_golden(tr, s, tmp_path / "g", references=frame, holdout=0.0, floor=0.0)
    s.record("t0", annotator="ana", field="reference_high", value="second try")
    s.record("t1", annotator="ana", field="reference_borderline", value="")
    export_golden(tr, s, tmp_path / "g", holdout=0.0, floor=0.0)
    c = _cases(tmp_path / "g")
    assert c["t0"]["references"] == [
        {"author": "cy", "quality": "borderline", "text": "kept"},  # frames append
        {"author": "ana", "quality": "high", "text": "second try"},  # the store replaces
    ]
    assert c["t1"]["references"] == []
    s.close()


def test_long_store_frame_is_read_like_the_store(tmp_path: Path) -> None:
    tr = make_traces(3)
    s = _store(tmp_path / "l.sqlite", tr)
    s.record("t2", annotator="ana", field="reference_high", value="Long frame ref")
    export_golden(tr, s.labels(), tmp_path / "g", holdout=0.0, floor=0.0)
    export_golden(tr, s, tmp_path / "h", holdout=0.0, floor=0.0)
    a = load_golden(tmp_path / "g").set_index("trace_id")
    b = load_golden(tmp_path / "h").set_index("trace_id")
    assert a.loc["t2", "references"] == [{"author": "ana", "quality": "high",
                                         "text": "Long frame ref"}]
    assert a["references"].tolist() == b["references"].tolist()
    assert a["expected_verdict"].tolist() == b["expected_verdict"].tolist()
    s.close()


def test_store_hash_covers_the_wal(tmp_path: Path) -> None:
    p = tmp_path / "l.sqlite"
    s = _store(p, make_traces(2))
    s._conn.execute("PRAGMA wal_autocheckpoint=0")  # nothing leaves the WAL on its own
    s._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    main_before, content_before = sha256_file(p), store_sha256(p)
    s.record("t0", annotator="ana", field="verdict", value="fail")  # committed, in the WAL only
    assert (tmp_path / "l.sqlite-wal").stat().st_size > 0
    assert sha256_file(p) == main_before  # the old method would not see this label
    content_after = store_sha256(p)
    assert content_after != content_before
    # an independent reader sees the same label (the oracle: sqlite3 itself)
    with sqlite3.connect(p) as other:
        assert other.execute("SELECT count(*) FROM events").fetchone()[0] == 3
    s._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # pages move, content does not
    assert sha256_file(p) != main_before and store_sha256(p) == content_after
    m = export_golden(make_traces(2), s, tmp_path / "g")
    assert m["provenance"]["label_sha256"] == content_after
    s.close()


def test_settings_history_and_the_quota_of_new_cases(tmp_path: Path) -> None:
    tr = make_traces(0, segments={"a": 40, "b": 40})
    lab = make_labels(tr)
    g = tmp_path / "g"
    first = tr.trace_id.isin(tr.trace_id[:20].tolist() + tr.trace_id[40:60].tolist())
    export_golden(tr[first], lab[lab.trace_id.isin(tr.trace_id[first])], g, holdout=0.3)
    before = load_golden(g, "all", unseal="t").set_index("case_id")["split"]
    m = export_golden(tr, lab, g, holdout=0.5, stratify=None, floor=0.1)
    assert [e["settings"] for e in m["exports"]] == [
        {"holdout": 0.3, "floor": 0.15, "stratify": "segment", "redact": "evalkit.redact"},
        {"holdout": 0.5, "floor": 0.1, "stratify": None, "redact": "evalkit.redact"},
    ]
    after = load_golden(g, "all", unseal="t").set_index("case_id")["split"]
    assert (after[before.index] == before).all()  # existing cases never move
    # new cases fill round(0.5 * 80) = 40 holdout places over one stratum (stratify=None),
    # minus the 12 already held (round(0.3 * 20) = 6 per segment in the first export)
    assert (before == "holdout").sum() == 12
    assert (after == "holdout").sum() == 40


def test_streamed_reexport_keeps_unchanged_lines_byte_for_byte(tmp_path: Path) -> None:
    tr = make_traces(0, segments={"a": 30, "b": 30})
    lab = make_labels(tr)
    g = tmp_path / "g"
    export_golden(tr, lab, g)
    old = (g / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    part = lab[lab.trace_id.isin(["t3", "t7"])].copy()
    part["verdict"] = "pass"
    extra = make_traces(3, prefix="new")
    m = export_golden(pd.concat([tr, extra]), pd.concat([part, make_labels(extra)]), g)
    new = (g / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    ids = [json.loads(x)["case_id"] for x in new]
    assert ids == sorted(ids) and len(ids) == 63
    changed = {case_id_for(t) for t in ("t3", "t7")} | {case_id_for(f"new{i}") for i in range(3)}
    kept = [x for x in old if json.loads(x)["case_id"] not in changed]
    assert [x for x in new if json.loads(x)["case_id"] not in changed] == kept
    assert m["exports"][-1]["new"] == 3 and m["exports"][-1]["updated"] == 2
    assert m["files"]["cases.jsonl"] == sha256_file(g / "cases.jsonl")
    assert sum(m["counts"]["split"].values()) == 63
    verify_golden(g)


# ------------------------------------------------------------------ the compiled schema check
def _valid_case() -> dict[str, Any]:
    return {
        "case_id": "g-0123456789abcdef", "trace_id": "t", "input": "a", "output": None,
        "messages": [{"role": "user", "content": "x", "name": None, "tool_call_id": None,
                      "tool_calls": [{"id": "c", "name": "f", "arguments": "{}"}]}],
        "source": {"format": None, "file": None, "line": 3, "span_id": None, "prompt_id": None,
                   "template_id": None},
        "references": [{"text": "r", "quality": "high", "author": None}],
        "expected_verdict": "pass", "failure_modes": ["m"], "segment": "s", "severity": 2,
        "provenance": {"annotators": ["a"], "first_labeled_at": None, "last_labeled_at": None,
                       "label_source": "x"},
        "split": "active", "added_at": "2025-01-01",
    }


def _paths(x: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(x, dict):
        for k, v in x.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            out += _paths(v, (*prefix, i))
    return out


PATHS = _paths(_valid_case())
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2) | st.text(max_size=4),
    lambda kids: st.lists(kids, max_size=2) | st.dictionaries(st.text(max_size=3), kids,
                                                              max_size=2),
    max_leaves=4,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=json_value, action=st.sampled_from(["set", "drop",
                                                                             "extra"]))
def test_compiled_check_catches_every_jsonschema_violation(
    path: tuple[Any, ...], value: Any, action: str
) -> None:
    case = copy.deepcopy(_valid_case())
    *head, last = path
    parent: Any = case
    for k in head:
        parent = parent[k]
    if action == "set":
        parent[last] = value
    elif action == "drop":
        del parent[last]
    elif isinstance(parent, dict):
        parent[f"zz_{last}"] = value
    errors = list(jsonschema.Draft202012Validator(CASE_SCHEMA).iter_errors(case))
    check = case_checker()
    if errors:  # the peer validator finds a violation: so must we
        with pytest.raises(GoldenSchemaError, match="violates the schema"):
            check(case, "case")
    else:
        check(case, "case")


@pytest.mark.parametrize("mutate", [
    lambda c: c.update(split="sideways"),
    lambda c: c.pop("segment"),
    lambda c: c.update(extra=1),
    lambda c: c["messages"][0].update(role=None),
    lambda c: c["messages"][0]["tool_calls"][0].update(id=5),
    lambda c: c["references"][0].update(quality="ok"),
    lambda c: c["source"].update(line="3"),
    lambda c: c.update(severity=True),
    lambda c: c.update(case_id="g-XYZ"),
    lambda c: c["provenance"].update(annotators="a"),
])
def test_verify_names_each_planted_violation(tmp_path: Path, mutate: Any) -> None:
    tr = make_traces(6)
    tr["messages"] = [[{"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "name": "lookup", "arguments": "{}"}]}]] * 6
    refs = pd.DataFrame({"trace_id": tr["trace_id"], "text": "ref", "quality": "high"})
    m = export_golden(tr, make_labels(tr), tmp_path / "g", references=refs)
    f = tmp_path / "g/cases.jsonl"
    lines = f.read_text().splitlines()
    bad = json.loads(lines[4])
    mutate(bad)
    lines[4] = json.dumps(bad, sort_keys=True)
    f.write_text("\n".join(lines) + "\n")
    m["files"]["cases.jsonl"] = sha256_file(f)
    (tmp_path / "g/manifest.json").write_text(json.dumps(m))
    with pytest.raises(GoldenSchemaError, match=r"cases.jsonl:5: .*violates the schema"):
        verify_golden(tmp_path / "g")


cell = st.one_of(st.none(), st.text(max_size=20), st.integers(-2, 2), st.floats(allow_nan=True))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(verdicts=st.lists(cell, min_size=4, max_size=4),
       highs=st.lists(cell, min_size=4, max_size=4),
       borders=st.lists(cell, min_size=4, max_size=4),
       authors=st.lists(cell, min_size=4, max_size=4))
def test_fuzz_references_in_labels_only_typed_errors(
    verdicts: list[Any], highs: list[Any], borders: list[Any], authors: list[Any]
) -> None:
    import tempfile

    from evalkit.errors import EvalkitError

    tr = make_traces(2)
    lab = pd.DataFrame({"trace_id": ["t0", "t0", "t1", "t1"], "annotator": authors,
                        "verdict": verdicts, "reference_high": highs,
                        "reference_borderline": borders})
    with tempfile.TemporaryDirectory() as d:
        try:
            export_golden(tr, lab, Path(d) / "g")
        except EvalkitError:
            return
        for c in _cases(Path(d) / "g").values():
            for r in c["references"]:
                assert r["quality"] in ("high", "borderline") and r["text"].strip()
