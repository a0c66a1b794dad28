"""Summary warnings about a loaded frame: problems that keep the row but must not pass quietly."""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from evalkit.errors import TraceWarning


def where(src: Any) -> str:
    """``file:line`` (or ``file, span id``) of a ``source`` cell."""
    if not isinstance(src, dict):
        return "<memory>"
    at = str(src.get("file") or "<memory>")
    if src.get("line") is not None:
        at += f":{src['line']}"
    if src.get("span_id"):
        at += f" (span {src['span_id']})"
    return at


def warn_no_output(frame: pd.DataFrame, *, stacklevel: int = 3) -> None:
    """Warn (:class:`~evalkit.errors.TraceWarning`) when traces have no ``output``.

    A trace with no final assistant text (a request-only line, a spans file whose content is in
    log records that were not loaded, a completion that only calls tools) is kept, but said.
    """
    if frame.empty:
        return
    missing = frame["output"].isna().to_numpy()
    n = int(missing.sum())
    if not n:
        return
    first = [where(s) for s in frame["source"].iloc[missing.nonzero()[0][:3]].tolist()]
    warnings.warn(
        f"{n} of {len(frame)} traces have no output (no final assistant text), e.g. "
        f"{'; '.join(first)}. They are kept with output=None; check that the files hold the "
        "answers (for OpenTelemetry, load the logs file with the spans file).",
        TraceWarning,
        stacklevel=stacklevel,
    )
