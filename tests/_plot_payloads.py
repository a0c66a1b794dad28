"""Figures built with hostile names in every text position (shared by the unit and browser tests).

Issue 12 item 18: segment, annotator, field and failure-mode names reach plotly labels. Each
payload is something plotly.js would render as live markup if it were not escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

LINK = '<a href="http://evil.invalid/link" target="_top">click me</a>'
STYLE = '<span style="background:url(http://evil.invalid/bg.png)">styled</span>'
BOLD = "<b>bold</b> & <i>it</i>"
PAYLOADS = (LINK, STYLE, BOLD)


def _forest() -> go.Figure:
    from evalkit.plots.agreement import forest_plot

    frame = pd.DataFrame(
        {
            "field": [LINK, STYLE, LINK, STYLE],
            "coefficient": [BOLD, BOLD, "gwet_ac1", "gwet_ac1"],
            "segment": [STYLE, STYLE, LINK, LINK],
            "statistic": [0.5, 0.6, 0.7, 0.8],
            "ci_low": [0.4, 0.5, 0.6, 0.7],
            "ci_high": [0.6, 0.7, 0.8, 0.9],
        }
    )
    return forest_plot(frame, facet_col="segment", title=LINK)


def _report() -> go.Figure:
    from evalkit.stats.agreement import agreement_report

    rng = np.random.default_rng(0)
    rows = [
        {"trace_id": f"t{i}", "annotator": who, "verdict": rng.choice(["pass", "fail"]),
         "failure_modes": rng.choice([LINK, STYLE, f"{LINK};{STYLE}"]), "segment": seg}
        for i in range(12)
        for who in (LINK, STYLE, "carol")
        for seg in [BOLD if i % 2 else STYLE]
    ]  # fmt: skip
    report = agreement_report(pd.DataFrame(rows), by="segment", n_resamples=50, rng=0)
    return report.plot(facet_col="segment")


def _heatmap() -> go.Figure:
    from evalkit.stats.agreement import pairwise_agreement

    wide = pd.DataFrame(
        {LINK: [1, 1, 0, 0, 1, 0], STYLE: [1, 1, 0, 0, 1, 1], BOLD: [1, 0, 0, 1, 1, 0]}
    )
    return pairwise_agreement(wide, n_resamples=50, rng=0).plot()


def _confusion() -> go.Figure:
    from evalkit.plots.calibration import confusion_matrix_figure
    from evalkit.stats.calibration import calibrate

    human = [LINK, STYLE, LINK, STYLE, LINK, STYLE]
    judge = [LINK, LINK, LINK, STYLE, STYLE, STYLE]
    return confusion_matrix_figure(calibrate(human, judge, positive=LINK), normalize=True)


def _calibration_forest() -> go.Figure:
    from evalkit.plots.calibration import forest_figure
    from evalkit.stats.calibration import calibrate

    human = ["pass", "fail"] * 6
    judge = ["pass", "fail", "pass", "pass"] * 3
    return forest_figure(
        {LINK: calibrate(human, judge), STYLE: calibrate(human, human)}, title=BOLD
    )


def _corrected() -> go.Figure:
    from evalkit.plots.calibration import corrected_vs_raw_figure
    from evalkit.stats.calibration import calibrate, corrected_pass_rate

    cal = calibrate(
        np.repeat(["pass", "fail"], 50),
        np.repeat(["pass", "fail", "pass", "fail"], [45, 5, 10, 40]),
    )
    segments = np.repeat([LINK, STYLE], 50)
    res = corrected_pass_rate(np.repeat(["pass", "fail", "pass", "fail"], 25), cal, by=segments)
    return corrected_vs_raw_figure(res)


def _length_bias() -> go.Figure:
    from evalkit.judges import length_bias

    audit = length_bias(
        np.repeat([LINK, STYLE], 8), [LINK] * 8 + [STYLE, LINK] * 4, np.arange(16) * 10 + 100,
        positive=LINK,
    )  # fmt: skip
    from evalkit.plots.calibration import length_bias_figure

    return length_bias_figure(audit)


FIGURES: dict[str, Callable[[], go.Figure]] = {
    "forest_plot": _forest,
    "agreement_report_plot": _report,
    "pairwise_heatmap": _heatmap,
    "confusion_matrix": _confusion,
    "calibration_forest": _calibration_forest,
    "corrected_vs_raw": _corrected,
    "length_bias": _length_bias,
}


#: markup evalkit itself puts in figures
OURS = ("<br>", "<extra></extra>", "<sup>", "</sup>")


def strings(value: Any) -> Iterator[str]:
    """Every string in a figure's JSON (titles, ticks, legend names, hover data, annotations)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from strings(v)
    elif hasattr(value, "tolist"):
        yield from strings(value.tolist())


def assert_escaped(name: str, fig: go.Figure, *, shown: bool = True) -> None:
    """No string of ``fig`` holds markup but ours; with ``shown``, some payload is shown escaped."""
    texts = list(strings(fig.to_plotly_json()))
    for text in texts:
        bare = text
        for ok in OURS:
            bare = bare.replace(ok, "")
        assert "<" not in bare and ">" not in bare, f"{name}: unescaped markup in {text!r}"
    joined = "\n".join(texts)
    escaped = [
        p
        for p in PAYLOADS
        if p.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in joined
    ]
    assert escaped or not shown, f"{name}: no payload name is shown at all (escaped)"
