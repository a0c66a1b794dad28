"""Figures for the runs stage: history trends, drift, contamination gap, online signals, cost.

Every segment, run id, model and signal name is untrusted text and is escaped before it reaches
a figure. Nothing here calls ``fig.show()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from evalkit.plots._escape import esc, esc_all
from evalkit.plots._theme import template

if TYPE_CHECKING:  # pragma: no cover
    from evalkit.runs._contamination import ContaminationGap
    from evalkit.runs._cost import CostPerSuccess
    from evalkit.runs._drift import DriftResult
    from evalkit.runs._online_compare import OnlineComparison


def _err(df: pd.DataFrame, stat: str = "statistic") -> dict[str, Any]:
    return {"type": "data", "symmetric": False,
            "array": (df["ci_high"] - df[stat]).to_numpy(dtype=float),
            "arrayminus": (df[stat] - df["ci_low"]).to_numpy(dtype=float)}


def _seg_label(s: Any) -> str:
    return "all segments" if s is None or (isinstance(s, float) and np.isnan(s)) else esc(s)


def plot_history(frame: pd.DataFrame, *, overall: pd.DataFrame | None = None,
                 title: str = "Pass rate per run and segment") -> go.Figure:
    """Lines of each segment's rate over runs (x: run time), error bars for the intervals.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"run_id": ["r1", "r2"], "at": pd.to_datetime(["2025-01-01",
    ...     "2025-01-08"], utc=True), "model": ["m", "m"], "prompt_hash": ["p", "p"],
    ...     "segment": ["<b>x</b>", "<b>x</b>"], "n": [10, 10], "statistic": [0.9, 0.8],
    ...     "ci_low": [0.6, 0.5], "ci_high": [0.98, 0.95]})
    >>> plot_history(f).data[0].name
    '&lt;b&gt;x&lt;/b&gt;'
    """
    fig = go.Figure()
    parts: list[tuple[Any, pd.DataFrame]] = (
        list(frame.groupby("segment", sort=True)) if len(frame) else [])
    if overall is not None and len(overall):
        parts.insert(0, (None, overall))
    for seg, g in parts:
        g = g.sort_values(["at"], kind="stable")
        fig.add_trace(go.Scatter(
            x=g["at"], y=g["statistic"], mode="lines+markers", name=_seg_label(seg),
            error_y=_err(g), line={"width": 4 if seg is None else 1.5},
            customdata=np.column_stack([esc_all(g["run_id"]), esc_all(g["model"]),
                                        esc_all(g["prompt_hash"]), g["n"]]),
            hovertemplate="%{y:.3f} (n %{customdata[3]})<br>run %{customdata[0]}<br>model "
                          "%{customdata[1]}, prompt %{customdata[2]}<extra></extra>",
        ))
    fig.update_layout(template=template(), title=esc(title), yaxis_title="rate",
                      xaxis_title="run time", legend_title="segment")
    return fig


def plot_drift(result: DriftResult) -> go.Figure:
    """Each comparison's delta with its interval; flagged ones in red."""
    t = result.table
    labels = [f"{esc(a)} → {esc(b)}: {_seg_label(s)}"
              for a, b, s in zip(t["from_run"], t["to_run"], t["segment"], strict=True)]
    colours = np.where(t["flagged"].to_numpy(dtype=bool), "#cf222e", "#4c78a8")
    fig = go.Figure(go.Scatter(
        x=t["delta"], y=labels, mode="markers", marker={"color": colours},
        error_x=_err(t, "delta"), hovertemplate="%{y}: %{x:+.3f}<extra></extra>"))
    fig.add_vline(x=0, line_dash="dot")
    fig.update_layout(template=template(), title="Drift between consecutive runs (red: flagged)",
                      xaxis_title="delta (later minus earlier)",
                      height=max(300, 22 * len(t) + 120))
    fig.update_yaxes(autorange="reversed")
    return fig


def plot_contamination(result: ContaminationGap) -> go.Figure:
    """The active-minus-holdout gap per segment with intervals."""
    t = result.table
    fig = go.Figure(go.Scatter(
        x=t["gap"], y=[_seg_label(s) for s in t["segment"]], mode="markers",
        error_x=_err(t, "gap"), hovertemplate="%{y}: %{x:+.3f}<extra></extra>"))
    fig.add_vline(x=0, line_dash="dot")
    fig.update_layout(template=template(), title="Contamination gap (active minus holdout)",
                      xaxis_title="gap", height=max(300, 28 * len(t) + 120))
    fig.update_yaxes(autorange="reversed")
    return fig


def plot_online(table: pd.DataFrame, *, title: str = "Online signals") -> go.Figure:
    """Overall rate per signal with its interval (one trace per signal, segments on y)."""
    fig = go.Figure()
    for sig, g in table.groupby("signal", sort=False):
        fig.add_trace(go.Scatter(
            x=g["rate"], y=[_seg_label(s) for s in g["segment"]], mode="markers", name=esc(sig),
            error_x=_err(g, "rate"), hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    fig.update_layout(template=template(), title=esc(title), xaxis_title="rate",
                      height=max(300, 24 * table["segment"].nunique(dropna=False) + 160))
    fig.update_yaxes(autorange="reversed")
    return fig


def plot_online_comparison(result: OnlineComparison) -> go.Figure:
    """Overall treatment-minus-control delta per signal with its tolerance band."""
    t = result.table[result.table["segment"].isna()]
    colour = {"pass": "#1a7f37", "fail": "#cf222e", "inconclusive": "#9a6700"}
    fig = go.Figure(go.Scatter(
        x=t["delta"], y=esc_all(t["signal"]), mode="markers",
        marker={"color": [colour[v] for v in t["verdict"]], "size": 10},
        error_x=_err(t, "delta"), text=esc_all(t["verdict"]),
        hovertemplate="%{y}: %{x:+.3f} (%{text})<extra></extra>"))
    fig.add_vline(x=0, line_dash="dot")
    fig.update_layout(template=template(), title=f"Canary minus control: {esc(result.verdict)}",
                      xaxis_title="delta (treatment minus control)")
    return fig


def plot_cost(result: CostPerSuccess) -> go.Figure:
    """Cost per success per segment (overall first) with intervals."""
    t = result.table
    fig = go.Figure(go.Scatter(
        x=t["statistic"], y=[_seg_label(s) for s in t["segment"]], mode="markers",
        error_x=_err(t), hovertemplate="%{y}: %{x:.4g}<extra></extra>"))
    fig.update_layout(template=template(), title=f"Cost per successful {esc(result.unit)}",
                      xaxis_title="cost per success", height=max(300, 28 * len(t) + 120))
    fig.update_yaxes(autorange="reversed")
    return fig
