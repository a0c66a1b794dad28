"""The contract between load_traces and the per-format readers, and the error sink.

Each format lives in its own private module ``evalkit/traces/_<name>.py`` that defines:

``NAME: str``
    The format name users pass as ``format=`` (e.g. ``"langfuse"``).
``def sniff(path: pathlib.Path, head: bytes) -> bool``
    Cheap detection from the file name and its first bytes (``head``, up to 64 KiB).
    In-memory sources (DataFrame, ``datasets.Dataset``) are dispatched by type, not sniffed.
``def read(path: pathlib.Path, *, sink: ErrorSink, **options) -> list[dict] | pandas.DataFrame``
    Parse the file into canonical rows (dicts keyed by ``schema.COLUMNS``; missing keys become null)
    or a ready canonical frame. Every row sets ``source = {"format", "file", "line", "span_id"}``.
    Every problem goes through ``sink.add(TraceError(...))``, which raises in ``errors="raise"``
    mode and records (so the caller skips just that record) in ``errors="collect"`` and
    ``errors="warn"`` modes; ``"warn"`` also issues a
    :class:`~evalkit.errors.TraceProblemWarning` per problem.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

from evalkit.errors import TraceError, TraceFormatError, TraceProblemWarning, TraceWarning

ErrorMode = Literal["raise", "collect", "warn"]
#: problems shown one warning each under ``errors="warn"``; the rest are counted in one summary
WARN_SHOWN = 20


@dataclass
class ErrorSink:
    """Routes reader problems: raise at once, or record typed errors (and warn) and carry on."""

    mode: ErrorMode = "raise"
    errors: list[TraceError] = field(default_factory=list)

    @property
    def keeps(self) -> bool:
        """True under ``errors="warn"``: a record with a fixable problem is kept."""
        return self.mode == "warn"

    def add(self, error: TraceError) -> None:
        """Raise :class:`TraceFormatError` in ``raise`` mode; otherwise record (and warn)."""
        if self.mode == "raise":
            raise TraceFormatError(error)
        self.errors.append(error)
        if self.mode == "warn" and len(self.errors) <= WARN_SHOWN:
            warnings.warn(TraceProblemWarning(error), stacklevel=2)

    def finish(self) -> None:
        """Under ``errors="warn"``, one summary warning for the problems not shown one by one."""
        extra = len(self.errors) - WARN_SHOWN
        if self.mode == "warn" and extra > 0:
            warnings.warn(
                f"{extra} more trace problem(s) not shown one by one ({len(self.errors)} in all); "
                "use errors='collect' to get every one as a TraceError record",
                TraceWarning,
                stacklevel=3,
            )
