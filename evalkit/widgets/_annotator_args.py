"""Check the :class:`~evalkit.widgets.annotator.Annotator`'s arguments and build its review queue.

Validation comes first: every check here runs before the widget opens the store or does any work.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.labels import LabelStore

Field = Literal["verdict", "note", "open_codes", "failure_modes", "reference"]
Order = Literal["as-is", "random"]

FIELDS: Final[tuple[str, ...]] = (
    "verdict", "note", "open_codes", "failure_modes", "reference"
)
ORDERS: Final[tuple[str, ...]] = ("as-is", "random")


def _check_choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"`{name}` must be one of {choices}; got {value!r}.")
    return value


def _open_store(store: Any) -> LabelStore:
    from evalkit.labels import LabelStore

    if isinstance(store, (str, os.PathLike)):
        return LabelStore(store)
    if isinstance(store, LabelStore):
        return store
    raise TypeError(
        "`store` must be an evalkit.LabelStore or the path of its file; "
        f"got {type(store).__name__}."
    )


def _queue_ids(queue: Any) -> list[str]:
    import pandas as pd

    if isinstance(queue, pd.DataFrame):
        if "trace_id" not in queue.columns:
            raise ValueError(
                "`queue` frame must have a 'trace_id' column; "
                f"got columns {list(map(str, queue.columns))}."
            )
        ids = queue["trace_id"]
    elif isinstance(queue, pd.Series):
        ids = queue
    elif isinstance(queue, Sequence) and not isinstance(queue, str):
        ids = pd.Series(list(queue), dtype=object)
    else:
        raise TypeError(
            f"`queue` must be a frame with a 'trace_id' column or a sequence of trace ids; "
            f"got {type(queue).__name__}."
        )
    if ids.isna().any():
        raise ValueError(f"`queue` has {int(ids.isna().sum())} missing trace ids.")
    out = [str(x) for x in ids]
    if len(set(out)) != len(out):
        dup = pd.Series(out)[pd.Series(out).duplicated()].iloc[0]
        raise ValueError(f"`queue` lists trace {dup!r} more than once.")
    return out


def _check_args(
    traces: pd.DataFrame,
    *,
    annotator: str,
    queue: pd.DataFrame | Sequence[str] | None,
    fields: Sequence[Field] | None,
    failure_modes: Sequence[str] | None,
    order: Order,
) -> tuple[pd.DataFrame, list[str], list[str], np.ndarray]:
    """Check the Annotator's arguments; return its rows, fields, failure modes and queue rows.

    The queue rows are positions in ``rows`` (``traces`` with a fresh index), in review order
    before any ``order='random'`` shuffle.
    """
    import pandas as pd

    if not isinstance(traces, pd.DataFrame):
        raise TypeError(
            f"`traces` must be a canonical trace frame (pd.DataFrame); got {type(traces).__name__}."
        )
    if "trace_id" not in traces.columns:
        raise ValueError(
            f"`traces` must have a 'trace_id' column; got columns {list(map(str, traces.columns))}."
        )
    if not isinstance(annotator, str) or not annotator.strip():
        raise ValueError(f"`annotator` must be a non-empty string; got {annotator!r}.")
    _check_choice("order", order, ORDERS)
    if isinstance(failure_modes, str):
        raise TypeError("`failure_modes` must be a sequence of mode names; got a single string.")
    modes = [str(m) for m in failure_modes] if failure_modes is not None else []
    chosen: list[str] = (
        list(fields)
        if fields is not None
        else ["verdict", "note", "open_codes"]
        + (["failure_modes"] if modes else [])
        + ["reference"]
    )
    for f in chosen:
        _check_choice("fields", f, FIELDS)
    if "verdict" not in chosen:
        raise ValueError(f"`fields` must include 'verdict'; got {chosen!r}.")
    if "failure_modes" in chosen and not modes:
        raise ValueError(
            "`fields` includes 'failure_modes' but `failure_modes` is empty: pass the "
            "taxonomy's mode names, e.g. failure_modes=['hallucinated_policy', ...]."
        )
    ids_all = traces["trace_id"]
    if ids_all.isna().any():
        raise ValueError(f"`traces` has {int(ids_all.isna().sum())} rows without a trace_id.")
    dups = ids_all[ids_all.duplicated()]
    if len(dups):
        raise ValueError(
            f"`traces` trace ids must be unique; {dups.nunique()} repeat "
            f"(e.g. {str(dups.iloc[0])!r})."
        )
    rows = traces.reset_index(drop=True)
    if queue is None:
        order_rows = np.arange(len(rows))
    else:
        row_of = {str(t): i for i, t in enumerate(rows["trace_id"])}
        qids = _queue_ids(queue)
        missing = [t for t in qids if t not in row_of]
        if missing:
            raise ValueError(
                f"`queue` has {len(missing)} trace ids that are not in `traces` "
                f"(e.g. {missing[:3]!r})."
            )
        order_rows = np.fromiter((row_of[t] for t in qids), dtype=np.int64, count=len(qids))
    return rows, chosen, modes, order_rows
