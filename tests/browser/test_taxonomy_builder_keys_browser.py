"""TaxonomyBuilder in JupyterLab: keyboard grouping, the help overlay, split, the relabel queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalkit.labels import LabelStore
from evalkit.taxonomy import Taxonomy, record_modes

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).parents[2] / ".tmp" / "screenshots"
ROWS = [
    ("t1", "refused a valid refund", ["said no"]),
    ("t2", "wrongly refused the request", ["said no"]),
    ("t3", "no next step given", ["dead end"]),
    ("t4", "left without a next step", ["dead end"]),
    ("t5", "rambled for pages", ["too long"]),
]


def _stored(path: Path) -> Taxonomy:
    with LabelStore(path) as s:
        return Taxonomy.from_store(s, "support")


def test_keys_split_and_relabel_queue(lab: Any, page: Any) -> None:
    store_path = lab.root / "txk.sqlite"
    with LabelStore(store_path) as s:
        for tid, note, codes in ROWS:
            s.record(tid, annotator="ana", field="verdict", value="fail")
            s.record(tid, annotator="ana", field="note", value=note)
            s.record(tid, annotator="ana", field="open_codes", value=codes)
        tax = Taxonomy(name="support").add(
            "unhelpful", codes=["said no", "dead end"], who="ana", why="first pass"
        )
        for tid in ("t1", "t3"):
            record_modes(s, tid, ["unhelpful"], taxonomy=tax, annotator="ana")
    nb = lab.write_notebook(
        "txk.ipynb",
        [
            "import evalkit\n"
            f"b = evalkit.TaxonomyBuilder({str(store_path)!r}, name='support', who='ana', "
            "n_clusters=2)\nb"
        ],
    )
    lab.open_and_run(page, nb)
    root = page.locator(".ek-taxonomy")
    root.wait_for(timeout=90_000)
    lab.wait_until(lambda: root.get_attribute("data-version") == "2", what="v2 shown")

    # keyboard: help overlay, move to "too long", select it, name the mode, group
    root.locator(".ek-tx-title").click()
    page.keyboard.press("?")
    help_ = root.locator(".ek-tx-help")
    assert help_.is_visible() and "group the selected items" in help_.inner_text()
    lab.screenshot(page, SHOTS / "taxonomy_builder_help_light.png", locator=root,
                   team_name="taxonomy_builder_help_light.png")  # fmt: skip
    page.keyboard.press("Escape")
    assert help_.is_hidden()
    items = root.locator(".ek-tx-item")
    order = [items.nth(i).get_attribute("data-item") for i in range(items.count())]
    target = order.index("code:too long")
    for _ in range(target + 1):
        page.keyboard.press("j")
    assert (
        root.locator('.ek-tx-item[data-cursor="1"]').get_attribute("data-item") == "code:too long"
    )
    page.keyboard.press("x")
    page.keyboard.press("/")
    page.keyboard.type("overlong")
    page.keyboard.press("Escape")  # back to the builder's keys
    page.keyboard.press("g")
    lab.wait_until(lambda: _stored(store_path).version == 3, what="grouped by keys")
    assert _stored(store_path).code_map["too long"] == "overlong"

    # split "unhelpful": "said no" -> refusal, "dead end" -> dead_end
    card = root.locator('.ek-tx-mode[data-mode="unhelpful"]')
    card.locator(".ek-tx-split-btn").click()
    card.locator(".ek-tx-split-into").fill("refusal, dead_end")
    card.locator('select[data-code="said no"]').select_option("refusal")
    card.locator('select[data-code="dead end"]').select_option("dead_end")
    card.locator(".ek-tx-split-go").click()
    lab.wait_until(lambda: _stored(store_path).version == 4, what="split saved")
    tax = _stored(store_path)
    assert tax.mode_names == ("overlong", "refusal", "dead_end")
    assert tax.code_map == {"too long": "overlong", "said no": "refusal", "dead end": "dead_end"}

    # the relabel queue the split opened: t1 and t3, one question per new mode
    lab.wait_until(lambda: root.get_attribute("data-version") == "4", what="v4 shown")
    rel = root.locator(".ek-tx-relabel")
    assert (
        "(4 questions on 2 traces)"
        in root.locator(".ek-tx-section", has_text="Relabel").text_content()
    )
    line = rel.locator('.ek-tx-relabel-mode[data-mode="refusal"]')
    assert "split of unhelpful in v4" in line.inner_text() and "t1, t3" in line.inner_text()
    with LabelStore(store_path) as s:
        assert len(tax.relabel_queue(s)) == 4
    assert "mode='relabel'" in rel.inner_text()
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
        lab.screenshot(page, SHOTS / f"taxonomy_builder_split_{name}.png", locator=root,
                       team_name=f"taxonomy_builder_split_{name}.png")  # fmt: skip
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', "
        "{theme: 'JupyterLab Light'})"
    )
    assert page.dialogs == []
