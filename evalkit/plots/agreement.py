"""Figures for agreement results: a forest plot of a report and a rater x rater heatmap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go

from evalkit.plots._escape import esc, esc_all, esc_title
from evalkit.plots._theme import template

if TYPE_CHECKING:  # pragma: no cover
    from evalkit.stats.agreement import AgreementReport, PairwiseAgreement

_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def forest_plot(
    report: AgreementReport | Any,
    *,
    color: str = "coefficient",
    facet_col: str | None = None,
    title: str | None = "Inter-annotator agreement (95% CI)",
    reference: float | None = 0.0,
) -> go.Figure:
    """Point estimates with confidence intervals, one row per field, coloured by coefficient.

    Parameters
    ----------
    report : AgreementReport or DataFrame
        A report (or its ``.frame``) with ``field, statistic, ci_low, ci_high`` and ``color``.
    color : str, default 'coefficient'
        Column that picks the marker colour (one trace per value).
    facet_col : str, optional
        Column to split into side-by-side panels (e.g. the report's ``by`` column).
    title : str, optional
    reference : float or None, default 0.0
        Draw a dashed vertical line here (0 = chance agreement).

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"field": ["verdict"], "coefficient": ["gwet_ac1"],
    ...                       "statistic": [0.7], "ci_low": [0.6], "ci_high": [0.8]})
    >>> fig = forest_plot(frame)
    >>> float(fig.data[0].x[0])
    0.7
    """
    frame: Any = getattr(report, "frame", report)
    panels = [None] if facet_col is None else list(dict.fromkeys(frame[facet_col]))
    fig = go.Figure()
    groups = list(dict.fromkeys(frame[color]))
    fields = list(dict.fromkeys(frame["field"]))
    shown_fields = esc_all(fields)  # field, group and panel names come from data: escaped
    for p_i, panel in enumerate(panels):
        part = frame if panel is None else frame[frame[facet_col] == panel]
        axis = "" if p_i == 0 else str(p_i + 1)
        for g_i, group in enumerate(groups):
            sub = part[part[color] == group]
            # dodge the colours vertically so intervals do not overlap
            offset = (g_i - (len(groups) - 1) / 2) * 0.15
            y = np.array([fields.index(f) for f in sub["field"]], dtype=float) + offset
            fig.add_trace(
                go.Scatter(
                    x=sub["statistic"].to_numpy(),
                    y=y,
                    mode="markers",
                    name=esc(group),
                    legendgroup=esc(group),
                    showlegend=p_i == 0,
                    marker={"color": _PALETTE[g_i % len(_PALETTE)], "size": 8},
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": (sub["ci_high"] - sub["statistic"]).to_numpy(),
                        "arrayminus": (sub["statistic"] - sub["ci_low"]).to_numpy(),
                        "thickness": 1.5,
                    },
                    customdata=np.column_stack(
                        [esc_all(sub["field"]), sub["ci_low"], sub["ci_high"]]
                    ),
                    hovertemplate="%{customdata[0]}<br>"
                    + f"{esc(group)}: "
                    + "%{x:.3f} [%{customdata[1]:.3f}, %{customdata[2]:.3f}]<extra></extra>",
                    xaxis=f"x{axis}",
                    yaxis=f"y{axis}",
                )
            )
    n_panels = len(panels)
    width = 1.0 / n_panels
    for p_i, panel in enumerate(panels):
        key = "" if p_i == 0 else str(p_i + 1)
        fig.layout[f"xaxis{key}"] = go.layout.XAxis(
            domain=[p_i * width + 0.02, (p_i + 1) * width - 0.02],
            title="coefficient" if panel is None else esc(f"{facet_col} = {panel}"),
            zeroline=False,
        )
        fig.layout[f"yaxis{key}"] = go.layout.YAxis(
            anchor=f"x{key}",
            tickvals=list(range(len(fields))),
            ticktext=shown_fields if p_i == 0 else [""] * len(fields),
            autorange="reversed",
        )
        if reference is not None:
            fig.add_shape(
                type="line", x0=reference, x1=reference, y0=0, y1=1, xref=f"x{key}",
                yref="paper", line={"dash": "dash", "color": "#888"},
            )
    fig.update_layout(
        title=esc_title(title),
        height=max(260, 60 + 38 * len(fields)),
        legend_title_text=esc(color),
        template=template(),
    )
    return fig


def agreement_heatmap(
    pairwise: PairwiseAgreement,
    *,
    title: str | None = None,
    color_continuous_scale: str = "RdBu",
) -> go.Figure:
    """Rater x rater heatmap of pairwise agreement; the outlier shows as a pale row and column.

    Parameters
    ----------
    pairwise : PairwiseAgreement
    title : str, optional
        Default names the coefficient and the rater with the lowest mean agreement.
    color_continuous_scale : str, default 'RdBu'
        A plotly colour scale, centred on 0 (chance).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    mat = pairwise.matrix
    labels = esc_all(mat.columns)  # rater names come from data: escaped
    z = mat.to_numpy(dtype=float)
    text = np.where(np.isnan(z), "", np.vectorize(lambda v: f"{v:.2f}")(np.nan_to_num(z)))
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=labels,
            y=labels,
            zmin=-1,
            zmax=1,
            zmid=0,
            colorscale=color_continuous_scale,
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{y} vs %{x}: %{z:.3f}<extra></extra>",
            colorbar={"title": esc(pairwise.coefficient)},
        )
    )
    fig.update_layout(
        title=esc_title(title) if title else
        f"Pairwise {esc(pairwise.coefficient)}<br><sup>lowest mean agreement: "
        f"{esc(pairwise.outlier)}</sup>",
        yaxis={"autorange": "reversed"},
        template=template(),
        height=max(440, 180 + 70 * len(labels)),
        width=max(560, 260 + 90 * len(labels)),
        margin={"t": 100},
    )
    return fig
