"""The Annotator's relabel pass in JupyterLab: explicit yes / no per mode question (key, click)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.labels import LabelStore
from evalkit.taxonomy import Taxonomy, record_modes

pytestmark = pytest.mark.browser
W = {"who": "ana", "why": "too broad"}
SHOTS = Path(__file__).parents[2] / ".tmp" / "screenshots"


def _mine(path: Path, trace: str) -> tuple[Any, Any]:
    with LabelStore(path) as s:
        df = s.labels(annotator="bo")
    got = df[df["trace_id"] == trace].set_index("field")["value"]
    return got.get("failure_modes"), got.get("taxonomy_version")


def test_relabel_yes_no_buttons_and_keys(lab: Any, page: Any) -> None:
    store_path = lab.root / "relabel.sqlite"
    (lab.root / "relabel.json").write_text(json.dumps(lab.support_traces(3)))
    tax = Taxonomy(name="support", modes=["wrong_refusal", "dead_end"])
    with LabelStore(store_path) as s:
        for tid in ("trace-00", "trace-01"):
            record_modes(s, tid, ["dead_end"], taxonomy=tax, annotator="bo")
        tax.split("dead_end", ["no_link", "no_action"], **W).save(s)
    nb = lab.write_notebook(
        "relabel.ipynb",
        [
            "import json\nimport evalkit\nfrom evalkit.traces.schema import to_canonical\n"
            "from evalkit.labels import LabelStore\nfrom evalkit.taxonomy import Taxonomy\n"
            "traces = to_canonical(json.load(open('relabel.json')))\n"
            f"store = LabelStore({str(store_path)!r})\n"
            "tax = Taxonomy.from_store(store)\n"
            "ann = evalkit.Annotator(traces, store, annotator='bo', taxonomy=tax, mode='relabel')\n"
            "ann",
        ],
    )
    lab.open_and_run(page, nb)
    root = page.locator(".ek-annotator")
    root.wait_for(timeout=90_000)
    questions = root.locator(".ek-question")
    questions.first.wait_for()
    assert questions.count() == 2
    assert questions.nth(0).inner_text().startswith("Does this trace show 'no_link'?")
    assert root.locator(".ek-modes").is_hidden()  # the questions replace the toggles
    root.locator(".ek-position").click()
    page.keyboard.press("?")
    assert "relabel pass: yes / no" in root.locator(".ek-help").inner_text()
    page.keyboard.press("Escape")
    page.keyboard.press("y")  # yes to the first open question: no_link
    lab.wait_until(lambda: _mine(store_path, "trace-00") == (["no_link"], 2), what="yes saved")
    lab.wait_until(lambda: questions.nth(0).get_attribute("data-answer") == "yes", what="shown")
    no = questions.nth(1).locator('.ek-answer[data-answer="no"]')
    no.click()  # an explicit "no" is recorded, though the modes do not change
    lab.wait_until(lambda: questions.nth(1).get_attribute("data-answer") == "no", what="no shown")
    with LabelStore(store_path) as s:
        events = s.labels(annotator="bo", field="failure_modes", latest=False)
    assert (events["trace_id"] == "trace-00").sum() == 3  # v1 label, the yes, the explicit no
    for theme, name in (("JupyterLab Light", "light"), ("JupyterLab Dark", "dark")):
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme', "
            f"{{theme: '{theme}'}})"
        )
        lab.wait_until(
            lambda t=theme: (
                page.evaluate("() => document.body.dataset.jpThemeLight")
                == ("true" if "Light" in t else "false")
            ),
            what=theme,
        )
        page.wait_for_timeout(400)
        lab.screenshot(page, SHOTS / f"annotator_relabel_{name}.png", locator=root,
                       team_name=f"annotator_relabel_{name}.png")  # fmt: skip
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', "
        "{theme: 'JupyterLab Light'})"
    )
    root.locator(".ek-position").click()
    page.keyboard.press("j")  # next trace: its questions are open again
    lab.wait_until(lambda: root.get_attribute("data-trace-id") == "trace-01", what="trace-01")
    lab.wait_until(lambda: questions.nth(0).get_attribute("data-answer") == "", what="open")
    page.keyboard.press("n")
    page.keyboard.press("n")
    lab.wait_until(lambda: questions.nth(1).get_attribute("data-answer") == "no", what="2 nos")
    assert _mine(store_path, "trace-01") == ([], 2)
    with LabelStore(store_path) as s:
        assert Taxonomy.from_store(s).relabel_queue(s).empty  # everything answered
    assert page.dialogs == []
