"""Hostile trace content in the real browser: no payload may execute, and the text stays readable.

Every payload calls ``window.__xss.push(N)`` or ``alert(N)``; the page is set up with
``window.__xss = []`` and a dialog recorder before JupyterLab loads. The payloads go into every
place a trace can carry text: messages of each role, tool names, arguments and results, retrieved
documents (ids, text, scores), metadata keys and values, model, segment, trace ids, Markdown links
and images, other annotators' notes, open codes and failure-mode names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.store import LabelStore

pytestmark = pytest.mark.browser

PAYLOADS: list[str] = json.loads((Path(__file__).parent / "xss_payloads.json").read_text())

AUDIT = """() => {
  const banned = new Set(['script', 'iframe', 'frame', 'object', 'embed', 'svg', 'math', 'img',
    'style', 'link', 'meta', 'base', 'form', 'video', 'audio', 'source', 'marquee', 'noscript',
    'template']);
  const bad = [];
  const nodes = document.querySelectorAll('.ek-trace, .ek-trace *, .ek-annotator, .ek-annotator *');
  for (const el of nodes) {
    const tag = el.tagName.toLowerCase();
    if (banned.has(tag)) bad.push(tag);
    for (const a of el.attributes) {
      if (a.name.startsWith('on')) bad.push(`${tag}@${a.name}`);
      const what = `${tag}@${a.name}=${a.value}`;
      if (/^\\s*(javascript|vbscript|data):/i.test(a.value)) bad.push(what);
      if (a.name === 'style' && /url\\(|expression|javascript/i.test(a.value)) bad.push(what);
      if (a.name === 'href' && !/^(https?:|mailto:)/i.test(a.value)) bad.push(what);
    }
  }
  return {bad, n: nodes.length};
}"""


def _hostile_traces() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    p = PAYLOADS
    everything = {
        "trace_id": "xss-all",
        "input": "\n".join(p),
        "output": "\n\n".join(p),
        "messages": [
            {"role": "system", "content": "\n".join(p)},
            {"role": "user", "content": "\n".join(p), "name": p[1]},
            {
                "role": "assistant",
                "content": "\n\n".join(p),
                "tool_calls": [
                    {"name": p[1], "arguments": json.dumps({x: x for x in p[:12]})},
                    {"function": {"name": p[2], "arguments": "not json " + p[3]}},
                ],
            },
            {
                "role": "tool",
                "content": json.dumps({"html": p}),
                "tool_call_id": p[4],
                "name": p[5],
            },
            {"role": p[6], "content": p[7]},
            {"role": "assistant", "content": "\n\n".join(reversed(p))},
        ],
        "tool_calls": [{"name": p[0], "arguments": {"q": p}, "result": p[5]}],
        "retrieved": [{"id": x, "text": x, "score": 0.5} for x in p]
        + [{"id": "score-as-text", "text": p[0], "score": p[1]}],
        "model": p[1],
        "segment": p[2],
        "metadata": {p[0]: p[1], "list": p},
        "source": {"format": p[3], "file": p[4], "line": 1, "span_id": p[5]},
    }
    one_each = [
        {
            "trace_id": f"xss-{i:02d}" if i % 7 else x,  # some trace ids are payloads themselves
            "input": x,
            "output": f"Answer with {x} inline, then **bold**:\n\n{x}",
            "tool_calls": [{"name": x, "arguments": {"x": x}, "result": x}],
            "retrieved": [{"id": x, "text": x, "score": 0.3}],
            "segment": x if i < 3 else "billing",
            "metadata": {"k": x},
        }
        for i, x in enumerate(p)
    ]
    return everything, one_each


def test_no_payload_executes(lab: Any, page: Any, tmp_path: Path) -> None:
    assert len(PAYLOADS) >= 30
    everything, one_each = _hostile_traces()
    (lab.root / "xss.json").write_text(
        json.dumps(
            {
                "everything": everything,
                "one_each": one_each,
                "nice": lab.support_traces(1),
                "modes": PAYLOADS[:4],
            }
        )
    )
    store_path = lab.root / "xss.sqlite"
    first_id = one_each[0]["trace_id"]
    with LabelStore(store_path) as store:
        store.record(first_id, annotator="ann_other", field="verdict", value="fail")
        store.record(first_id, annotator="ann_other", field="note", value="\n".join(PAYLOADS))
        store.record(first_id, annotator="ann_xss", field="open_codes", value=PAYLOADS[:6])
        store.record(
            first_id, annotator=PAYLOADS[1], field="verdict", value="pass", source=PAYLOADS[2]
        )
    nb = lab.write_notebook(
        "xss.ipynb",
        [
            "import json\nimport evalkit\nfrom IPython.display import HTML, display\n"
            "from evalkit.traces.schema import to_canonical\n"
            "from evalkit.widgets._render import trace_document\n"
            "data = json.load(open('xss.json'))\n"
            "nice = to_canonical(data['nice'])\n"
            "everything = to_canonical([data['everything']])\n"
            "one_each = to_canonical(data['one_each'])",
            "evalkit.TraceView(nice.iloc[0])",
            "evalkit.TraceView(everything.iloc[0])",
            # The plain HTML output path: JupyterLab runs scripts in trusted HTML outputs, so this
            # checks our sanitizer alone.
            "display(HTML(trace_document(everything.iloc[0])))",
            f"ann = evalkit.Annotator(one_each, {str(store_path)!r}, annotator='ann_xss',\n"
            "                         blind=False, failure_modes=data['modes'])\n"
            "ann",
        ],
    )
    lab.open_and_run(page, nb)
    ann = page.locator(".ek-annotator").first
    try:
        ann.wait_for(timeout=60_000)
        lab.wait_until(
            lambda: page.locator(".jp-RenderedHTMLCommon .ek-trace").count() == 1,
            what="HTML output",
        )
        lab.wait_until(lambda: page.locator(".ek-trace-view").count() == 2, what="two TraceViews")
    except Exception:
        # A payload that broke the page usually ran first: report that.
        assert page.evaluate("() => window.__xss") == [], "a payload executed"
        assert page.dialogs == [], f"a payload opened a dialog: {page.dialogs}"
        raise

    # Render every hostile trace in the annotator, fast, then come back to the first one.
    ann.locator(".ek-position").click()
    for _ in PAYLOADS:
        page.keyboard.press("j")
    lab.wait_until(
        lambda: ann.get_attribute("data-index") == str(len(PAYLOADS) - 1), what="last trace"
    )
    page.keyboard.press("Home")  # scrolls the trace pane: must do nothing harmful
    for _ in PAYLOADS:
        page.keyboard.press("k")
    lab.wait_until(lambda: ann.get_attribute("data-index") == "0", what="first trace")
    # Open every collapsed section so that hidden content is live in the DOM too.
    page.evaluate(
        "() => document.querySelectorAll('.ek-trace details').forEach(d => { d.open = true; })"
    )
    page.wait_for_timeout(2000)  # give onerror/onload/ontoggle handlers time to fire

    assert page.evaluate("() => window.__xss") == [], "a payload executed"
    assert page.dialogs == [], f"a payload opened a dialog: {page.dialogs}"
    audit = page.evaluate(AUDIT)
    assert audit["n"] > 200
    assert audit["bad"] == [], f"dangerous markup reached the DOM: {audit['bad'][:10]}"

    # The hostile text is still there for the reviewer to read, as text.
    views = page.locator(".ek-trace-view")
    user_turn = views.nth(1).locator(".ek-role-user").first
    # text_content: Home now scrolls the widget's trace pane, not the notebook, and JupyterLab
    # does not lay out off-screen outputs (which empties inner_text); <, > show as text either way
    text = user_turn.text_content() or ""
    for x in PAYLOADS:
        assert x in text, f"payload not shown as text: {x!r}"
    # (text_content: JupyterLab may not lay out off-screen outputs, which empties inner_text)
    html_out = page.locator(".jp-RenderedHTMLCommon .ek-trace .ek-role-user").first.text_content()
    assert PAYLOADS[0] in html_out and PAYLOADS[1] in html_out
    others = ann.locator(".ek-others").inner_text()
    assert PAYLOADS[0] in others and PAYLOADS[1] in others  # other annotator's note and name
    chips = ann.locator(".ek-chips").inner_text()
    assert all(x.strip() in chips for x in PAYLOADS[:6])  # codes shown as text
    assert ann.locator(".ek-mode").count() == 4

    # Screenshot of a rendered (friendly) trace, with its first retrieved document open.
    nice = views.nth(0)
    nice.locator("details.ek-doc").first.evaluate("d => { d.open = true; }")
    nice.locator("details.ek-turn").first.evaluate("d => { d.open = true; }")
    lab.screenshot(page, tmp_path / "trace_view.png", locator=nice, team_name="trace_view.png")
    lab.screenshot(page, tmp_path / "xss_annotator.png", locator=ann)
