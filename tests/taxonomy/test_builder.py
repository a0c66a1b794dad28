"""TaxonomyBuilder without a browser: actions are taxonomy operations saved as versions."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit import TaxonomyBuilder
from evalkit.labels import LabelStore
from evalkit.taxonomy import Taxonomy, TaxonomyError, taxonomy_history

ROWS = [
    ("t1", "fail", "refused a valid refund", ["said no"]),
    ("t2", "fail", "wrongly refused the request", ["said no"]),
    ("t3", "fail", "no next step given <b>x</b>", ["dead end"]),
    ("t4", "fail", "left without a next step", []),
    ("t5", "pass", None, []),
]


@pytest.fixture
def store(tmp_path) -> LabelStore:
    s = LabelStore(tmp_path / "s.sqlite")
    for tid, verdict, note, codes in ROWS:
        s.record(tid, annotator="ana", field="verdict", value=verdict)
        if note:
            s.record(tid, annotator="ana", field="note", value=note)
        if codes:
            s.record(tid, annotator="ana", field="open_codes", value=codes)
    return s


def test_items_and_coverage(store: LabelStore) -> None:
    b = TaxonomyBuilder(store, who="ana", n_clusters=2)
    items = {i["id"]: i for i in b.state["items"]}
    assert items["code:said no"]["count"] == 2 and items["code:dead end"]["count"] == 1
    clusters = [i for i in items.values() if i["kind"] == "cluster"]
    assert sum(i["count"] for i in clusters) == 4  # the four notes of failing traces
    assert items["code:dead end"]["examples"] == ["no next step given <b>x</b>"]  # raw: JS escapes
    assert b.coverage() == {
        "failing": 4, "covered": 0, "share": 0.0, "n_unmapped": 4,
        "unmapped_notes": [r[2] for r in ROWS[:4]],
    }  # fmt: skip


def test_every_action_is_a_saved_version(store: LabelStore) -> None:
    b = TaxonomyBuilder(store, who="ana", name="support")
    b.group(["code:said no"], "wrong_refusal", definition="Refuses a valid request", severity=3)
    assert b.taxonomy.version == 2 and b.taxonomy["wrong_refusal"].severity == 3
    assert b.coverage()["covered"] == 2
    b.group(["code:dead end"], "dead_end")
    b.group(["code:dead end"], "wrong_refusal")  # existing mode: the code is remapped
    assert b.taxonomy.code_map["dead end"] == "wrong_refusal"
    b.define("dead_end", definition="No next step", severity=1)
    b.rename("dead_end", "no_next_step")
    b.merge(["no_next_step"], "unhelpful")
    b.unmap(["code:dead end"])
    b.retire("unhelpful")
    assert b.taxonomy.version == 9
    assert taxonomy_history(store)["version"].tolist() == list(range(2, 10))
    assert Taxonomy.from_store(store, "support") == b.taxonomy
    assert [c["op"] for c in b.state["changelog"]] == ["define", "rename", "merge", "map", "retire"]
    # a builder opened later starts from the stored version
    assert TaxonomyBuilder(store, name="support").taxonomy.version == 9


def test_messages_and_errors_are_shown(store: LabelStore) -> None:
    b = TaxonomyBuilder(store, who="ana")
    b._handle({"type": "group", "items": ["code:said no"], "name": "refusal", "severity": "2"})
    assert b.taxonomy.mode_names == ("refusal",)
    b._on_msg(b, {"type": "group", "items": ["code:ghost"], "name": "x"}, [])
    assert "not open codes or note clusters" in b.state["message"]
    assert b.state["message_kind"] == "error" and len(b.errors) == 1
    b._on_msg(b, {"type": "rename", "old": "refusal", "new": ""}, [])
    assert "`new` must be a non-empty string" in b.state["message"]
    b._on_msg(b, {"type": "nope"}, [])
    assert "unknown message type 'nope'" in b.state["message"]
    with pytest.raises(TaxonomyError, match="non-empty list of item ids"):
        b.group([], "x")
    with pytest.raises(TypeError, match="`taxonomy` must be a Taxonomy"):
        TaxonomyBuilder(store, taxonomy=pd.DataFrame())  # type: ignore[arg-type]


def test_split_with_codes_and_the_relabel_queue_view(store: LabelStore) -> None:
    from evalkit.taxonomy import record_modes

    b = TaxonomyBuilder(store, name="support", who="ana", n_clusters=2)
    b.group(["code:said no", "code:dead end"], "unhelpful")
    assert b.state["relabel"] == {"n": 0, "traces": 0, "by_mode": []}
    for tid in ("t1", "t3"):
        record_modes(store, tid, ["unhelpful"], taxonomy=b.taxonomy, annotator="ana")
    assert b.state["modes"][0]["codes"] == ["dead end", "said no"]
    # the browser's message: one code assigned, the other left unmapped
    b._handle(
        {"type": "split", "mode": "unhelpful", "into": [" refusal", "dead_end ", ""],
         "codes": {"said no": "refusal"}}
    )  # fmt: skip
    tax = Taxonomy.from_store(store, "support")
    assert tax.version == 3 and tax.mode_names == ("refusal", "dead_end")
    assert tax.code_map == {"said no": "refusal"} and tax.changelog[-1].op == "split"
    rq = b.state["relabel"]
    # t1 and t3 were labelled "unhelpful" under v2: each gets one question per new mode
    assert (rq["n"], rq["traces"]) == (4, 2)
    assert [(m["mode"], m["count"], m["traces"]) for m in rq["by_mode"]] == [
        ("refusal", 2, ["t1", "t3"]),
        ("dead_end", 2, ["t1", "t3"]),
    ]
    assert rq["by_mode"][0]["reason"] == "split of unhelpful in v3"
    assert b.relabel_queue().equals(tax.relabel_queue(store))
    b._on_msg(None, {"type": "split", "mode": "refusal", "into": ["only_one"]}, None)
    assert "at least two distinct new modes" in b.state["message"]
    assert b.taxonomy.version == 3
