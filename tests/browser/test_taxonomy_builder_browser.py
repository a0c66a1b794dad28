"""The TaxonomyBuilder in JupyterLab: group codes into a mode by clicking, checked in the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalkit.labels import LabelStore
from evalkit.taxonomy import Taxonomy, taxonomy_history

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=\"window.__xss.push('note')\"> bot refused a refund"
ROWS = [
    ("t1", "fail", "refused a valid refund", ["said no"]),
    ("t2", "fail", HOSTILE, ["said no"]),
    ("t3", "fail", "no next step given", ["dead end"]),
    ("t4", "fail", "left without a next step", []),
    ("t5", "pass", None, []),
]


def _store(path: Path) -> None:
    with LabelStore(path) as s:
        for tid, verdict, note, codes in ROWS:
            s.record(tid, annotator="ana", field="verdict", value=verdict)
            if note:
                s.record(tid, annotator="ana", field="note", value=note)
            if codes:
                s.record(tid, annotator="ana", field="open_codes", value=codes)


def _stored(path: Path) -> Taxonomy:
    with LabelStore(path) as s:
        return Taxonomy.from_store(s, "support")


def test_group_define_retire_by_clicking(lab: Any, page: Any, tmp_path: Path) -> None:
    store_path = lab.root / "tx.sqlite"
    _store(store_path)
    nb = lab.write_notebook(
        "tx.ipynb",
        [
            "import evalkit\n"
            f"b = evalkit.TaxonomyBuilder({str(store_path)!r}, name='support', who='ana', "
            "n_clusters=2)\nb",
            "print('second cell')",
        ],
    )
    lab.open_and_run(page, nb)
    root = page.locator(".ek-taxonomy")
    root.wait_for(timeout=90_000)
    # the hostile note is shown as text and never runs
    page.locator(".ek-tx-examples li", has_text="onerror").first.wait_for()
    assert page.evaluate("() => window.__xss.length") == 0
    assert "0 of 4 failing traces" in root.locator(".ek-tx-coverage").inner_text()

    root.locator('label[data-item="code:said no"] input[type=checkbox]').check()
    root.locator(".ek-tx-name").fill("wrong_refusal")
    root.locator(".ek-tx-def").fill("Refuses a legitimate request.")
    root.locator(".ek-tx-sev").select_option("3")
    root.locator(".ek-tx-group").click()
    lab.wait_until(lambda: root.get_attribute("data-version") == "2", what="version 2 shown")
    tax = _stored(store_path)
    assert tax.version == 2 and tax.mode_names == ("wrong_refusal",)
    assert tax["wrong_refusal"].severity == 3
    assert tax["wrong_refusal"].definition == "Refuses a legitimate request."
    assert tax.code_map == {"said no": "wrong_refusal"} and tax.changelog[-1].who == "ana"
    assert "2 of 4 failing traces" in root.locator(".ek-tx-coverage").inner_text()

    # a second mode from a code and a note cluster, then edit its definition in place
    root.locator('label[data-item="code:dead end"] input[type=checkbox]').check()
    root.locator(".ek-tx-name").fill("no_next_step")
    root.locator(".ek-tx-def").fill("")
    root.locator(".ek-tx-group").click()
    lab.wait_until(lambda: root.get_attribute("data-version") == "3", what="version 3 shown")
    box = root.locator('.ek-tx-mode[data-mode="no_next_step"] .ek-tx-mode-def')
    box.fill("Ends without a next step.")
    box.press("Tab")
    lab.wait_until(lambda: _stored(store_path).version == 4, what="definition saved")
    assert _stored(store_path)["no_next_step"].definition == "Ends without a next step."
    lab.wait_until(lambda: root.get_attribute("data-version") == "4", what="version 4 shown")

    shots = Path(__file__).parents[2] / ".tmp" / "screenshots"
    lab.screenshot(page, shots / "taxonomy_builder_light.png", locator=root,
                   team_name="taxonomy_builder_light.png")  # fmt: skip
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', "
        "{theme: 'JupyterLab Dark'})"
    )
    lab.wait_until(
        lambda: page.evaluate("() => document.body.dataset.jpThemeLight") == "false",
        what="dark theme",
    )
    page.wait_for_timeout(500)
    lab.screenshot(page, shots / "taxonomy_builder_dark.png", locator=root,
                   team_name="taxonomy_builder_dark.png")  # fmt: skip
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', "
        "{theme: 'JupyterLab Light'})"
    )

    root.locator('.ek-tx-mode[data-mode="no_next_step"] .ek-tx-retire').click()
    lab.wait_until(lambda: _stored(store_path).version == 5, what="retire saved")
    assert _stored(store_path).mode_names == ("wrong_refusal",)
    with LabelStore(store_path) as s:
        assert taxonomy_history(s)["version"].tolist() == [2, 3, 4, 5]
    assert page.evaluate("() => window.__xss.length") == 0 and page.dialogs == []


def test_annotator_taxonomy_shortcuts_and_new_mode(lab: Any, page: Any) -> None:
    import json

    store_path = lab.root / "ann_tx.sqlite"
    (lab.root / "ann_tx.json").write_text(json.dumps(lab.support_traces(5)))
    nb = lab.write_notebook(
        "ann_tx.ipynb",
        [
            "import json\nimport evalkit\nfrom evalkit.traces.schema import to_canonical\n"
            "from evalkit.taxonomy import Taxonomy\n"
            "traces = to_canonical(json.load(open('ann_tx.json')))\n"
            "tax = Taxonomy(name='support', modes=['wrong_refusal', 'no_next_step'])\n"
            f"ann = evalkit.Annotator(traces, {str(store_path)!r}, annotator='bo', taxonomy=tax)\n"
            "ann",
        ],
    )
    lab.open_and_run(page, nb)
    root = page.locator(".ek-annotator")
    root.wait_for(timeout=90_000)
    root.locator(".ek-position").click()
    page.keyboard.press("2")  # fail, stay
    page.keyboard.press("Shift+2")  # toggle the second mode

    def modes_of(trace: str) -> tuple[Any, Any]:
        with LabelStore(store_path) as s:
            df = s.labels(annotator="bo")
        got = df[df["trace_id"] == trace].set_index("field")["value"]
        return got.get("failure_modes"), got.get("taxonomy_version")

    lab.wait_until(lambda: modes_of("trace-00") == (["no_next_step"], 1), what="mode 2 saved")
    assert root.locator(".ek-mode").nth(0).get_attribute("title") == "Shift+1"
    page.keyboard.press("?")
    assert "Shift + 1" in root.locator(".ek-help").inner_text()
    page.keyboard.press("Escape")
    box = root.locator(".ek-add-mode")
    box.click()
    box.fill("rambling")
    box.press("Enter")
    lab.wait_until(lambda: _stored(store_path).version == 2, what="new mode saved")
    assert _stored(store_path).mode_names == ("wrong_refusal", "no_next_step", "rambling")
    root.locator(".ek-mode", has_text="rambling").wait_for()  # the new mode is shown
    root.locator(".ek-position").click()
    page.keyboard.press("Shift+3")
    lab.wait_until(
        lambda: modes_of("trace-00") == (["no_next_step", "rambling"], 2), what="mode 3 saved"
    )
    assert page.dialogs == []
