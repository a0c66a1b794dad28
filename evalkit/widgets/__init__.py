"""Review widgets: :class:`TraceView` shows one trace, :class:`Annotator` labels a queue of them.

Both render trace content kernel-side into sanitized HTML (:mod:`evalkit.widgets._render`).
"""

from __future__ import annotations

from typing import Any

from evalkit._lazy import attach

_LAZY = {
    "TraceView": "evalkit.widgets.trace_view",
    "Annotator": "evalkit.widgets.annotator",
    "render_trace": "evalkit.widgets._render",
}
_getattr, __dir__, __all__ = attach(__name__, _LAZY)


def __getattr__(name: str) -> Any:
    return _getattr(name)
