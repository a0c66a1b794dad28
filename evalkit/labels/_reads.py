"""Reading a label store: current labels, history, progress, codes and exports (a mixin)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from evalkit.labels._events import LABEL_COLUMNS, _check_name, _frame
from evalkit.labels._fields import FieldSpec, InvalidLabelError, decode

if TYPE_CHECKING:
    import pandas as pd

ExportFormat = Literal["csv", "parquet", "jsonl", "otel", "phoenix", "langfuse"]


class StoreReads:
    """The read side of :class:`~evalkit.labels.LabelStore`; it needs ``_read``."""

    __slots__ = ()
    path: Path
    _read: Callable[..., list[tuple[Any, ...]]]
    _stamp: Callable[[], tuple[int, int]]
    _verdict_cache: list[Any]  # [(stamp, frame)] once filled
    _spec: Callable[[Any], FieldSpec]

    def labels(
        self,
        *,
        annotator: str | None = None,
        field: str | None = None,
        latest: bool = True,
        source: str | None = None,
        trace_id: str | None = None,
    ) -> pd.DataFrame:
        """Return labels as a long frame, in commit order.

        Parameters
        ----------
        annotator, field, source, trace_id : str, optional
            Filters (``trace_id``: e.g. to prefill a review form for one trace).
        latest : bool, default True
            ``True``: the current value per ``(trace_id, annotator, field)`` after undos.
            ``False``: every label event, with an ``undone`` column (undo events themselves are in
            :meth:`history`).

        Returns
        -------
        pandas.DataFrame
            Columns ``event_id, trace_id, annotator, field, value, note, source, created_at``
            (``datetime64[ns, UTC]``), plus ``undone`` (bool) when ``latest=False``. ``value``
            holds Python objects (``str``, ``int``, ``list[str]``).
        """
        conds, params = [], []
        filters = (
            ("annotator", annotator),
            ("field", field),
            ("source", source),
            ("trace_id", trace_id),
        )
        for col, val in filters:
            if val is not None:
                conds.append(f"{col} = ?")
                params.append(_check_name(col, val))
        where = f"WHERE {' AND '.join(conds)}" if conds else ""
        cols = ", ".join(LABEL_COLUMNS)
        if latest:
            rows = self._read(f"SELECT {cols} FROM latest {where} ORDER BY seq", params)
            return _frame(rows, LABEL_COLUMNS, where=str(self.path))
        rows = self._read(f"SELECT {cols}, undone FROM label_events {where} ORDER BY seq", params)
        return _frame(rows, [*LABEL_COLUMNS, "undone"], where=str(self.path))

    def current_verdicts(self) -> pd.DataFrame:
        """Every current ``verdict`` label as ``trace_id, annotator, source, value`` (shared frame).

        A narrow query (no notes, timestamps or JSON decoding of other fields), cached and reused
        until anyone commits a write to the store (this object or another process): filters
        that run on every click stay cheap. The frame is shared between calls: do not modify it.

        Examples
        --------
        >>> import tempfile, os
        >>> from evalkit.labels import LabelStore
        >>> with LabelStore(os.path.join(tempfile.mkdtemp(), "l.sqlite")) as store:
        ...     _ = store.record("t1", annotator="a", field="verdict", value="fail")
        ...     first = store.current_verdicts()
        ...     same = store.current_verdicts() is first
        ...     _ = store.record("t1", annotator="a", field="verdict", value="pass")
        ...     same, store.current_verdicts()["value"].tolist()
        (True, ['pass'])
        """
        import pandas as pd

        stamp = self._stamp()
        if self._verdict_cache and self._verdict_cache[0][0] == stamp:
            return self._verdict_cache[0][1]
        rows = self._read(
            "SELECT trace_id, annotator, source, value FROM latest WHERE field = 'verdict' "
            "ORDER BY seq"
        )
        df = pd.DataFrame(rows, columns=["trace_id", "annotator", "source", "value"],
                          dtype=object)
        df["value"] = pd.Series([decode(v) for v in df["value"]], index=df.index, dtype=object)
        self._verdict_cache[:] = [(stamp, df)]
        return df

    def history(self, trace_id: str) -> pd.DataFrame:
        """Every event for one trace in commit order, undo events included.

        Returns
        -------
        pandas.DataFrame
            Columns ``event_id, kind ('label'|'undo'), trace_id, annotator, field, value, note,
            source, created_at, retracts`` (the retracted ``event_id`` for undo events) and
            ``undone`` (label events later retracted).
        """
        _check_name("trace_id", trace_id)
        rows = self._read(
            "SELECT e.event_id, e.kind, e.trace_id, e.annotator, e.field, e.value, e.note, "
            "e.source, e.created_at, e.retracts, (u.seq IS NOT NULL) "
            "FROM events e LEFT JOIN events u ON u.retracts = e.event_id "
            "WHERE e.trace_id = ? ORDER BY e.seq",
            (trace_id,),
        )
        cols = ["event_id", "kind", *LABEL_COLUMNS[1:], "retracts", "undone"]
        return _frame(rows, cols, where=str(self.path))

    def progress(
        self, trace_ids: Sequence[str], *, annotator: str, field: str = "verdict"
    ) -> dict[str, int | None]:
        """Where ``annotator`` stands in a review queue.

        Parameters
        ----------
        trace_ids : sequence of str
            The queue, in review order.
        annotator : str
        field : str, default ``'verdict'``

        Returns
        -------
        dict
            ``done``: queue positions with a current value other than ``'defer'``;
            ``deferred``: positions whose current value is ``'defer'``; ``left``: positions with no
            value; ``next_index``: index of the first position without a non-defer value (the place
            to resume; deferred traces come back), or ``None`` when everything is done.
        """
        if isinstance(trace_ids, str):
            raise InvalidLabelError(
                "`trace_ids` must be a sequence of trace ids; got a single string."
            )
        _check_name("annotator", annotator)
        self._spec(field)
        current = dict(
            self._read(
                "SELECT trace_id, value FROM latest WHERE annotator = ? AND field = ?",
                (annotator, field),
            )
        )
        done = deferred = left = 0
        next_index: int | None = None
        for i, tid in enumerate(trace_ids):
            raw = current.get(tid)
            value = decode(raw) if raw is not None else None
            if raw is None:
                left += 1
            elif value == "defer":
                deferred += 1
            else:
                done += 1
                continue
            if next_index is None:
                next_index = i
        return {"done": done, "deferred": deferred, "left": left, "next_index": next_index}

    def codes(self, *, field: str = "open_codes") -> list[str]:
        """Distinct codes in current labels of a list field, most frequent first (ties A-Z).

        Frequency counts current ``(trace_id, annotator)`` labels that use the code, so undone or
        overwritten codes drop out.
        """
        spec = self._spec(field)
        if spec.kind != "list":
            raise InvalidLabelError(
                f"`field` must be a list field (e.g. 'open_codes', 'failure_modes'); got {field!r} "
                f"of kind {spec.kind!r}."
            )
        counts: Counter[str] = Counter()
        for (raw,) in self._read("SELECT value FROM latest WHERE field = ?", (field,)):
            counts.update(decode(raw))
        return [code for code, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    # ------------------------------------------------------------------ export
    def export(
        self,
        path: str | os.PathLike[str],
        *,
        format: ExportFormat | None = None,
        latest: bool = True,
        span_ids: Mapping[str, str] | None = None,
        retract: bool = False,
        escape_formulas: bool = True,
    ) -> Path:
        """Write labels to a file atomically (temp file in the same folder, fsync, rename).

        Parameters
        ----------
        path : str or os.PathLike
            Destination.
        format : {'csv', 'parquet', 'jsonl', 'otel', 'phoenix', 'langfuse'}, optional
            Default: from the suffix (``.csv``, ``.parquet``, ``.jsonl``).
        latest : bool, default True
            Current labels only, or every label event (with ``undone``).
        span_ids : mapping, optional
            ``trace_id -> root span id`` for the ``otel`` and ``phoenix`` formats.
        retract : bool, default False
            ``otel``, ``phoenix``, ``langfuse``: write the records to delete in the target (labels
            no longer current) instead of the current ones.
        escape_formulas : bool, default True
            ``csv``: prefix ``'`` to cells a spreadsheet would run as formulas (reversed on read).

        Returns
        -------
        pathlib.Path
            The written file.

        Notes
        -----
        See :mod:`evalkit.labels._export` for each format's shape.
        """
        from evalkit.labels._export import export_frame

        return export_frame(
            self.labels(latest=latest),
            path,
            format=format,
            span_ids=span_ids,
            latest=latest,
            history=lambda: self.labels(latest=False),
            fields=self._fields_for_export(),
            retract=retract,
            escape_formulas=escape_formulas,
        )

    def _fields_for_export(self) -> dict[str, FieldSpec]:
        fields = getattr(self, "fields", None)
        return dict(fields) if isinstance(fields, dict) else {}
