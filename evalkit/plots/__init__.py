"""Plotly figures built from evalkit result objects.

One module per area; nothing here calls ``fig.show()``. Every figure uses the evalkit template
(:func:`template`: transparent, follows JupyterLab's light/dark theme); :func:`use_theme` makes it
plotly's default for your own figures too.
"""

from evalkit.plots._theme import jupyterlab_theme, template, use_theme

__all__ = ["jupyterlab_theme", "template", "use_theme"]
