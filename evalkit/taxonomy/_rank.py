"""Which failures matter most, and has review found them all: Pareto ranking and saturation.

:func:`rank_failures` orders modes by frequency x severity (x cost per trace) into a Pareto
table; :func:`saturation` follows how many new codes each reviewed trace brought and flags when
a run of traces brought none ("enough review for now").
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.stats._common import ConfidenceInterval, check_confidence_level
from evalkit.stats._proportions import wilson_interval
from evalkit.taxonomy._errors import TaxonomyError, UnknownModeError
from evalkit.taxonomy._labels import label_table
from evalkit.taxonomy._model import Taxonomy
from evalkit.taxonomy._rates import ALL, ANY, FailureRates, failure_rates


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class FailureRanking:
    """Failure modes ranked by impact (rate x severity x cost), as a Pareto table.

    Attributes
    ----------
    statistic : float
        Rate of the top-ranked mode.
    confidence_interval : ConfidenceInterval
        Its interval.
    table : pandas.DataFrame
        ``rank, mode, parent, rate, ci_low, ci_high, severity, cost, impact, share,
        cumulative_share``, highest impact first.
    top : str
        The top-ranked mode.
    """

    statistic: float
    confidence_interval: ConfidenceInterval
    table: pd.DataFrame
    top: str

    def __repr__(self) -> str:
        return f"FailureRanking(top={self.top!r}, {len(self.table)} modes)"

    def to_frame(self) -> pd.DataFrame:
        """Return the Pareto table (a copy)."""
        return self.table.copy()

    def plot(self, **kwargs: Any) -> Any:
        """Pareto chart: impact bars with the cumulative share line."""
        from evalkit.plots.taxonomy import pareto_chart

        return pareto_chart(self, **kwargs)

    def _repr_html_(self) -> str:
        body = self.table.to_html(index=False, escape=True, float_format="{:.3f}".format)
        return (
            f"<div class='evalkit-ranking'><b>Failure modes by impact</b>: top is "
            f"{html.escape(self.top)}{body}</div>"
        )


def rank_failures(
    rates: FailureRates | Any,
    taxonomy: Taxonomy | None = None,
    *,
    cost: Mapping[str, float] | None = None,
    leaves_only: bool = True,
    **kwargs: Any,
) -> FailureRanking:
    r"""Rank failure modes by rate x severity (x cost per failing trace): a Pareto table.

    Parameters
    ----------
    rates : FailureRates, LabelStore or DataFrame
        Overall rates from :func:`failure_rates`, or labels (then ``taxonomy`` is required and
        ``kwargs`` go to :func:`failure_rates`).
    taxonomy : Taxonomy, optional
    cost : mapping mode -> float, optional
        Cost of one failing trace per mode (e.g. dollars, minutes); default 1 for every mode.
    leaves_only : bool, default True
        Leave out parent modes (they would count their children twice).

    Returns
    -------
    FailureRanking
        ``impact = rate * severity * cost``; ``share`` and ``cumulative_share`` of the total.

    Examples
    --------
    >>> import pandas as pd
    >>> tax = Taxonomy(modes=[{"name": "a", "severity": 1}, {"name": "b", "severity": 3}])
    >>> labels = pd.DataFrame({"trace_id": list("wxyz"), "failure_modes": ["a", "a", "b", ""]})
    >>> rank_failures(labels, tax, by=None).to_frame()[["rank", "mode", "impact"]]
       rank mode  impact
    0     1    b    0.75
    1     2    a    0.50
    """
    if not isinstance(rates, FailureRates):
        if taxonomy is None:
            raise TaxonomyError("`taxonomy` is required when `rates` are labels.")
        rates = failure_rates(rates, taxonomy, **kwargs)
    col = rates.by or "group"
    t = rates.table[(rates.table[col] == ALL) & (rates.table["mode"] != ANY)].copy()
    if leaves_only:
        parents = set(t["parent"].dropna())
        t = t[~t["mode"].isin(parents)]
    costs = dict(cost or {})
    unknown = sorted(set(costs) - set(t["mode"]))
    if unknown:
        raise UnknownModeError(f"`cost` names unknown modes {unknown}; modes: {list(t['mode'])}.")
    t["cost"] = [float(costs.get(m, 1.0)) for m in t["mode"]]
    t["impact"] = t["rate"] * t["severity"].astype(float) * t["cost"]
    t = t.sort_values(["impact", "mode"], ascending=[False, True]).reset_index(drop=True)
    total = float(t["impact"].sum())
    t["share"] = t["impact"] / total if total > 0 else np.nan
    t["cumulative_share"] = t["share"].cumsum()
    t.insert(0, "rank", np.arange(1, len(t) + 1))
    cols = ["rank", "mode", "parent", "rate", "ci_low", "ci_high", "severity", "cost", "impact",
            "share", "cumulative_share"]  # fmt: skip
    t = t[cols]
    if t.empty:
        raise TaxonomyError("the taxonomy has no modes to rank.")
    first = t.iloc[0]
    return FailureRanking(
        statistic=float(first["rate"]),
        confidence_interval=ConfidenceInterval(float(first["ci_low"]), float(first["ci_high"])),
        table=t,
        top=str(first["mode"]),
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class Saturation:
    """New codes per reviewed trace, and whether review has stopped finding new ones.

    Attributes
    ----------
    statistic : float
        Share of the last ``window`` reviewed traces that brought a new code.
    confidence_interval : ConfidenceInterval
        Wilson interval of that share.
    curve : pandas.DataFrame
        ``position, trace_id, new_codes, distinct_codes, since_new`` in review order.
    saturated : bool
        ``True`` when the last ``window`` traces brought no new code.
    saturated_at : int or None
        Position (1-based) where a run of ``window`` traces without a new code first completed.
    window : int
    n_codes : int
        Distinct codes seen.
    """

    statistic: float
    confidence_interval: ConfidenceInterval
    curve: pd.DataFrame
    saturated: bool
    saturated_at: int | None
    window: int
    n_codes: int

    def __repr__(self) -> str:
        return (
            f"Saturation({self.n_codes} codes over {len(self.curve)} traces, "
            f"saturated={self.saturated}, saturated_at={self.saturated_at})"
        )

    def to_frame(self) -> pd.DataFrame:
        """Return the curve (a copy)."""
        return self.curve.copy()

    def plot(self, **kwargs: Any) -> Any:
        """Distinct codes against traces reviewed, with the saturation point marked."""
        from evalkit.plots.taxonomy import saturation_curve

        return saturation_curve(self, **kwargs)

    def _repr_html_(self) -> str:
        state = (
            f"saturated: no new code in the last {self.window} traces"
            if self.saturated
            else f"not saturated: {self.statistic:.0%} of the last {self.window} traces "
            "brought a new code; keep reviewing"
        )
        return (
            f"<div class='evalkit-saturation'><b>Saturation</b>: {self.n_codes} codes over "
            f"{len(self.curve)} traces; {html.escape(state)}</div>"
        )


def saturation(
    labels: Any,
    *,
    field: str = "auto",
    order: str | None = "auto",
    window: int = 20,
    confidence_level: float = 0.95,
) -> Saturation:
    """New codes per reviewed trace, flagging when ``window`` traces in a row brought none.

    Parameters
    ----------
    labels : LabelStore or DataFrame
        Labels (see :func:`evalkit.taxonomy.label_table`), several annotators pooled.
    field : {'auto', 'open_codes', 'failure_modes'}, default 'auto'
        Where codes come from; ``'auto'`` uses ``open_codes`` when any are given.
    order : str or None, default 'auto'
        Column giving review order (``'auto'``: ``created_at`` or ``labeled_at`` when present,
        else row order).
    window : int, default 20
    confidence_level : float, default 0.95

    Returns
    -------
    Saturation

    Examples
    --------
    >>> import pandas as pd
    >>> codes = ["a", "b", "a", "", "b", "a"]
    >>> s = saturation(pd.DataFrame({"trace_id": list("uvwxyz"), "open_codes": codes}), window=3)
    >>> s.saturated, s.saturated_at, s.curve["distinct_codes"].tolist()
    (True, 5, [1, 2, 2, 2, 2, 2])
    """
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise TaxonomyError(f"`window` must be a positive integer; got {window!r}.")
    cl = check_confidence_level(confidence_level)
    wide = label_table(labels)
    if field == "auto":
        field = "open_codes" if any(map(len, wide["open_codes"])) else "failure_modes"
    if field not in ("open_codes", "failure_modes"):
        raise TaxonomyError(
            f"`field` must be 'auto', 'open_codes' or 'failure_modes'; got {field!r}."
        )
    if order == "auto":
        order = next((c for c in ("created_at", "labeled_at") if c in wide.columns), None)
    if order is not None:
        if order not in wide.columns:
            raise TaxonomyError(f"`order` column {order!r} is not in the labels.")
        wide = wide.sort_values(order, kind="stable")
    seen: set[str] = set()
    new_counts: list[int] = []
    for codes in wide[field]:
        fresh = set(codes) - seen
        seen |= fresh
        new_counts.append(len(fresh))
    new = np.asarray(new_counts, dtype=np.int64)
    since = np.zeros(len(new), dtype=np.int64)
    run = 0
    for i, x in enumerate(new):
        run = 0 if x else run + 1
        since[i] = run
    curve = pd.DataFrame(
        {
            "position": np.arange(1, len(new) + 1),
            "trace_id": wide["trace_id"].to_numpy(),
            "new_codes": new,
            "distinct_codes": np.cumsum(new),
            "since_new": since,
        }
    )
    hits = np.flatnonzero(since >= window)
    last = new[-window:]
    k = int((last > 0).sum())
    lo, hi = wilson_interval(k, len(last), confidence_level=cl) if len(last) else (math.nan,) * 2
    return Saturation(
        statistic=k / len(last) if len(last) else math.nan,
        confidence_interval=ConfidenceInterval(float(lo), float(hi)),
        curve=curve,
        saturated=bool(len(new) >= window and since[-1] >= window),
        saturated_at=int(hits[0]) + 1 if len(hits) else None,
        window=window,
        n_codes=len(seen),
    )
