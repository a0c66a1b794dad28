"""Judge runs: cache replay speed and per-call overhead, each against its floor in the same run.

Targets (issue 16):
1. 10,000 cached verdicts replayed in under 2 s (the shipped 5-question rubric, so 60,000 rows);
   the floor is a bare sqlite3 SELECT + json.loads of the same 10,000 replies.
2. Overhead per uncached call under 1 ms beyond the client's own latency, at concurrency 32 with a
   fake client that sleeps 50 ms; the floor is a bare asyncio.gather of the same client behind a
   32-slot semaphore. The target is the extra wall time of the whole run (set-up, prompts,
   parsing, one committed cache write per reply, the verdict frame) per call:
   ``(ours - floor) / calls``. Also printed, not gated: the stricter per-slot figure
   ``(ours - floor) * 32 / calls``, how much longer each of the 32 slots takes per call.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from evalkit.judges import Completion, Judge, load_example_rubric, run_judges

N_CACHED = 10_000
N_CALLS = 2_000
CONCURRENCY = 32
LATENCY = 0.050


def _traces(n: int, tag: str = "") -> pd.DataFrame:
    return pd.DataFrame({
        "trace_id": [f"t{i}" for i in range(n)],
        "input": [f"My invoice INV-{i:06d} is wrong {tag}" for i in range(n)],
        "output": [f"Open Billing > Invoices, pick INV-{i:06d} and click Dispute. {tag}"
                   for i in range(n)],
        "retrieved": [[{"id": "kb-7", "text": "Disputes are answered within 2 days."}]] * n,
    })


def bench_replay(tmp: Path) -> bool:
    rubric = load_example_rubric("support_bot_binary")
    reply = json.dumps({c: {"verdict": "pass", "explanation": "ok"} for c in rubric.criteria})

    async def instant(messages: list[dict[str, str]], **params: object) -> Completion:
        return Completion(text=reply, input_tokens=500, output_tokens=60)

    judges = {"j": Judge(instant, model="fake-1", price=(1.0, 2.0))}
    traces = _traces(N_CACHED)
    cache = tmp / "replay.sqlite"
    run_judges(traces, rubric, judges, cache=cache, progress=False, concurrency=64)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        out = run_judges(traces, rubric, judges, cache=cache, progress=False)
        best = min(best, time.perf_counter() - t0)
    assert out["cache_hit"].all() and out.attrs["judge_run"]["n_calls"] == 0
    floor = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        with sqlite3.connect(cache) as conn:
            rows = [json.loads(a) for (a,) in conn.execute("SELECT answer FROM replies")]
        floor = min(floor, time.perf_counter() - t0)
    assert len(rows) == N_CACHED
    ok = best < 2.0
    print(f"replay {N_CACHED:,} cached verdicts ({len(out):,} rows): {best:.2f} s "
          f"(target < 2 s) {'OK' if ok else 'MISSED'}; bare sqlite3+json floor {floor:.3f} s, "
          f"ratio {best / floor:.1f}x")
    return ok


async def _bare(n: int) -> None:
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one() -> str:
        async with sem:
            await asyncio.sleep(LATENCY)
            return "{}"

    await asyncio.gather(*(one() for _ in range(n)))


def bench_overhead(tmp: Path) -> bool:
    rubric = load_example_rubric("support_bot_binary")
    reply = json.dumps({c: {"verdict": "fail", "explanation": "x"} for c in rubric.criteria})

    async def sleepy(messages: list[dict[str, str]], **params: object) -> Completion:
        await asyncio.sleep(LATENCY)
        return Completion(text=reply, input_tokens=500, output_tokens=60)

    def sleepy_sync(messages: list[dict[str, str]], **params: object) -> Completion:
        time.sleep(LATENCY)
        return Completion(text=reply, input_tokens=500, output_tokens=60)

    results = {}
    for label, client in (("async", sleepy), ("sync (threads)", sleepy_sync)):
        best_ours, best_floor = float("inf"), float("inf")
        for rep in range(2):
            t0 = time.perf_counter()
            asyncio.run(_bare(N_CALLS))
            best_floor = min(best_floor, time.perf_counter() - t0)
            traces = _traces(N_CALLS, tag=f"{label}{rep}")  # new content: every call misses
            t0 = time.perf_counter()
            out = run_judges(traces, rubric, {"j": Judge(client, model="fake-1",
                                                         price=(1.0, 2.0))},
                             cache=tmp / f"overhead_{rep}.sqlite", concurrency=CONCURRENCY,
                             progress=False)
            best_ours = min(best_ours, time.perf_counter() - t0)
            assert out.attrs["judge_run"]["n_calls"] == N_CALLS and out["error"].isna().all()
        per_call_ms = (best_ours - best_floor) / N_CALLS * 1000
        per_slot_ms = per_call_ms * CONCURRENCY
        results[label] = per_call_ms
        print(f"{N_CALLS:,} uncached calls, {label} client sleeping {LATENCY * 1000:.0f} ms, "
              f"concurrency {CONCURRENCY}: {best_ours:.2f} s vs bare gather {best_floor:.2f} s "
              f"-> overhead {per_call_ms:.3f} ms per call (target < 1 ms) "
              f"{'OK' if per_call_ms < 1 else 'MISSED'}; per slot {per_slot_ms:.2f} ms "
              f"(not gated)")
    return all(v < 1.0 for v in results.values())


def main() -> int:
    with tempfile.TemporaryDirectory() as d:
        ok = [bench_replay(Path(d)), bench_overhead(Path(d))]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
