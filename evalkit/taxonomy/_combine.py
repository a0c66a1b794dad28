"""Several annotators' labels of one trace as one vote per mode: majority, any-of or all-of.

:func:`failure_rates` takes ``annotator="majority"`` (or ``"any"``, ``"all"``) to count every
trace once, from all the annotators who labelled it, instead of one annotator's labels.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from evalkit.taxonomy._errors import TaxonomyError

#: Rules that combine annotators (reserved values of ``annotator=``).
RULES: Final[tuple[str, ...]] = ("majority", "any", "all")


def combine_rule(wide: pd.DataFrame, annotator: str | None) -> str | None:
    """``annotator`` if it names a combination rule, else ``None`` (one annotator or none).

    An annotator literally called ``"majority"``, ``"any"`` or ``"all"`` would be ambiguous: that
    is an error (filter the labels to that annotator first).
    """
    if annotator not in RULES:
        return None
    if "annotator" in wide.columns and (wide["annotator"].astype(object) == annotator).any():
        raise TaxonomyError(
            f"`annotator` {annotator!r} is both an annotator in the labels and a combination "
            f"rule ({', '.join(map(repr, RULES))}); to count that annotator alone, select its "
            "rows from the labels first."
        )
    return annotator


def combine(
    wide: pd.DataFrame, y: np.ndarray, rule: str, keep: list[str]
) -> tuple[pd.DataFrame, np.ndarray, int]:
    """One row per trace: the rows' votes ``y`` (rows x modes, bool) combined by ``rule``.

    Returns the per-trace frame (``trace_id`` and the ``keep`` columns, which must agree across
    a trace's rows), the combined matrix and the number of tied (trace, mode) cells (majority
    only: exactly half of the trace's annotators chose the mode; a tie does not count).
    """
    codes, uniques = pd.factorize(wide["trace_id"], sort=False)
    n_traces = len(uniques)
    votes = np.column_stack(
        [np.bincount(codes, weights=y[:, j], minlength=n_traces) for j in range(y.shape[1])]
    ).astype(np.int64)
    raters = np.bincount(codes, minlength=n_traces)[:, None]
    if rule == "majority":
        out = 2 * votes > raters
        ties = int(np.count_nonzero(2 * votes == raters))
    elif rule == "any":
        out, ties = votes > 0, 0
    else:
        out, ties = votes == raters, 0
    first = np.empty(n_traces, dtype=np.int64)  # first row of each trace (codes: first-seen order)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    for col in keep:
        ids, _ = pd.factorize(wide[col], use_na_sentinel=False)
        differs = ids != ids[first[codes]]
        if differs.any():
            tid = wide["trace_id"].iloc[int(np.flatnonzero(differs)[0])]
            raise TaxonomyError(
                f"column {col!r} differs between the annotators of trace {tid!r}; with "
                f"`annotator={rule!r}` each trace needs one value."
            )
    per_trace = wide.iloc[first][["trace_id", *keep]].reset_index(drop=True)
    return per_trace, out, ties
