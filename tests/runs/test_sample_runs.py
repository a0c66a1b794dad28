"""The generated data/runs/ files tell the notebook's stories, reproducibly (byte for byte)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit.sample_data as sd
from evalkit import compare_online, contamination_gap, cost_per_success
from evalkit.runs import RunHistory
from evalkit.sample_data import _releases

RUNS = sd.path() / "runs"


def test_runs_files_are_listed_and_reproducible(tmp_path: Path) -> None:
    assert set(_releases.FILES) <= set(sd.FILES)
    gt = sd.load_ground_truth()
    first, second = _releases.render(gt, sd.SEED), _releases.render(gt, sd.SEED)
    assert first == second
    for rel, text in first.items():
        assert (sd.path() / rel).read_text(encoding="utf-8") == text, rel


def _rate(df: pd.DataFrame) -> pd.Series:
    return df.assign(ok=df["verdict"] == "pass").groupby("segment")["ok"].mean()


def test_candidate_improves_average_but_rare_segment_regresses() -> None:
    base = pd.read_csv(RUNS / "baseline.csv")
    cand = pd.read_csv(RUNS / "candidate.csv")
    assert base["case_id"].tolist() == cand["case_id"].tolist()
    assert (cand["verdict"] == "pass").mean() > (base["verdict"] == "pass").mean() + 0.03
    delta = _rate(cand) - _rate(base)
    assert delta.idxmin() == _releases.RARE and delta.min() < -0.2
    assert (base["segment"] == _releases.RARE).mean() < 0.05  # rare


def test_history_flags_the_silent_provider_change_only(tmp_path: Path) -> None:
    rows = pd.read_csv(RUNS / "history.csv")
    h = RunHistory(tmp_path / "h.db")
    for rid, run in rows.groupby("run_id", sort=True):
        f = run.iloc[0]
        h.add(run[["case_id", "segment", "verdict"]], run_id=rid, model=f["model"],
              prompt_hash=f["prompt_hash"], eval_set_version=f["eval_set_version"], at=f["at"])
    drift = h.drift()
    flagged = drift.flagged
    assert set(flagged["to_run"]) == {"r2025-02-03"}
    assert set(flagged["segment"].dropna()) <= set(_releases.DRIFTED)
    assert (flagged["model_from"] == flagged["model_to"]).all()
    assert (flagged["prompt_from"] == flagged["prompt_to"]).all()
    overall = rows.assign(ok=rows["verdict"] == "pass").groupby("run_id")["ok"].mean()
    assert overall.iloc[0] == pytest.approx(0.91, abs=0.01)
    assert overall.iloc[-1] == pytest.approx(0.87, abs=0.01)


def test_contamination_gap_is_positive() -> None:
    gap = contamination_gap(pd.read_csv(RUNS / "active.csv"), pd.read_csv(RUNS / "holdout.csv"))
    assert gap.confidence_interval.low > 0


def test_canary_is_cheaper_per_successful_session() -> None:
    t = pd.read_csv(RUNS / "canary.csv", keep_default_na=False)
    v = t[["trace_id", "verdict"]]
    res = {}
    for unit in ("trace", "session"):
        for arm in ("control", "canary"):
            m = (t["arm"] == arm).to_numpy()
            res[unit, arm] = cost_per_success(t[m], v[m], unit=unit, by=None).statistic
    assert res["trace", "canary"] > res["trace", "control"]
    assert res["session", "canary"] < res["session", "control"]
    cmp = compare_online(t[t["arm"] == "control"], t[t["arm"] == "canary"], by=None)
    assert np.isfinite(list(cmp.statistic.values())).all()
