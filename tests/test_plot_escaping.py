"""Untrusted names never reach a plotly figure as markup (issue 12 item 18).

Every string in every figure evalkit draws (titles, tick labels, legend names, hover templates and
their data, annotations, colour-bar titles) is checked: the payloads appear only escaped. The
browser test (tests/browser/test_plot_escaping_browser.py) shows plotly.js then renders them inert.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "_plot_payloads", Path(__file__).with_name("_plot_payloads.py")
)
assert _spec is not None and _spec.loader is not None
payloads = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(payloads)

@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", sorted(payloads.FIGURES))
def test_every_string_in_the_figure_is_escaped(name: str) -> None:
    payloads.assert_escaped(name, payloads.FIGURES[name]())
