"""Align two sets of verdicts (human and judge) by trace id, refusing gaps and duplicates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError


class LabelAlignmentError(EvalkitError, ValueError):
    """Two sets of verdicts do not line up (missing, duplicated or mismatched trace ids)."""



def as_labels(x: Any, *, name: str, column: str = "verdict") -> pd.Series:
    """Turn verdicts into a Series indexed by trace id.

    ``x`` may be a Series (its index is the id), a DataFrame with ``trace_id`` and ``column``
    columns (or indexed by id), or a 1-D array (positions are the ids).
    """
    if isinstance(x, pd.DataFrame):
        if column not in x.columns:
            raise LabelAlignmentError(
                f"`{name}` must have a {column!r} column; got columns {list(x.columns)}."
            )
        s = x.set_index("trace_id")[column] if "trace_id" in x.columns else x[column]
    elif isinstance(x, pd.Series):
        s = x
    else:
        arr = np.asarray(x)
        if arr.ndim != 1:
            raise LabelAlignmentError(f"`{name}` must be 1-D; got shape {arr.shape}.")
        s = pd.Series(arr)
    s = s.rename(name)
    if s.index.has_duplicates:
        dups = s.index[s.index.duplicated()].unique()[:3].tolist()
        raise LabelAlignmentError(
            f"`{name}` has duplicated trace ids {dups}: give one verdict per trace "
            "(for several annotators take a majority with `majority_verdicts`)."
        )
    missing = s.isna()
    if missing.any():
        ids = s.index[missing][:3].tolist()
        raise LabelAlignmentError(
            f"`{name}` has {int(missing.sum())} missing verdicts (trace ids {ids})."
        )
    return s


def align_labels(
    human: Any, judge: Any, *, strict: bool = False, judge_column: str = "verdict"
) -> pd.DataFrame:
    """Align human and judge verdicts on trace id.

    Every human-labelled id must have a judge verdict. Judge verdicts for ids without a human
    label are allowed (they are the unlabeled production set) unless ``strict=True``.

    Raises
    ------
    LabelAlignmentError
        Missing, duplicated or (with ``strict``) extra ids, naming a few of them.

    Examples
    --------
    >>> h = pd.Series(["pass", "fail"], index=["t1", "t2"])
    >>> j = pd.Series(["fail", "pass", "pass"], index=["t2", "t1", "t3"])
    >>> align_labels(h, j).to_dict("list")
    {'human': ['pass', 'fail'], 'judge': ['pass', 'fail']}
    """
    positional = not isinstance(human, (pd.Series, pd.DataFrame)) and not isinstance(
        judge, (pd.Series, pd.DataFrame)
    )
    h = as_labels(human, name="human")
    j = as_labels(judge, name="judge", column=judge_column)
    if positional and len(h) != len(j):
        raise LabelAlignmentError(
            f"`human` and `judge` must have the same length; got {len(h)} and {len(j)}."
        )
    missing = h.index.difference(j.index, sort=False)
    if len(missing):
        raise LabelAlignmentError(
            f"{len(missing)} of {len(h)} human-labelled trace ids have no judge verdict "
            f"(e.g. {missing[:3].tolist()}); are both files from the same run?"
        )
    if strict:
        extra = j.index.difference(h.index, sort=False)
        if len(extra):
            raise LabelAlignmentError(
                f"{len(extra)} judge trace ids have no human label (e.g. {extra[:3].tolist()})."
            )
    return pd.DataFrame({"human": h, "judge": j.reindex(h.index)})
