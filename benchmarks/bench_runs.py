"""compare_runs on 1,000,000 paired cases x 20 segments, with every interval: time vs a peer.

Target (issue 14): under 2 s for ``compare_runs`` (pairing on string case ids, verdict
normalisation, per-segment Tango, Newcombe and 2,000-resample bootstrap intervals, McNemar,
Holm/BH, the gate). Inputs are what run files give: string ids (``case-0000001``), string
segments and ``pass``/``fail`` strings, the candidate's rows in another order.

The peer is what a team writes today: ``pandas.merge`` on the case id and ``pandas.crosstab`` of
segment x (baseline, candidate) verdicts: the 2x2 counts only, no interval or test. The ratio is
ours / peer (both on the same frames, best of ``--repeat`` runs). The load average is printed
next to the timings: the machine may be shared.

Run: ``.venv/bin/python benchmarks/bench_runs.py [--n 1000000] [--segments 20]``; exits 1 when
the target is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

from evalkit.runs import compare_runs

TARGET_S = 2.0


def make_runs(n: int, k: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two runs on the same ``n`` cases; the candidate shuffled and changed on 5% of cases."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"case-{i:07d}" for i in range(n)], dtype=object)
    names = np.array([f"segment-{j:02d}" for j in range(k)], dtype=object)
    seg = names[rng.integers(0, k, n)]
    base = rng.random(n) < 0.8
    cand = base ^ (rng.random(n) < 0.05)
    words = np.array(["fail", "pass"], dtype=object)
    b = pd.DataFrame({"case_id": ids, "segment": seg, "verdict": words[base.astype(int)]})
    perm = rng.permutation(n)
    c = pd.DataFrame({"case_id": ids[perm], "segment": seg[perm],
                      "verdict": words[cand[perm].astype(int)]})
    return b, c


def peer(b: pd.DataFrame, c: pd.DataFrame) -> pd.DataFrame:
    """pandas merge + crosstab: the paired 2x2 counts per segment."""
    m = b.merge(c[["case_id", "verdict"]], on="case_id", suffixes=("_b", "_c"))
    return pd.crosstab(m["segment"], [m["verdict_b"], m["verdict_c"]])


def best_of(fn: object, repeat: int) -> tuple[float, float, float, object]:
    """Best and median wall time, best CPU time (less sensitive to a loaded machine), output."""
    times, cpu, out = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(times), float(np.median(times)), min(cpu), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--segments", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    b, c = make_runs(args.n, args.segments)
    compare_runs(b.head(1000), b.head(1000), rng=0)  # warm imports
    load = os.getloadavg()
    ours, ours_med, ours_cpu, res = best_of(lambda: compare_runs(b, c, rng=0), args.repeat)
    theirs, theirs_med, theirs_cpu, tab = best_of(lambda: peer(b, c), args.repeat)
    load_after = os.getloadavg()
    # the peer's counts must equal ours (same pairing)
    ours_tab = res.tables.drop(index="(all)")  # type: ignore[attr-defined]
    want = tab.reindex(columns=[("pass", "pass"), ("pass", "fail"), ("fail", "pass"),  # type: ignore[attr-defined]
                                ("fail", "fail")], fill_value=0).to_numpy()
    assert np.array_equal(ours_tab.to_numpy(), want), "peer and evalkit disagree on the counts"
    print(f"compare_runs, {args.n:,} paired cases x {args.segments} segments "
          f"(Tango + Newcombe + 2,000-resample bootstrap, McNemar, Holm/BH, gate)")
    print(f"  evalkit compare_runs : {ours:6.3f} s (best of {args.repeat}; median {ours_med:.3f};"
          f" CPU {ours_cpu:.3f} s)")
    print(f"  pandas merge+crosstab: {theirs:6.3f} s (best of {args.repeat}; median "
          f"{theirs_med:.3f}; CPU {theirs_cpu:.3f} s; counts only)")
    print(f"  ratio ours / peer    : {ours / theirs:6.2f}x")
    print(f"  load average         : {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} before, "
          f"{load_after[0]:.2f} after ({os.cpu_count()} CPUs)")
    ok = ours < TARGET_S
    print(f"  target < {TARGET_S:g} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
