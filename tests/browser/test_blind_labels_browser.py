"""Blind review in JupyterLab never shows label-like metadata before the reviewer has labeled.

Issue 10: labels that arrive inside trace files (a ``label``/``reasoning`` column, a ``Notes``
field, a ``verdict``) land in ``metadata``. The Annotator (blind by default) leaves those keys out
of the trace view, with an "N hidden" notice, until this reviewer passes or fails the trace, and
hides them again after an undo. Checked in the real DOM (text content of the whole widget, and its
HTML: not hidden by CSS), with the verdicts read back from the label store; light and dark
screenshots of the notice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evalkit.store import LabelStore

pytestmark = pytest.mark.browser

ANNOTATOR = "ann_blind_meta"
N_TRACES = 4
#: label-like keys (see evalkit.traces.labels_found.LABEL_LIKE_KEYS) and a per-trace value for each
LABEL_KEYS = ("label", "reasoning", "Notes", "verdict", "Failure Mode")
ORDINARY = "region"


def _secret(key: str, i: int) -> str:
    return f"SECRET-{key.replace(' ', '_').upper()}-{i:02d}"


def _region(i: int) -> str:
    return f"REGION-EU-WEST-{i}"


def _wire(messages: list[dict[str, Any]], i: int) -> list[dict[str, Any]]:
    """Chat messages as OpenAI's API writes them (tool calls as ``function`` objects)."""
    out = []
    for m in messages:
        if m.get("tool_calls"):
            calls = [
                {
                    "id": f"call_{i}",
                    "type": "function",
                    "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
                }
                for c in m["tool_calls"]
            ]
            m = {**m, "tool_calls": calls}
        out.append(m)
    return out


def _log_lines(lab: Any) -> list[dict[str, Any]]:
    """An in-house JSONL log that keeps a reviewer's verdict and notes next to each trace."""
    out = []
    for i, t in enumerate(lab.support_traces(N_TRACES)):
        rec: dict[str, Any] = {"id": t["trace_id"], "messages": _wire(t["messages"], i)}
        rec["model"] = t["model"]
        rec.update({k: _secret(k, i) for k in LABEL_KEYS})
        rec[ORDINARY] = _region(i)
        out.append(rec)
    return out


@pytest.fixture(scope="module")
def blind(lab: Any, browser: Any) -> Iterator[dict[str, Any]]:
    """One notebook, one page for the module: the blind Annotator over the log, focused."""
    (lab.root / "blind_meta.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in _log_lines(lab))
    )
    store_path = lab.root / "blind_meta.sqlite"
    nb = lab.write_notebook(
        "blind_meta.ipynb",
        [
            "import evalkit\n"
            "traces = evalkit.load_traces('blind_meta.jsonl', "
            "columns={'id': 'trace_id', 'model': 'model'})\n"
            f"store = evalkit.LabelStore({str(store_path)!r})",
            f"ann = evalkit.Annotator(traces, store, annotator={ANNOTATOR!r}, blind=True)\nann",
        ],
    )
    page = browser.new_page()
    page.on("dialog", lambda d: d.accept() if d.type == "beforeunload" else d.dismiss())
    try:
        lab.open_and_run(page, nb)
        root = page.locator(".ek-annotator").first
        root.wait_for(timeout=60_000)
        _focus(page, lab, root)
        lab.wait_until(lambda: _shown(root) == "trace-00", what="first trace shown")
        yield {"page": page, "root": root, "store": store_path}
    finally:
        page.close()


def _focus(page: Any, lab: Any, root: Any) -> None:
    root.locator(".ek-position").click()
    lab.wait_until(
        lambda: page.evaluate("() => document.activeElement?.classList.contains('ek-annotator')"),
        what="widget focus",
    )


def _shown(root: Any) -> str:
    return root.get_attribute("data-trace-id") or ""


def _view_text(root: Any) -> str:
    """Text content of the rendered trace view (collapsed <details> included)."""
    return root.locator(".ek-trace").text_content() or ""


def _secrets_in(text: str) -> set[str]:
    return {_secret(k, i) for k in LABEL_KEYS for i in range(N_TRACES) if _secret(k, i) in text}


def _notice(root: Any) -> str:
    note = root.locator(".ek-trace .ek-hidden-note")
    return (note.text_content() or "") if note.count() else ""


def _events(store_path: Path) -> list[tuple[str, str, Any, bool]]:
    with LabelStore(store_path) as store:
        ev = store.labels(annotator=ANNOTATOR, latest=False)
    return [
        (t, f, v, bool(u))
        for t, f, v, u in ev[["trace_id", "field", "value", "undone"]].itertuples(index=False)
    ]


def _all_of(i: int) -> frozenset[str]:
    return frozenset(_secret(k, i) for k in LABEL_KEYS)


HIDDEN_NOTICE = "5 label-like metadata keys hidden until you label this trace (blind mode)."


def _assert_hidden(root: Any, trace: str, i: int) -> None:
    text = _view_text(root)
    assert _shown(root) == trace
    assert _secrets_in(text) == set(), f"label-like metadata shown before labeling on {trace}"
    # not merely hidden by CSS: the values are nowhere in the widget's DOM
    html = root.inner_html()
    assert not any(_secret(k, j) in html for k in LABEL_KEYS for j in range(N_TRACES))
    assert _region(i) in text, "ordinary metadata must stay visible"
    assert _notice(root) == HIDDEN_NOTICE
    assert root.locator(".ek-trace .ek-hidden-note").is_visible()


def _assert_shown(root: Any, trace: str, i: int) -> None:
    text = _view_text(root)
    assert _shown(root) == trace
    assert _secrets_in(text) == _all_of(i)
    assert _region(i) in text
    assert _notice(root) == ""


def test_hidden_until_pass_or_fail_and_again_after_undo(lab: Any, blind: dict[str, Any]) -> None:
    page, root, store_path = blind["page"], blind["root"], blind["store"]
    press = page.keyboard.press
    _assert_hidden(root, "trace-00", 0)

    press("d")  # deferring is not labeling
    lab.wait_until(lambda: _shown(root) == "trace-01", what="deferred, next trace")
    _assert_hidden(root, "trace-01", 1)
    press("k")
    lab.wait_until(lambda: _shown(root) == "trace-00", what="back to trace-00")
    _assert_hidden(root, "trace-00", 0)

    press("2")  # fail (stays on the trace): now this reviewer has labeled, the file's labels show
    lab.wait_until(lambda: _secrets_in(_view_text(root)) == _all_of(0), what="labels revealed")
    _assert_shown(root, "trace-00", 0)

    press("u")  # undo the fail: hidden again
    lab.wait_until(lambda: _notice(root) == HIDDEN_NOTICE, what="hidden after undo")
    _assert_hidden(root, "trace-00", 0)

    press("1")  # pass, and on to the next trace, which is still unlabeled: hidden
    lab.wait_until(lambda: _shown(root) == "trace-01", what="passed, next trace")
    _assert_hidden(root, "trace-01", 1)
    press("k")  # back to the passed trace: shown
    lab.wait_until(lambda: _secrets_in(_view_text(root)) == _all_of(0), what="shown after pass")
    _assert_shown(root, "trace-00", 0)

    # What the kernel did: the verdicts the keys recorded, in order, with the undo marked.
    lab.wait_until(lambda: len(_events(store_path)) == 3, what="3 events in the store")
    assert _events(store_path) == [
        ("trace-00", "verdict", "defer", False),
        ("trace-00", "verdict", "fail", True),
        ("trace-00", "verdict", "pass", False),
    ]


def _brightness(css: str) -> float:
    r, g, b = (float(x) for x in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
    return (r + g + b) / 3


def _colours(root: Any) -> dict[str, str]:
    return dict(
        root.evaluate(
            """el => { const n = el.querySelector('.ek-trace .ek-hidden-note');
                       const s = getComputedStyle(n);
                       const t = getComputedStyle(el.querySelector('.ek-role-user .ek-plain'));
                       return {bg: getComputedStyle(el).backgroundColor, fg: s.color,
                               text: t.color, fontStyle: s.fontStyle,
                               border: s.borderTopStyle}; }"""
        )
    )


def test_notice_light_and_dark_screenshots(lab: Any, blind: dict[str, Any], tmp_path: Path) -> None:
    page, root = blind["page"], blind["root"]
    _focus(page, lab, root)
    page.keyboard.press("j")  # an unlabeled trace
    lab.wait_until(lambda: _shown(root) == "trace-01", what="trace-01")
    _assert_hidden(root, "trace-01", 1)
    root.locator(".ek-trace details.ek-metadata > summary").click()  # open the metadata box
    root.locator(".ek-trace details.ek-metadata").scroll_into_view_if_needed()
    light = _colours(root)
    assert _brightness(light["bg"]) > 200
    # The notice reads as a notice about the trace, not as trace text: dim, italic, framed.
    assert light["fontStyle"] == "italic" and light["border"] == "dashed", light
    assert light["fg"] != light["text"], light
    lab.screenshot(page, tmp_path / "blind_labels_light.png", locator=root,
                   team_name="r3a_blind_labels_light.png")  # fmt: skip
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', "
        "{theme: 'JupyterLab Dark'})"
    )
    try:
        lab.wait_until(lambda: _brightness(_colours(root)["bg"]) < 80, what="dark theme applied")
        page.wait_for_selector("#jupyterlab-splash", state="detached")
        dark = _colours(root)
        assert _brightness(dark["fg"]) > 120, f"notice unreadable on dark: {dark}"
        _assert_hidden(root, "trace-01", 1)
        lab.screenshot(page, tmp_path / "blind_labels_dark.png", locator=root,
                       team_name="r3a_blind_labels_dark.png")  # fmt: skip
    finally:
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme', "
            "{theme: 'JupyterLab Light'})"
        )
        lab.wait_until(lambda: _brightness(_colours(root)["bg"]) > 200, what="light theme back")
