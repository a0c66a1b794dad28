"""Notebook 01 labels into the reviewer's own kept store; the replay uses a demo store (15.1)."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

NB01 = Path(__file__).resolve().parents[2] / "notebooks" / "01_manual_log_review.ipynb"


def _code() -> list[str]:
    return [c.source for c in nbformat.read(NB01, as_version=4).cells if c.cell_type == "code"]


def test_widget_uses_a_kept_store_and_the_reviewers_name() -> None:
    cells = _code()
    widget_cell = next(c for c in cells if "review = evalkit.Annotator(" in c)
    assert "tempfile" not in widget_cell and "mkdtemp" not in widget_cell
    assert 'LABELS = Path("labels.sqlite")' in widget_cell
    call = next(
        n for n in ast.walk(ast.parse(widget_cell))
        if isinstance(n, ast.Call) and ast.unparse(n.func) == "evalkit.Annotator"
    )  # fmt: skip
    annotator = next(k.value for k in call.keywords if k.arg == "annotator")
    assert ast.unparse(annotator) == "ANNOTATOR"  # not someone else's name ("ann_alice")


def test_replay_writes_to_a_separate_demo_store() -> None:
    cells = _code()
    replay = next(c for c in cells if ".press(" in c)
    assert "review.press" not in replay and "demo_store" in replay
    assert "demo_replay" in replay  # clearly named
    # nothing after the widget writes into the reviewer's store
    after = cells[cells.index(replay):]
    assert not any("store.import_labels" in c and "demo_store" not in c for c in after)
