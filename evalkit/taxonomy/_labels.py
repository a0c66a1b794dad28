"""Labels in the one shape the taxonomy analyses read: one row per (trace, annotator).

:func:`label_table` accepts a :class:`~evalkit.labels.LabelStore`, its ``labels()`` frame
(long: one row per field) or an already wide frame (``trace_id`` plus ``failure_modes`` and any
other columns such as ``segment`` and ``sample_weight``) and returns the wide frame with
``failure_modes`` and ``open_codes`` as lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.taxonomy._errors import TaxonomyError

_LIST_FIELDS = ("failure_modes", "open_codes")


def _as_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.split(";") if p.strip()]
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value]
    raise TaxonomyError(f"expected a list of names or ';'-joined text; got {value!r}.")


def _list_column(values: list[Any]) -> list[Any] | None:
    """Normalised lists, or None when every value already is a list (kept as is: fast path)."""
    if set(map(type, values)) <= {list}:
        return None
    return [_as_list(v) for v in values]


def label_table(labels: Any, *, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Return labels as one row per ``(trace_id, annotator)`` with list-valued mode columns.

    Parameters
    ----------
    labels : LabelStore, pandas.DataFrame
        A store, its ``labels()`` frame (columns ``trace_id, annotator, field, value``) or a wide
        frame with ``trace_id`` and optionally ``annotator``, ``verdict``, ``failure_modes``
        (lists or ``';'``-joined text), ``open_codes``, ``note``, ``segment``, ``sample_weight``.
    columns : sequence of str, optional
        Keep only these columns (with ``trace_id`` and ``annotator``), when present.

    Returns
    -------
    pandas.DataFrame
        Wide frame; ``failure_modes`` and ``open_codes`` hold lists (empty when absent).

    Raises
    ------
    TaxonomyError
        ``labels`` is of another type or lacks ``trace_id``.

    Examples
    --------
    >>> import pandas as pd
    >>> label_table(pd.DataFrame({"trace_id": ["t1"], "failure_modes": ["a;b"]}))
      trace_id annotator failure_modes open_codes
    0       t1         -        [a, b]         []
    """
    if hasattr(labels, "labels") and callable(labels.labels):
        labels = labels.labels()
    if not isinstance(labels, pd.DataFrame):
        raise TaxonomyError(
            f"`labels` must be a LabelStore or a pandas DataFrame; got {type(labels).__name__}."
        )
    if "trace_id" not in labels.columns:
        raise TaxonomyError(
            f"`labels` needs a 'trace_id' column; got columns {list(map(str, labels.columns))}."
        )
    if {"field", "value"} <= set(labels.columns):
        df = labels
        if "annotator" not in df.columns:
            df = df.assign(annotator="-")
        wide = df.pivot_table(
            index=["trace_id", "annotator"], columns="field", values="value", aggfunc="last"
        )
        wide.columns.name = None
        if "created_at" in df.columns:  # review order: when each trace was first labelled
            first = df.groupby(["trace_id", "annotator"])["created_at"].min()
            wide["created_at"] = first.reindex(wide.index)
        wide = wide.reset_index()
    else:
        if columns is not None:  # select first: copy only the columns needed
            keep = dict.fromkeys(["trace_id", "annotator", *columns])
            labels = labels[[c for c in keep if c in labels.columns]]
        wide = labels.reset_index(drop=True)
        if "annotator" not in wide.columns:
            # one category: cheap to build and to test for uniqueness on a million rows
            one = pd.Categorical.from_codes(
                np.zeros(len(wide), dtype=np.int8), categories=pd.Index(["-"])
            )
            wide.insert(1, "annotator", pd.Series(one, index=wide.index))
    if columns is not None:
        keep = dict.fromkeys(["trace_id", "annotator", *columns])
        wide = wide[[c for c in keep if c in wide.columns]]
    for col in _LIST_FIELDS:
        if columns is not None and col not in columns:
            continue
        if col in wide.columns:
            fixed = _list_column(wide[col].tolist())
            if fixed is not None:
                wide[col] = fixed
        else:
            wide[col] = [[] for _ in range(len(wide))]
    if wide["trace_id"].dtype != object:
        wide["trace_id"] = wide["trace_id"].astype(str)
    return wide


def wide_view(labels: Any, columns: Sequence[str]) -> pd.DataFrame:
    """Wide labels for reading only: the input frame itself when nothing needs normalising.

    A million-row frame with list-valued ``failure_modes`` and a default index is used as it is
    (no copy); anything else goes through :func:`label_table`. Callers must not modify it.
    """
    ok = (
        isinstance(labels, pd.DataFrame)
        and "trace_id" in labels.columns
        and "failure_modes" in labels.columns
        and not {"field", "value"} <= set(labels.columns)
        and isinstance(labels.index, pd.RangeIndex)
        and labels.index.start == 0
        and labels.index.step == 1
        and labels["trace_id"].dtype == object
        and _list_column(labels["failure_modes"].tolist()) is None
    )
    return labels if ok else label_table(labels, columns=columns)


def one_per_trace(wide: pd.DataFrame, annotator: str | None) -> pd.DataFrame:
    """Keep one annotator's rows (or all rows when a single annotator labelled each trace)."""
    if "annotator" not in wide.columns:  # a read-only view of a single-annotator frame
        if annotator is not None and annotator != "-":
            raise TaxonomyError(f"`annotator` {annotator!r} is not in the labels; found ['-'].")
        if wide["trace_id"].duplicated().any():
            raise TaxonomyError(
                "the labels hold several rows per trace and no 'annotator' column; "
                "keep one row per trace (or add the annotator column and pass `annotator=`)."
            )
        return wide
    names = sorted(map(str, pd.unique(wide["annotator"])))
    if annotator is not None:
        if annotator not in names:
            raise TaxonomyError(f"`annotator` {annotator!r} is not in the labels; found {names}.")
        return wide[wide["annotator"] == annotator].reset_index(drop=True)
    if wide["trace_id"].duplicated().any():
        raise TaxonomyError(
            f"the labels hold several annotators per trace ({', '.join(names)}); choose one "
            "with `annotator=`."
        )
    return wide


def rater_frame(labels: Any) -> pd.DataFrame:
    """A LabelStore (or its ``labels()`` frame) as one row per (trace, annotator), modes joined.

    This is the shape :func:`evalkit.stats.agreement_report` reads: ``trace_id, annotator``,
    one column per field, ``failure_modes`` as ``';'``-joined text.
    """
    is_store = hasattr(labels, "labels") and callable(labels.labels)
    if not is_store and not isinstance(labels, pd.DataFrame):
        raise TypeError(
            f"`labels` must be a pandas DataFrame; got {type(labels).__name__}. "
            "(A LabelStore is accepted too.)"
        )
    wide = label_table(labels)
    for col in _LIST_FIELDS:
        wide[col] = [";".join(v) for v in wide[col]]
    return wide
