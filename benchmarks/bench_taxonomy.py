"""Taxonomy benchmarks against peers, in the same run (exit 1 if a target is missed).

Targets (issue 9):
1. ``Taxonomy.suggest`` on 5,000 notes: under 10 s (peer: the bare scikit-learn TF-IDF + SVD +
   KMeans pipeline on the same notes, for the ratio).
2. ``failure_rates`` on 1,000,000 labels x 10 modes, 8 segments, with Wilson intervals: under
   2 s; also with design weights (peer: pandas groupby counts + statsmodels' Wilson interval).

Run: .venv/bin/python benchmarks/bench_taxonomy.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

N_NOTES, N_LABELS, N_MODES, N_SEGMENTS = 5_000, 1_000_000, 10, 8
FIXTURE = Path(__file__).parents[1] / "tests" / "fixtures" / "taxonomy" / "travel_notes.csv"


def best_time(func: Callable[[], Any], repeat: int = 2) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t0)
    return best, out


def make_notes(seed: int = 0) -> pd.DataFrame:
    """5,000 notes: the hand-written notes with words dropped, swapped and misspelt."""
    rng = np.random.default_rng(seed)
    base = pd.read_csv(FIXTURE)["note"].tolist()
    notes = []
    for i in range(N_NOTES):
        words = base[int(rng.integers(len(base)))].split()
        keep = [w for w in words if rng.random() > 0.15] or words
        if len(keep) > 2 and rng.random() < 0.3:
            j = int(rng.integers(len(keep) - 1))
            keep[j], keep[j + 1] = keep[j + 1], keep[j]
        if rng.random() < 0.2:
            j = int(rng.integers(len(keep)))
            keep[j] = keep[j][:-1] or keep[j]
        notes.append(" ".join(keep) + f" #{i % 97}")
    return pd.DataFrame({"trace_id": [f"t{i}" for i in range(N_NOTES)], "note": notes})


def make_labels(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    modes = [f"mode_{j}" for j in range(N_MODES)]
    p = np.linspace(0.01, 0.12, N_MODES)
    hits = rng.random((N_LABELS, N_MODES)) < p
    lists = [[modes[j] for j in np.flatnonzero(row)] for row in hits]
    return pd.DataFrame(
        {
            "trace_id": [f"t{i}" for i in range(N_LABELS)],
            "segment": rng.integers(0, N_SEGMENTS, N_LABELS).astype(str),
            "failure_modes": lists,
            "sample_weight": rng.uniform(1, 10, N_LABELS),
        }
    )


def peer_rates(df: pd.DataFrame) -> pd.DataFrame:
    from statsmodels.stats.proportion import proportion_confint

    ex = df[["segment", "failure_modes"]].explode("failure_modes")
    k = pd.crosstab(ex["segment"], ex["failure_modes"])
    n = df.groupby("segment").size()
    lo, hi = proportion_confint(k.to_numpy(), n.to_numpy()[:, None], method="wilson")
    return pd.DataFrame({"low": lo.ravel(), "high": hi.ravel()})


def main() -> int:
    from evalkit.taxonomy import Taxonomy, failure_rates

    failed = []
    notes = make_notes()
    t0 = time.perf_counter()
    import sklearn.cluster  # noqa: F401  (import time is not what we measure)

    print(f"(scikit-learn import {time.perf_counter() - t0:.2f} s, not counted)")
    t_us, sug = best_time(lambda: Taxonomy.suggest(notes), repeat=1)

    def peer_suggest() -> Any:
        from sklearn.cluster import KMeans
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        x = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform(notes["note"])
        z = TruncatedSVD(20, random_state=0).fit_transform(x)
        return KMeans(len(sug.candidates), n_init=1, random_state=0).fit_predict(z)

    t_peer, _ = best_time(peer_suggest, repeat=1)
    ok = t_us < 10.0
    print(
        f"suggest on {N_NOTES:,} notes: {t_us:.2f} s ({len(sug.candidates)} candidates; "
        f"target < 10 s) {'OK' if ok else 'MISSED'}; bare sklearn TF-IDF+SVD+KMeans "
        f"{t_peer:.2f} s, ratio {t_us / t_peer:.1f}x"
    )
    if not ok:
        failed.append("suggest")

    labels = make_labels()
    tax = Taxonomy(modes=[f"mode_{j}" for j in range(N_MODES)])
    for weights in (None, "sample_weight"):
        t_us, res = best_time(lambda w=weights: failure_rates(labels, tax, weights=w))
        ok = t_us < 2.0
        kind = "weighted" if weights else "unweighted"
        print(
            f"failure_rates {kind}, {N_LABELS:,} labels x {N_MODES} modes x {N_SEGMENTS} "
            f"segments: {t_us:.2f} s ({len(res.table)} rows; target < 2 s) "
            f"{'OK' if ok else 'MISSED'}"
        )
        if not ok:
            failed.append(f"failure_rates {kind}")
    t_peer, _ = best_time(lambda: peer_rates(labels))
    print(f"peer (pandas explode/groupby + statsmodels Wilson, per segment only): {t_peer:.2f} s")
    if failed:
        print("targets missed:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
