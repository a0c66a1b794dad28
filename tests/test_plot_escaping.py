"""Untrusted names never reach a plotly figure as markup (issue 12 item 18).

Every string in every figure evalkit draws (titles, tick labels, legend names, hover templates and
their data, annotations, colour-bar titles) is checked: the payloads appear only escaped. The
browser test (tests/browser/test_plot_escaping_browser.py) shows plotly.js then renders them inert.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_spec = importlib.util.spec_from_file_location(
    "_plot_payloads", Path(__file__).with_name("_plot_payloads.py")
)
assert _spec is not None and _spec.loader is not None
payloads = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(payloads)

#: markup evalkit itself puts in figures
OURS = ("<br>", "<extra></extra>", "<sup>", "</sup>")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)
    elif hasattr(value, "tolist"):
        yield from _strings(value.tolist())


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", sorted(payloads.FIGURES))
def test_every_string_in_the_figure_is_escaped(name: str) -> None:
    fig = payloads.FIGURES[name]()
    texts = list(_strings(fig.to_plotly_json()))
    for text in texts:
        bare = text
        for ok in OURS:
            bare = bare.replace(ok, "")
        assert "<" not in bare and ">" not in bare, f"{name}: unescaped markup in {text!r}"
    joined = "\n".join(texts)
    shown = [
        p
        for p in payloads.PAYLOADS
        if p.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in joined
    ]
    assert shown, f"{name}: no payload name is shown at all (escaped)"
