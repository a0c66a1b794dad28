"""Every string in the runs figures (history, drift, gap, online, cost) is escaped.

The same check as tests/test_plot_escaping.py, over the figures of evalkit/plots/runs.py built
from real results whose segment, run, model and prompt names are the shared payloads.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import evalkit
from evalkit.runs import RunHistory

_spec = importlib.util.spec_from_file_location(
    "_plot_payloads", Path(__file__).parents[1] / "_plot_payloads.py")
assert _spec is not None and _spec.loader is not None
payloads = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(payloads)
SEGS = list(payloads.PAYLOADS)


def _rows(p: float, seed: int, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"case_id": [f"c{i}" for i in range(n)],
                         "segment": [SEGS[i % 3] for i in range(n)],
                         "verdict": np.where(rng.random(n) < p, "pass", "fail")})


def _history(tmp: Path) -> RunHistory:
    h = RunHistory(tmp / "h.db")
    for i, p in enumerate((0.95, 0.5)):
        h.add(_rows(p, i), model=payloads.LINK, prompt_hash=payloads.BOLD,
              eval_set_version=payloads.STYLE, run_id=f"{payloads.BOLD}{i}",
              at=f"2025-01-0{i + 1}")
    return h


def _traces() -> pd.DataFrame:
    n = 60
    return pd.DataFrame({
        "trace_id": [f"t{i}" for i in range(n)], "session_id": [f"s{i // 2}" for i in range(n)],
        "timestamp": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.arange(n), "s"),
        "segment": [SEGS[i % 3] for i in range(n)], "input": "why?",
        "task_completed": [i % 3 == 0 for i in range(n)], "feedback": "up",
        "cost_usd": 0.01, "verdict": ["pass" if i % 2 else "fail" for i in range(n)]})


def _figures(tmp: Path) -> dict[str, Callable[[], go.Figure]]:
    t = _traces()
    return {
        "history": lambda: _history(tmp).plot(),
        "drift": lambda: _history(tmp / "d").drift().plot(),
        "contamination": lambda: evalkit.contamination_gap(_rows(0.9, 1), _rows(0.7, 2)).plot(),
        "online": lambda: evalkit.online_signals(t).plot(),
        "online_comparison": lambda: evalkit.compare_online(t, t).plot(),
        "cost": lambda: evalkit.cost_per_success(t, t[["trace_id", "verdict"]]).plot(),
    }


@pytest.mark.parametrize("name", ["history", "drift", "contamination", "online",
                                  "online_comparison", "cost"])
def test_every_string_in_runs_figures_is_escaped(name: str, tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    fig = _figures(tmp_path)[name]()
    # the online comparison figure shows signal names only, no segment
    payloads.assert_escaped(name, fig, shown=name != "online_comparison")
