"""Coverage of the Gwet-family intervals with missing ratings and rare categories (run by hand).

    .venv/bin/python benchmarks/sim_agreement_coverage.py [reps]

Data model (as tests/stats/test_agreement_coverage.py): each unit has a latent category drawn
from ``prevalence``; each of ``raters`` raters reports it with probability ``accuracy`` and
otherwise guesses uniformly; each rating is then missing with probability ``missing``. Units
left with no rating are dropped. The estimand is the coefficient on 1,000,000 units from the
same model. Prints coverage (with its Monte Carlo SE) of: the analytic interval with the ratio
linearization (default) and with Gwet's (irrCAC's), the jackknife-t interval, for
percent agreement, Brennan-Prediger, Fleiss' kappa and AC1.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np

from evalkit.stats.agreement import (
    brennan_prediger,
    fleiss_kappa,
    gwet_ac1,
    percent_agreement,
)

FUNCS = {"PA": percent_agreement, "BP": brennan_prediger, "Fleiss": fleiss_kappa, "AC1": gwet_ac1}
MODELS = {
    "binary balanced": ([0.5, 0.5], 0.7),
    "binary rare": ([0.9, 0.1], 0.8),
    "3 cat balanced": ([1 / 3] * 3, 0.7),
    "4 cat, one rare": ([0.4, 0.3, 0.2, 0.1], 0.75),
    "5 cat, one rare": ([0.3, 0.25, 0.25, 0.15, 0.05], 0.75),
}


def simulate(rng, reps, n, raters, prevalence, accuracy, missing):  # type: ignore[no-untyped-def]
    q = len(prevalence)
    truth = rng.choice(q, size=(reps, n, 1), p=prevalence)
    guess = rng.integers(0, q, size=(reps, n, raters))
    x = np.where(rng.random((reps, n, raters)) < accuracy, truth, guess).astype(float)
    x[rng.random(x.shape) < missing] = np.nan
    return x


def run(reps: int, sizes=(30, 50, 200), missings=(0.0, 0.4), raters: int = 3) -> None:
    print(f"reps={reps}; MC SE of a 95% coverage = {np.sqrt(.95 * .05 / reps):.4f}")
    print(f"{'model':>16} {'miss':>4} {'n':>4} {'coef':>6} | {'ratio':>13} | {'gwet':>13} | "
          f"{'jackknife':>13}")
    for model, (prev, acc) in MODELS.items():
        for miss in missings:
            seed = [len(model), int(miss * 10)]
            big = simulate(np.random.default_rng([*seed, 0]), 1, 1_000_000, raters, prev, acc,
                           miss)[0]
            big = big[~np.isnan(big).all(axis=1)]
            truth = {k: f(big).statistic for k, f in FUNCS.items()}
            for n in sizes:
                data = simulate(np.random.default_rng([*seed, n]), reps, n, raters, prev, acc,
                                miss)
                hits = {k: np.zeros(3) for k in FUNCS}
                valid = 0
                for x in data:
                    x = x[~np.isnan(x).all(axis=1)]
                    for k, f in FUNCS.items():
                        for j, kw in enumerate(({}, {"linearization": "gwet"},
                                                {"method": "jackknife"})):
                            lo, hi = f(x, categories=list(range(len(prev))),
                                       **kw).confidence_interval
                            hits[k][j] += lo <= truth[k] <= hi
                    valid += 1
                for k in FUNCS:
                    c = hits[k] / valid
                    se = np.sqrt(c * (1 - c) / valid)
                    cells = " | ".join(f"{a:.3f} +/-{b:.3f}" for a, b in zip(c, se, strict=True))
                    print(f"{model:>16} {miss:>4} {n:>4} {k:>6} | {cells}", flush=True)


if __name__ == "__main__":
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
    print(f"({time.perf_counter() - t0:.0f} s)")
