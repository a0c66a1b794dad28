"""Where agent pipelines break: last successful state -> first failing state, with intervals.

:func:`failure_transitions` counts, for every failing trace, the pair (last state that worked,
first state that failed). States come from two label columns, or are derived from a per-trace
list of steps: the spans the span-based readers keep in ``metadata["spans"]``, with their
status, or any ``{name, status}`` dicts in pipeline order (see :mod:`evalkit.taxonomy._steps`). Each
cell gets its share of failing traces with a Wilson interval; :meth:`FailureTransitions.queue`
turns a cell into a review queue for the Annotator.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import TraceWarning
from evalkit.stats._common import ConfidenceInterval, check_confidence_level
from evalkit.stats._proportions import wilson_interval
from evalkit.taxonomy._errors import TaxonomyError
from evalkit.taxonomy._steps import START, StateOf, state_function, steps_values, transition_of


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class FailureTransitions:
    """Matrix of last successful state -> first failing state over failing traces.

    Attributes
    ----------
    statistic : float
        Share of failing traces in the most common cell.
    confidence_interval : ConfidenceInterval
        Its Wilson interval.
    table : pandas.DataFrame
        ``last_ok, first_fail, count, share, ci_low, ci_high`` (every cell of ``states``).
    counts : pandas.DataFrame
        The count matrix (rows: last successful state, columns: first failing state).
    states : tuple of str
    n_failing : int
    members : pandas.DataFrame
        ``trace_id, last_ok, first_fail`` for every failing trace.
    n_traces : int
        Traces looked at (with steps, when states come from steps).
    n_without_steps : int
        Traces left out because they have no steps (``steps=`` only; a warning names them).
    """

    statistic: float
    confidence_interval: ConfidenceInterval
    table: pd.DataFrame
    counts: pd.DataFrame
    states: tuple[str, ...]
    n_failing: int
    members: pd.DataFrame
    n_traces: int = 0
    n_without_steps: int = 0

    def __repr__(self) -> str:
        return f"FailureTransitions({self.n_failing} failing traces, states={self.states})"

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy cell table (a copy)."""
        return self.table.copy()

    def queue(self, last_ok: str, first_fail: str) -> pd.DataFrame:
        """The traces of one cell as a review queue (``trace_id``, ``last_ok``, ``first_fail``)."""
        for arg, value in (("last_ok", last_ok), ("first_fail", first_fail)):
            if value not in (*self.states, START):
                raise TaxonomyError(f"`{arg}` {value!r} is not a state; states: {self.states}.")
        m = self.members
        return m[(m["last_ok"] == last_ok) & (m["first_fail"] == first_fail)].reset_index(drop=True)

    def plot(self, **kwargs: Any) -> Any:
        """Heatmap of counts and shares (see :mod:`evalkit.plots.taxonomy`)."""
        from evalkit.plots.taxonomy import transition_heatmap

        return transition_heatmap(self, **kwargs)

    def _repr_html_(self) -> str:
        top = self.table.sort_values("count", ascending=False).head(5)
        body = top.to_html(index=False, escape=True, float_format="{:.3f}".format)
        return (
            f"<div class='evalkit-transitions'><b>Failure transitions</b> over {self.n_failing} "
            f"failing traces ({len(self.states)} states); most common cells:{body}</div>"
        )


def _order(rows: list[str], cols: list[str]) -> Any:
    rank = {**{s: i for i, s in enumerate(rows)}, **{s: i for i, s in enumerate(cols)}}

    def key(col: pd.Series) -> pd.Series:
        if col.name == "last_ok":
            return col.map({s: i for i, s in enumerate(rows)})
        return col.map(rank)

    return key


def failure_transitions(
    data: pd.DataFrame,
    *,
    states: Sequence[str] | None = None,
    last_ok: str = "last_ok_state",
    first_fail: str = "first_failed_state",
    steps: str | None = None,
    state: str | StateOf = "name",
    confidence_level: float = 0.95,
) -> FailureTransitions:
    """Count last-successful -> first-failing state pairs over failing traces.

    Parameters
    ----------
    data : DataFrame
        One row per trace with ``trace_id`` and either the two state columns (``last_ok``,
        ``first_fail``; a missing ``first_fail`` means the trace did not fail, a missing
        ``last_ok`` that it failed at the first state) or per-trace steps: a loaded trace
        frame (:func:`evalkit.load_traces`) with ``steps="spans"``.
    states : sequence of str, optional
        Pipeline states in order (rows and columns of the matrix). Default: the states seen,
        in order of first appearance.
    last_ok, first_fail : str
        Label columns holding the states.
    steps : str, optional
        Derive the states from per-trace step lists instead of the two state columns: the
        column ``steps``, else the ``metadata[steps]`` of each trace. ``steps="spans"`` reads
        the spans that the OTLP GenAI, OpenInference, Langfuse, LangSmith and Inspect readers
        keep (``{span_id, parent_id, name, kind, status, message, start, end}``, tree order);
        any list of ``{"name", "status"}`` dicts in pipeline order works too. A step fails when
        its status is not one of ``ok``, ``success``, ``unset``, ``pass``, ``true``, ``1`` (or
        missing). The first failing state is where the error started (the first failing step
        none of whose descendants failed: a parent span fails because its child did); the last
        successful state is the step just before it on the same level (its previous sibling,
        else its parent's, and so on up), or ``"(start)"``.
    state : {"name", "kind"} or callable, default "name"
        With ``steps``: what names a state, the step's ``name`` (span name), its ``kind``
        (e.g. ``LLM``/``TOOL``, ``chat``/``execute_tool``; the name when missing), or a
        function of the step dict returning text.
    confidence_level : float, default 0.95

    Returns
    -------
    FailureTransitions
        ``.table`` with shares of failing traces and Wilson intervals, ``.counts``, ``.plot()``
        and ``.queue(last_ok, first_fail)``.

    Examples
    --------
    >>> df = pd.DataFrame({"trace_id": ["a", "b", "c"],
    ...                    "last_ok_state": ["plan", "plan", "search"],
    ...                    "first_failed_state": ["search", "search", "answer"]})
    >>> res = failure_transitions(df, states=["plan", "search", "answer"])
    >>> res.counts.loc["plan", "search"], res.queue("plan", "search")["trace_id"].tolist()
    (np.int64(2), ['a', 'b'])

    From span status (what the readers keep in ``metadata["spans"]``):

    >>> spans = [{"span_id": "r", "parent_id": None, "name": "agent", "status": "error"},
    ...          {"span_id": "p", "parent_id": "r", "name": "plan", "status": "ok"},
    ...          {"span_id": "s", "parent_id": "r", "name": "search", "status": "error",
    ...           "message": "timeout"}]
    >>> traces = pd.DataFrame({"trace_id": ["t1", "t2"],
    ...                        "metadata": [{"spans": spans}, {"spans": spans[1:2]}]})
    >>> res = failure_transitions(traces, steps="spans")
    >>> res.members.to_numpy().tolist(), res.n_traces
    ([['t1', 'plan', 'search']], 2)
    """
    cl = check_confidence_level(confidence_level)
    if not isinstance(data, pd.DataFrame) or "trace_id" not in data.columns:
        raise TaxonomyError("`data` must be a DataFrame with a 'trace_id' column.")
    pairs: list[tuple[Any, str, str]] = []
    n_traces, without = len(data), []
    if steps is not None:
        state_of = state_function(state)
        for tid, s in zip(data["trace_id"], steps_values(data, steps), strict=True):
            pair = transition_of(s, tid, state_of)
            if s is None or (isinstance(s, float) and s != s):
                without.append(tid)
            elif pair is not None:
                pairs.append((tid, *pair))
        if without:
            n_traces -= len(without)
            warnings.warn(
                f"{len(without)} of {len(data)} traces have no {steps!r} steps and are left out "
                f"of the transitions, e.g. {without[:3]}.",
                TraceWarning,
                stacklevel=2,
            )
    else:
        for col, arg in ((last_ok, "last_ok"), (first_fail, "first_fail")):
            if col not in data.columns:
                raise TaxonomyError(
                    f"`{arg}` column {col!r} is not in `data`; columns: "
                    f"{list(map(str, data.columns))} (or pass `steps=`)."
                )
        for tid, a, b in zip(data["trace_id"], data[last_ok], data[first_fail], strict=True):
            if pd.isna(b):
                continue
            pairs.append((tid, START if pd.isna(a) else str(a), str(b)))
    members = pd.DataFrame(pairs, columns=["trace_id", "last_ok", "first_fail"])
    seen = list(dict.fromkeys([*members["last_ok"], *members["first_fail"]]))
    seen = [s for s in seen if s != START]
    order = list(states) if states is not None else seen
    unknown = sorted(set(seen) - set(order))
    if unknown:
        raise TaxonomyError(f"states {unknown} are not in `states` {order}.")
    rows = [START, *order]
    counts = pd.crosstab(members["last_ok"], members["first_fail"]).reindex(
        index=rows, columns=order, fill_value=0
    )
    counts.index.name, counts.columns.name = "last_ok", "first_fail"
    n = len(members)
    long = counts.reset_index().melt(id_vars="last_ok", var_name="first_fail", value_name="count")
    long = long.sort_values(["last_ok", "first_fail"], key=_order(rows, order), kind="stable")
    long = long.reset_index(drop=True)
    k = long["count"].to_numpy()
    lo, hi = wilson_interval(k, n, confidence_level=cl)
    with np.errstate(divide="ignore", invalid="ignore"):
        long["share"] = k / n
    long["ci_low"], long["ci_high"] = lo, hi
    top = long.sort_values("count", ascending=False, kind="stable").iloc[0] if n else None
    return FailureTransitions(
        statistic=float(top["share"]) if top is not None else float("nan"),
        confidence_interval=ConfidenceInterval(
            float(top["ci_low"]) if top is not None else float("nan"),
            float(top["ci_high"]) if top is not None else float("nan"),
        ),
        table=long,
        counts=counts,
        states=tuple(order),
        n_failing=n,
        members=members,
        n_traces=n_traces,
        n_without_steps=len(without),
    )
