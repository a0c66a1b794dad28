"""Hostile names in evalkit's plotly figures render inert in Chromium (issue 12 item 18).

Each figure is built with segment, annotator, field and failure-mode names that plotly.js would
turn into markup: ``<a href=... target="_top">`` (a live link that navigates the whole JupyterLab
tab) and ``<span style="background:url(...)">`` (a fetch of an outside URL). The figures are
rendered by the real plotly.js (inlined, no network), hover labels are opened, and the page is
audited: no link element, no style with ``url(``, no request to the outside host, and the names
are shown as literal text.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

_spec = importlib.util.spec_from_file_location(
    "_plot_payloads", Path(__file__).parents[1] / "_plot_payloads.py"
)
assert _spec is not None and _spec.loader is not None
payloads = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(payloads)

AUDIT = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('.js-plotly-plot .main-svg *')) {
    const tag = el.tagName.toLowerCase();
    if (tag === 'a') bad.push(`link ${el.getAttribute('href') || el.getAttribute('xlink:href')}`);
    const style = el.getAttribute('style') || '';
    // plotly's own gradients use url(#local-id); anything else fetches from outside
    if (/url\\(\\s*(?!["']?#)/i.test(style)) bad.push(`style ${style}`);
    for (const a of el.attributes) {
      if (/evil\\.invalid/.test(a.value) && a.name !== 'data-unformatted') {
        bad.push(`${tag}@${a.name}=${a.value}`);
      }
    }
  }
  const text = Array.from(document.querySelectorAll('.js-plotly-plot text'))
    .map((t) => t.textContent).join('\\n');
  return {bad, text, plots: document.querySelectorAll('.js-plotly-plot').length};
}"""

HOVER_ALL = """() => {
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const points = [];
    gd.data.forEach((trace, i) => {
      const n = Array.isArray(trace.x) ? trace.x.length : (trace.z ? trace.z.length : 1);
      for (let p = 0; p < Math.min(n, 3); p++) points.push({curveNumber: i, pointNumber: p});
    });
    try { Plotly.Fx.hover(gd, points); } catch (e) { /* heatmaps want [row, col] */ }
  }
  return true;
}"""


@pytest.mark.parametrize("name", sorted(payloads.FIGURES))
def test_hostile_names_render_inert(tmp_path: Path, page: Any, name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig = payloads.FIGURES[name]()
    html_path = tmp_path / f"{name}.html"
    fig.write_html(html_path, include_plotlyjs=True, full_html=True)  # plotly.js inlined
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if "evil.invalid" in r.url else None)
    page.goto(html_path.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg")
    page.evaluate(HOVER_ALL)
    page.wait_for_timeout(300)
    result = page.evaluate(AUDIT)
    assert result["plots"] == 1
    assert result["bad"] == [], f"{name}: live markup from a name: {result['bad'][:5]}"
    assert outside == [], f"{name}: the page fetched {outside}"
    assert page.url == html_path.as_uri()
    assert page.evaluate("window.__xss") == [] and page.dialogs == []
    # the names are still readable, as literal text
    assert any(p.split(">")[0] in result["text"] for p in payloads.PAYLOADS), result["text"][:300]
