"""evalkit's plotly template: transparent, readable in JupyterLab's light and dark themes.

Plotly draws its text and backgrounds with fixed colours, so a figure cannot follow a CSS theme
by itself. The template does what it can on both sides:

* backgrounds are transparent, so the figure sits on the notebook's own background;
* gridlines, axis lines and hover labels use translucent greys that read on light and dark;
* the text colour follows the JupyterLab theme the user picked (read from JupyterLab's user
  settings, ``@jupyterlab/apputils-extension/themes``), so a figure made in the dark theme
  has light text. ``EVALKIT_PLOT_THEME=light|dark`` or :func:`use_theme` overrides it.

Every evalkit figure uses it (``template=template()``); :func:`use_theme` also makes it the
default for your own ``plotly.express`` figures (an explicit call: importing evalkit changes no
global state).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Final, Literal

Theme = Literal["light", "dark"]

NAME: Final[str] = "evalkit"
_TEXT: Final[dict[str, str]] = {"light": "#1f2328", "dark": "#e6edf3"}
_DIM: Final[dict[str, str]] = {"light": "#57606a", "dark": "#9da7b3"}
_COLORWAY: Final[list[str]] = [
    "#2f6feb", "#d1242f", "#1a7f37", "#8250df", "#bf8700", "#0598bc", "#e16f24", "#6e7781",
]  # fmt: skip
_override: Theme | None = None


def _settings_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("JUPYTERLAB_SETTINGS_DIR"):
        dirs.append(Path(os.environ["JUPYTERLAB_SETTINGS_DIR"]))
    if os.environ.get("JUPYTER_CONFIG_DIR"):
        dirs.append(Path(os.environ["JUPYTER_CONFIG_DIR"]) / "lab" / "user-settings")
    dirs.append(Path.home() / ".jupyter" / "lab" / "user-settings")
    return dirs


def jupyterlab_theme() -> Theme:
    """The theme chosen in JupyterLab's settings (``'light'`` when none is saved).

    Examples
    --------
    >>> jupyterlab_theme() in ("light", "dark")
    True
    """
    env = os.environ.get("EVALKIT_PLOT_THEME", "").strip().lower()
    if env in ("light", "dark"):
        return env  # type: ignore[return-value]
    for d in _settings_dirs():
        f = d / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings"
        try:
            text = f.read_text(encoding="utf-8")
        except OSError:
            continue
        text = re.sub(r"^\s*//.*$", "", text, flags=re.M)  # the file is JSON with comments
        try:
            name = str(json.loads(text).get("theme") or "")
        except (ValueError, AttributeError):
            continue
        return "dark" if "dark" in name.lower() else "light"
    return "light"


def template(theme: Theme | None = None) -> Any:
    """The evalkit plotly template for ``theme`` (default: JupyterLab's current theme).

    Examples
    --------
    >>> t = template("dark")
    >>> t.layout.paper_bgcolor, t.layout.font.color
    ('rgba(0,0,0,0)', '#e6edf3')
    """
    import plotly.graph_objects as go
    import plotly.io as pio

    theme = theme or _override or jupyterlab_theme()
    base = pio.templates["plotly_white" if theme == "light" else "plotly_dark"]
    grid = "rgba(128,128,128,0.22)"
    t = go.layout.Template(base)
    t.layout.update(
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"color": _TEXT[theme], "size": 13},
        title={"font": {"size": 16}, "x": 0.01, "xanchor": "left", "y": 0.97, "yanchor": "top",
               "yref": "container"},
        colorway=_COLORWAY,
        legend={"bgcolor": "rgba(0,0,0,0)"},
        hoverlabel={"font": {"size": 12}},
        margin={"t": 80},
    )
    for axis in ("xaxis", "yaxis"):
        t.layout[axis].update(
            gridcolor=grid, zerolinecolor=grid, linecolor=grid, automargin=True,
            title={"font": {"color": _DIM[theme]}}, tickfont={"color": _DIM[theme]},
        )  # fmt: skip
    return t


def use_theme(theme: Theme | None = None) -> str:
    """Make the evalkit template plotly's default (for ``plotly.express`` too); return its name.

    ``theme=None`` follows JupyterLab's theme each time a figure is made with ``template()``;
    the default template registered here is fixed when you call this (call it again after
    switching themes).
    """
    import plotly.io as pio

    global _override
    if theme is not None and theme not in ("light", "dark"):
        raise ValueError(f"`theme` must be 'light', 'dark' or None; got {theme!r}.")
    _override = theme
    pio.templates[NAME] = template(theme)
    pio.templates.default = NAME
    return NAME


__all__ = ["jupyterlab_theme", "template", "use_theme"]
