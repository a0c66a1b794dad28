"""Issue 15 in JupyterLab: keys for modes/codes/deferred/all-done, scrolling, a dead kernel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.store import LabelStore

pytestmark = pytest.mark.browser

MODES = ["wrong_policy", "ignored_context"]
CONTEXT = "Context: kb/refunds.md says refunds are possible within 30 days of renewal."


def _notebook(lab: Any, name: str, store: Path, code: str, *, n: int) -> str:
    traces = lab.support_traces(n)
    # trace-01 is long: 40 more turns, so the trace pane must scroll
    filler = [
        {"role": "user" if k % 2 == 0 else "assistant", "content": f"turn {k}: " + "words " * 60}
        for k in range(40)
    ]
    traces[1]["messages"] = traces[1]["messages"][:2] + filler + traces[1]["messages"][2:]
    # trace-02 passes retrieved context as a second system message (OpenAI style)
    traces[2]["messages"].insert(1, {"role": "system", "content": CONTEXT})
    (lab.root / f"{name}.json").write_text(json.dumps(traces))
    return lab.write_notebook(
        f"{name}.ipynb",
        [
            "import json\nimport evalkit\nfrom evalkit.traces.schema import to_canonical\n"
            f"traces = to_canonical(json.load(open({name + '.json'!r})))\n"
            f"store = evalkit.LabelStore({str(store)!r})",
            code,
        ],
    )


def _focus(page: Any, lab: Any) -> Any:
    root = page.locator(".ek-annotator").first
    root.wait_for(timeout=60_000)
    root.locator(".ek-position").click()
    lab.wait_until(
        lambda: page.evaluate("() => document.activeElement?.classList.contains('ek-annotator')"),
        what="widget focus",
    )
    return root


def _latest(store_path: Path, annotator: str, field: str) -> dict[str, Any]:
    with LabelStore(store_path) as store:
        df = store.labels(annotator=annotator, field=field)
    return dict(zip(df["trace_id"], df["value"], strict=True))


def _n_events(store_path: Path, annotator: str) -> int:
    with LabelStore(store_path) as store:
        return len(store.labels(annotator=annotator, latest=False))


def test_keys_for_modes_codes_deferred_scrolling_and_all_done(
    lab: Any, page: Any, tmp_path: Path
) -> None:
    store_path = lab.root / "keys15.sqlite"
    nb = _notebook(
        lab, "keys15", store_path,
        f"ann = evalkit.Annotator(traces, store, annotator='rev', failure_modes={MODES!r})\nann",
        n=6,
    )  # fmt: skip
    lab.open_and_run(page, nb)
    root = _focus(page, lab)
    shown = lambda: root.get_attribute("data-trace-id")  # noqa: E731
    press = page.keyboard.press

    lab.wait_until(lambda: shown() == "trace-00", what="first trace")
    press("2")  # fail trace-00
    press("Shift+Digit2")  # failure mode 2 on
    lab.wait_until(
        lambda: _latest(store_path, "rev", "failure_modes").get("trace-00") == ["ignored_context"],
        what="mode toggled by keyboard",
    )
    press("d")  # on a failed trace: keeps the fail, goes on
    lab.wait_until(lambda: shown() == "trace-01", what="moved on after d")
    assert _latest(store_path, "rev", "verdict") == {"trace-00": "fail"}
    assert "Kept your fail" in root.locator(".ek-saved").inner_text()

    # trace-01 is long: Space / PageDown / End scroll the trace pane, never the notebook
    box = root.locator(".ek-trace-box")
    top = lambda: box.evaluate("el => el.scrollTop")  # noqa: E731
    notebook_scroll = page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.node.scrollTop"
    )
    assert top() == 0
    press("Space")
    lab.wait_until(lambda: top() > 100, what="Space scrolls the trace")
    first = top()
    press("PageDown")
    lab.wait_until(lambda: top() > first + 100, what="PageDown scrolls further")
    press("Shift+Space")
    lab.wait_until(lambda: top() < first + 100, what="Shift+Space scrolls back")
    press("End")
    lab.wait_until(
        lambda: box.evaluate("el => el.scrollTop + el.clientHeight >= el.scrollHeight - 400"),
        what="End: last message",
    )
    lab.screenshot(page, tmp_path / "scrolled_end.png", locator=root)
    press("Home")
    lab.wait_until(lambda: top() == 0, what="Home: first message")
    assert (
        page.evaluate("() => window.jupyterapp.shell.currentWidget.content.node.scrollTop")
        == notebook_scroll
    )

    press("d")  # defer trace-01 -> trace-02
    lab.wait_until(lambda: shown() == "trace-02", what="deferred")
    # the context is shown open, as context, not collapsed as a second "System prompt"
    assert root.get_by_text(CONTEXT).is_visible()
    assert root.locator(".ek-trace-box summary", has_text="System prompt").count() == 1
    lab.screenshot(page, tmp_path / "context_light.png", locator=root)
    code = root.locator(".ek-code-input")
    code.click()
    page.keyboard.type("wrong refund window")
    press("Control+Enter")  # adds the code and goes next
    lab.wait_until(lambda: shown() == "trace-03", what="Ctrl+Enter in the codes box goes next")
    assert _latest(store_path, "rev", "open_codes") == {"trace-02": ["wrong refund window"]}
    press("Shift+KeyD")  # jump to the deferred trace-01
    lab.wait_until(lambda: shown() == "trace-01", what="jump to deferred")
    for _ in range(5):  # pass trace-01 .. trace-05 (the cursor moves on after each pass)
        press("1")
    lab.wait_until(lambda: root.get_attribute("data-all-done") == "1", what="all done")
    assert "All done" in root.locator(".ek-all-done").inner_text()
    assert _latest(store_path, "rev", "verdict") == {
        "trace-00": "fail", **{f"trace-0{i}": "pass" for i in range(1, 6)}
    }  # fmt: skip
    # the queue as a table: t opens it, / searches, Enter or a click opens a trace
    press("t")
    pane = root.locator(".ek-table-pane")
    lab.wait_until(lambda: pane.locator("tbody tr").count() == 6, what="table shown")
    statuses = pane.locator("tbody tr").evaluate_all("rs => rs.map(r => r.dataset.status)")
    assert statuses == ["fail", "pass", "pass", "pass", "pass", "pass"]
    lab.screenshot(page, tmp_path / "table_light.png", locator=root, team_name="i15_table.png")
    press("/")
    page.keyboard.type("charged twice")
    lab.wait_until(lambda: pane.locator("tbody tr").count() == 1, what="search narrows the table")
    assert pane.locator("tbody tr").first.get_attribute("data-trace-id") == "trace-03"
    press("Enter")
    lab.wait_until(lambda: shown() == "trace-03" and pane.is_hidden(), what="Enter opens")
    press("t")
    lab.wait_until(lambda: pane.locator("tbody tr").count() == 1, what="table again")
    page.locator(".ek-table-search").fill("")
    lab.wait_until(lambda: pane.locator("tbody tr").count() == 6, what="search cleared")
    pane.locator('tbody tr[data-trace-id="trace-05"]').click()
    lab.wait_until(lambda: shown() == "trace-05" and pane.is_hidden(), what="click opens")
    press("k")
    press("k")
    press("?")
    lab.wait_until(lambda: root.locator(".ek-help").is_visible(), what="help")
    help_text = root.locator(".ek-help").inner_text()
    assert "Shift + 1…9" in help_text and "Home / End" in help_text and "Shift+d" in help_text
    press("Escape")
    lab.screenshot(page, tmp_path / "all_done_light.png", locator=root, team_name="i15_done.png")
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', "
        "{theme: 'JupyterLab Dark'})"
    )
    try:
        lab.wait_until(
            lambda: page.evaluate("() => document.body.dataset.jpThemeLight") == "false",
            what="dark theme",
        )
        page.wait_for_selector("#jupyterlab-splash", state="detached")
        lab.screenshot(page, tmp_path / "all_done_dark.png", locator=root)
    finally:
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme', "
            "{theme: 'JupyterLab Light'})"
        )
        lab.wait_until(
            lambda: page.evaluate("() => document.body.dataset.jpThemeLight") == "true",
            what="light theme back",
        )


def test_stale_widget_after_kernel_restart_refuses_keys(
    lab: Any, page: Any, tmp_path: Path
) -> None:
    store_path = lab.root / "restart15.sqlite"
    nb = _notebook(
        lab, "restart15", store_path, "ann = evalkit.Annotator(traces, store, annotator='rs')\nann",
        n=4,
    )  # fmt: skip
    lab.open_and_run(page, nb)
    root = _focus(page, lab)
    page.keyboard.press("1")
    lab.wait_until(lambda: _n_events(store_path, "rs") == 1, what="first label")
    assert root.locator(".ek-dead").is_hidden()
    page.evaluate(
        "() => { window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart(); }"
    )
    page.wait_for_timeout(500)
    page.wait_for_function(
        "() => { const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;"
        " return k.status === 'idle' && k.connectionStatus === 'connected'; }",
        timeout=60_000,
    )
    root.locator(".ek-position").click()
    page.keyboard.press("1")
    lab.wait_until(lambda: root.locator(".ek-dead").is_visible(), timeout=20, what="dead banner")
    assert "Kernel restarted: re-run this cell" in root.locator(".ek-dead").inner_text()
    page.keyboard.press("1")  # refused
    page.wait_for_timeout(500)
    assert _n_events(store_path, "rs") == 1
    lab.screenshot(page, tmp_path / "dead_kernel.png", locator=root, team_name="i15_dead.png")


def _brightness(css: str) -> float:
    r, g, b = (float(x) for x in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
    return (r + g + b) / 3


def test_notebook_00_trace_view_and_plots_follow_the_theme(
    lab: Any, page: Any, tmp_path: Path
) -> None:
    nb00 = Path(__file__).resolve().parents[2] / "notebooks" / "00_start_here.ipynb"
    (lab.root / "nb00.ipynb").write_bytes(nb00.read_bytes())
    title_fill = (
        "() => { const t = document.querySelector('.js-plotly-plot .gtitle');"
        " return t ? getComputedStyle(t).fill : null; }"
    )
    paper = "() => document.querySelector('.js-plotly-plot .main-svg').style.background"

    def run_and_check(theme: str) -> str:
        page.goto("about:blank")
        lab.open_and_run(page, "nb00.ipynb")
        view = page.locator(".ek-trace-view").first
        view.wait_for(timeout=90_000)
        lab.wait_until(lambda: page.evaluate(title_fill), timeout=90, what="a plotly figure")
        assert "rgba(0, 0, 0, 0)" in page.evaluate(paper)  # transparent: the notebook shows
        fill = page.evaluate(title_fill)
        assert (_brightness(fill) > 150) == (theme == "dark"), (theme, fill)
        # notebook 00 shows the trace with TraceView (roles, tool call), not a truncated table
        assert view.locator(".ek-role-user").count() >= 1 and view.locator(".ek-tool").count() >= 1
        view.scroll_into_view_if_needed()
        lab.screenshot(page, tmp_path / f"nb00_trace_{theme}.png")
        fig = page.locator(".js-plotly-plot").first
        fig.scroll_into_view_if_needed()
        return str(lab.screenshot(page, tmp_path / f"nb00_plot_{theme}.png", locator=fig))

    run_and_check("light")
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', "
        "{theme: 'JupyterLab Dark'})"
    )
    try:
        lab.wait_until(
            lambda: page.evaluate("() => document.body.dataset.jpThemeLight") == "false",
            what="dark theme",
        )
        page.wait_for_selector("#jupyterlab-splash", state="detached")
        run_and_check("dark")
    finally:
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme', "
            "{theme: 'JupyterLab Light'})"
        )
        lab.wait_until(
            lambda: page.evaluate("() => document.body.dataset.jpThemeLight") == "true",
            what="light theme back",
        )
