"""Typed errors and warnings shared across evalkit."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


class EvalkitError(Exception):
    """Base class for every error evalkit raises on purpose.

    In IPython and Jupyter it shows as its message plus one line of where (see
    :mod:`evalkit._short_traceback`); ``%xmode Verbose`` or :func:`full_traceback` shows the rest.
    """

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of formatting ~60 lines of evalkit internals.
        from evalkit._short_traceback import short_traceback

        return short_traceback(self)


def full_traceback(exc: BaseException | None = None) -> str:
    """Return the complete traceback of ``exc`` (default: the last error in IPython)."""
    from evalkit._short_traceback import full_traceback as _full

    return _full(exc)


class UndefinedStatisticWarning(RuntimeWarning):
    """A statistic is undefined for this input (for example kappa when only one category is used).

    The statistic is returned as ``nan``; the warning says why.
    """


class TraceWarning(UserWarning):
    """A loaded trace is suspicious but kept (no output, duplicate content, an odd role...).

    The message names the file and line of the first few traces concerned.
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceError:
    """One problem found while reading a trace source: a typed, replayable record.

    Attributes
    ----------
    file : str or None
        The file the problem is in (``None`` for in-memory sources).
    line : int or None
        1-based line number (JSONL/CSV) or record index where lines do not apply.
    span_id : str or None
        The span or run id, for span-based formats.
    field : str or None
        The field that is missing or malformed, as a dotted path.
    message : str
        What is wrong, in plain words.
    format : str or None
        The format the source was read as.
    """

    file: str | None = None
    line: int | None = None
    span_id: str | None = None
    field: str | None = None
    message: str
    format: str | None = None

    def location(self) -> str:
        """Return ``file:line (span ...) field ...`` for messages."""
        parts = [self.file or "<memory>"]
        if self.line is not None:
            parts[0] += f":{self.line}"
        if self.span_id is not None:
            parts.append(f"span {self.span_id}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Return the record as a plain dict."""
        return asdict(self)


class TraceFormatError(EvalkitError, ValueError):
    """A trace source could not be read into the canonical frame.

    The message names the file, the line (or span id) and the field. The structured
    record is available as ``.error`` (a :class:`TraceError`); ``.file``, ``.line``,
    ``.span_id`` and ``.field`` are shortcuts to it.
    """

    def __init__(self, error: TraceError) -> None:
        self.error = error
        fmt = f" [{error.format}]" if error.format else ""
        super().__init__(f"{error.location()}{fmt}: {error.message}")

    @property
    def file(self) -> str | None:  # noqa: D102
        return self.error.file

    @property
    def line(self) -> int | None:  # noqa: D102
        return self.error.line

    @property
    def span_id(self) -> str | None:  # noqa: D102
        return self.error.span_id

    @property
    def field(self) -> str | None:  # noqa: D102
        return self.error.field

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.error,))


class TraceProblemWarning(TraceWarning):
    """One record-level problem reported under ``load_traces(..., errors="warn")``.

    The message names the file, line (or span id) and field, like :class:`TraceFormatError`;
    the structured record is ``.error`` (a :class:`TraceError`).
    """

    def __init__(self, error: TraceError) -> None:
        self.error = error
        fmt = f" [{error.format}]" if error.format else ""
        super().__init__(f"{error.location()}{fmt}: {error.message}")

