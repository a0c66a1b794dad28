"""Coverage of the cost-per-success delta interval and the cluster-robust online-signal interval.

Seeded and vectorised: the cost interval is computed from per-replication sums in one call (the
counts-in path), the online interval per replication from arrays. Figures are printed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.runs._cost import _delta_method
from evalkit.runs._online import _cluster_rate


@pytest.mark.slow
@pytest.mark.parametrize("n", [100, 400])
def test_cost_per_success_delta_interval_covers(n: int, capsys: pytest.CaptureFixture[str]
                                                ) -> None:
    rng = np.random.default_rng(20250303 + n)
    reps = 4000
    # cost ~ gamma(2, 0.01); success more likely for cheap calls: P(y=1 | x) = 0.9 - 5 x
    x = rng.gamma(2.0, 0.01, (reps, n))
    y = (rng.random((reps, n)) < 0.9 - 5 * x).astype(float)
    # true ratio E[x] / E[y]: E[y] = 0.9 - 5 E[x] = 0.9 - 5 * 0.02 = 0.8
    truth = 0.02 / 0.8
    sums = pd.DataFrame({"n": float(n), "cost_sum": x.sum(1), "cost_sq_sum": (x**2).sum(1),
                         "successes": y.sum(1), "cost_success_sum": (x * y).sum(1)})
    out = _delta_method(sums, 0.95)
    cover = float(np.mean((out["ci_low"] <= truth) & (truth <= out["ci_high"])))
    with capsys.disabled():
        print(f"\ncost per success, delta method, n={n}: coverage {cover:.4f} ({reps} reps)")
    assert abs(cover - 0.95) < 0.015


@pytest.mark.slow
def test_online_turn_rate_interval_covers_with_clustered_sessions(
        capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(11)
    reps, sessions = 1500, 150
    hits_cr = hits_iid = 0
    for _ in range(reps):
        sizes = rng.integers(1, 9, sessions)
        sess = np.repeat(np.arange(sessions), sizes)
        # session propensity Beta(2, 2): mean 0.5, strong within-session correlation
        y = (rng.random(sess.size) < np.repeat(rng.beta(2, 2, sessions), sizes)).astype(float)
        r = _cluster_rate(y, sess, 0.95)
        hits_cr += r["ci_low"] <= 0.5 <= r["ci_high"]
        k, m = y.sum(), y.size  # the naive Wilson, treating answers as independent
        z = 1.959963984540054
        c = (k / m + z**2 / (2 * m)) / (1 + z**2 / m)
        h = z * np.sqrt(k / m * (1 - k / m) / m + z**2 / (4 * m**2)) / (1 + z**2 / m)
        hits_iid += c - h <= 0.5 <= c + h
    cover, naive = hits_cr / reps, hits_iid / reps
    with capsys.disabled():
        print(f"\nonline per-answer rate, clustered sessions: cluster-robust Wilson coverage "
              f"{cover:.4f}, naive Wilson {naive:.4f} ({reps} reps)")
    assert abs(cover - 0.95) < 0.02
    assert naive < 0.9  # ignoring the sessions would be badly over-confident
