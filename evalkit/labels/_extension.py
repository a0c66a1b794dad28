"""Append-only tables that later stages keep inside a label store file (the public hook).

A stage to the right of labels (the taxonomy's version history, for example) can keep its own
records in the store's SQLite file, with the store's guarantees: one ``BEGIN IMMEDIATE``
transaction per write, committed (fsynced) before returning, and triggers that refuse UPDATE and
DELETE, like the label events. :meth:`evalkit.labels.LabelStore.extension_table` returns one.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

from evalkit.labels._fields import InvalidLabelError

_T = TypeVar("_T")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_TYPES: Final = frozenset({"TEXT", "INTEGER", "REAL", "BLOB", "ANY"})
#: The store's own tables and views, which an extension table may not shadow.
RESERVED: Final = frozenset({"meta", "fields", "events", "label_events", "latest", "seq"})


class TableTransaction:
    """Reads and appends inside one write transaction of an :class:`AppendOnlyTable`."""

    def __init__(self, table: AppendOnlyTable, conn: sqlite3.Connection) -> None:
        self._table = table
        self._conn = conn

    def select(
        self, where: str = "", params: Sequence[Any] = (), *, columns: Sequence[str] | None = None
    ) -> list[tuple[Any, ...]]:
        """Rows (in append order) matching the SQL condition ``where`` with bound ``params``."""
        return self._conn.execute(self._table._select_sql(where, columns), tuple(params)).fetchall()

    def append(self, row: Mapping[str, Any]) -> None:
        """Append one row (a value for every declared column)."""
        cols = self._table._check_row(row)
        self._conn.execute(
            f"INSERT INTO {self._table.name} ({', '.join(cols)}) "
            f"VALUES ({', '.join('?' for _ in cols)})",
            tuple(row[c] for c in cols),
        )


class AppendOnlyTable:
    """An append-only table in a label store's file: ``seq`` plus the declared columns.

    Created on the first write (reading a store never writes to it). Rows get an increasing
    ``seq``; UPDATE and DELETE abort with "append-only". Use :meth:`write` for a
    read-check-append transaction and :meth:`select` to read.
    """

    def __init__(
        self,
        store: Any,
        name: str,
        columns: Mapping[str, str],
        *,
        unique: Sequence[str] = (),
    ) -> None:
        if not isinstance(name, str) or not _NAME.match(name) or name in RESERVED:
            raise InvalidLabelError(
                f"`name` must be a lowercase SQL name (letters, digits, '_'), not one of the "
                f"store's own tables {sorted(RESERVED)}; got {name!r}."
            )
        if not isinstance(columns, Mapping) or not columns:
            raise InvalidLabelError(
                f"`columns` must map column names to SQLite types; got {columns!r}."
            )
        for col, typ in columns.items():
            if not isinstance(col, str) or not _NAME.match(col) or col == "seq":
                raise InvalidLabelError(
                    f"column name {col!r} of table {name!r} must be a lowercase SQL name "
                    "other than 'seq'."
                )
            if typ not in _TYPES:
                raise InvalidLabelError(
                    f"column {col!r} of table {name!r}: type must be one of {sorted(_TYPES)}; "
                    f"got {typ!r}."
                )
        bad = [c for c in unique if c not in columns]
        if bad:
            raise InvalidLabelError(f"`unique` names unknown columns {bad} of table {name!r}.")
        self.store = store
        self.name = name
        self.columns: dict[str, str] = dict(columns)
        self.unique = tuple(unique)

    def __repr__(self) -> str:
        return f"AppendOnlyTable({self.name!r}, columns={list(self.columns)})"

    def _ddl(self) -> list[str]:
        cols = ",\n".join(f"{c} {t} NOT NULL" for c, t in self.columns.items())
        uniq = f",\nUNIQUE ({', '.join(self.unique)})" if self.unique else ""
        msg = f"evalkit {self.name} rows are append-only"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.name} (\n"
            f"seq INTEGER PRIMARY KEY AUTOINCREMENT,\n{cols}{uniq}\n) STRICT",
            *(
                f"CREATE TRIGGER IF NOT EXISTS {self.name}_no_{op.lower()} BEFORE {op} ON "
                f"{self.name} BEGIN SELECT RAISE(ABORT, '{msg}'); END"
                for op in ("UPDATE", "DELETE")
            ),
        ]

    def _select_sql(self, where: str, columns: Sequence[str] | None) -> str:
        cols = list(columns) if columns is not None else ["seq", *self.columns]
        bad = [c for c in cols if c != "seq" and c not in self.columns]
        if bad:
            raise InvalidLabelError(f"table {self.name!r} has no columns {bad}.")
        cond = f" WHERE {where}" if where else ""
        return f"SELECT {', '.join(cols)} FROM {self.name}{cond} ORDER BY seq"

    def _check_row(self, row: Mapping[str, Any]) -> list[str]:
        if not isinstance(row, Mapping) or set(row) != set(self.columns):
            got = sorted(row) if isinstance(row, Mapping) else type(row).__name__
            raise InvalidLabelError(
                f"a row of table {self.name!r} needs exactly the columns "
                f"{sorted(self.columns)}; got {got}."
            )
        return list(self.columns)

    def exists(self) -> bool:
        """Whether the table has been created in the store file."""
        rows = self.store._read(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (self.name,)
        )
        return bool(rows)

    def write(self, fn: Callable[[TableTransaction], _T]) -> _T:
        """Run ``fn(tx)`` in one write transaction (the table is created first if needed).

        ``tx.select(...)`` reads, ``tx.append(row)`` appends; an exception rolls back it all.
        """

        def txn(conn: sqlite3.Connection) -> _T:
            for statement in self._ddl():
                conn.execute(statement)
            return fn(TableTransaction(self, conn))

        result: _T = self.store._write(txn)
        return result

    def append(self, row: Mapping[str, Any]) -> None:
        """Append one row in its own transaction."""
        self.write(lambda tx: tx.append(row))

    def select(
        self, where: str = "", params: Sequence[Any] = (), *, columns: Sequence[str] | None = None
    ) -> list[tuple[Any, ...]]:
        """Rows in append order (``seq`` first unless ``columns`` is given); none if not created."""
        if not self.exists():
            return []
        rows: list[tuple[Any, ...]] = self.store._read(
            self._select_sql(where, columns), tuple(params)
        )
        return rows


class ExtensionTables:
    """The :meth:`extension_table` method of :class:`~evalkit.labels.LabelStore`."""

    def extension_table(
        self, name: str, columns: Mapping[str, str], *, unique: Sequence[str] = ()
    ) -> AppendOnlyTable:
        """An append-only table of your own in this store's file (created on first write).

        Parameters
        ----------
        name : str
            Lowercase SQL name, not one of the store's own tables.
        columns : mapping of str to str
            Column -> SQLite type (``TEXT``, ``INTEGER``, ``REAL``, ``BLOB``, ``ANY``); every
            column is ``NOT NULL``. A ``seq`` column numbers the rows in append order.
        unique : sequence of str
            Columns whose combination must be unique.

        Returns
        -------
        AppendOnlyTable
            ``.write(fn)`` (read-check-append in one transaction), ``.append(row)``,
            ``.select(where, params)``; UPDATE and DELETE are refused by triggers.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from evalkit.labels import LabelStore
        >>> store = LabelStore(pathlib.Path(tempfile.mkdtemp()) / "labels.sqlite")
        >>> notes = store.extension_table("review_notes", {"who": "TEXT", "text": "TEXT"})
        >>> notes.append({"who": "ann", "text": "half the refusals are polite"})
        >>> notes.select(columns=["who", "text"])
        [('ann', 'half the refusals are polite')]
        >>> store.close()
        """
        return AppendOnlyTable(self, name, columns, unique=unique)
