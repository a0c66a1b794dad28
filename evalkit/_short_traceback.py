"""How evalkit's own errors show in IPython and Jupyter: the message plus one line of where.

IPython asks an exception for ``_render_traceback_()`` before it formats a traceback;
:class:`evalkit.errors.EvalkitError` answers with :func:`short_traceback`. The message already says
what is wrong and how to fix it, so the ~60 lines of evalkit internals add nothing for a notebook
user. The full traceback stays one step away: ``%xmode Verbose`` (or the environment variable
``EVALKIT_FULL_TRACEBACK=1``) shows it, and so does :func:`evalkit.errors.full_traceback` for the
last error.
"""

from __future__ import annotations

import linecache
import os
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

_PACKAGE = str(Path(__file__).resolve().parent)
_RED, _CYAN, _DIM, _RESET = "\x1b[31m", "\x1b[36m", "\x1b[2m", "\x1b[0m"


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with jupyterlab
        return None
    return get_ipython()


def _frames(tb: TracebackType | None) -> list[tuple[str, int, str]]:
    out = []
    while tb is not None:
        code = tb.tb_frame.f_code
        out.append((code.co_filename, tb.tb_lineno, code.co_name))
        tb = tb.tb_next
    return out


def _where(filename: str, lineno: int, shell: Any) -> str:
    label = None
    compiler = getattr(shell, "compile", None)
    if compiler is not None and hasattr(compiler, "format_code_name"):
        named = compiler.format_code_name(filename)
        if named:
            label = f"{named[0]} {named[1]}, line {lineno}"
    if label is None:
        label = f"{filename}:{lineno}"
    code = linecache.getline(filename, lineno).strip()
    return f"{label}: {code}" if code else label


def short_traceback(exc: BaseException) -> list[str]:
    """The lines IPython shows for an evalkit error: message, where, how to see the rest.

    "Where" is the last frame outside evalkit (the notebook line that called it); when the
    error starts inside evalkit without a caller frame, the innermost frame is shown.

    Examples
    --------
    >>> from evalkit.errors import EvalkitError
    >>> try:
    ...     raise EvalkitError("`level` must be 'nominal'; got 'nominl'.")
    ... except EvalkitError as e:
    ...     lines = short_traceback(e)
    >>> "EvalkitError" in lines[0] and "got 'nominl'" in lines[0], len(lines)
    (True, 3)
    """
    shell = _shell()
    mode = getattr(getattr(shell, "InteractiveTB", None), "mode", "")
    if os.environ.get("EVALKIT_FULL_TRACEBACK") or str(mode).lower() == "verbose":
        if shell is not None:
            return list(
                shell.InteractiveTB.structured_traceback(type(exc), exc, exc.__traceback__)
            )
        return traceback.format_exception(type(exc), exc, exc.__traceback__)
    frames = _frames(exc.__traceback__)
    outside = [f for f in frames if not f[0].startswith(_PACKAGE)]
    spot = outside[-1] if outside else (frames[-1] if frames else None)
    head = f"{_RED}{type(exc).__name__}{_RESET}: {exc}"
    lines = [head]
    if spot is not None:
        lines.append(f"  {_CYAN}at {_where(spot[0], spot[1], shell)}{_RESET}")
    lines.append(
        f"  {_DIM}(full traceback: %xmode Verbose, or evalkit.errors.full_traceback()){_RESET}"
    )
    return lines


def full_traceback(exc: BaseException | None = None) -> str:
    """The complete traceback of ``exc`` (default: the last error in this IPython session)."""
    if exc is None:
        exc = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    if exc is None:
        return ""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
