"""Coverage of the corrected pass rate's intervals on the grid of issue 11 (run by hand).

    .venv/bin/python benchmarks/sim_corrected_coverage.py [reps]

Data model: a calibration set of m cases drawn from the same traffic (so m1 ~ Binomial(m,
theta) human-pass cases; a class can be missing), a judge with TPR = TNR = q, and n unlabeled
verdicts, Binomial(n, theta q + (1 - theta)(1 - q)). For every cell it prints the coverage of
``method="bootstrap"`` (the default: Beta-posterior, 1,000 draws here) and of ``lee2025``,
each with its Monte Carlo standard error, and how often the interval was nan.
Exits non-zero if the average coverage of either method leaves 95 +/- 1.5%.
"""

from __future__ import annotations

import itertools
import sys
import time

import numpy as np

from evalkit.stats._rogan_gladen import lee_interval, posterior_draws


def main(reps: int = 2000, draws: int = 1000) -> int:
    rng = np.random.default_rng(20261129)
    grid = itertools.product([20, 30, 50, 100, 300], [0.8, 0.9, 0.95, 0.99], [0.1, 0.5, 0.9],
                             [100, 10_000])
    print(f"reps={reps} per cell; MC SE shown per cell; bootstrap: {draws} posterior draws")
    print(f"{'m':>4} {'TPR=TNR':>7} {'theta':>5} {'n':>6} | {'lee2025':>14} {'nan':>5} | "
          f"{'bootstrap':>14} {'nan':>5}")
    covs: dict[str, list[float]] = {"lee2025": [], "bootstrap": []}
    t0 = time.perf_counter()
    for m, q, theta, n in grid:
        m1 = rng.binomial(m, theta, reps)
        m0 = m - m1
        tp, tn = rng.binomial(m1, q), rng.binomial(m0, q)
        k = rng.binomial(n, theta * q + (1 - theta) * (1 - q), reps)
        with np.errstate(all="ignore"):
            lo, hi, _ = lee_interval(k / n, tp / m1, tn / m0, n, m1, m0)
        out = []
        for name, (lo_, hi_) in (("lee2025", (lo, hi)), ("bootstrap", _boot(
                tp, m1 - tp, m0 - tn, tn, k, n, draws, rng))):
            hit = (lo_ <= theta) & (theta <= hi_)
            c = float(hit.mean())
            covs[name].append(c)
            se = np.sqrt(c * (1 - c) / reps)
            out.append(f"{c:7.3f} +/-{se:5.3f} {np.mean(np.isnan(lo_)):5.3f}")
        print(f"{m:>4} {q:>7} {theta:>5} {n:>6} | {out[0]} | {out[1]}", flush=True)
    print(f"({time.perf_counter() - t0:.0f} s)")
    ok = True
    for name, c in covs.items():
        a = np.array(c)
        within = np.mean(np.abs(a - 0.95) <= 0.015)
        print(f"{name:>9}: mean {a.mean():.4f}, min {a.min():.3f}, max {a.max():.3f}, "
              f"within 95+/-1.5 in {within:.0%} of {a.size} cells, below 93.5 in "
              f"{np.mean(a < 0.935):.0%}")
        ok &= abs(a.mean() - 0.95) <= 0.015
    return 0 if ok else 1


def _boot(tp, fn, fp, tn, k, n, draws, rng):  # type: ignore[no-untyped-def]
    lo = np.empty(tp.size)
    hi = np.empty(tp.size)
    for s in range(0, tp.size, 500):  # bounded memory
        sl = slice(s, s + 500)
        d = np.clip(posterior_draws(tp[sl], fn[sl], fp[sl], tn[sl], k[sl], n, size=draws,
                                    rng=rng), 0, 1)
        ok = np.isfinite(d).sum(axis=1) >= max(10, draws // 100)
        with np.errstate(all="ignore"):
            q = np.nanquantile(d, [0.025, 0.975], axis=1)
        lo[sl], hi[sl] = np.where(ok, q[0], np.nan), np.where(ok, q[1], np.nan)
    return lo, hi


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
