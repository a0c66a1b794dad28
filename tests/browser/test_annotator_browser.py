"""The Annotator in JupyterLab, driven by the keyboard only, checked against the label store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.store import LabelStore

pytestmark = pytest.mark.browser

NOTE = "Said refunds are possible for 90 days (policy: 30). d b a m"
NOTE_23 = "Quotes the refund policy; never explains the duplicate charge the user asked about."


def _latest_value(store: LabelStore, annotator: str, field: str, trace_id: str) -> Any:
    df = store.labels(annotator=annotator, field=field)
    return df.loc[df["trace_id"] == trace_id, "value"].iloc[0]


def _annotator_notebook(lab: Any, name: str, store: Path, code: str, *, n: int = 25) -> str:
    (lab.root / f"{name}.json").write_text(json.dumps(lab.support_traces(n)))
    return lab.write_notebook(
        f"{name}.ipynb",
        [
            "import json\nimport evalkit\nfrom evalkit.traces.schema import to_canonical\n"
            f"traces = to_canonical(json.load(open({name + '.json'!r})))\n"
            f"store = evalkit.LabelStore({str(store)!r})",
            code,
            "print('second cell')",
        ],
    )


def _notebook_snapshot(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => {
      const nb = window.jupyterapp.shell.currentWidget.content;
      return {
        types: nb.widgets.map(c => c.model.type),
        counts: nb.widgets.map(c => c.model.executionCount ?? null),
        active: nb.activeCellIndex,
        mode: nb.mode,
      };
    }""")


def _focus(page: Any, lab: Any, nth: int = 0) -> Any:
    root = page.locator(".ek-annotator").nth(nth)
    root.wait_for(timeout=60_000)
    root.locator(".ek-position").click()
    lab.wait_until(
        lambda: page.evaluate("() => document.activeElement?.classList.contains('ek-annotator')"),
        what="widget focus",
    )
    return root


def _shown(root: Any) -> str:
    return root.get_attribute("data-trace-id") or ""


def _events(store_path: Path, annotator: str) -> list[tuple[str, str, Any, bool]]:
    with LabelStore(store_path) as store:
        ev = store.labels(annotator=annotator, latest=False)
    return [
        (t, f, v, bool(u))
        for t, f, v, u in ev[["trace_id", "field", "value", "undone"]].itertuples(index=False)
    ]


def test_label_20_traces_keyboard_only(lab: Any, page: Any, tmp_path: Path) -> None:
    store_path = lab.root / "kb.sqlite"
    nb = _annotator_notebook(
        lab, "kb", store_path, "ann = evalkit.Annotator(traces, store, annotator='ann_kb')\nann"
    )
    lab.open_and_run(page, nb)
    root = _focus(page, lab)
    lab.wait_until(lambda: _shown(root) == "trace-00", what="first trace shown")
    before = _notebook_snapshot(page)

    press = page.keyboard.press
    press("1")  # t00 pass -> t01
    press("2")  # t01 fail, stay
    lab.wait_until(lambda: root.locator(".ek-verdict").inner_text() == "✗ Fail", what="fail shown")
    press("n")
    page.keyboard.type(NOTE, delay=15)  # letters d, b, a, m typed into the note
    press("Control+Enter")  # note saved, -> t02
    press("d")  # t02 defer -> t03
    press("1")  # t03 pass -> t04
    press("2")  # t04 fail
    press("u")  # undo that fail (stay on t04)
    press("1")  # t04 pass -> t05
    # JupyterLab command-mode shortcuts must not fire: insert (a, b), markdown (m), code (y),
    # cut/copy/paste (x, c, v), undo (z), run (Shift+Enter), edit (Enter); j/k are ours.
    for key in ["b", "a", "m", "y", "x", "c", "v", "z", "Shift+Enter", "Enter", "Escape"]:
        press(key)
    press("d")  # "d d" would delete a cell in JupyterLab;
    press("d")  # here: t05 defer, t06 defer -> t07
    press("k")  # back to t06
    press("1")  # t06 pass (replaces defer) -> t07
    press("ArrowLeft")  # t06
    press("ArrowRight")  # t07
    lab.wait_until(lambda: _shown(root) == "trace-07", what="trace-07 shown")
    # A fast burst, no waiting between keys: every one must land, in order.
    burst = [
        "1",
        "2",
        "j",
        "1",
        "1",
        "d",
        "2",
        "j",
        "1",
        "1",
        "2",
        "j",
        "1",
        "1",
        "1",
        "d",
        "1",
        "2",
        "u",
        "2",
        "j",
        "1",
        "1",
    ]
    for key in burst:
        press(key)

    expected_events = [
        ("trace-00", "verdict", "pass", False),
        ("trace-01", "verdict", "fail", False),
        ("trace-01", "note", NOTE, False),
        ("trace-02", "verdict", "defer", False),
        ("trace-03", "verdict", "pass", False),
        ("trace-04", "verdict", "fail", True),
        ("trace-04", "verdict", "pass", False),
        ("trace-05", "verdict", "defer", False),
        ("trace-06", "verdict", "defer", False),
        ("trace-06", "verdict", "pass", False),
        ("trace-07", "verdict", "pass", False),
        ("trace-08", "verdict", "fail", False),
        ("trace-09", "verdict", "pass", False),
        ("trace-10", "verdict", "pass", False),
        ("trace-11", "verdict", "defer", False),
        ("trace-12", "verdict", "fail", False),
        ("trace-13", "verdict", "pass", False),
        ("trace-14", "verdict", "pass", False),
        ("trace-15", "verdict", "fail", False),
        ("trace-16", "verdict", "pass", False),
        ("trace-17", "verdict", "pass", False),
        ("trace-18", "verdict", "pass", False),
        ("trace-19", "verdict", "defer", False),
        ("trace-20", "verdict", "pass", False),
        ("trace-21", "verdict", "fail", True),
        ("trace-21", "verdict", "fail", False),
        ("trace-22", "verdict", "pass", False),
        ("trace-23", "verdict", "pass", False),
    ]
    lab.wait_until(
        lambda: (
            len(_events(store_path, "ann_kb")) >= len(expected_events)
            and _shown(root) == "trace-24"
        ),
        timeout=60,
        what="all keypresses in the store",
    )
    assert _events(store_path, "ann_kb") == expected_events

    with LabelStore(store_path) as store:
        latest = store.labels(annotator="ann_kb", field="verdict")
        verdicts = dict(zip(latest["trace_id"], latest["value"], strict=True))
        prog = store.progress([f"trace-{i:02d}" for i in range(25)], annotator="ann_kb")
    assert sum(v in ("pass", "fail") for v in verdicts.values()) == 20
    assert [t for t, v in verdicts.items() if v == "defer"] == [
        "trace-02",
        "trace-05",
        "trace-11",
        "trace-19",
    ]
    assert prog == {"done": 20, "deferred": 4, "left": 1, "next_index": 2}
    assert root.locator(".ek-counts").inner_text() == "20 done · 4 deferred · 1 left"

    after = _notebook_snapshot(page)
    assert after == before, "a JupyterLab shortcut fired while typing in the widget"
    assert after["types"] == ["code", "code", "code"]

    lab.screenshot(page, tmp_path / "annotator_after_keyboard.png")
    press("?")  # help overlay, front-end only
    lab.wait_until(lambda: root.locator(".ek-help").is_visible(), what="help shown")
    assert "Ctrl/⌘ + Enter" in root.locator(".ek-help").inner_text()
    lab.screenshot(page, tmp_path / "annotator_help.png", locator=root)
    press("Escape")
    lab.wait_until(lambda: not root.locator(".ek-help").is_visible(), what="help hidden")
    assert len(_events(store_path, "ann_kb")) == len(expected_events)
    # The screenshot for the record: a failed trace with its note, open codes and the progress bar.
    press("k")
    press("2")
    # Codes go to the trace on screen: wait until the screen shows trace-23, failed.
    lab.wait_until(
        lambda: _shown(root) == "trace-23" and root.locator(".ek-verdict").inner_text() == "✗ Fail",
        what="trace-23 failed",
    )
    press("n")
    page.keyboard.type(NOTE_23, delay=5)
    press("Escape")  # leaves the note, saving it
    root.locator(".ek-code-input").fill("wrong refund window")
    root.locator(".ek-code-input").press("Enter")
    lab.wait_until(
        lambda: "wrong refund window" in root.locator(".ek-chips").inner_text(), what="code chip"
    )
    root.locator(".ek-position").click()
    lab.wait_until(
        lambda: root.locator(".ek-pending").get_attribute("data-state") == "idle", what="saved"
    )
    lab.screenshot(page, tmp_path / "annotator.png", locator=root, team_name="annotator.png")
    with LabelStore(store_path) as store:
        assert _latest_value(store, "ann_kb", "note", "trace-23") == NOTE_23
        assert _latest_value(store, "ann_kb", "open_codes", "trace-23") == ["wrong refund window"]


def test_reopen_resumes_at_the_right_trace(lab: Any, page: Any) -> None:
    store_path = lab.root / "resume.sqlite"
    code = "ann = evalkit.Annotator(traces, store, annotator='ann_resume')\nann"
    first = _annotator_notebook(lab, "resume_a", store_path, code, n=10)
    lab.open_and_run(page, first)
    root = _focus(page, lab)
    for key in ["1", "2", "j", "1", "d", "1"]:  # t00 pass, t01 fail, t02 pass, t03 defer, t04 pass
        page.keyboard.press(key)
    lab.wait_until(lambda: len(_events(store_path, "ann_resume")) == 5, what="5 labels")
    lab.wait_until(lambda: _shown(root) == "trace-05", what="trace-05 shown")
    assert _events(store_path, "ann_resume") == [
        ("trace-00", "verdict", "pass", False),
        ("trace-01", "verdict", "fail", False),
        ("trace-02", "verdict", "pass", False),
        ("trace-03", "verdict", "defer", False),
        ("trace-04", "verdict", "pass", False),
    ]

    # A new notebook, a new kernel, the same store: the widget opens at the first trace without a
    # pass/fail, which is the deferred trace-03 (deferred traces come back).
    second = _annotator_notebook(lab, "resume_b", store_path, code, n=10)
    page.goto("about:blank")
    lab.open_and_run(page, second)
    root = _focus(page, lab)
    lab.wait_until(lambda: _shown(root) == "trace-03", what="resume at trace-03")

    assert root.locator(".ek-counts").inner_text() == "4 done · 1 deferred · 5 left"
    page.keyboard.press("1")  # t03 pass -> t04
    lab.wait_until(lambda: len(_events(store_path, "ann_resume")) == 6, what="6th label")
    assert _events(store_path, "ann_resume")[-1] == ("trace-03", "verdict", "pass", False)
    lab.wait_until(lambda: _shown(root) == "trace-04", what="next trace after resume")


def test_blind_mode_hides_other_labels_until_labeled(lab: Any, page: Any, tmp_path: Path) -> None:
    store_path = lab.root / "blind.sqlite"
    with LabelStore(store_path) as store:
        store.record("trace-00", annotator="ann_other", field="verdict", value="pass")
        store.record("trace-00", annotator="ann_other", field="note", value="OTHER-NOTE-7731")
        store.record(
            "trace-00",
            annotator="judge_strict",
            field="verdict",
            value="fail",
            source="judge:gpt-x",
        )
    nb = _annotator_notebook(
        lab,
        "blind",
        store_path,
        "blind = evalkit.Annotator(traces, store, annotator='ann_blind')\n"
        "seeing = evalkit.Annotator(traces, store, annotator='ann_seeing', blind=False)\n"
        "display(blind, seeing)",
        n=5,
    )
    lab.open_and_run(page, nb)
    blind = _focus(page, lab, 0)
    seeing = page.locator(".ek-annotator").nth(1)
    seeing.wait_for()
    lab.wait_until(
        lambda: "judge_strict" in seeing.locator(".ek-others").inner_text(), what="open labels"
    )
    assert "OTHER-NOTE-7731" in seeing.locator(".ek-others").inner_text()

    hidden = blind.locator(".ek-others").inner_text()
    assert "Hidden until you pass or fail this trace" in hidden
    assert "2 other labels" in hidden
    # Not just hidden by CSS: the blind widget's DOM does not contain the other labels at all.
    assert "OTHER-NOTE-7731" not in blind.inner_html()
    assert "judge_strict" not in blind.inner_html()

    page.keyboard.press("d")  # deferring does not reveal
    lab.wait_until(lambda: _shown(blind) == "trace-01", what="deferred")
    page.keyboard.press("k")
    lab.wait_until(lambda: _shown(blind) == "trace-00", what="back")
    assert "OTHER-NOTE-7731" not in blind.inner_html()
    page.keyboard.press("2")  # fail: now the other labels show
    lab.wait_until(
        lambda: "OTHER-NOTE-7731" in blind.locator(".ek-others").inner_text(), what="reveal"
    )
    text = blind.locator(".ek-others").inner_text()
    assert "ann_other" in text and "judge_strict" in text and "judge:gpt-x" in text
    assert _events(store_path, "ann_blind") == [
        ("trace-00", "verdict", "defer", False),
        ("trace-00", "verdict", "fail", False),
    ]

    # Dark theme: the widget follows JupyterLab's theme colours (and looks right: screenshot).
    def colours() -> dict[str, Any]:
        return blind.evaluate(
            """el => { const s = getComputedStyle(el);
                       const t = getComputedStyle(el.querySelector('.ek-role-user .ek-plain'));
                       return {bg: s.backgroundColor, fg: t.color}; }"""
        )

    def brightness(css: str) -> float:
        r, g, b = (float(x) for x in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
        return (r + g + b) / 3

    light = colours()
    assert brightness(light["bg"]) > 200 and brightness(light["fg"]) < 80
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', "
        "{theme: 'JupyterLab Dark'})"
    )
    try:
        lab.wait_until(lambda: brightness(colours()["bg"]) < 80, what="dark theme applied")
        assert brightness(colours()["fg"]) > 150
        page.wait_for_selector("#jupyterlab-splash", state="detached")  # theme-switch splash
        lab.screenshot(
            page, tmp_path / "annotator_dark.png", locator=blind, team_name="annotator_dark.png"
        )
    finally:
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme', "
            "{theme: 'JupyterLab Light'})"
        )
        lab.wait_until(lambda: brightness(colours()["bg"]) > 200, what="light theme back")


def test_status_line_speaks_for_the_trace_on_display(lab: Any, page: Any, tmp_path: Path) -> None:
    # The side panel's status line ("✓ Saved verdict 'pass'") confirms the last save. After a
    # pass the widget moves on to the next, unlabeled trace: a bare "✓ Saved ..." there would read
    # as "this trace is saved". It must name the trace it was for and say this one has no verdict.
    store_path = lab.root / "status.sqlite"
    code = "ann = evalkit.Annotator(traces, store, annotator='ann_status')\nann"
    nb = _annotator_notebook(lab, "status", store_path, code, n=4)
    lab.open_and_run(page, nb)
    root = _focus(page, lab)
    lab.wait_until(lambda: _shown(root) == "trace-00", what="first trace shown")
    status, chip = root.locator(".ek-saved"), root.locator(".ek-verdict")

    def settled(trace_id: str) -> bool:
        idle = root.locator(".ek-pending").get_attribute("data-state") == "idle"
        return idle and _shown(root) == trace_id

    page.keyboard.press("1")  # trace-00 pass -> trace-01, which has no label
    lab.wait_until(lambda: settled("trace-01"), what="trace-01 shown, pass acknowledged")
    assert _events(store_path, "ann_status") == [("trace-00", "verdict", "pass", False)]
    assert chip.inner_text() == "Unlabeled"
    text = status.inner_text()
    assert "trace-00" in text and "this trace has no verdict yet" in text, text
    assert status.get_attribute("data-kind") != "saved", "green 'saved' on an unlabeled trace"
    lab.screenshot(page, tmp_path / "annotator_status_moved_on.png", locator=root)

    page.keyboard.press("k")  # back to trace-00: the save it shows is this trace's own
    lab.wait_until(lambda: settled("trace-00"), what="back on trace-00")
    assert (chip.inner_text(), status.inner_text()) == ("✓ Pass", "✓ Saved verdict 'pass'")
    assert status.get_attribute("data-kind") == "saved"

    page.keyboard.press("j")  # trace-01 again; fail it: now the save is about this trace
    lab.wait_until(lambda: settled("trace-01"), what="trace-01 again")
    assert "this trace has no verdict yet" in status.inner_text()
    page.keyboard.press("2")
    lab.wait_until(lambda: chip.inner_text() == "✗ Fail", what="fail shown")
    lab.wait_until(lambda: status.inner_text() == "✓ Saved verdict 'fail'", what="fail status")
    page.keyboard.press("k")  # trace-00: the fail was on trace-01; this trace keeps its pass
    lab.wait_until(lambda: settled("trace-00"), what="trace-00 again")
    text = status.inner_text()
    assert "trace-01" in text and "this trace: pass" in text, text
    theme = "() => document.body.dataset.jpThemeLight"
    change = "t => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})"
    page.evaluate(change, "JupyterLab Dark")  # the dim status line, readable in the dark theme
    try:
        lab.wait_until(lambda: page.evaluate(theme) == "false", what="dark theme")
        page.wait_for_selector("#jupyterlab-splash", state="detached")
        lab.screenshot(page, tmp_path / "annotator_status_dark.png", locator=root)
    finally:
        page.evaluate(change, "JupyterLab Light")
        lab.wait_until(lambda: page.evaluate(theme) == "true", what="light theme back")
    assert _events(store_path, "ann_status") == [
        ("trace-00", "verdict", "pass", False),
        ("trace-01", "verdict", "fail", False),
    ]
