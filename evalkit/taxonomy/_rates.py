"""Failure rates per mode, overall and per segment, with Wilson or design-weighted intervals.

:func:`failure_rates` resolves every label's ``failure_modes`` (current names, former names and
mapped open codes) against a :class:`~evalkit.taxonomy.Taxonomy`, rolls children up into their
parent mode, and returns a :class:`FailureRates` result whose ``to_frame()`` is the tidy table a
team puts in its weekly report.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd

from evalkit.stats._common import ConfidenceInterval, Estimate, check_confidence_level
from evalkit.stats._proportions import wilson_interval
from evalkit.taxonomy._combine import combine, combine_rule
from evalkit.taxonomy._errors import TaxonomyError, UnknownModeError, UnknownTaxonomyVersionError
from evalkit.taxonomy._intervals import weighted_rate_sums
from evalkit.taxonomy._labels import one_per_trace, wide_view
from evalkit.taxonomy._model import Taxonomy

ALL = "(all)"
ANY = "(any mode)"
MISSING = "(missing)"


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class FailureRates:
    """Failure-mode rates with intervals, overall and per group.

    Attributes
    ----------
    statistic : float
        Overall share of reviewed traces with at least one failure mode.
    confidence_interval : ConfidenceInterval
        Its interval.
    table : pandas.DataFrame
        One row per (group, mode): ``<by>, mode, parent, severity, n, k, rate, ci_low, ci_high,
        standard_error, n_eff, method``. The group ``'(all)'`` holds the overall rates and the mode
        ``'(any mode)'`` the share of traces with any mode.
    by : str or None
        The grouping column.
    weighted : bool
        Whether rates are design-weighted (Horvitz-Thompson / Hajek).
    method : str
        ``'wilson'`` or ``'weighted-wilson (Korn-Graubard)'``.
    confidence_level : float
    n_traces : int
        Reviewed traces counted (deferred ones excluded).
    taxonomy_name : str
    taxonomy_version : int
    annotators : str or None
        The annotator counted, the rule that combined annotators (``'majority'``, ``'any'``,
        ``'all'``), or None (one annotator per trace).
    n_ties : int
        With ``'majority'``: (trace, mode) cells where exactly half the annotators chose the
        mode (not counted as the mode).
    """

    statistic: float
    confidence_interval: ConfidenceInterval
    table: pd.DataFrame
    by: str | None
    weighted: bool
    method: str
    confidence_level: float
    n_traces: int
    taxonomy_name: str
    taxonomy_version: int
    annotators: str | None = None
    n_ties: int = 0

    def __repr__(self) -> str:
        lo, hi = self.confidence_interval
        return (
            f"FailureRates(any mode {self.statistic:.3f} [{lo:.3f}, {hi:.3f}], "
            f"{self.n_traces} traces, {len(self.table)} rows, {self.method})"
        )

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy table (a copy)."""
        return self.table.copy()

    def rate(self, mode: str, group: str = ALL) -> Estimate:
        """Return one rate as an :class:`~evalkit.stats.Estimate`."""
        col = self.by or "group"
        row = self.table[(self.table["mode"] == mode) & (self.table[col] == group)]
        if row.empty:
            raise UnknownModeError(f"no rate for mode {mode!r} in group {group!r}.")
        r = row.iloc[0]
        return Estimate(
            statistic=float(r["rate"]),
            confidence_interval=ConfidenceInterval(float(r["ci_low"]), float(r["ci_high"])),
            standard_error=float(r["standard_error"]),
            confidence_level=self.confidence_level,
            method=self.method,
            name=f"rate of {mode} ({group})",
        )

    def above_overall(self) -> pd.DataFrame:
        """(group, mode) rows whose interval lies wholly above the overall rate's interval.

        These are the failures the overall rate hides: rare overall, common in one segment.
        """
        col = self.by or "group"
        t = self.table
        overall = t[t[col] == ALL].set_index("mode")["ci_high"]
        part = t[(t[col] != ALL) & (t["mode"] != ANY)]
        hi = part["mode"].map(overall)
        out = part[part["ci_low"] > hi].assign(overall_ci_high=hi[part["ci_low"] > hi])
        return out.sort_values("ci_low", ascending=False).reset_index(drop=True)

    def plot(self, **kwargs: Any) -> Any:
        """Mode x group heatmap with rates and intervals (see :mod:`evalkit.plots.taxonomy`)."""
        from evalkit.plots.taxonomy import rates_heatmap

        return rates_heatmap(self, **kwargs)

    def _repr_html_(self) -> str:
        lo, hi = self.confidence_interval
        head = (
            f"<b>Failure rates</b>, taxonomy {html.escape(self.taxonomy_name)} "
            f"v{self.taxonomy_version}, {self.n_traces} traces, {html.escape(self.method)}: "
            f"any mode {self.statistic:.1%} ({self.confidence_level:.0%} CI {lo:.1%} to {hi:.1%})"
        )
        if self.annotators is not None:
            head += f"; annotators: {html.escape(self.annotators)}"
            if self.annotators == "majority":
                head += f" ({self.n_ties} tied trace-mode cells, not counted)"
        cols = [self.by or "group", "mode", "n", "k", "rate", "ci_low", "ci_high"]
        body = self.table[cols].to_html(index=False, escape=True, float_format="{:.3f}".format)
        return f"<div class='evalkit-failure-rates'>{head}{body}</div>"


def _weights(wide: pd.DataFrame, weights: Any) -> np.ndarray | None:
    if weights is None:
        return None
    if isinstance(weights, str):
        if weights not in wide.columns:
            raise TaxonomyError(
                f"`weights` column {weights!r} is not in the labels; "
                f"columns: {list(map(str, wide.columns))}."
            )
        w = pd.to_numeric(wide[weights], errors="coerce").to_numpy(dtype=np.float64)
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(wide),):
            raise TaxonomyError(
                f"`weights` must have one value per labelled trace ({len(wide)}); got shape "
                f"{w.shape}."
            )
    bad = ~(np.isfinite(w) & (w > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise TaxonomyError(
            f"`weights` must be positive and finite; trace {wide['trace_id'].iloc[i]!r} has "
            f"{float(w[i])!r}."
        )
    return w


def _check_versions(wide: pd.DataFrame, tax: Taxonomy) -> None:
    if "taxonomy_version" not in wide.columns:
        return
    v = pd.to_numeric(wide["taxonomy_version"], errors="coerce")
    bad = v.notna() & ~v.isin(tax.versions)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise UnknownTaxonomyVersionError(
            f"trace {wide['trace_id'].iloc[i]!r} was labelled under taxonomy {tax.name!r} "
            f"v{int(v.iloc[i])}, which is not in its history {list(tax.versions)}."
        )


def mode_matrix(lists: Sequence[Any], trace_ids: Any, tax: Taxonomy) -> np.ndarray:
    """Boolean (traces x active modes) matrix; parents include their children.

    Raises :class:`UnknownModeError` naming the first trace with a label the taxonomy does not
    know (neither a mode, a former mode nor a mapped code).
    """
    names = tax.mode_names
    col = {m: j for j, m in enumerate(names)}
    n = len(lists)
    lens = np.fromiter(map(len, lists), dtype=np.int64, count=n)
    flat = list(chain.from_iterable(lists))
    y = np.zeros((n, len(names)), dtype=bool)
    if flat:
        rows = np.repeat(np.arange(n), lens)
        codes, uniques = pd.factorize(np.array(flat, dtype=object))
        for u, label in enumerate(uniques):
            try:
                targets = tax.resolve(str(label))
            except UnknownModeError:
                at = int(rows[np.flatnonzero(codes == u)[0]])
                tid = trace_ids.iloc[at] if isinstance(trace_ids, pd.Series) else trace_ids[at]
                raise UnknownModeError(
                    f"trace {tid!r} has failure mode {label!r}, which taxonomy "
                    f"{tax.name!r} v{tax.version} does not know (not a mode, former mode or "
                    f"mapped code); modes: {list(names)}."
                ) from None
            hit = rows[codes == u]
            for t in targets:
                y[hit, col[t]] = True
    # roll children up into parents, deepest first
    depth = {m.name: _depth(tax, m.name) for m in tax.active_modes}
    for m in sorted(tax.active_modes, key=lambda m: -depth[m.name]):
        if m.parent is not None and m.parent in col:
            y[:, col[m.parent]] |= y[:, col[m.name]]
    return y


def _depth(tax: Taxonomy, name: str) -> int:
    d, node = 0, tax[name].parent
    while node is not None:
        d, node = d + 1, tax[node].parent
    return d


def failure_rates(
    labels: Any,
    taxonomy: Taxonomy,
    *,
    by: str | None = "segment",
    weights: str | Sequence[float] | np.ndarray | None = None,
    annotator: str | None = None,
    confidence_level: float = 0.95,
) -> FailureRates:
    r"""Rate of each failure mode with an interval, overall and per ``by`` group.

    Parameters
    ----------
    labels : LabelStore or DataFrame
        Labels (see :func:`evalkit.taxonomy.label_table`); ``failure_modes`` may hold mode names,
        former names or mapped open codes. Traces with verdict ``'defer'`` are left out.
    taxonomy : Taxonomy
    by : str or None, default ``'segment'``
        Column to group by (missing values form the group ``'(missing)'``); None: overall only.
    weights : str, array_like or None
        Sampling weights :math:`1/\pi_i` (e.g. the ``'sample_weight'`` column written by
        :func:`evalkit.sample`): rates are then design-weighted and stand for the population.
    annotator : str, optional
        Whose labels, when several annotators labelled each trace; or a rule that counts each
        trace once from all its annotators (a deferring annotator does not vote):

        - ``"majority"``: a trace has a mode when more than half of its annotators chose it. A
          tie (exactly half, e.g. 1 of 2) does **not** count; ``.n_ties`` says how many
          (trace, mode) cells tied. The ``'(any mode)'`` row is the majority vote on "some
          mode", so it can exceed every single mode's majority.
        - ``"any"``: some annotator chose it (an upper bound); ``"all"``: every annotator did
          (a lower bound).

        A parent mode is voted on like any mode (annotators who chose different children of
        it agree on the parent). ``by`` and ``weights`` columns must agree between a trace's
        annotators, and ``weights`` must then be a column name.
    confidence_level : float, default 0.95

    Returns
    -------
    FailureRates
        ``.to_frame()``, ``.plot()``, ``.above_overall()``; ``.statistic`` is the any-mode rate.

    Raises
    ------
    UnknownModeError
        A label names something the taxonomy does not know.
    UnknownTaxonomyVersionError
        A label's ``taxonomy_version`` is not in the taxonomy's history.
    TaxonomyError
        Bad ``by``, ``weights`` or ``annotator``.

    Notes
    -----
    Unweighted: Wilson score interval for :math:`k` of :math:`n` traces. Weighted: the Hajek
    estimator :math:`\hat p = \sum w_i y_i / \sum w_i` with a Wilson interval on the effective
    sample size from the linearised variance (see
    :func:`evalkit.taxonomy.weighted_rate_sums`).

    Examples
    --------
    >>> import pandas as pd
    >>> tax = Taxonomy(modes=["refusal", "dead_end"], codes={"said no": "refusal"})
    >>> labels = pd.DataFrame({"trace_id": list("abcd"), "segment": ["x", "x", "y", "y"],
    ...                        "failure_modes": ["said no", "", "dead_end", "refusal"]})
    >>> res = failure_rates(labels, tax)
    >>> res.to_frame().query("segment == '(all)'")[["mode", "k", "n", "rate"]]
             mode  k  n  rate
    0     refusal  2  4  0.50
    1    dead_end  1  4  0.25
    2  (any mode)  3  4  0.75
    """
    if not isinstance(taxonomy, Taxonomy):
        raise TaxonomyError(f"`taxonomy` must be a Taxonomy; got {type(taxonomy).__name__}.")
    cl = check_confidence_level(confidence_level)
    cols = ["verdict", "failure_modes", "taxonomy_version"]
    cols += [c for c in (by, weights) if isinstance(c, str)]
    raw = wide_view(labels, cols)
    rule = combine_rule(raw, annotator)
    wide = raw if rule is not None else one_per_trace(raw, annotator)
    if "verdict" in wide.columns:
        wide = wide[wide["verdict"].astype(object) != "defer"].reset_index(drop=True)
    _check_versions(wide, taxonomy)
    if by is not None and by not in wide.columns:
        raise TaxonomyError(
            f"`by` column {by!r} is not in the labels (columns: {list(map(str, wide.columns))}); "
            "merge it in from the traces or pass by=None."
        )
    y = mode_matrix(wide["failure_modes"].tolist(), wide["trace_id"], taxonomy)
    y = np.column_stack([y, y.any(axis=1)])
    n_ties = 0
    if rule is not None:
        if weights is not None and not isinstance(weights, str):
            raise TaxonomyError(
                f"with `annotator={rule!r}`, `weights` must be a column name (one weight per "
                f"trace); got {type(weights).__name__}."
            )
        keep = list(dict.fromkeys(c for c in (by, weights) if isinstance(c, str)))
        wide, y, n_ties = combine(wide, y, rule, [c for c in keep if c in wide.columns])
    w = _weights(wide, weights)
    modes = [*taxonomy.mode_names, ANY]
    group_names: list[str] = []
    g = np.zeros(len(wide), dtype=np.int64)
    if by is not None:
        g, uniques = pd.factorize(wide[by], sort=True)
        group_names = [str(u) for u in uniques]
        if (g < 0).any():  # missing values form their own group
            g = np.where(g < 0, len(group_names), g)
            group_names.append(MISSING)
    n_groups = len(group_names)
    size = n_groups + 1  # row 0 = overall; rows 1.. = the `by` values
    m = len(modes)
    gsize = max(n_groups, 1)
    r, c = np.nonzero(y)
    cell = g[r] * m + c

    def sums(weights: np.ndarray | None, per_cell: np.ndarray | None) -> tuple[Any, Any]:
        unit = np.bincount(g, weights=weights, minlength=gsize)
        hit = np.bincount(cell, weights=per_cell, minlength=gsize * m).reshape(gsize, m)
        if by is None:
            return unit.astype(np.float64), hit.astype(np.float64)
        return (np.concatenate([[unit.sum()], unit]).astype(np.float64),
                np.vstack([hit.sum(axis=0), hit]).astype(np.float64))  # fmt: skip

    n, k = sums(None, None)
    if w is None:
        nn = np.repeat(n[:, None], m, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = k / nn
            se = np.sqrt(rate * (1 - rate) / nn)
        lo, hi = wilson_interval(k, nn, confidence_level=cl)
        n_eff, method = nn, "wilson"
    else:
        if len(w):  # the rates are scale-free; this keeps w**2 from under- or overflowing
            w = w / w.max()
        sw, swy = sums(w, w[r])
        sw2, sw2y = sums(w**2, w[r] ** 2)
        rate, se, lo, hi, n_eff = weighted_rate_sums(
            sw[:, None], swy, sw2[:, None], sw2y, n[:, None], confidence_level=cl
        )
        method = "weighted-wilson (Korn-Graubard)"
    groups = [ALL, *group_names]
    sev = {m.name: m.severity for m in taxonomy.active_modes}
    par = {m.name: m.parent for m in taxonomy.active_modes}
    table = pd.DataFrame(
        {
            by or "group": np.repeat(groups, len(modes)),
            "mode": np.tile(modes, size),
            "parent": [par.get(m) for m in modes] * size,
            "severity": pd.array([sev.get(m) for m in modes] * size, dtype="Int64"),
            "n": np.repeat(n, len(modes)).astype(np.int64),
            "k": np.rint(k).ravel().astype(np.int64),
            "rate": np.asarray(rate, dtype=np.float64).ravel(),
            "ci_low": np.asarray(lo).ravel(),
            "ci_high": np.asarray(hi).ravel(),
            "standard_error": np.asarray(se).ravel(),
            "n_eff": np.broadcast_to(n_eff, k.shape).ravel(),
            "method": method,
        }
    )
    any_row = table[(table[by or "group"] == ALL) & (table["mode"] == ANY)].iloc[0]
    return FailureRates(
        statistic=float(any_row["rate"]) if len(wide) else math.nan,
        confidence_interval=ConfidenceInterval(float(any_row["ci_low"]), float(any_row["ci_high"])),
        table=table,
        by=by,
        weighted=w is not None,
        method=method,
        confidence_level=cl,
        n_traces=len(wide),
        taxonomy_name=taxonomy.name,
        taxonomy_version=taxonomy.version,
        annotators=annotator,
        n_ties=n_ties,
    )
