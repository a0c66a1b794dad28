"""Taxonomy: operations and their versions, typed errors, YAML/JSON round trip, store history."""

from __future__ import annotations

import contextlib
import json
import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.labels import LabelStore
from evalkit.taxonomy import (
    DuplicateModeError,
    Mode,
    ParentCycleError,
    SelfMergeError,
    Taxonomy,
    TaxonomyError,
    TaxonomyFileError,
    TaxonomyVersionError,
    UnknownModeError,
    UnknownTaxonomyVersionError,
    load_taxonomy,
    record_modes,
    taxonomy_history,
)

W = {"who": "ana", "when": "2025-03-20T10:00:00Z"}


@pytest.fixture
def tax() -> Taxonomy:
    return Taxonomy(
        name="support",
        modes=[
            Mode(name="scheduling", definition="Scheduling failures", severity=2),
            Mode(name="reschedule", definition="Reschedule mishandled", parent="scheduling"),
            Mode(name="wrong_refusal", definition="Refuses a legitimate request", severity=3),
            "no_next_step",
        ],
        codes={"said no": "wrong_refusal", "dead end": "no_next_step"},
    )


def test_every_operation_returns_a_new_version_with_a_changelog_entry(tax: Taxonomy) -> None:
    steps = [
        ("add", lambda t: t.add("tone", definition="Rude", codes=["rude"], **W, why="new")),
        ("rename", lambda t: t.rename("tone", "rude_tone", **W, why="clearer")),
        ("define", lambda t: t.define("rude_tone", severity=1, **W, why="minor")),
        ("merge", lambda t: t.merge(["rude_tone", "no_next_step"], "unhelpful", **W, why="x")),
        ("split", lambda t: t.split("unhelpful", {"rude": "Rude", "dead_end": "No step"}, **W)),
        ("retire", lambda t: t.retire("rude", **W, why="never seen")),
        ("map", lambda t: t.map_codes({"stuck": "dead_end"}, **W)),
    ]
    cur = tax
    for i, (op, fn) in enumerate(steps, start=2):
        new = fn(cur)
        assert new is not cur and new.version == i and cur.version == i - 1
        assert new.changelog[-1].op == op and new.changelog[-1].version == i
        assert new.changelog[-1].who == "ana" and new.changelog[-1].when == "2025-03-20T10:00:00Z"
        cur = new
    assert tax.version == 1 and "tone" not in tax  # the original is untouched
    assert cur.mode_names == ("scheduling", "reschedule", "wrong_refusal", "dead_end")
    assert cur.code_map == {"said no": "wrong_refusal", "stuck": "dead_end"}
    # history resolves: tone -> rude_tone -> unhelpful -> split (rude retired, dead_end)
    assert cur.resolve("tone") == ("dead_end",)
    assert cur.resolve("no_next_step") == ("dead_end",)
    assert cur.resolve("said no") == ("wrong_refusal",)
    assert cur.changelog[0].why == "new"
    assert cur.versions == (1, 2, 3, 4, 5, 6, 7, 8)


def test_rename_moves_codes_and_children(tax: Taxonomy) -> None:
    t = tax.rename("scheduling", "Scheduling failures", **W)
    assert t["reschedule"].parent == "Scheduling failures"
    t2 = tax.rename("wrong_refusal", "bad_refusal", **W)
    assert t2.code_map["said no"] == "bad_refusal"


def test_merge_into_existing_keeps_examples_and_severity(tax: Taxonomy) -> None:
    t = tax.define("no_next_step", fail_examples=["t1"], **W)
    t = t.merge("no_next_step", "wrong_refusal", **W)
    assert t["wrong_refusal"].fail_examples == ("t1",)
    assert t["no_next_step"].retired and "no_next_step" not in t
    new = tax.merge(["wrong_refusal", "no_next_step"], "unhelpful", **W)
    assert new["unhelpful"].severity == 3  # max of 3 and 2


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda t: t.add("no_next_step", **W), DuplicateModeError, "'no_next_step' is already"),
        (lambda t: t.rename("nope", "x", **W), UnknownModeError, "`old` 'nope' is not a mode"),
        (lambda t: t.rename("no_next_step", "wrong_refusal", **W), DuplicateModeError, "`new`"),
        (lambda t: t.merge(["a_mode"], "x", **W), UnknownModeError, "'a_mode' is not a mode"),
        (
            lambda t: t.merge(["wrong_refusal", "no_next_step"], "wrong_refusal", **W),
            SelfMergeError,
            "cannot merge mode 'wrong_refusal' into itself",
        ),
        (lambda t: t.split("no_next_step", ["only_one"], **W), TaxonomyError, "at least two"),
        (lambda t: t.retire("scheduling", **W), TaxonomyError, "parent of \\['reschedule'\\]"),
        (
            lambda t: t.define("scheduling", parent="reschedule", **W),
            ParentCycleError,
            "scheduling -> reschedule -> scheduling",
        ),
        (lambda t: t.define("scheduling", severity=7, **W), TaxonomyError, "from 1 to 3; got 7"),
        (lambda t: t.add("x", parent="ghost", **W), UnknownModeError, "`parent` 'ghost'"),
        (lambda t: t.add("x", who="", when=W["when"]), TaxonomyError, "`who`"),
        (lambda t: t.add("x", who="a", when="yesterday"), TaxonomyError, "`when`"),
        (lambda t: t.add("", **W), TaxonomyError, "`name` must be a non-empty string"),
        (lambda t: t.map_codes({"c": "ghost"}, **W), UnknownModeError, "ghost"),
        (
            lambda t: t.retire("no_next_step", **W).retire("no_next_step", **W),
            UnknownModeError,
            "retired",
        ),
    ],
)
def test_bad_operations_raise_typed_errors(tax: Taxonomy, call, error, match) -> None:
    with pytest.raises(error, match=match):
        call(tax)


def test_constructor_rejects_duplicates_unknown_parents_and_codes() -> None:
    with pytest.raises(DuplicateModeError, match="'a' appears more than once"):
        Taxonomy(modes=["a", "a"])
    with pytest.raises(UnknownModeError, match="parent 'zz' is not a mode"):
        Taxonomy(modes=[Mode(name="a", parent="zz")])
    with pytest.raises(ParentCycleError, match="a -> b -> a"):
        Taxonomy(modes=[Mode(name="a", parent="b"), Mode(name="b", parent="a")])
    with pytest.raises(UnknownModeError, match="code 'c' maps to 'q'"):
        Taxonomy(modes=["a"], codes={"c": "q"})
    with pytest.raises(UnknownModeError, match="neither a mode"):
        Taxonomy(modes=["a"]).resolve("b")


def test_yaml_and_json_round_trip_with_stable_order(tax: Taxonomy, tmp_path) -> None:
    t = tax.add("tone <b>", definition='Says "no": rude & curt', **W).split(
        "no_next_step", ["a", "b"], **W
    )
    text = t.to_yaml(tmp_path / "tax.yaml")
    assert Taxonomy.from_yaml(tmp_path / "tax.yaml") == t
    assert Taxonomy.from_yaml(text) == t
    assert Taxonomy.from_json(t.to_json()) == t
    assert t.to_yaml() == Taxonomy.from_yaml(text).to_yaml()  # byte-stable
    assert list(json.loads(t.to_json())) == [
        "evalkit_taxonomy",
        "name",
        "version",
        "severity_scale",
        "modes",
        "codes",
        "changelog",
    ]
    # one block per mode: each mode starts its own paragraph
    assert text.count("\n\n- name: ") == len(t.modes)
    # a one-mode edit changes only that mode's block
    t2 = t.define("wrong_refusal", definition="Refuses a valid request", **W)
    changed = set(t2.to_yaml().splitlines()) ^ set(text.splitlines())
    assert any("Refuses a valid request" in line for line in changed)
    assert len([c for c in changed if "definition" in c]) == 2
    assert pickle.loads(pickle.dumps(t)) == t


def test_newer_yaml_names_file_and_line(tmp_path) -> None:
    path = tmp_path / "new.yaml"
    path.write_text("# comment\n\nevalkit_taxonomy: 9\nname: x\nmodes: []\n")
    with pytest.raises(TaxonomyVersionError, match=r"new\.yaml:3: .*newer evalkit.*format 9"):
        Taxonomy.from_yaml(path)


def test_bad_files_name_file_and_line(tmp_path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("evalkit_taxonomy: 1\nname: x\nmodes:\n- name: a\n- name: b\n- name: a\n")
    with pytest.raises(DuplicateModeError, match=r"dup\.yaml:4: mode 'a' appears"):
        Taxonomy.from_yaml(path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("evalkit_taxonomy: 1\nmodes: [\n")
    with pytest.raises(TaxonomyFileError, match=r"bad\.yaml:3: not valid YAML"):
        Taxonomy.from_yaml(bad)
    with pytest.raises(TaxonomyFileError, match="no such taxonomy file"):
        Taxonomy.from_yaml(tmp_path / "missing.yaml")
    with pytest.raises(TaxonomyFileError, match=r":2: not valid JSON"):
        Taxonomy.from_json('{"evalkit_taxonomy": 1,\n "name": }\n')
    with pytest.raises(TaxonomyFileError, match=r"unknown keys \['colour'\]"):
        Taxonomy.from_yaml("evalkit_taxonomy: 1\ncolour: red\n")


def test_store_keeps_every_version_appended(tax: Taxonomy, tmp_path) -> None:
    with LabelStore(tmp_path / "l.sqlite") as store:
        tax.save(store)
        t2 = tax.add("tone", **W).save(store)
        tax.save(store)  # idempotent: identical document
        hist = taxonomy_history(store)
        assert hist["version"].tolist() == [1, 2]
        assert Taxonomy.from_store(store) == t2
        assert load_taxonomy(store, "support", version=1) == tax
        with pytest.raises(
            UnknownTaxonomyVersionError, match=r"v7 was never saved in the store; saved: \[1, 2\]"
        ):
            load_taxonomy(store, version=7)
        clash = tax.add("other", **W)  # another v2
        with pytest.raises(TaxonomyError, match="already holds a different taxonomy"):
            clash.save(store)
        conn = store._conn
        assert conn is not None
        with pytest.raises(Exception, match="append-only"):
            conn.execute("DELETE FROM taxonomy_versions")
        record_modes(store, "t1", ["tone"], taxonomy=t2, annotator="ana")
        labels = store.labels()
        assert set(labels["field"]) == {"failure_modes", "taxonomy_version"}
        assert labels.loc[labels["field"] == "taxonomy_version", "value"].tolist() == [2]
        with pytest.raises(UnknownModeError, match=r"\['ghost'\] are not active modes"):
            record_modes(store, "t1", ["ghost"], taxonomy=t2, annotator="ana")


def test_relabel_queue_after_split_and_merge(tax: Taxonomy, tmp_path) -> None:
    with LabelStore(tmp_path / "l.sqlite") as store:
        record_modes(store, "t1", ["no_next_step"], taxonomy=tax, annotator="ana")
        record_modes(store, "t2", ["wrong_refusal"], taxonomy=tax, annotator="ana")
        record_modes(store, "t3", [], taxonomy=tax, annotator="ana")
        t2 = tax.split("no_next_step", ["no_link", "no_action"], **W)
        q = t2.relabel_queue(store)
        # only t1 had the split mode: one binary question per new part
        assert q[["trace_id", "mode"]].values.tolist() == [["t1", "no_link"], ["t1", "no_action"]]
        assert q["from_version"].tolist() == [1, 1]
        assert q["reason"].iloc[0] == "split of no_next_step in v2"
        t3 = t2.merge(["wrong_refusal", "no_action"], "unhelpful", **W)
        q3 = t3.relabel_queue(store)
        assert sorted(map(tuple, q3[["trace_id", "mode"]].values.tolist())) == [
            ("t1", "no_link"),
            ("t1", "unhelpful"),
            ("t2", "unhelpful"),
        ]
        # labels made under v2 are not asked about the v2 split again
        record_modes(store, "t1", ["no_link"], taxonomy=t2, annotator="ana")
        assert t3.relabel_queue(store)["trace_id"].tolist() == ["t2"]
        store.record("t9", annotator="bo", field="taxonomy_version", value=9)
        store.record("t9", annotator="bo", field="failure_modes", value=["x"])
        with pytest.raises(UnknownTaxonomyVersionError, match=r"'t9' \(annotator 'bo'\).*v9"):
            t3.relabel_queue(store)


def test_repr_html_escapes_untrusted_names() -> None:
    t = Taxonomy(name="<x>", modes=[Mode(name="<script>", definition="a & b")])
    out = t._repr_html_()
    assert "<script>" not in out and "&lt;script&gt;" in out and "a &amp; b" in out
    assert t.to_frame()["name"].tolist() == ["<script>"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_fuzz_yaml_only_raises_typed_errors(text: str) -> None:
    with contextlib.suppress(TaxonomyError):
        Taxonomy.from_yaml(text + "\n")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(min_size=0, max_size=5), max_size=4),
    st.sampled_from(["add", "rename", "merge", "retire", "define"]),
)
def test_fuzz_operations_only_raise_typed_errors(names: list[str], op: str) -> None:
    t = Taxonomy(modes=["a", "b"])
    try:
        if op == "add":
            t.add(names[0] if names else "", **W)
        elif op == "rename":
            t.rename(*([*names, "a", "z"])[:2], **W)
        elif op == "merge":
            t.merge(names or ["a"], "b", **W)
        elif op == "retire":
            t.retire(names[0] if names else "q", **W)
        else:
            t.define(names[0] if names else "a", parent=([*names, None, None])[1], **W)
    except TaxonomyError:
        pass
