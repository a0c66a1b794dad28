"""Figures for the taxonomy stage: rate heatmap, Pareto chart, saturation curve, transitions.

Backgrounds are transparent and text and grid lines mid-grey, so every figure reads in
JupyterLab's light and dark themes. Mode, segment and state names are untrusted text: they are
escaped (``<``, ``>``, ``&``) before they reach a figure.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go

if TYPE_CHECKING:  # pragma: no cover
    from evalkit.taxonomy._rank import FailureRanking, Saturation
    from evalkit.taxonomy._rates import FailureRates
    from evalkit.taxonomy._transitions import FailureTransitions

_INK = "#8c8c8c"
_GRID = "rgba(140,140,140,0.25)"
_BAR = "#4c78a8"
_LINE = "#f58518"


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=False)


def _style(fig: go.Figure, title: str | None) -> go.Figure:
    fig.update_layout(
        title=_esc(title) if title else None,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"color": _INK},
        margin={"l": 10, "r": 10, "t": 50 if title else 20, "b": 10},
    )
    fig.update_xaxes(gridcolor=_GRID, zerolinecolor=_GRID, automargin=True)
    fig.update_yaxes(gridcolor=_GRID, zerolinecolor=_GRID, automargin=True)
    return fig


def _cell(rate: float, lo: float, hi: float) -> str:
    return "" if np.isnan(rate) else f"{rate:.0%}<br>[{lo:.0%}, {hi:.0%}]"


def rates_heatmap(
    rates: FailureRates, *, title: str | None = "Failure rate by mode and segment (95% CI)"
) -> go.Figure:
    """Mode x group heatmap; each cell shows the rate and its interval.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.taxonomy import Taxonomy, failure_rates
    >>> labels = pd.DataFrame({"trace_id": ["a", "b"], "segment": ["x", "y"],
    ...                        "failure_modes": ["m", ""]})
    >>> fig = rates_heatmap(failure_rates(labels, Taxonomy(modes=["m"])))
    >>> list(fig.data[0].x)
    ['(all)', 'x', 'y']
    """
    col = rates.by or "group"
    t = rates.table
    groups = list(dict.fromkeys(t[col]))
    modes = list(dict.fromkeys(t["mode"]))
    piv = t.pivot(index="mode", columns=col, values="rate").reindex(index=modes, columns=groups)
    lo = t.pivot(index="mode", columns=col, values="ci_low").reindex(index=modes, columns=groups)
    hi = t.pivot(index="mode", columns=col, values="ci_high").reindex(index=modes, columns=groups)
    n = t.pivot(index="mode", columns=col, values="n").reindex(index=modes, columns=groups)
    r_, l_, h_ = (x.to_numpy(dtype=float) for x in (piv, lo, hi))
    text = [
        [_cell(r_[i, j], l_[i, j], h_[i, j]) for j in range(len(groups))] for i in range(len(modes))
    ]
    custom = np.dstack([lo.to_numpy(), hi.to_numpy(), n.to_numpy()])
    fig = go.Figure(
        go.Heatmap(
            z=piv.to_numpy(),
            x=[_esc(g) for g in groups],
            y=[_esc(m) for m in modes],
            text=text,
            texttemplate="%{text}",
            customdata=custom,
            hovertemplate="%{y} in %{x}: %{z:.1%} [%{customdata[0]:.1%}, "
            "%{customdata[1]:.1%}], n=%{customdata[2]}<extra></extra>",
            colorscale="Viridis",
            zmin=0,
            colorbar={"title": "rate", "tickformat": ".0%"},
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _style(fig, title)


def pareto_chart(
    ranking: FailureRanking, *, title: str | None = "Failure modes by impact (Pareto)"
) -> go.Figure:
    """Impact bars (rate x severity x cost), highest first, with the cumulative share line.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.taxonomy import Taxonomy, rank_failures
    >>> labels = pd.DataFrame({"trace_id": ["a", "b"], "failure_modes": ["<m>", ""]})
    >>> fig = pareto_chart(rank_failures(labels, Taxonomy(modes=["<m>"]), by=None))
    >>> list(fig.data[0].x)
    ['&lt;m&gt;']
    """
    t = ranking.table
    names = [_esc(m) for m in t["mode"]]
    fig = go.Figure()
    fig.add_bar(
        x=names,
        y=t["impact"],
        marker_color=_BAR,
        name="impact",
        customdata=np.column_stack([t["rate"], t["ci_low"], t["ci_high"], t["severity"]]),
        hovertemplate="%{x}: impact %{y:.3f}<br>rate %{customdata[0]:.1%} "
        "[%{customdata[1]:.1%}, %{customdata[2]:.1%}], severity %{customdata[3]}<extra></extra>",
    )
    fig.add_scatter(
        x=names,
        y=t["cumulative_share"],
        yaxis="y2",
        mode="lines+markers",
        line_color=_LINE,
        name="cumulative share",
        hovertemplate="%{x}: %{y:.0%} of impact so far<extra></extra>",
    )
    fig.update_layout(
        yaxis={"title": "rate x severity x cost"},
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 1.05], "tickformat": ".0%",
                "title": "cumulative share", "showgrid": False},
        legend={"orientation": "h", "y": -0.25},
    )  # fmt: skip
    return _style(fig, title)


def saturation_curve(
    sat: Saturation, *, title: str | None = "Distinct codes per trace reviewed"
) -> go.Figure:
    """Distinct codes against traces reviewed; the saturation point is marked.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.taxonomy import saturation
    >>> s = saturation(pd.DataFrame({"trace_id": list("abc"), "open_codes": ["x", "y", ""]}))
    >>> [int(v) for v in saturation_curve(s).data[0].y]
    [1, 2, 2]
    """
    c = sat.curve
    fig = go.Figure()
    fig.add_scatter(
        x=c["position"],
        y=c["distinct_codes"],
        mode="lines",
        line_color=_BAR,
        name="distinct codes",
        customdata=[_esc(t) for t in c["trace_id"]],
        hovertemplate="after %{x} traces: %{y} codes (trace %{customdata})<extra></extra>",
    )
    if sat.saturated_at is not None:
        fig.add_vline(
            x=sat.saturated_at,
            line_dash="dash",
            line_color=_LINE,
            annotation_text=f"{sat.window} traces without a new code",
            annotation_font_color=_INK,
        )
    fig.update_layout(xaxis_title="traces reviewed", yaxis_title="distinct codes")
    return _style(fig, title)


def transition_heatmap(
    tr: FailureTransitions,
    *,
    title: str | None = "Last successful state -> first failing state",
) -> go.Figure:
    """Count matrix with the share of failing traces (and its interval) in each cell.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.taxonomy import failure_transitions
    >>> df = pd.DataFrame({"trace_id": ["a"], "last_ok_state": ["plan"],
    ...                    "first_failed_state": ["act"]})
    >>> transition_heatmap(failure_transitions(df)).data[0].z.tolist()
    [[0, 0], [0, 1], [0, 0]]
    """
    counts = tr.counts
    t = tr.table.set_index(["last_ok", "first_fail"])
    cols = ["share", "ci_low", "ci_high"]
    z = counts.to_numpy(dtype=np.int64)
    text = [
        [
            f"{z[i, j]}<br>{_cell(*t.loc[(r, c), cols].to_numpy(dtype=float))}" if z[i, j] else ""
            for j, c in enumerate(counts.columns)
        ]
        for i, r in enumerate(counts.index)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=counts.to_numpy(),
            x=[_esc(c) for c in counts.columns],
            y=[_esc(r) for r in counts.index],
            text=text,
            texttemplate="%{text}",
            colorscale="Viridis",
            hovertemplate="%{y} -> %{x}: %{z} traces<extra></extra>",
            colorbar={"title": "traces"},
        )
    )
    fig.update_layout(xaxis_title="first failing state", yaxis_title="last successful state")
    fig.update_yaxes(autorange="reversed")
    return _style(fig, title)
