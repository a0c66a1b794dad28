"""Cost per successful interaction: total cost / successes, with a ratio-estimator interval.

Per call, a model that costs twice as much looks worse; per *success*, one that resolves in one
turn instead of three can be cheaper. Units are traces or sessions. The interval is the delta
method on the ratio of two sums (or a bootstrap over units); counts-in (per-segment sums) gives
the delta-method numbers exactly, so a warehouse can aggregate and hand evalkit the sums.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evalkit.runs._errors import RunInputError, UnmatchedCasesError
from evalkit.runs._table_result import FirstRowResult
from evalkit.runs._tally import _verdicts, object_column
from evalkit.stats._common import (
    RNGLike,
    bootstrap_interval,
    check_choice,
    check_confidence_level,
    compress_units,
    z_value,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: The sufficient statistics per segment (counts-in): units, sum of cost, sum of cost squared,
#: successes (success is 0/1, so the sum of its squares is the same), sum of cost * success.
SUMS = ("n", "cost_sum", "cost_sq_sum", "successes", "cost_success_sum")
_COLS = ["segment", *SUMS, "statistic", "ci_low", "ci_high", "standard_error"]


def _delta_method(s: pd.DataFrame, cl: float) -> pd.DataFrame:
    r"""Ratio R = sum(x) / sum(y), var(R) ~ (s_xx - 2R s_xy + R^2 s_yy) / (n ybar^2)."""
    n, sx, sxx = (s[c].to_numpy(dtype=np.float64) for c in ("n", "cost_sum", "cost_sq_sum"))
    sy, sxy = s["successes"].to_numpy(dtype=np.float64), s["cost_success_sum"].to_numpy(
        dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(sy > 0, sx / sy, np.nan)
        vxx = (sxx - sx**2 / n) / (n - 1)
        vyy = (sy - sy**2 / n) / (n - 1)
        vxy = (sxy - sx * sy / n) / (n - 1)
        var = (vxx - 2 * r * vxy + r**2 * vyy) / (n * (sy / n) ** 2)
        se = np.sqrt(np.maximum(var, 0.0))
    z = z_value(cl)
    out = s.copy()
    out["statistic"], out["standard_error"] = r, se
    out["ci_low"], out["ci_high"] = r - z * se, r + z * se
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CostPerSuccess(FirstRowResult):
    """Total cost / successful units, overall (``segment`` ``None``) and per segment.

    Attributes
    ----------
    statistic : float
        Overall cost per success; ``confidence_interval`` its interval.
    table : pandas.DataFrame
        ``segment, n, cost_sum, cost_sq_sum, successes, cost_success_sum, statistic, ci_low,
        ci_high, standard_error``.
    unit : str
        ``'trace'`` or ``'session'``; ``method`` ``'delta'`` or ``'bootstrap'``.
    """

    table: pd.DataFrame
    unit: str
    method: str
    confidence_level: float


    def __repr__(self) -> str:
        lo, hi = self.confidence_interval
        return (f"CostPerSuccess(statistic={self.statistic:.4g}, confidence_interval="
                f"({lo:.4g}, {hi:.4g}), unit={self.unit!r}, method={self.method!r})")


    def plot(self) -> go.Figure:
        """Cost per success per segment with intervals."""
        from evalkit.plots.runs import plot_cost

        return plot_cost(self)

    def _repr_html_(self) -> str:
        lo, hi = self.confidence_interval
        head = (f"<b>Cost per successful {html.escape(self.unit)}</b> = {self.statistic:.4g} "
                f"<span style='color:#555'>({self.confidence_level:.0%} CI {lo:.4g} to "
                f"{hi:.4g}, {html.escape(self.method)})</span>")
        body = self.table.to_html(index=False, escape=True, na_rep="all",
                                  float_format=lambda x: f"{x:.4g}")
        return f"<div class='evalkit-cost'>{head}{body}</div>"


def _units(traces: pd.DataFrame, verdicts: pd.DataFrame, by: str | None, unit: str,
           cost_col: str) -> pd.DataFrame:
    """One row per unit: segment, cost, success (0/1)."""
    for name, df, need in (("traces", traces, ["trace_id", cost_col]),
                           ("verdicts", verdicts, ["trace_id", "verdict"])):
        if not isinstance(df, pd.DataFrame):
            raise RunInputError(f"`{name}` must be a pandas DataFrame; got {type(df).__name__}.")
        missing = [c for c in need if c not in df.columns]
        if missing:
            raise RunInputError(f"`{name}` has no column(s) {missing}; columns: "
                                f"{list(map(str, df.columns))}.")
        if len(df) == 0:
            raise RunInputError(f"`{name}` has no rows.")
        dup = df["trace_id"].duplicated()
        if dup.any():
            raise RunInputError(f"`{name}`: duplicate trace ids "
                                f"{sorted(map(str, df['trace_id'][dup].unique()))[:5]}.")
    if by is not None and by not in traces.columns:
        raise RunInputError(f"`traces` has no column {by!r} (by={by!r}).")
    if unit == "session" and "session_id" not in traces.columns:
        raise RunInputError("unit='session' needs a 'session_id' column in `traces`.")
    t_ids = traces["trace_id"].astype(str)
    v_ids = verdicts["trace_id"].astype(str)
    only_t, only_v = sorted(set(t_ids) - set(v_ids)), sorted(set(v_ids) - set(t_ids))
    if only_t or only_v:
        raise UnmatchedCasesError(
            f"`traces` and `verdicts` cover different traces: {len(only_t)} only in traces "
            f"(e.g. {only_t[:3]}), {len(only_v)} only in verdicts (e.g. {only_v[:3]}).",
            only_baseline=only_t, only_candidate=only_v)
    cost = pd.to_numeric(traces[cost_col], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(cost) | (cost < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise RunInputError(f"`traces` column {cost_col!r}, row {i}: cost must be a finite "
                            f"number >= 0; got {traces[cost_col].iloc[i]!r} "
                            f"({int(bad.sum())} rows).")
    ok = pd.Series(_verdicts(verdicts["verdict"], "verdicts"), index=v_ids.to_numpy())
    df = pd.DataFrame({
        "segment": traces[by].astype(str).to_numpy(dtype=object) if by is not None
        else np.full(len(traces), None, dtype=object),
        "cost": cost, "success": ok.reindex(t_ids.to_numpy()).to_numpy(),
    })
    if by is not None and traces[by].isna().any():
        raise RunInputError(f"`traces` column {by!r}: missing segment.")
    if unit == "trace":
        return df
    # a session succeeds when its last trace (by timestamp, then row order) passes
    df["session"] = traces["session_id"].astype(str).to_numpy(dtype=object)
    df["order"] = (pd.to_datetime(traces["timestamp"], utc=True, format="ISO8601").to_numpy()
                   if "timestamp" in traces.columns else np.arange(len(df)))
    df["row"] = np.arange(len(df))
    df = df.sort_values(["session", "order", "row"], kind="stable")
    g = df.groupby("session", sort=True)
    return pd.DataFrame({"segment": g["segment"].first(), "cost": g["cost"].sum(),
                         "success": g["success"].last()}).reset_index(drop=True)


def sums_from_units(units: pd.DataFrame) -> pd.DataFrame:
    """Per-segment sufficient statistics (:data:`SUMS`) of a ``segment, cost, success`` frame."""
    u = units.assign(c2=units["cost"] ** 2, cs=units["cost"] * units["success"])
    g = u.groupby("segment", sort=True)
    out = pd.DataFrame({"n": g.size(), "cost_sum": g["cost"].sum(), "cost_sq_sum": g["c2"].sum(),
                        "successes": g["success"].sum(), "cost_success_sum": g["cs"].sum()})
    return out.reset_index()


def _check_counts(counts: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("segment", *SUMS) if c not in counts.columns]
    if missing:
        raise RunInputError(f"`traces` (counts) has no column(s) {missing}; counts-in needs "
                            f"segment, {', '.join(SUMS)}.")
    out = counts[["segment", *SUMS]].copy()
    for c in SUMS:
        v = pd.to_numeric(out[c], errors="coerce").to_numpy(dtype=np.float64)
        if not np.isfinite(v).all() or (v < 0).any():
            raise RunInputError(f"`traces` (counts) column {c!r}: values must be finite and "
                                f">= 0; got {counts[c].tolist()[:5]}.")
        out[c] = v
    if (out["successes"] > out["n"]).any() or (out["n"] < 2).any():
        raise RunInputError("`traces` (counts): need n >= 2 and successes <= n in every segment.")
    out["segment"] = out["segment"].astype(str).astype(object)
    if out["segment"].duplicated().any():
        raise RunInputError("`traces` (counts): duplicate segments.")
    return out.sort_values("segment").reset_index(drop=True)


def cost_per_success(
    traces: pd.DataFrame,
    verdicts: pd.DataFrame | None = None,
    *,
    by: str | None = "segment",
    unit: str = "trace",
    cost_col: str = "cost_usd",
    method: str = "delta",
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    rng: RNGLike = None,
) -> CostPerSuccess:
    r"""Total cost divided by successful interactions, with an interval, per segment.

    Parameters
    ----------
    traces : pandas.DataFrame
        Rows: ``trace_id``, ``cost_col``, optional ``by``, and for sessions ``session_id`` (and
        ``timestamp``). Or counts-in (``verdicts=None``): one row per segment with ``segment``
        and :data:`SUMS` (``n, cost_sum, cost_sq_sum, successes, cost_success_sum``).
    verdicts : pandas.DataFrame, optional
        ``trace_id, verdict`` (pass/fail); every trace needs one (unmatched ids raise).
    by : str or None, default 'segment'
    unit : {'trace', 'session'}, default 'trace'
        A session's cost is the sum over its traces; it succeeds when its last trace passes.
    cost_col : str, default 'cost_usd'
    method : {'delta', 'bootstrap'}, default 'delta'
        Bootstrap (BCa over units, seeded by ``rng``) needs rows.
    confidence_level, n_resamples, rng
        As usual.

    Returns
    -------
    CostPerSuccess
        ``statistic`` (overall), ``confidence_interval``, ``table`` per segment.

    Notes
    -----
    With unit costs :math:`x_i` and successes :math:`y_i \in \{0, 1\}`,
    :math:`\hat R = \sum x_i / \sum y_i` and the delta method gives
    :math:`\widehat{\mathrm{Var}}(\hat R) = (s_{xx} - 2\hat R s_{xy} + \hat R^2 s_{yy}) /
    (n \bar y^2)` with sample (co)variances :math:`s`. These need only the five sums of
    :data:`SUMS` per segment (:math:`\sum y^2 = \sum y` for 0/1 successes), so counts-in gives
    the same numbers. No success: ``nan``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"trace_id": list("abcd"), "cost_usd": [0.1, 0.2, 0.1, 0.2],
    ...                   "segment": ["x"] * 4})
    >>> v = pd.DataFrame({"trace_id": list("abcd"), "verdict": ["pass", "fail", "pass", "pass"]})
    >>> round(cost_per_success(t, v).statistic, 4)  # 0.6 / 3
    0.2
    """
    cl = check_confidence_level(confidence_level)
    check_choice("unit", unit, ("trace", "session"))
    check_choice("method", method, ("delta", "bootstrap"))
    units: pd.DataFrame | None = None
    if verdicts is None:
        if not isinstance(traces, pd.DataFrame):
            raise RunInputError(f"`traces` must be a pandas DataFrame; got "
                                f"{type(traces).__name__}.")
        if method == "bootstrap":
            raise RunInputError("method='bootstrap' resamples units: pass rows and verdicts, "
                                "not counts.")
        seg_sums = _check_counts(traces)
    else:
        units = _units(traces, verdicts, by, unit, cost_col)
        seg_sums = sums_from_units(units.assign(segment=units["segment"].fillna("\0all")))
    total = seg_sums[list(SUMS)].sum().to_frame().T.assign(segment=None)
    both = pd.concat([total, seg_sums[seg_sums["segment"] != "\0all"]], ignore_index=True)
    table = _delta_method(both, cl)
    if method == "bootstrap":
        assert units is not None
        gen = np.random.default_rng(rng)
        for i, seg in enumerate(both["segment"]):
            part = units if seg is None else units[units["segment"] == seg]
            res = bootstrap_interval(lambda s: s[:, 0] / s[:, 1],
                                     compress_units(part[["cost", "success"]].to_numpy()),
                                     n_resamples=n_resamples, confidence_level=cl, rng=gen)
            table.loc[i, ["ci_low", "ci_high"]] = list(res.confidence_interval)
            table.loc[i, "standard_error"] = res.standard_error
    table["segment"] = object_column(table["segment"]).set_axis(table.index)
    return CostPerSuccess(table=table[_COLS].reset_index(drop=True), unit=unit, method=method,
                          confidence_level=cl)


@dataclass(frozen=True, slots=True, kw_only=True)
class CostComparison(FirstRowResult):
    """Candidate vs baseline cost per success: ratio (candidate / baseline) or difference."""

    table: pd.DataFrame
    kind: str
    confidence_level: float


    def __repr__(self) -> str:
        lo, hi = self.confidence_interval
        return (f"CostComparison(kind={self.kind!r}, statistic={self.statistic:.4g}, "
                f"confidence_interval=({lo:.4g}, {hi:.4g}))")


    def _repr_html_(self) -> str:
        lo, hi = self.confidence_interval
        what = "ratio (candidate / baseline)" if self.kind == "ratio" else "difference"
        head = (f"<b>Cost per success, {html.escape(what)}</b> = {self.statistic:.4g} "
                f"({self.confidence_level:.0%} CI {lo:.4g} to {hi:.4g})")
        return (f"<div class='evalkit-cost-compare'>{head}"
                f"{self.table.to_html(index=False, escape=True, na_rep='all')}</div>")


def compare_cost_per_success(
    baseline: CostPerSuccess, candidate: CostPerSuccess, *, kind: str = "ratio"
) -> CostComparison:
    r"""Compare two independent runs' cost per success (ratio or difference), per segment.

    Notes
    -----
    Independent samples: the ratio's interval is :math:`\exp(\log \hat\rho \pm z
    \sqrt{se_b^2/R_b^2 + se_c^2/R_c^2})` (delta method on the log scale); the difference's is
    :math:`\hat R_c - \hat R_b \pm z\sqrt{se_b^2 + se_c^2}`. Uses each result's standard
    errors (delta method or bootstrap).

    Examples
    --------
    >>> import pandas as pd
    >>> a = cost_per_success(pd.DataFrame({"segment": ["x"], "n": [100], "cost_sum": [10.0],
    ...     "cost_sq_sum": [1.2], "successes": [50], "cost_success_sum": [5.0]}), by=None)
    >>> b = cost_per_success(pd.DataFrame({"segment": ["x"], "n": [100], "cost_sum": [10.0],
    ...     "cost_sq_sum": [1.2], "successes": [80], "cost_success_sum": [8.0]}), by=None)
    >>> round(compare_cost_per_success(a, b).statistic, 4)  # (10/80) / (10/50)
    0.625
    """
    check_choice("kind", kind, ("ratio", "difference"))
    for name, r in (("baseline", baseline), ("candidate", candidate)):
        if not isinstance(r, CostPerSuccess):
            raise RunInputError(f"`{name}` must be a CostPerSuccess result; got "
                                f"{type(r).__name__}.")
    if baseline.unit != candidate.unit:
        raise RunInputError(f"cannot compare cost per successful {baseline.unit} with cost per "
                            f"successful {candidate.unit}.")
    cl = min(baseline.confidence_level, candidate.confidence_level)
    key = lambda t: t.assign(segment=t["segment"].fillna("\0all"))  # noqa: E731
    m = key(baseline.table).merge(key(candidate.table), on="segment", suffixes=("_b", "_c"))
    rb, rc = m["statistic_b"].to_numpy(), m["statistic_c"].to_numpy()
    sb, sc = m["standard_error_b"].to_numpy(), m["standard_error_c"].to_numpy()
    z = z_value(cl)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "ratio":
            stat = rc / rb
            se = np.sqrt((sb / rb) ** 2 + (sc / rc) ** 2)
            lo, hi = stat * np.exp(-z * se), stat * np.exp(z * se)
        else:
            stat = rc - rb
            se = np.sqrt(sb**2 + sc**2)
            lo, hi = stat - z * se, stat + z * se
    segments = object_column([None if s == "\0all" else s for s in m["segment"]])
    table = pd.DataFrame({"segment": segments, "baseline": rb, "candidate": rc,
                          "statistic": stat, "ci_low": lo, "ci_high": hi})
    return CostComparison(table=table, kind=kind, confidence_level=cl)


