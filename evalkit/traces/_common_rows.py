"""The reading context and scalar fields shared by the dict-based trace readers.

One job: know where a problem goes (:class:`Ctx` reports it as a typed record, then the record is
skipped), and turn scalar fields (times, numbers, typed values, metadata) into canonical values.
File access and JSON text live in :mod:`evalkit.traces._common_files`; chat messages, tool calls
and documents in :mod:`evalkit.traces._common_messages`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NoReturn

from evalkit.errors import TraceError
from evalkit.traces._base import ErrorSink

_MIN_TIME = datetime(1678, 1, 1, tzinfo=UTC)
_MAX_TIME = datetime(2261, 12, 31, tzinfo=UTC)


class RecordSkipped(Exception):
    """Raised after a problem was reported in collect mode: the caller skips the current record."""


@dataclass
class Ctx:
    """Where we are reading from, and where problems go."""

    sink: ErrorSink
    fmt: str
    file: str | None

    def fail(
        self,
        message: str,
        *,
        line: int | None = None,
        span_id: str | None = None,
        field: str | None = None,
        file: str | None = None,
    ) -> NoReturn:
        """Report a problem; raise TraceFormatError (raise mode) or RecordSkipped (collect mode)."""
        err = TraceError(
            file=file if file is not None else self.file,
            line=line,
            span_id=span_id,
            field=field,
            message=message,
            format=self.fmt,
        )
        self.sink.add(err)
        raise RecordSkipped(message)

    def source(self, line: int | None, span_id: str | None = None) -> dict[str, Any]:
        """Return the canonical ``source`` dict for a row."""
        return {"format": self.fmt, "file": self.file, "line": line, "span_id": span_id}


def too_deep(ctx: Ctx, line: int | None, span_id: str | None = None) -> None:
    """Report a record whose values nest deeper than Python can walk (it is then skipped)."""
    try:
        ctx.fail("a value is nested too deeply to read", line=line, span_id=span_id)
    except RecordSkipped:
        return


# --------------------------------------------------------------------------- scalars


def is_missing(value: Any) -> bool:
    """None, NaN and pandas NA count as missing."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return type(value).__name__ in ("NAType", "NaTType")


def parse_time(
    ctx: Ctx, value: Any, *, field: str, line: int | None = None, span_id: str | None = None
) -> datetime | None:
    """Parse an ISO-8601 string, epoch number or datetime into aware UTC (naive means UTC).

    Times outside what ``datetime64[ns]`` holds (years 1678-2261) are a typed error, not a
    silent null.
    """
    if is_missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    dt: datetime | None = None
    try:
        if isinstance(value, datetime):
            dt = value
        elif isinstance(value, date):
            dt = datetime(value.year, value.month, value.day)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            # epoch seconds, or milliseconds when the number is too large for seconds
            seconds = value / 1000.0 if abs(value) > 1e11 else float(value)
            dt = datetime.fromtimestamp(seconds, tz=UTC)
        elif isinstance(value, str):
            try:
                dt = datetime.fromisoformat(value.strip())
            except ValueError:
                import pandas as pd

                ts = pd.Timestamp(value.strip())
                dt = None if pd.isna(ts) else ts.to_pydatetime()
    except (ValueError, TypeError, OverflowError, OSError):
        dt = None
    if dt is not None:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        try:
            dt = dt.astimezone(UTC)
        except (ValueError, OverflowError):
            dt = None
    if dt is None:
        ctx.fail(
            f"expected an ISO-8601 timestamp; got {short(value)}",
            line=line,
            span_id=span_id,
            field=field,
        )
    if not _MIN_TIME <= dt <= _MAX_TIME:
        ctx.fail(
            f"timestamp {short(value)} is outside the years 1678-2261",
            line=line,
            span_id=span_id,
            field=field,
        )
    return dt


def ms_between(start: datetime | None, end: datetime | None) -> float | None:
    """Milliseconds from start to end, or None."""
    if start is None or end is None:
        return None
    return (end - start).total_seconds() * 1000.0


def to_number(
    ctx: Ctx,
    value: Any,
    *,
    field: str,
    line: int | None = None,
    span_id: str | None = None,
    integer: bool = False,
) -> float | int | None:
    """Parse a number (or numeric string); wrong types are a typed error."""
    if is_missing(value) or value == "":
        return None
    if isinstance(value, bool):
        ctx.fail(f"expected a number; got {short(value)}", line=line, span_id=span_id, field=field)
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            ctx.fail(
                f"expected a number; got {short(value)}", line=line, span_id=span_id, field=field
            )
    if hasattr(value, "item") and not isinstance(value, int | float):
        value = value.item()  # numpy scalar
    if not isinstance(value, int | float):
        ctx.fail(f"expected a number; got {short(value)}", line=line, span_id=span_id, field=field)
    if isinstance(value, float) and math.isinf(value):
        ctx.fail(
            f"must be a finite number; got {value!r}", line=line, span_id=span_id, field=field
        )
    if integer:
        if isinstance(value, float):
            if math.isnan(value):
                return None
            if not value.is_integer():
                ctx.fail(
                    f"expected a whole number; got {value!r}",
                    line=line,
                    span_id=span_id,
                    field=field,
                )
        return int(value)
    return float(value)


def expect_type(
    ctx: Ctx,
    value: Any,
    types: type | tuple[type, ...],
    *,
    field: str | None,
    line: int | None = None,
    span_id: str | None = None,
    required: bool = False,
) -> Any:
    """Check the type of a field; missing required fields and wrong types are typed errors."""
    allowed = types if isinstance(types, tuple) else (types,)
    if value is None:
        if required:
            names = " or ".join(t.__name__ for t in allowed)
            whole = field is None or field.endswith(("]", ":"))  # a record or list item, not a key
            message = f"expected {names}; got null" if whole else "required field is missing"
            ctx.fail(message, line=line, span_id=span_id, field=field)
        return None
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in allowed)
    if not ok:
        names = " or ".join(t.__name__ for t in allowed)
        ctx.fail(
            f"expected {names}; got {type(value).__name__} {short(value)}",
            line=line,
            span_id=span_id,
            field=field,
        )
    return value


def short(value: Any, limit: int = 60) -> str:
    """A short repr for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def plain(value: Any) -> Any:
    """Turn numpy/pandas/pyarrow values into plain Python (lists, dicts, str, numbers, None)."""
    if is_missing(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    tname = type(value).__name__
    if tname == "ndarray":
        return [plain(v) for v in value.tolist()]
    if tname == "Timestamp":
        return value.isoformat()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return value
    return value


def segment_of(metadata: Mapping[str, Any]) -> str | None:
    """The ``segment`` a trace carries in its metadata, if any."""
    seg = metadata.get("segment")
    return None if is_missing(seg) else str(seg)
