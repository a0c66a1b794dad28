"""Hypothesis fuzz of the golden entry points: only typed evalkit errors may escape."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.errors import EvalkitError
from evalkit.golden import (
    GoldenManifestError,
    export_golden,
    load_golden,
    score_against_references,
    verify_golden,
)

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
cell = st.one_of(st.none(), st.text(max_size=30), st.integers(-5, 5), st.floats(allow_nan=True))


@SETTINGS
@given(ids=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=12),
       verdicts=st.lists(cell, min_size=12, max_size=12),
       texts=st.lists(cell, min_size=12, max_size=12),
       segs=st.lists(cell, min_size=12, max_size=12),
       holdout=st.floats(-1, 2), floor=st.floats(-1, 1))
def test_export_only_typed_errors(ids: list[str], verdicts: list[object], texts: list[object],
                                  segs: list[object], holdout: float, floor: float) -> None:
    n = len(ids)
    traces = pd.DataFrame({"trace_id": ids, "input": texts[:n], "output": texts[::-1][:n],
                           "segment": segs[:n]})
    labels = pd.DataFrame({"trace_id": ids, "verdict": verdicts[:n]})
    with tempfile.TemporaryDirectory() as d:
        try:
            m = export_golden(traces, labels, Path(d) / "g", holdout=holdout, floor=floor)
        except EvalkitError:
            return
        verify_golden(Path(d) / "g")
        assert sum(m["counts"]["split"].values()) == len(set(ids))


@SETTINGS
@given(manifest=st.one_of(st.binary(max_size=200), st.just(b'{"files": {}}')),
       cases=st.binary(max_size=300), split=st.sampled_from(["active", "holdout", "x"]))
def test_load_hostile_folder_only_typed_errors(manifest: bytes, cases: bytes, split: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "manifest.json").write_bytes(manifest)
        (Path(d) / "cases.jsonl").write_bytes(cases)
        with contextlib.suppress(EvalkitError):
            load_golden(d, split, unseal="fuzz")  # type: ignore[arg-type]
        with contextlib.suppress(EvalkitError):
            verify_golden(d)


@pytest.mark.parametrize("manifest", [b"0", b"[1, 2]", b'"files"', b"null", b'{"files": 3}'])
def test_a_manifest_that_is_not_an_object_is_a_typed_error(manifest: bytes, tmp_path: Path) -> None:
    # found by the fuzz test above: `0` raised TypeError while the message was being built
    (tmp_path / "manifest.json").write_bytes(manifest)
    (tmp_path / "cases.jsonl").write_bytes(b"")
    with pytest.raises(GoldenManifestError, match="field 'files'"):
        load_golden(tmp_path, "active")
    with pytest.raises(GoldenManifestError, match="field 'files'"):
        verify_golden(tmp_path)


@SETTINGS
@given(outputs=st.dictionaries(st.text(max_size=3), st.text(max_size=20), max_size=4),
       refs=st.lists(st.fixed_dictionaries({"text": st.text(max_size=20),
                                            "quality": st.sampled_from(["high", "borderline"]),
                                            "author": st.none()}), max_size=3))
def test_scoring_only_typed_errors(outputs: dict[str, str], refs: list[dict[str, object]]) -> None:
    g = pd.DataFrame({"case_id": ["a", "b"], "trace_id": ["ta", "tb"], "references": [refs, refs]})
    try:
        res = score_against_references(outputs, g)
    except EvalkitError:
        return
    assert 0 <= res.statistic <= 1
    json.dumps(res.frame.to_dict("records"), default=str)
