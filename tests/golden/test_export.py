"""export_golden / load_golden: files, stable order, splits, floors, re-export, typed errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from evalkit.golden import (
    CaseIdCollisionError,
    GoldenError,
    GoldenManifestError,
    GoldenSchemaError,
    GoldenTamperError,
    GoldenTargetError,
    HoldoutSealedError,
    export_golden,
    load_golden,
    verify_golden,
)
from evalkit.golden._cases import case_id_for
from evalkit.golden._folder import sha256_file
from tests.golden.conftest import make_labels, make_traces


def test_files_hashes_and_schema(
    tmp_path: Path, small: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    tr, lab = small
    m = export_golden(tr, lab, tmp_path / "g")
    g = tmp_path / "g"
    assert sorted(p.name for p in g.iterdir()) == ["cases.jsonl", "manifest.json", "schema.json"]
    # the manifest's hashes are the files' sha256 (peer: hashlib via sha256_file)
    for name in ("cases.jsonl", "schema.json"):
        assert m["files"][name] == sha256_file(g / name)
    schema = json.loads((g / "schema.json").read_text())
    assert schema["version"] == "1.0.0"
    lines = (g / "cases.jsonl").read_text().splitlines()
    assert len(lines) == 94
    for line in lines:  # the peer validator, not ours
        jsonschema.validate(json.loads(line), schema)
    ids = [json.loads(x)["case_id"] for x in lines]
    assert ids == sorted(ids)
    # stable key order: every line's keys are sorted
    assert all(list(json.loads(x)) == sorted(json.loads(x)) for x in lines)
    assert m["counts"]["split"] == {"active": 66, "holdout": 28}  # round(.3*60)+9+1 = 28
    assert m["provenance"]["who"] and m["provenance"]["evalkit_version"]


def test_output_is_byte_stable_across_input_order(
    tmp_path: Path, small: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    tr, lab = small
    export_golden(tr, lab, tmp_path / "a")
    export_golden(tr.iloc[::-1], lab.sample(frac=1, random_state=3), tmp_path / "b")
    a = [{k: v for k, v in json.loads(x).items() if k != "added_at"}
         for x in (tmp_path / "a/cases.jsonl").read_text().splitlines()]
    b = [{k: v for k, v in json.loads(x).items() if k != "added_at"}
         for x in (tmp_path / "b/cases.jsonl").read_text().splitlines()]
    assert a == b


def test_stratified_floor_puts_rare_segments_in_both_splits(tmp_path: Path) -> None:
    tr = make_traces(0, segments={"big": 200, "rare": 3, "tiny": 2})
    m = export_golden(tr, make_labels(tr), tmp_path / "g", holdout=0.3, floor=0.15)
    seg = m["counts"]["segment"]
    # big: round(0.3*200) = 60; rare: round(0.9)=1 >= ceil(.45)=1; tiny: round(.6)=1
    assert seg["big"] == {"active": 140, "holdout": 60}
    assert seg["rare"] == {"active": 2, "holdout": 1}
    assert seg["tiny"] == {"active": 1, "holdout": 1}
    # floor above the holdout share: 20 cases, floor .4 -> ceil(8)=8 in the holdout
    tr2 = make_traces(0, segments={"s": 20})
    m2 = export_golden(tr2, make_labels(tr2), tmp_path / "g2", holdout=0.1, floor=0.4)
    assert m2["counts"]["split"] == {"active": 12, "holdout": 8}


def test_case_fields_and_verdict(tmp_path: Path) -> None:
    tr = make_traces(3)
    lab = pd.DataFrame({"trace_id": ["t0", "t0", "t1", "t1", "t2"],
                        "annotator": ["a", "b", "a", "b", "a"],
                        "verdict": ["fail", "fail", "pass", "fail", "pass"],
                        "failure_modes": ["x;y", "y", None, "z", None],
                        "severity": [2, 3, None, 1, None]})
    export_golden(tr, lab, tmp_path / "g", redact=False, holdout=0.0, floor=0.0)
    df = load_golden(tmp_path / "g").set_index("trace_id")
    assert df.loc["t0", "expected_verdict"] == "fail"
    assert df.loc["t0", "failure_modes"] == ["x", "y"]
    assert df.loc["t0", "severity"] == 3
    assert df.loc["t1", "expected_verdict"] is None  # a 1-1 tie has no expected verdict
    assert df.loc["t2", "provenance"]["annotators"] == ["a"]
    assert df.loc["t0", "case_id"] == case_id_for("t0")


def test_reexport_appends_updates_and_never_moves(tmp_path: Path) -> None:
    tr = make_traces(0, segments={"a": 50, "b": 10})
    lab = make_labels(tr)
    g = tmp_path / "g"
    export_golden(tr.iloc[:40], lab[lab.trace_id.isin(tr.trace_id[:40])], g)
    first = load_golden(g, "all", unseal="test").set_index("case_id")["split"]
    lab2 = lab.copy()
    lab2.loc[lab2.trace_id == "t1", "verdict"] = "fail"
    m = export_golden(tr, lab2, g)
    after = load_golden(g, "all", unseal="test").set_index("case_id")
    assert (after.loc[first.index, "split"] == first).all()
    assert len(after) == 60
    assert after.loc[case_id_for("t1"), "expected_verdict"] == "fail"
    assert m["exports"][-1]["new"] == 20 and m["exports"][-1]["updated"] == 40


def test_holdout_sealed_and_access_log(
    tmp_path: Path, small: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    tr, lab = small
    export_golden(tr, lab, tmp_path / "g")
    active = load_golden(tmp_path / "g")
    assert set(active["split"]) == {"active"}
    with pytest.raises(HoldoutSealedError, match="unseal='why you need it'"):
        load_golden(tmp_path / "g", "holdout")
    with pytest.raises(HoldoutSealedError, match="Got unseal=' '"):
        load_golden(tmp_path / "g", "holdout", unseal=" ")
    hold = load_golden(tmp_path / "g", "holdout", unseal="release 2.5 sign-off")
    assert set(hold["split"]) == {"holdout"} and len(hold) == 28
    log = json.loads((tmp_path / "g/manifest.json").read_text())["access_log"]
    assert [e["reason"] for e in log] == ["release 2.5 sign-off"]
    assert log[0]["who"] and log[0]["time"]
    verify_golden(tmp_path / "g")  # the access log does not break the hashes


def test_tampered_file_is_detected(
    tmp_path: Path, small: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    tr, lab = small
    export_golden(tr, lab, tmp_path / "g")
    f = tmp_path / "g/cases.jsonl"
    f.write_text(f.read_text().replace('"holdout"', '"active"', 1))
    with pytest.raises(GoldenTamperError, match=r"cases.jsonl: sha256 is .* changed outside"):
        load_golden(tmp_path / "g")
    with pytest.raises(GoldenTamperError):  # a re-export refuses too, and leaves it as it is
        export_golden(tr, lab, tmp_path / "g")
    assert "sha256 is" not in f.read_text() and f.read_text().count('"active"') > 0
    export_golden(tr, lab, tmp_path / "h")
    (tmp_path / "h/schema.json").unlink()
    with pytest.raises(GoldenTamperError, match=r"schema\.json: file is missing"):
        verify_golden(tmp_path / "h")


def test_schema_violation_is_named(
    tmp_path: Path, small: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    tr, lab = small
    m = export_golden(tr, lab, tmp_path / "g")
    g = tmp_path / "g"
    lines = (g / "cases.jsonl").read_text().splitlines()
    bad = json.loads(lines[2])
    bad["split"] = "sideways"
    lines[2] = json.dumps(bad, sort_keys=True)
    (g / "cases.jsonl").write_text("\n".join(lines) + "\n")
    m["files"]["cases.jsonl"] = sha256_file(g / "cases.jsonl")  # a consistent forgery
    (g / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(GoldenSchemaError, match=r"cases.jsonl:3: field 'split' violates"):
        verify_golden(g)


def test_missing_manifest_and_foreign_folder(
    tmp_path: Path, small: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    tr, lab = small
    with pytest.raises(GoldenManifestError, match=r"no manifest\.json"):
        load_golden(tmp_path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine/notes.txt").write_text("precious")
    with pytest.raises(GoldenTargetError, match=r"not empty and has no manifest.json.*notes.txt"):
        export_golden(tr, lab, tmp_path / "mine")
    assert (tmp_path / "mine/notes.txt").read_text() == "precious"
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(GoldenTargetError, match="not a folder"):
        export_golden(tr, lab, tmp_path / "file")


def test_case_id_collision(tmp_path: Path) -> None:
    tr = make_traces(4)
    dup = pd.concat([tr, tr.iloc[[1]]], ignore_index=True)
    with pytest.raises(CaseIdCollisionError, match="trace_id 't1' appears more than once"):
        export_golden(dup, make_labels(tr), tmp_path / "g")
    assert not (tmp_path / "g").exists()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"holdout": 1.0}, r"`holdout` must be a number in \[0, 1\); got 1.0"),
    ({"floor": -0.1}, r"`floor` must be a number in \[0, 1\); got -0.1"),
    ({"floor": 0.6}, "`floor` must be at most 0.5"),
    ({"redact": None}, "`redact` must be True .* got None"),
    ({"stratify": "intent"}, "`stratify` names column 'intent'"),
    ({"references": pd.DataFrame({"trace_id": ["t0"], "text": ["x"], "quality": ["great"]})},
     "field 'quality' must be 'high' or 'borderline'; got 'great'"),
    ({"references": pd.DataFrame({"trace_id": ["t0"], "text": ["x"]})},
     r"columns \['quality'\] are missing"),
    ({"references": pd.DataFrame({"trace_id": ["zz"], "text": ["x"], "quality": ["high"]})},
     "trace_id 'zz' has no label"),
])
def test_bad_arguments(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    tr = make_traces(5)
    with pytest.raises(GoldenError, match=match):
        export_golden(tr, make_labels(tr), tmp_path / "g", **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "g").exists()


def test_bad_labels(tmp_path: Path) -> None:
    tr = make_traces(3)
    with pytest.raises(GoldenError, match="'verdict' must be 'pass' or 'fail'; got 'maybe'"):
        export_golden(tr, pd.DataFrame({"trace_id": ["t0"], "verdict": ["maybe"]}),
                      tmp_path / "g")
    with pytest.raises(GoldenError, match=r"1 labelled trace.* not in `traces`, e\.g\. 'nope'"):
        export_golden(tr, pd.DataFrame({"trace_id": ["nope"], "verdict": ["pass"]}),
                      tmp_path / "g")
    with pytest.raises(GoldenError, match="columns 'trace_id' and 'verdict' are required"):
        export_golden(tr, pd.DataFrame({"trace_id": ["t0"]}), tmp_path / "g")
    with pytest.raises(GoldenError, match="field 'verdict' is empty for trace 't1'"):
        export_golden(tr, pd.DataFrame({"trace_id": ["t0", "t1"], "verdict": ["pass", None]}),
                      tmp_path / "g")
    with pytest.raises(GoldenError, match="got int"):
        export_golden(tr, 3, tmp_path / "g")


def test_sample_data_round_trip(tmp_path: Path) -> None:
    import evalkit

    root = Path(__file__).resolve().parents[2] / "data"
    tr = evalkit.load_traces(root / "traces")
    m = export_golden(tr, root / "labels/human.csv", tmp_path / "g")
    assert sum(m["counts"]["split"].values()) == 240  # README: 240 traces labelled
    assert m["provenance"]["label_sha256"] == sha256_file(root / "labels/human.csv")
    for seg, c in m["counts"]["segment"].items():
        n = c["active"] + c["holdout"]
        assert min(c.values()) >= math.ceil(0.15 * n), seg
    text = (tmp_path / "g/cases.jsonl").read_text()
    assert "@pinecrest.org" not in text and "<EMAIL_1>" in text


def test_labels_from_a_label_store(tmp_path: Path) -> None:
    from evalkit.golden._storehash import store_sha256
    from evalkit.labels import LabelStore

    tr = make_traces(4)
    store = LabelStore(tmp_path / "labels.sqlite")
    for i, t in enumerate(tr["trace_id"]):
        for a in ("ann_a", "ann_b"):
            store.record(t, annotator=a, field="verdict", value="fail" if i == 0 else "pass")
    store.record("t0", annotator="ann_a", field="failure_modes", value=["ignored_context"])
    m = export_golden(tr, store, tmp_path / "g", holdout=0.0, floor=0.0)
    # a content hash of one snapshot (WAL included): see test_store_hash.py
    assert m["provenance"]["label_sha256"] == store_sha256(tmp_path / "labels.sqlite")
    assert m["provenance"]["label_hash_method"].startswith("sqlite-content-v1")
    df = load_golden(tmp_path / "g").set_index("trace_id")
    assert df.loc["t0", "expected_verdict"] == "fail"
    assert df.loc["t0", "failure_modes"] == ["ignored_context"]
    assert df.loc["t1", "provenance"]["annotators"] == ["ann_a", "ann_b"]
    store.close()


def test_taxonomy_resolves_modes_and_is_recorded(tmp_path: Path) -> None:
    from evalkit.errors import EvalkitError
    from evalkit.taxonomy import Taxonomy

    tax = Taxonomy(modes=["ignored_context", "no_next_step"]).rename(
        "ignored_context", "missed_context", who="ana", why="clearer", when="2025-03-20T10:00:00Z")
    tr = make_traces(6)
    m = export_golden(tr, make_labels(tr), tmp_path / "g", taxonomy=tax)
    assert m["taxonomy"] == {"name": "taxonomy", "version": 2}
    assert sum(m["counts"]["failure_mode"]["missed_context"].values()) == 2  # t0, t3 fail
    assert "ignored_context" not in m["counts"]["failure_mode"]
    lab = make_labels(tr).assign(failure_modes=lambda d: d.failure_modes.replace(
        "ignored_context", "made_up_mode"))
    with pytest.raises(EvalkitError, match="'made_up_mode' is neither a mode"):
        export_golden(tr, lab, tmp_path / "h", taxonomy=tax)
