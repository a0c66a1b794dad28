"""Escaping for text that reaches a plotly figure (names of segments, annotators, modes...).

plotly.js renders a small HTML subset in every text it draws (titles, tick labels, legend
entries, hover labels, annotations): ``<a href=... target=_top>`` becomes a live link that can
navigate the whole JupyterLab tab and ``<span style="background:url(...)">`` makes the page fetch
an outside URL. Names that come from data files are untrusted, so every figure escapes ``&``,
``<`` and ``>`` in them; plotly shows the escaped text literally (``&lt;`` reads as ``<``).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any


def esc(value: Any) -> str:
    """``str(value)`` with ``&``, ``<`` and ``>`` escaped, safe for any plotly text.

    Examples
    --------
    >>> esc('<a href="http://x" target=_top>seg & co</a>')
    '&lt;a href="http://x" target=_top&gt;seg &amp; co&lt;/a&gt;'
    >>> esc(3)
    '3'
    """
    return html.escape(str(value), quote=False)


def esc_all(values: Iterable[Any]) -> list[str]:
    """:func:`esc` applied to every value.

    Examples
    --------
    >>> esc_all(["a<b", 1])
    ['a&lt;b', '1']
    """
    return [esc(v) for v in values]


def esc_title(title: str | None) -> str | None:
    """Escape a figure title (``None`` stays ``None``: no title)."""
    return None if title is None else esc(title)
