"""One label event (``LabelEvent``), its timestamps and names, and rows turned into frames."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from evalkit.labels._fields import InvalidLabelError, check_unicode, decode
from evalkit.labels._schema import LabelStoreError

if TYPE_CHECKING:
    import pandas as pd

LABEL_COLUMNS = [
    "event_id",
    "trace_id",
    "annotator",
    "field",
    "value",
    "note",
    "source",
    "created_at",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelEvent:
    """One recorded label.

    Attributes
    ----------
    event_id : str
        Globally unique id (32 hex digits); stable across exports and merges.
    trace_id, annotator, field : str
        What was labelled, by whom, and which field.
    value : Any
        The validated value: ``str`` (verdict, note), ``list[str]`` (codes), ``int`` (severity).
    note : str or None
        Free-text comment attached to the event.
    source : str
        Where the label came from: ``'human'``, or e.g. ``'judge:gpt-4o'`` for imported judges.
    created_at : datetime
        When it was recorded (timezone-aware, UTC).
    """

    event_id: str
    trace_id: str
    annotator: str
    field: str
    value: Any
    note: str | None
    source: str
    created_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _check_name(arg: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        got = repr(value) if isinstance(value, str) else f"{type(value).__name__} {value!r}"
        raise InvalidLabelError(f"`{arg}` must be a non-empty string; got {got}.")
    return check_unicode(arg, value)


def _check_time(arg: str, value: Any) -> datetime:
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        value = value.to_pydatetime()
    if isinstance(value, str):
        try:
            value = _from_iso(value)
        except ValueError:
            raise InvalidLabelError(
                f"`{arg}` must be a timezone-aware datetime or ISO 8601 string; got {value!r}."
            ) from None
    if not isinstance(value, datetime):
        raise InvalidLabelError(
            f"`{arg}` must be a timezone-aware datetime; got {type(value).__name__} {value!r}."
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidLabelError(
            f"`{arg}` must be timezone-aware (e.g. datetime.now(timezone.utc)); "
            f"got naive {value!r}."
        )
    return value.astimezone(UTC)


def _event(row: Sequence[Any]) -> LabelEvent:
    return LabelEvent(
        event_id=row[0],
        trace_id=row[1],
        annotator=row[2],
        field=row[3],
        value=decode(row[4]),
        note=row[5],
        source=row[6],
        created_at=_from_iso(row[7]),
    )


def _frame(
    rows: list[tuple[Any, ...]], columns: list[str], *, where: str = "?"
) -> pd.DataFrame:
    import pandas as pd

    # object columns: missing notes and undo values stay None under pandas 3 (not str NaN)
    df = pd.DataFrame(rows, columns=columns, dtype=object)
    column = "value"
    try:  # a damaged file can hold values no evalkit wrote: a store error naming the file
        df["value"] = pd.Series([decode(v) for v in df["value"]], index=df.index, dtype=object)
        column = "created_at"
        # nanoseconds on pandas 2 and 3 alike (pandas 3 infers microseconds from these strings)
        df["created_at"] = pd.to_datetime(df["created_at"], utc=True, format="ISO8601").astype(
            "datetime64[ns, UTC]"
        )
    except (ValueError, TypeError, OverflowError) as exc:
        raise LabelStoreError(
            f"label store {where!r} holds a malformed {column} ({exc}): the file is damaged "
            "or was not written by evalkit; restore it from a backup."
        ) from exc
    if "undone" in df.columns:
        df["undone"] = df["undone"].astype(bool)
    return df
