"""The Annotator's reference-answer field in JupyterLab: keyboard only, checked in the store
and in the golden set exported from it (hostile text stays text), light and dark screenshots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.store import LabelStore

pytestmark = pytest.mark.browser

# typed key by key: its letters (d, u, j, k, 1, 2, r, R, t, n) must stay text, never shortcuts
HOSTILE = "<img src=x onerror=window.__xss.push(1)> Refunds: 30 days & <b>no</b> \"fee\" 1 2 d u R"
HIGH = "Refunds within 30 days of purchase; annual plans pro rata."


def _refs(store_path: Path) -> list[tuple[str, str, str, Any]]:
    with LabelStore(store_path) as store:
        df = store.labels()
    df = df[df["field"].str.startswith("reference_")]
    return sorted(zip(df["trace_id"], df["annotator"], df["field"], df["value"], strict=True))


def test_reference_field_keyboard_store_and_export(lab: Any, page: Any, tmp_path: Path) -> None:
    store_path = lab.root / "refs.sqlite"
    (lab.root / "refs.json").write_text(json.dumps(lab.support_traces(5)))
    nb = lab.write_notebook(
        "refs.ipynb",
        [
            "import json\nimport evalkit\nfrom evalkit.traces.schema import to_canonical\n"
            "traces = to_canonical(json.load(open('refs.json')))\n"
            f"store = evalkit.LabelStore({str(store_path)!r})",
            "ann = evalkit.Annotator(traces, store, annotator='ann_ref')\nann",
        ],
    )
    lab.open_and_run(page, nb)
    root = page.locator(".ek-annotator").first
    root.wait_for(timeout=60_000)
    root.locator(".ek-position").click()
    lab.wait_until(lambda: root.get_attribute("data-trace-id") == "trace-00", what="first trace")
    page.evaluate("() => { window.__xss = []; }")
    press = page.keyboard.press
    box = root.locator(".ek-reference-text")
    quality = root.locator(".ek-reference")

    # trace-00: fail, write a reference, decide it is only borderline, save and go next
    press("2")
    lab.wait_until(lambda: root.locator(".ek-verdict").inner_text() == "✗ Fail", what="fail")
    press("r")
    lab.wait_until(
        lambda: page.evaluate("() => document.activeElement?.classList.contains("
                              "'ek-reference-text')"), what="reference box focused")
    page.keyboard.type(HOSTILE, delay=5)
    assert quality.get_attribute("data-quality") == "high"
    press("Alt+b")  # switch inside the box: the unsaved text moves to borderline
    assert quality.get_attribute("data-quality") == "borderline"
    assert box.input_value() == HOSTILE
    root.locator(".ek-ref-switch").screenshot(path=str(tmp_path / "switch.png"))
    press("Control+Enter")  # save and go next
    lab.wait_until(lambda: root.get_attribute("data-trace-id") == "trace-01", what="next trace")
    lab.wait_until(lambda: _refs(store_path), what="reference in the store")
    assert _refs(store_path) == [("trace-00", "ann_ref", "reference_borderline", HOSTILE)]

    # trace-01: R from the widget switches back to high; a high reference, Esc saves; pass
    assert quality.get_attribute("data-quality") == "borderline"  # the switch is sticky
    press("R")
    assert quality.get_attribute("data-quality") == "high"
    press("r")
    page.keyboard.type(HIGH, delay=2)
    press("Escape")
    press("1")
    lab.wait_until(lambda: root.get_attribute("data-trace-id") == "trace-02", what="pass, next")
    lab.wait_until(lambda: len(_refs(store_path)) == 2, what="second reference")
    assert _refs(store_path)[1] == ("trace-01", "ann_ref", "reference_high", HIGH)

    # back on trace-00: the saved borderline reference shows as text, never as HTML
    press("k")
    press("k")
    lab.wait_until(lambda: root.get_attribute("data-trace-id") == "trace-00", what="back")
    press("R")  # borderline: the box shows the saved borderline reference
    lab.wait_until(lambda: box.input_value() == HOSTILE, what="saved reference shown")
    assert "borderline ✓ saved" in root.locator(".ek-ref-marks").inner_text()
    assert page.evaluate("() => window.__xss.length") == 0
    assert root.locator(".ek-reference img").count() == 0
    help_keys = root.locator(".ek-help").inner_text()
    assert "write a reference answer" in help_keys and "high / borderline" in help_keys
    lab.screenshot(page, tmp_path / "reference_light.png", locator=root,
                   team_name="g13_reference_light.png")

    def bg() -> float:
        css = root.evaluate("el => getComputedStyle(el).backgroundColor")
        return sum(float(x) for x in css[css.index("(") + 1 : css.index(")")].split(",")[:3]) / 3

    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', "
                  "{theme: 'JupyterLab Dark'})")
    try:
        lab.wait_until(lambda: bg() < 80, what="dark theme applied")
        page.wait_for_selector("#jupyterlab-splash", state="detached")
        lab.screenshot(page, tmp_path / "reference_dark.png", locator=root,
                       team_name="g13_reference_dark.png")
    finally:
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', "
                      "{theme: 'JupyterLab Light'})")
        lab.wait_until(lambda: bg() > 200, what="light theme back")

    # a second annotator's references (several annotators -> several references, each authored)
    from evalkit.golden import export_golden
    from evalkit.traces.schema import to_canonical

    with LabelStore(store_path) as store:
        store.record("trace-00", annotator="ann_two", field="verdict", value="fail")
        store.record("trace-00", annotator="ann_two", field="reference_high", value="Two: 30 days.")
        traces = to_canonical(json.loads((lab.root / "refs.json").read_text()))
        export_golden(traces, store, tmp_path / "gold", holdout=0.0, floor=0.0)
    cases = {c["trace_id"]: c for c in map(
        json.loads, (tmp_path / "gold/cases.jsonl").read_text(encoding="utf-8").splitlines())}
    assert cases["trace-00"]["references"] == [
        {"author": "ann_two", "quality": "high", "text": "Two: 30 days."},
        {"author": "ann_ref", "quality": "borderline", "text": HOSTILE},
    ]
    assert cases["trace-01"]["references"] == [
        {"author": "ann_ref", "quality": "high", "text": HIGH}
    ]
    assert HOSTILE.replace('"', '\\"') in (tmp_path / "gold/cases.jsonl").read_text()
