"""The Annotator learns the taxonomy: modes as toggles, versioned labels, the relabel pass."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from evalkit import Annotator
from evalkit.labels import LabelStore
from evalkit.taxonomy import Taxonomy, record_modes, taxonomy_history
from evalkit.traces.schema import to_canonical

W = {"who": "ana", "when": "2025-03-20T10:00:00Z"}


@pytest.fixture
def traces() -> pd.DataFrame:
    return to_canonical([{"trace_id": f"t{i}", "input": "hi", "output": "ok"} for i in range(4)])


def test_taxonomy_modes_become_toggles_and_labels_carry_the_version(traces, tmp_path) -> None:
    tax = Taxonomy(modes=["refusal", "dead_end"]).add("tone", **W)
    with LabelStore(tmp_path / "s.sqlite") as store:
        ann = Annotator(traces, store, annotator="bo", taxonomy=tax)
        assert ann.failure_modes == ["refusal", "dead_end", "tone"]
        ann.press("2")
        ann.toggle_mode("tone")
        labels = store.labels()
        assert labels.set_index("field").loc["taxonomy_version", "value"] == 2
        assert taxonomy_history(store)["version"].tolist() == [2]
        new = ann.add_mode("rambling", definition="Too long", why="seen twice")
        assert new.version == 3 and "rambling" in ann.failure_modes
        assert Taxonomy.from_store(store) == new
        ann.toggle_mode("rambling")
        last = store.labels(field="taxonomy_version")["value"].tolist()
        assert last[-1] == 3


def test_relabel_mode_asks_the_split_questions(traces, tmp_path) -> None:
    tax = Taxonomy(modes=["refusal", "dead_end"])
    with LabelStore(tmp_path / "s.sqlite") as store:
        record_modes(store, "t1", ["dead_end"], taxonomy=tax, annotator="bo")
        record_modes(store, "t2", ["refusal"], taxonomy=tax, annotator="bo")
        t2 = tax.split("dead_end", ["no_link", "no_action"], **W)
        ann = Annotator(traces, store, annotator="bo", taxonomy=t2, mode="relabel")
        assert ann.questions[["trace_id", "mode"]].to_numpy().tolist() == [
            ["t1", "no_link"],
            ["t1", "no_action"],
        ]
        assert ann.current == "t1" and ann.failure_modes == ["no_link", "no_action"]
        assert ann.fields == ["verdict", "failure_modes"]
        ann.toggle_mode("no_action")
        assert t2.relabel_queue(store).empty  # answered under v2: nothing left to ask
        # the split parent is replaced by the answer, not kept (it would resolve to both parts)
        mine = store.labels(annotator="bo", field="failure_modes").set_index("trace_id")["value"]
        assert mine["t1"] == ["no_action"]
        # the queue frame plugs in directly too
        q = t2.relabel_queue(store)
        Annotator(traces, store, annotator="cy", taxonomy=t2, mode="relabel", queue=q)


def test_bad_taxonomy_arguments(traces, tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    with pytest.raises(ValueError, match="`mode` must be one of 'review', 'relabel'; got 'x'"):
        Annotator(traces, path, annotator="bo", mode="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs `taxonomy=`"):
        Annotator(traces, path, annotator="bo", mode="relabel")
    with pytest.raises(ValueError, match="either `taxonomy` or `failure_modes`"):
        Annotator(traces, path, annotator="bo", taxonomy=Taxonomy(modes=["a"]), failure_modes=["a"])
    with pytest.raises(TypeError, match="must be an evalkit Taxonomy; got list"):
        Annotator(traces, path, annotator="bo", taxonomy=["a"])  # type: ignore[arg-type]


def test_relabel_verdict_without_toggles_answers_no(traces, tmp_path) -> None:
    from evalkit.taxonomy import failure_rates

    tax = Taxonomy(modes=["refusal", "dead_end"]).rename("refusal", "wrong_refusal", **W)
    with LabelStore(tmp_path / "s.sqlite") as store:
        record_modes(store, "t1", ["dead_end"], taxonomy=tax, annotator="bo")
        store.record("t2", annotator="bo", field="failure_modes", value=["refusal"])  # old name
        t3 = tax.split("dead_end", ["no_link", "no_action"], **W)
        ann = Annotator(traces, store, annotator="bo", taxonomy=t3, mode="relabel")
        ann.press("2")  # fail, but neither part of the split: "no" to both questions
        assert t3.relabel_queue(store).empty
        mine = store.labels(annotator="bo", field="failure_modes").set_index("trace_id")["value"]
        assert mine["t1"] == []
        rates = failure_rates(store, t3, by=None).to_frame().set_index("mode")["k"]
        # t1: no mode any more; t2: the former name 'refusal' resolves to 'wrong_refusal'
        assert rates.to_dict() == {"wrong_refusal": 1, "no_link": 0, "no_action": 0,
                                   "(any mode)": 1}  # fmt: skip


def test_relabel_answers_yes_and_no_explicitly(traces, tmp_path) -> None:
    tax = Taxonomy(modes=["refusal", "dead_end"])
    with LabelStore(tmp_path / "l.sqlite") as store:
        record_modes(store, "t1", ["dead_end"], taxonomy=tax, annotator="bo")
        t2 = tax.split("dead_end", ["no_link", "no_action"], **W)
        ann = Annotator(traces, store, annotator="bo", taxonomy=t2, mode="relabel")

        def answers() -> list[Any]:
            return [(q["mode"], q["answer"]) for q in ann.state["questions"]]

        assert answers() == [("no_link", None), ("no_action", None)]
        ann.answer("no")  # the next open question: no_link
        assert answers() == [("no_link", "no"), ("no_action", None)]
        ann.answer("yes")
        mine = lambda: store.labels(field="failure_modes").set_index("trace_id")["value"]  # noqa: E731
        assert mine()["t1"] == ["no_action"]
        ann.answer("no", "no_action")  # change of mind: recorded, shown
        assert answers() == [("no_link", "no"), ("no_action", "no")] and mine()["t1"] == []
        with pytest.raises(ValueError, match=r"every question on trace 't1' is answered"):
            ann.answer("yes")
        with pytest.raises(ValueError, match=r"`answer` must be one of 'yes', 'no'; got 'maybe'"):
            ann.answer("maybe")
        with pytest.raises(ValueError, match=r"`mode` 'refusal' is not asked on trace 't1'"):
            ann.answer("yes", "refusal")
        # a new session reads the answers back from the labels made under the current version
        again = Annotator(
            traces, store, annotator="bo", taxonomy=t2, mode="relabel", queue=ann.questions
        )
        assert [q["answer"] for q in again.state["questions"]] == ["no", "no"]
        review = Annotator(traces, store, annotator="cy", taxonomy=t2)
        assert review.state["questions"] == []
        with pytest.raises(ValueError, match=r"answer\(\) is for the relabel pass"):
            review.answer("yes")
