"""Blind review never shows label-like metadata before the reviewer has labeled (issue 10).

Labels that arrive inside trace files (a ``label`` column, a ``Notes`` field, a ``reasoning``)
land in ``metadata``; in blind mode the Annotator hides those keys until this reviewer passes or
fails the trace, then shows them; other metadata is always shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalkit.store import LabelStore
from evalkit.traces.schema import to_canonical
from evalkit.widgets._render import render_trace
from evalkit.widgets.annotator import Annotator

SECRET_VERDICT = "VERDICT_FROM_THE_FILE"
SECRET_NOTE = "NOTE_FROM_THE_FILE"


def _traces() -> Any:
    return to_canonical(
        [
            {
                "trace_id": f"t{i}",
                "input": f"q{i}",
                "output": f"a{i}",
                "metadata": {
                    "label": SECRET_VERDICT,
                    "Notes": SECRET_NOTE,
                    "human_reasoning": "REASONING_FROM_THE_FILE",
                    "region": "REGION_EU",
                },
            }
            for i in range(3)
        ]
    )


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = LabelStore(tmp_path / "labels.sqlite")
    yield s
    s.close()


def _secrets_in(html: str) -> set[str]:
    names = (SECRET_VERDICT, SECRET_NOTE, "REASONING_FROM_THE_FILE")
    return {s for s in names if s in html}


def test_blind_mode_hides_label_like_metadata_until_pass_or_fail(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="a")  # blind by default
    assert _secrets_in(ann.html) == set()
    assert "REGION_EU" in ann.html  # other metadata stays visible
    assert "3 label-like metadata keys hidden" in ann.html
    ann.press("d")  # deferring is not labeling
    ann.press("k")
    assert ann.current == "t0" and _secrets_in(ann.html) == set()
    ann.press("2")  # fail: labeled, so the file's labels are shown
    assert ann.current == "t0" and len(_secrets_in(ann.html)) == 3
    ann.press("u")  # undone: hidden again
    assert _secrets_in(ann.html) == set()
    ann.press("1")  # pass, then the next trace: hidden there
    assert ann.current == "t1" and _secrets_in(ann.html) == set()
    ann.press("k")  # back to the labeled one: shown
    assert ann.current == "t0" and len(_secrets_in(ann.html)) == 3


def test_not_blind_shows_everything(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="a", blind=False)
    assert len(_secrets_in(ann.html)) == 3 and "hidden" not in ann.html


def test_render_trace_hides_only_when_asked() -> None:
    row = _traces().iloc[0]
    assert len(_secrets_in(render_trace(row))) == 3
    blind = render_trace(row, hide_labels=True)
    assert _secrets_in(blind) == set() and "REGION_EU" in blind
