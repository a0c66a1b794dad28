"""Drift detection power and false-alarm rate on simulated histories (seeded, vectorised).

Each simulated history is two consecutive runs of one 600-case eval set in six segments (one
rare: 50 cases). Cases have a latent pass probability (86% easy cases at 0.985, the rest
uniform on 0.2-0.7, like ``data/runs/history.csv``); a rerun redraws every verdict from it, so
reruns disagree on hard cases even with no change. Under the alternative a share of the easy
cases of one segment drops to 0.55 (a silent provider change).

The statistics are the library's own primitives (``mcnemar_pvalue``, ``adjust_pvalues``,
``newcombe``/``two_proportion_z_test``), applied to all replications at once; one test checks
that :meth:`RunHistory.drift` flags exactly what the vectorised path flags.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.runs import RunHistory
from evalkit.stats._paired import adjust_pvalues, mcnemar_pvalue
from evalkit.stats._two_sample import two_proportion_z_test

SIZES = np.array([200, 150, 100, 60, 40, 50])  # the last one is the segment that drifts
SEG = np.repeat(np.arange(6), SIZES)
N = SEG.size


def _cases(rng: np.random.Generator, reps: int) -> tuple[np.ndarray, np.ndarray]:
    easy = rng.random((reps, N)) < 0.86
    p = np.where(easy, 0.985, rng.uniform(0.2, 0.7, (reps, N)))
    return p, easy


def _simulate(rng: np.random.Generator, reps: int, hit_share: float,
              segment: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Verdicts of run 1 and run 2, shape (reps, N)."""
    p, easy = _cases(rng, reps)
    hit = easy & (segment == SEG)[None, :] & (rng.random((reps, N)) < hit_share)
    a = rng.random((reps, N)) < p
    b = rng.random((reps, N)) < np.where(hit, 0.55, p)
    return a, b


def _flags(a: np.ndarray, b: np.ndarray, *, paired: bool) -> np.ndarray:
    """Holm-adjusted flags per replication over overall + 6 segments, shape (reps, 7)."""
    masks = [np.ones(N, bool)] + [s == SEG for s in range(6)]
    p = np.empty((a.shape[0], 7))
    for j, m in enumerate(masks):
        if paired:
            broke = np.sum(a[:, m] & ~b[:, m], axis=1)
            fixed = np.sum(~a[:, m] & b[:, m], axis=1)
            p[:, j] = mcnemar_pvalue(broke, fixed)
        else:
            n = int(m.sum())
            p[:, j] = two_proportion_z_test(b[:, m].sum(1), n, a[:, m].sum(1), n)
    adj = np.vstack([adjust_pvalues(row, method="holm") for row in p])
    return adj < 0.05


@pytest.mark.slow
def test_false_alarm_rate_and_power_table(capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(20250303)
    reps = 2000
    table = []
    for segment in (0, 5):
        for share in (0.0, 0.10, 0.20, 0.35, 0.60):
            if share == 0.0 and segment == 5:
                continue  # the null does not depend on which segment would drift
            a, b = _simulate(rng, reps, share, segment)
            # expected drop of the segment's pass rate: share * 0.86 * (0.985 - 0.55)
            drop = share * 0.86 * (0.985 - 0.55)
            row = {"segment_n": int(SIZES[segment]), "segment_drop": round(drop, 3)}
            for paired in (True, False):
                f = _flags(a, b, paired=paired)
                key = "mcnemar" if paired else "two_prop"
                row[f"{key}_any"] = float(f.any(axis=1).mean())
                row[f"{key}_segment"] = float(f[:, 1 + segment].mean())
            table.append(row)
    df = pd.DataFrame(table)
    with capsys.disabled():
        print("\ndrift detection, 2000 simulated pairs of runs per row, Holm over 7 tests "
              "(overall + 6 segments), alpha 0.05\n" + df.to_string(index=False))
    null = df.iloc[0]
    se = np.sqrt(0.05 * 0.95 / reps)
    # family-wise false alarms at most alpha (+3 Monte Carlo se)
    assert null["mcnemar_any"] <= 0.05 + 3 * se
    assert null["two_prop_any"] <= 0.05 + 3 * se
    # power grows with the drop, and with the segment's size
    for n in (200, 50):
        part = df[(df["segment_n"] == n) & (df["segment_drop"] > 0)]
        assert np.all(np.diff(part["mcnemar_segment"]) > 0)
    big = df[(df["segment_n"] == 200) & (df["segment_drop"] > 0.2)]
    assert big["mcnemar_segment"].min() > 0.9


def test_history_drift_flags_what_the_vectorised_path_flags(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    a, b = _simulate(rng, 6, 0.5)
    names = np.array(["s0", "s1", "s2", "s3", "s4", "s5"])[SEG]
    ids = [f"c{i}" for i in range(N)]
    flags = _flags(a, b, paired=True)
    for r in range(a.shape[0]):
        h = RunHistory(tmp_path / f"h{r}.db")
        for k, v in enumerate((a[r], b[r])):
            h.add(pd.DataFrame({"case_id": ids, "segment": names,
                                "verdict": np.where(v, "pass", "fail")}),
                  model="m", prompt_hash="p", eval_set_version="v1", at=f"2025-01-0{k + 1}")
        got = h.drift().table["flagged"].to_numpy()
        assert got.tolist() == flags[r].tolist()
