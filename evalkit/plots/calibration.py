"""Plotly figures for judge calibration (computing stays in :mod:`evalkit.stats.calibration`).

* :func:`confusion_matrix_figure` - human x judge counts.
* :func:`forest_figure` - TPR/TNR (or any metric) with intervals per segment or per judge.
* :func:`roc_figure` - ROC of a score judge with the chosen threshold and targets.
* :func:`corrected_vs_raw_figure` - the judge's raw pass rate against the corrected one.
* :func:`length_bias_figure` - judge pass rate by response length, per human verdict.

Every function returns a ``plotly.graph_objects.Figure`` and never shows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from evalkit.plots._escape import esc, esc_all
from evalkit.plots._theme import template

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def confusion_matrix_figure(
    calibration: Any, *, normalize: bool = False, title: str | None = None
) -> go.Figure:
    """Heatmap of the confusion matrix (rows: human verdict, columns: judge verdict).

    Parameters
    ----------
    calibration : CalibrationResult
    normalize : bool, default False
        Show row shares (TPR / TNR on the diagonal) instead of counts.
    title : str, optional

    Examples
    --------
    >>> from evalkit.stats.calibration import calibrate
    >>> fig = confusion_matrix_figure(calibrate(["pass", "fail", "pass"], ["pass", "fail", "fail"]))
    >>> fig.data[0].type
    'heatmap'
    """
    cm = calibration.confusion_matrix
    z = cm.to_numpy(dtype=float)
    text = [[f"{int(v)}" for v in row] for row in z]
    if normalize:
        with np.errstate(all="ignore"):
            z = z / z.sum(axis=1, keepdims=True)
        text = [[f"{v:.0%}<br>({t})" for v, t in zip(zr, tr, strict=True)]
                for zr, tr in zip(z, text, strict=True)]
    fig = go.Figure(go.Heatmap(
        z=z, x=[esc(f"judge {c}") for c in cm.columns], y=[esc(f"human {r}") for r in cm.index],
        text=text, texttemplate="%{text}", colorscale="Blues", showscale=False,
        hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(template=template(),
                      title=esc(title or f"Confusion matrix (n={calibration.n})"),
                      width=520, height=460, margin={"l": 100, "r": 20, "t": 70, "b": 60})
    return fig


def _forest_frame(data: Any, metrics: Sequence[str]) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        df = data.copy()
        if "segment" not in df.columns:
            raise ValueError("a frame passed to forest_figure needs a 'segment' column.")
    elif isinstance(data, Mapping):
        parts = []
        for label, res in data.items():
            f = res.to_frame()
            f = f[f["segment"] == "(all)"].assign(segment=str(label))
            parts.append(f)
        df = pd.concat(parts, ignore_index=True)
    else:
        df = data.to_frame()
        if getattr(data, "segments", None):
            df = df[df["segment"] != "(all)"]
    return df[df["metric"].isin(metrics)]


def forest_figure(
    data: Any,
    *,
    metrics: Sequence[str] = ("tpr", "tnr"),
    reference: Mapping[str, float] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Forest plot of metrics with intervals, one row per segment (or per judge).

    Parameters
    ----------
    data : CalibrationResult, mapping of name -> CalibrationResult, or tidy frame
        A result computed with ``by=`` gives one row per segment; a mapping (e.g. one result per
        judge) gives one row per key; a frame needs ``segment, metric, statistic, ci_low,
        ci_high``.
    metrics : sequence of str, default ('tpr', 'tnr')
        One colour (and facet column) per metric.
    reference : mapping, optional
        Vertical reference line per metric, e.g. ``{"tpr": 0.8, "tnr": 0.8}`` (the CI gate).
    title : str, optional

    Examples
    --------
    >>> from evalkit.stats.calibration import calibrate
    >>> res = {"a": calibrate(["pass", "fail"] * 5, ["pass", "fail"] * 5),
    ...        "b": calibrate(["pass", "fail"] * 5, ["pass", "fail", "pass", "pass", "pass", "fail",
    ...                                              "fail", "fail", "pass", "fail"])}
    >>> len(forest_figure(res).data)
    2
    """
    df = _forest_frame(data, metrics)
    fig = go.Figure()
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=len(metrics), shared_yaxes=True,
                        subplot_titles=[esc(m.upper() if len(m) <= 3 else m) for m in metrics])
    order = list(dict.fromkeys(df["segment"]))
    shown = esc_all(order)  # segment (or judge) names come from data: escaped
    for i, m in enumerate(metrics, start=1):
        d = df[df["metric"] == m].set_index("segment").reindex(order)
        fig.add_trace(go.Scatter(
            x=d["statistic"], y=shown, mode="markers", name=esc(m.upper() if len(m) <= 3 else m),
            marker={"size": 9, "color": _COLORS[(i - 1) % len(_COLORS)]},
            error_x={"type": "data", "symmetric": False, "array": d["ci_high"] - d["statistic"],
                         "arrayminus": d["statistic"] - d["ci_low"]},
            customdata=np.c_[d["ci_low"], d["ci_high"], d.get("n", pd.Series(np.nan,
                                                                              d.index))],
            hovertemplate="%{y}: %{x:.3f} [%{customdata[0]:.3f}, %{customdata[1]:.3f}], "
                          "n=%{customdata[2]}<extra></extra>",
        ), row=1, col=i)
        if reference and m in reference:
            fig.add_vline(x=reference[m], line_dash="dash", line_color="grey", row=1, col=i)
        fig.update_xaxes(range=[0, 1.02] if m != "kappa" else [-1, 1], row=1, col=i)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(template=template(), title=esc(title or "Judge agreement with humans"),
                      showlegend=False,
                      height=140 + 40 * len(order), margin={"l": 120, "r": 20, "t": 70, "b": 40})
    return fig


def roc_figure(sweep: Any, *, title: str | None = None) -> go.Figure:
    """ROC curve of a score judge with the chosen threshold and the TPR/TNR targets.

    Examples
    --------
    >>> from evalkit.stats.calibration import threshold_sweep
    >>> fig = roc_figure(threshold_sweep(["pass", "fail", "pass", "fail"], [5, 1, 4, 3]))
    >>> fig.data[0].name
    'ROC'
    """
    roc = sweep.roc
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=roc["fpr"], y=roc["tpr"], mode="lines+markers", name="ROC", line_shape="hv",
        customdata=np.c_[roc["threshold"], roc["tnr"]],
        hovertemplate="score >= %{customdata[0]}: TPR %{y:.3f}, TNR %{customdata[1]:.3f}"
                      "<extra></extra>",
    ))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance",
                             line={"dash": "dot", "color": "grey"}))
    if np.isfinite(sweep.threshold):
        fig.add_trace(go.Scatter(
            x=[1 - sweep.tnr], y=[sweep.tpr], mode="markers+text", name="chosen threshold",
            marker={"size": 13, "color": "#d62728", "symbol": "star"},
            text=[f"score >= {sweep.threshold:g}"], textposition="bottom right",
        ))
    if sweep.min_tpr is not None:
        fig.add_hline(y=sweep.min_tpr, line_dash="dash", line_color="grey")
    if sweep.min_tnr is not None:
        fig.add_vline(x=1 - sweep.min_tnr, line_dash="dash", line_color="grey")
    a = sweep.auc
    fig.update_layout(template=template(),
        title=esc(title or f"ROC, AUC {a.statistic:.3f} ({a.confidence_interval.low:.3f} to "
                           f"{a.confidence_interval.high:.3f})"),
        xaxis_title="1 - TNR (false pass rate)", yaxis_title="TPR",
        xaxis_range=[-0.02, 1.02], yaxis_range=[-0.02, 1.02], width=680, height=600,
    )
    return fig


def corrected_vs_raw_figure(corrected: Any, *, title: str | None = None) -> go.Figure:
    """The judge's raw pass rate against the corrected pass rate, per segment.

    Parameters
    ----------
    corrected : CorrectedPassRate or mapping of name -> CorrectedPassRate
        A result with ``by=`` shows its segments; a mapping (e.g. per judge) one row per key.

    Examples
    --------
    >>> import numpy as np
    >>> from evalkit.stats.calibration import calibrate, corrected_pass_rate
    >>> cal = calibrate(np.repeat(["pass", "fail"], 50),
    ...                 np.repeat(["pass", "fail", "pass", "fail"], [45, 5, 10, 40]))
    >>> res = corrected_pass_rate(np.repeat(["pass", "fail"], [70, 30]), cal)
    >>> fig = corrected_vs_raw_figure(res)
    >>> [t.name for t in fig.data]
    ['raw judge pass rate', 'corrected pass rate']
    """
    if isinstance(corrected, Mapping):
        frames = []
        for k, v in corrected.items():
            f = v.to_frame()
            frames.append(f[f["segment"] == "(all)"].assign(segment=str(k)))
        df = pd.concat(frames, ignore_index=True)
    else:
        df = corrected.to_frame()
        if corrected.segments:
            df = df[df["segment"] != "(all)"]
    labels = esc_all(df["segment"])  # segment (or judge) names come from data: escaped
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=df["raw_pass_rate"], y=labels, mode="markers", name="raw judge pass rate",
        marker={"symbol": "circle-open", "size": 10, "color": "grey"},
        error_x={"type": "data", "symmetric": False,
                 "array": df["raw_ci_high"] - df["raw_pass_rate"],
                     "arrayminus": df["raw_pass_rate"] - df["raw_ci_low"], "color": "grey"},
    ))
    fig.add_trace(go.Scatter(
        x=df["statistic"], y=labels, mode="markers", name="corrected pass rate",
        marker={"size": 10, "color": _COLORS[0]},
        error_x={"type": "data", "symmetric": False, "array": df["ci_high"] - df["statistic"],
                     "arrayminus": df["statistic"] - df["ci_low"]},
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(template=template(),
                      title=esc(title or "Raw judge pass rate vs corrected for judge errors"),
                      xaxis_title="pass rate", xaxis_range=[0, 1],
                      height=160 + 45 * len(labels), margin={"l": 130, "r": 20, "t": 60, "b": 40},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def length_bias_figure(audit: Any, *, title: str | None = None) -> go.Figure:
    """Judge pass rate by response-length bin, one line per human verdict (a length audit).

    Examples
    --------
    >>> import numpy as np
    >>> from evalkit.judges import length_bias
    >>> audit = length_bias(np.repeat(["pass", "fail"], 8), ["pass"] * 8 + ["fail", "pass"] * 4,
    ...                     np.arange(16) * 10 + 100)
    >>> len(length_bias_figure(audit).data)
    2
    """
    b = audit.bins
    fig = go.Figure()
    for i, (verdict, d) in enumerate(b.groupby("human_verdict", sort=True)):
        d = d.sort_values("median_length")
        # bins evenly spaced (labelled by median length): one long outlier bin cannot
        # squeeze the others into a corner of the axis
        fig.add_trace(go.Scatter(
            x=[f"{m:,.0f}" for m in d["median_length"]], y=d["judge_pass_rate"],
            mode="lines+markers",
            name=esc(f"human: {verdict}"), marker={"size": 9, "color": _COLORS[i % len(_COLORS)]},
            error_y={"type": "data", "symmetric": False,
                     "array": d["ci_high"] - d["judge_pass_rate"],
                         "arrayminus": d["judge_pass_rate"] - d["ci_low"]},
            customdata=np.c_[d["n"], d["length_bin"]],
            hovertemplate="length %{customdata[1]}: judge passes %{y:.0%} (n=%{customdata[0]})"
                          "<extra></extra>",
        ))
    lo, hi = audit.confidence_interval
    fig.update_layout(template=template(),
        title=esc(title or f"Judge pass rate by response length: effect "
                           f"{audit.statistic:+.2f} ({lo:+.2f} to {hi:+.2f})"),
        xaxis_title="response length (median of bin)", yaxis_title="judge pass rate",
        yaxis_range=[0, 1.05], legend={"orientation": "h", "y": -0.25}, height=460,
        xaxis={"type": "category", "categoryorder": "array",
               "categoryarray": [f"{m:,.0f}" for m in sorted(b["median_length"].unique())]},
    )
    return fig
