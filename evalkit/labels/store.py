"""LabelStore: the durable, embedded (SQLite) store for review labels.

Every label is an event appended to one SQLite file; nothing is ever updated or deleted. The
current labels, undo and per-trace history are all views over that log. A label is committed
(fsynced) before :meth:`LabelStore.record` returns, so a label the UI shows as saved survives a
killed kernel, and several annotators or processes can write to one file at once.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from evalkit.labels._db import Database
from evalkit.labels._events import LabelEvent, _check_name, _check_time, _event, _iso, _now
from evalkit.labels._extension import ExtensionTables
from evalkit.labels._fields import (
    BUILTIN_FIELDS,
    FieldSpec,
    InvalidLabelError,
    check_unicode,
    encode,
    is_missing,
    make_spec,
    parse_value,
    validate_value,
)
from evalkit.labels._reads import StoreReads
from evalkit.labels._schema import SCHEMA_VERSION, LabelStoreError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SCHEMA_VERSION",
    "FieldSpec",
    "InvalidLabelError",
    "LabelEvent",
    "LabelStore",
    "LabelStoreError",
]

_EVENT_KEYS = frozenset(
    {
        "event_id",
        "trace_id",
        "annotator",
        "field",
        "value",
        "note",
        "source",
        "time",
        "created_at",
        "undone",
    }
)

class LabelStore(StoreReads, ExtensionTables):
    """A durable label store in one SQLite file, safe for several annotators and processes.

    Parameters
    ----------
    path : str or os.PathLike, default ``'labels.sqlite'``
        The store file; created (with its schema) if it does not exist. Its folder must exist.
    timeout : float, default 30.0
        Seconds to wait for another writer (busy timeout and retry budget) before failing.

    Attributes
    ----------
    path : pathlib.Path
        Absolute path of the store file.

    Raises
    ------
    LabelStoreError
        ``path`` is a folder, is not an SQLite file, is an SQLite file of another application
        (other tables, no evalkit meta table), or was written by a newer schema version.

    Notes
    -----
    *Storage.* Labels are rows of an append-only ``events`` table (triggers refuse UPDATE and
    DELETE). :meth:`undo` appends an undo event naming the retracted event; the ``latest`` view
    gives the current value per ``(trace_id, annotator, field)``: the last label event in commit
    order that was not undone (so undoing an overwrite brings the previous value back). "Latest" is
    commit order, not the ``time`` given to :meth:`record`.

    *Durability and concurrency.* The file uses WAL journaling with ``synchronous=FULL``: every
    write transaction is fsynced before :meth:`record` returns, so an acknowledged label survives a
    killed process or kernel and a power loss. Writes take the lock up front (``BEGIN IMMEDIATE``).
    On ``SQLITE_BUSY`` SQLite's own ``busy_timeout`` waits 5 ms, then evalkit retries with short
    jittered backoff (0.25-20 ms) for up to ``timeout`` seconds: SQLite's handler alone sleeps up to
    100 ms between attempts and lets one busy writer starve the others. Readers never block writers.

    *Threads and processes.* One connection per store object, guarded by a lock, so one store may be
    used from the Jupyter kernel thread and widget callbacks. Open a new ``LabelStore`` in each
    process (do not share one across ``fork``).

    *Fields.* Built-in: ``verdict`` (``'pass'``/``'fail'``/``'defer'``), ``note`` (text),
    ``open_codes`` and ``failure_modes`` (lists of strings), ``severity`` (1-3). Any other field
    must be declared once with :meth:`register_field` (stored in the file); unknown fields are
    rejected with an :class:`InvalidLabelError` (a ``ValueError``).

    Examples
    --------
    >>> import tempfile, os
    >>> from evalkit.labels import LabelStore
    >>> tmp = tempfile.mkdtemp()
    >>> with LabelStore(os.path.join(tmp, "labels.sqlite")) as store:
    ...     _ = store.record("t1", annotator="alice", field="verdict", value="fail")
    ...     _ = store.record("t1", annotator="alice", field="verdict", value="pass")
    ...     retracted = store.undo("alice")
    ...     store.labels()[["trace_id", "annotator", "field", "value"]]
      trace_id annotator    field value
    0       t1     alice  verdict  fail
    >>> retracted.value
    'pass'
    """

    def __init__(
        self, path: str | os.PathLike[str] = "labels.sqlite", *, timeout: float = 30.0
    ) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise InvalidLabelError(
                f"`timeout` must be a positive number of seconds; got {timeout!r}."
            )
        self.path: Path = Path(os.fspath(path)).expanduser().absolute()
        self.timeout = float(timeout)
        self._fields: dict[str, FieldSpec] = dict(BUILTIN_FIELDS)
        self._db = Database(self.path, self.timeout)
        self._write = self._db.write
        self._read = self._db.read
        self._stamp = self._db.stamp
        self._verdict_cache: list[Any] = []  # current_verdicts(): [(write stamp, frame)]
        try:
            self._load_fields()
        except BaseException:
            self._db.close()
            raise

    @property
    def _conn(self) -> sqlite3.Connection | None:
        """The raw connection (``None`` once closed); for tests and debugging."""
        return self._db.conn

    def _load_fields(self) -> None:
        for name, spec in self._read("SELECT name, spec FROM fields"):
            self._fields[name] = FieldSpec.from_json(spec)

    def _spec(self, field: Any) -> FieldSpec:
        _check_name("field", field)
        if field not in self._fields:
            self._load_fields()  # another process may have registered it
        if field not in self._fields:
            known = ", ".join(repr(f) for f in self._fields)
            raise InvalidLabelError(
                f"`field` must be one of {known} (or declare it with "
                f"LabelStore.register_field); got {field!r}."
            )
        return self._fields[field]

    def close(self) -> None:
        """Close the connection (idempotent). Every recorded label is already committed."""
        self._db.close()

    def __enter__(self) -> LabelStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._conn is None else "open"
        return f"LabelStore({str(self.path)!r}, {state})"

    # ------------------------------------------------------------------ fields
    @property
    def fields(self) -> dict[str, FieldSpec]:
        """The fields this store accepts (built-in and registered), name -> :class:`FieldSpec`."""
        self._load_fields()
        return dict(self._fields)

    def register_field(
        self,
        name: str,
        *,
        kind: Literal["choice", "text", "list", "int"],
        choices: Sequence[str] | None = None,
        low: int | None = None,
        high: int | None = None,
    ) -> FieldSpec:
        """Declare a custom label field (stored in the file; idempotent for an identical spec).

        Parameters
        ----------
        name : str
            Field name; must not be a built-in field.
        kind : {'choice', 'text', 'list', 'int'}
            Value type (see :class:`FieldSpec`).
        choices : sequence of str, optional
            Allowed values (required for ``'choice'``, optional for ``'list'``).
        low, high : int, optional
            Inclusive bounds for ``'int'`` fields.

        Returns
        -------
        FieldSpec

        Raises
        ------
        InvalidLabelError
            Invalid spec, or ``name`` is already registered with a different spec.
        """
        spec = make_spec(name, kind, choices, low, high)

        def txn(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT spec FROM fields WHERE name = ?", (name,)).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO fields (name, spec) VALUES (?, ?)", (name, spec.to_json())
                )
            elif FieldSpec.from_json(row[0]) != spec:
                raise InvalidLabelError(
                    f"field {name!r} is already registered as {FieldSpec.from_json(row[0])}; "
                    f"got {spec}."
                )

        self._write(txn)
        self._fields[name] = spec
        return spec

    # ------------------------------------------------------------------ writing
    def _prepare(
        self,
        trace_id: Any,
        annotator: Any,
        field: Any,
        value: Any,
        note: Any,
        source: Any,
        time: Any,
        event_id: Any = None,
    ) -> tuple[LabelEvent, tuple[Any, ...]]:
        _check_name("trace_id", trace_id)
        _check_name("annotator", annotator)
        spec = self._spec(field)
        value = validate_value(field, spec, value)
        if note is not None and not isinstance(note, str):
            raise InvalidLabelError(
                f"`note` must be a string or None; got {type(note).__name__} {note!r}."
            )
        if note is not None:
            check_unicode("note", note)
        _check_name("source", source)
        created = _now() if time is None else _check_time("time", time)
        if event_id is None:
            event_id = uuid.uuid4().hex
        else:
            _check_name("event_id", event_id)
        event = LabelEvent(
            event_id=event_id,
            trace_id=trace_id,
            annotator=annotator,
            field=field,
            value=value,
            note=note,
            source=source,
            created_at=created,
        )
        row = (
            event_id,
            "label",
            trace_id,
            annotator,
            field,
            check_unicode("value", encode(value)),
            note,
            source,
            _iso(created),
            None,
        )
        return event, row

    _INSERT = (
        "INSERT INTO events (event_id, kind, trace_id, annotator, field, value, note, source, "
        "created_at, retracts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )

    def record(
        self,
        trace_id: str,
        *,
        annotator: str,
        field: str,
        value: Any,
        note: str | None = None,
        source: str = "human",
        time: datetime | None = None,
    ) -> LabelEvent:
        """Append one label; it is committed to disk before this returns.

        Parameters
        ----------
        trace_id : str
            The labelled trace.
        annotator : str
            Who labels (a person, or a judge name for imported labels).
        field : str
            ``'verdict'``, ``'note'``, ``'open_codes'``, ``'failure_modes'``, ``'severity'`` or a
            registered field.
        value : Any
            Validated for the field (see the class Notes).
        note : str, optional
            Free-text comment on this event.
        source : str, default ``'human'``
            Origin of the label (``'human'``, ``'judge:<model>'``, ...).
        time : datetime, optional
            Timezone-aware time of the label; default now (UTC).

        Returns
        -------
        LabelEvent
            The recorded event (with its ``event_id``).

        Raises
        ------
        InvalidLabelError
            A ``ValueError`` naming the argument or field, what is allowed and what was received.
        LabelStoreError
            The store is closed, or stayed locked for longer than ``timeout``.
        """
        event, row = self._prepare(trace_id, annotator, field, value, note, source, time)
        self._write(lambda conn: conn.execute(self._INSERT, row))
        return event

    def record_many(
        self, events: Iterable[Mapping[Any, Any]], *, skip_existing: bool = False
    ) -> int:
        """Append many labels in one transaction (all or nothing).

        Parameters
        ----------
        events : iterable of mappings
            Each with keys ``trace_id``, ``annotator``, ``field``, ``value`` and optionally
            ``note``, ``source`` (default ``'human'``), ``time`` or ``created_at``, ``event_id``
            and ``undone`` (``True`` appends an undo event right after it). Rows read back from an
            export (:func:`read_labels`) fit as they are. Missing values (None/NaN) mean
            "not given".
        skip_existing : bool, default False
            Skip events whose ``event_id`` is already in the store (merge an export twice safely);
            otherwise a repeated ``event_id`` is an error.

        Returns
        -------
        int
            Number of label events written.

        Raises
        ------
        InvalidLabelError
            Any event is invalid (the message names its position); nothing is written.
        """
        rows: list[tuple[Any, ...]] = []
        undone: list[bool] = []
        for i, ev in enumerate(events):
            if not isinstance(ev, Mapping):
                raise InvalidLabelError(f"events[{i}] must be a mapping; got {type(ev).__name__}.")
            extra = set(ev) - _EVENT_KEYS
            if extra:
                raise InvalidLabelError(
                    f"events[{i}] has unknown keys {sorted(map(str, extra))}; allowed: "
                    f"{sorted(_EVENT_KEYS)}."
                )
            get = {k: (None if is_missing(v) else v) for k, v in ev.items()}
            for key in ("trace_id", "annotator", "field", "value"):
                if get.get(key) is None:
                    raise InvalidLabelError(f"events[{i}] is missing {key!r}.")
            t = get.get("time")
            if t is None:
                t = get.get("created_at")
            try:
                spec = self._spec(get["field"])
                _, row = self._prepare(
                    get["trace_id"],
                    get["annotator"],
                    get["field"],
                    parse_value(spec, get["value"]),
                    get.get("note"),
                    get.get("source") or "human",
                    t,
                    get.get("event_id"),
                )
            except InvalidLabelError as exc:
                raise InvalidLabelError(f"events[{i}]: {exc}") from None
            rows.append(row)
            undone.append(bool(get.get("undone") or False))
        ids = [r[0] for r in rows]
        if len(set(ids)) != len(ids):
            dup = next(x for x, n in Counter(ids).items() if n > 1)
            raise InvalidLabelError(f"events: `event_id` {dup!r} appears more than once.")

        def txn(conn: sqlite3.Connection) -> int:
            existing: set[str] = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                existing.update(
                    r[0]
                    for r in conn.execute(
                        f"SELECT event_id FROM events WHERE event_id IN ({marks})", chunk
                    )
                )
            if existing and not skip_existing:
                raise InvalidLabelError(
                    f"events: {len(existing)} `event_id`(s) already in the store (e.g. "
                    f"{sorted(existing)[0]!r}); pass skip_existing=True to merge."
                )
            n = 0
            for row, was_undone in zip(rows, undone, strict=True):
                if row[0] in existing:
                    continue
                conn.execute(self._INSERT, row)
                if was_undone:
                    conn.execute(
                        self._INSERT,
                        (
                            uuid.uuid4().hex,
                            "undo",
                            *row[2:5],
                            None,
                            None,
                            row[7],
                            _iso(_now()),
                            row[0],
                        ),
                    )
                n += 1
            return n

        return self._write(txn)

    def undo(
        self, annotator: str, *, trace_id: str | None = None, field: str | None = None
    ) -> LabelEvent | None:
        """Retract ``annotator``'s most recent label event that is not yet undone.

        Appends an undo event (nothing is deleted); the retracted label's previous value, if any,
        becomes current again. Undoing repeatedly walks back through the annotator's events. Other
        annotators' labels are never touched.

        Parameters
        ----------
        annotator : str
            Whose last label to retract.
        trace_id, field : str, optional
            Restrict the undo to one trace and/or field.

        Returns
        -------
        LabelEvent or None
            The retracted event, or ``None`` when there is nothing left to undo.
        """
        _check_name("annotator", annotator)
        where, params = "annotator = ? AND NOT undone", [annotator]
        if trace_id is not None:
            where += " AND trace_id = ?"
            params.append(_check_name("trace_id", trace_id))
        if field is not None:
            where += " AND field = ?"
            params.append(_check_name("field", field))

        def txn(conn: sqlite3.Connection) -> LabelEvent | None:
            row = conn.execute(
                f"SELECT event_id, trace_id, annotator, field, value, note, source, created_at "
                f"FROM label_events WHERE {where} ORDER BY seq DESC LIMIT 1",
                params,
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                self._INSERT,
                (
                    uuid.uuid4().hex,
                    "undo",
                    row[1],
                    row[2],
                    row[3],
                    None,
                    None,
                    row[6],
                    _iso(_now()),
                    row[0],
                ),
            )
            return _event(row)

        return self._write(txn)

    def import_labels(
        self,
        df: pd.DataFrame,
        *,
        source: str = "judge:gpt-x",
        annotator: str | None = None,
        field: str = "verdict",
        value_col: str = "verdict",
        trace_col: str = "trace_id",
        note_col: str | None = None,
        time_col: str | None = None,
        skip_missing: bool = False,
    ) -> int:
        """Import one field of labels from a frame (e.g. LLM-judge verdicts), in one transaction.

        Parameters
        ----------
        df : pandas.DataFrame
            One row per label.
        source : str, default ``'judge:gpt-x'``
            Origin recorded on every imported label.
        annotator : str, optional
            Annotator for every row. Default: the ``annotator`` column if present, else the
            ``judge`` column if present (``judges.csv``), else ``source``.
        field : str, default ``'verdict'``
            Field the values are for.
        value_col, trace_col : str
            Columns holding the value and the trace id.
        note_col, time_col : str, optional
            Columns with a note and a label time (timezone-aware or ISO 8601 with offset).
        skip_missing : bool, default False
            Skip rows whose value is missing (count not included in the result); by default a
            missing value is an error naming the row.

        Returns
        -------
        int
            Number of labels written.

        Raises
        ------
        InvalidLabelError
            A column is missing, or a row is invalid (the message names the row and trace).
        """
        import pandas as pd

        if not isinstance(df, pd.DataFrame):
            raise InvalidLabelError(f"`df` must be a pandas DataFrame; got {type(df).__name__}.")
        ann_col: str | None = None
        if annotator is None:
            ann_col = next((c for c in ("annotator", "judge") if c in df.columns), None)
            if ann_col is None:
                annotator = source
        needed = {"trace_col": trace_col, "value_col": value_col}
        if note_col is not None:
            needed["note_col"] = note_col
        if time_col is not None:
            needed["time_col"] = time_col
        for arg, col in needed.items():
            if col not in df.columns:
                raise InvalidLabelError(
                    f"`{arg}` {col!r} is not a column of `df`; "
                    f"columns: {list(map(str, df.columns))}."
                )
        events: list[dict[str, Any]] = []
        for i, row in enumerate(df.to_dict("records")):
            value = row[value_col]
            if is_missing(value):
                if skip_missing:
                    continue
                raise InvalidLabelError(
                    f"row {i} (trace_id {row[trace_col]!r}): missing value in column {value_col!r} "
                    "(pass skip_missing=True to skip such rows)."
                )
            ev = {
                "trace_id": row[trace_col],
                "annotator": row[ann_col] if ann_col else annotator,
                "field": field,
                "value": value,
                "source": source,
            }
            if note_col is not None and not is_missing(row[note_col]):
                ev["note"] = row[note_col]
            if time_col is not None:
                ev["time"] = row[time_col]
            events.append(ev)
        try:
            return self.record_many(events)
        except InvalidLabelError as exc:
            raise InvalidLabelError(str(exc).replace("events[", "df row [", 1)) from None

