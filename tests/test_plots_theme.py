"""The plotly template follows JupyterLab's theme; figures fit their titles (15.10)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.plots import jupyterlab_theme, template
from evalkit.plots.calibration import length_bias_figure


def _settings(root: Path, theme: str) -> None:
    d = root / "@jupyterlab" / "apputils-extension"
    d.mkdir(parents=True)
    (d / "themes.jupyterlab-settings").write_text(
        '{\n    // the theme\n    "theme": "%s"\n}' % theme  # noqa: UP031 (JSON with comments)
    )


def test_theme_follows_jupyterlab_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVALKIT_PLOT_THEME", raising=False)
    monkeypatch.setenv("JUPYTERLAB_SETTINGS_DIR", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("JUPYTER_CONFIG_DIR", raising=False)
    assert jupyterlab_theme() == "light"  # nothing saved
    _settings(tmp_path, "JupyterLab Dark")
    assert jupyterlab_theme() == "dark"
    t = template()
    assert t.layout.paper_bgcolor == "rgba(0,0,0,0)" and t.layout.plot_bgcolor == "rgba(0,0,0,0)"
    assert t.layout.font.color == "#e6edf3"  # light text on the dark notebook
    monkeypatch.setenv("EVALKIT_PLOT_THEME", "light")
    assert jupyterlab_theme() == "light" and template().layout.font.color == "#1f2328"


def test_heatmap_fits_its_title_and_length_bins_are_evenly_spaced() -> None:
    from evalkit.judges import length_bias
    from evalkit.stats import pairwise_agreement

    rng = np.random.default_rng(0)
    base = rng.integers(0, 2, 60)
    ratings = pd.DataFrame({f"annotator_{k}": base for k in range(3)})
    ratings["a_very_long_outlier_name"] = rng.integers(0, 2, 60)
    fig = pairwise_agreement(ratings).plot()
    assert fig.layout.width >= 560 and fig.layout.height >= 440
    assert "a_very_long_outlier_name" in fig.layout.title.text.split("<br>")[1]

    lengths = np.r_[np.arange(15) * 10 + 100, 50_000]  # one far outlying response
    audit = length_bias(["pass"] * 16, ["pass", "fail"] * 8, lengths)
    lfig = length_bias_figure(audit)
    assert lfig.layout.xaxis.type == "category"  # was linear: the outlier squeezed the others
