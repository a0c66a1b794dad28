"""Figures for run comparisons: a forest plot of the paired delta per segment.

* :func:`delta_forest_figure` - candidate minus baseline per segment with intervals, the
  regression margin as a dashed line, regressed segments in red.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from evalkit.plots._escape import esc, esc_all
from evalkit.plots._theme import template

_OK, _BAD = "#1f77b4", "#d62728"


def delta_forest_figure(result: Any, *, title: str | None = None) -> go.Figure:
    """Forest plot of the paired delta (candidate - baseline) per segment, overall first.

    Parameters
    ----------
    result : RunComparison
        From :func:`evalkit.compare_runs`.
    title : str, optional

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> t = pd.DataFrame({"segment": ["a", "<b>"], "n11": [50, 40], "n10": [2, 9],
    ...                   "n01": [3, 1], "n00": [5, 10]})
    >>> fig = evalkit.compare_runs(t, rng=0).plot()
    >>> list(fig.data[0].y)
    ['(all)', '&lt;b&gt;', 'a']
    """
    df = result.to_frame()
    names = esc_all(df["segment"])  # segment names come from data: escaped
    color = np.where(df["regressed"].to_numpy(), _BAD, _OK).tolist()
    fig = go.Figure(go.Scatter(
        x=df["delta"], y=names, mode="markers", name="delta",
        marker={"size": 9, "color": color},
        error_x={"type": "data", "symmetric": False,
                 "array": (df["ci_high"] - df["delta"]).to_numpy(),
                 "arrayminus": (df["delta"] - df["ci_low"]).to_numpy()},
        customdata=np.c_[df["ci_low"], df["ci_high"], df["n"], df["p_adjusted"]],
        hovertemplate="%{y}: %{x:+.3f} [%{customdata[0]:+.3f}, %{customdata[1]:+.3f}], "
                      "n=%{customdata[2]}, adjusted p=%{customdata[3]:.3g}<extra></extra>",
    ))
    fig.add_vline(x=0.0, line_color="grey", line_width=1)
    fig.add_vline(x=-result.max_regression, line_dash="dash", line_color=_BAD,
                  annotation_text=esc(f"-{result.max_regression:g} margin"))
    what = "pass rate" if result.outcome == "verdict" else "mean score"
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        template=template(), showlegend=False,
        title=esc(title or f"Candidate - baseline {what} ({result.confidence_level:.0%} "
                           f"{result.method} intervals)"),
        xaxis_title=esc(f"delta in {what}"),
        height=140 + 32 * len(df), margin={"l": 140, "r": 20, "t": 70, "b": 50},
    )
    return fig
