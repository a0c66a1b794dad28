"""Review-loop speed: going to the next trace, and committing a label durably.

Targets (exit 1 if one is missed):
  * next trace (kernel-side render + trait update + this trace's labels) <= 30 ms median;
  * median(next) with a 200,000-trace queue / median(next) with a 1,000-trace queue <= 1.5;
  * durable label commit (LabelStore.record, fsynced) <= 10 ms median;
  * the queue table (Annotator.table) of a 200,000-trace queue opens in < 1 s and a search of it
    takes < 300 ms (median of several searches);
  * Annotator.filter grows linearly: filter(200k) / filter(20k) <= 20 (linear ~10; the old
    np.isin on object arrays made it quadratic, ~100).
Peer: a pigeon-style widget that re-renders with ``clear_output`` + ``display(HTML(...))`` in an
``ipywidgets.Output`` per navigation, timed the same way on the same traces.

The timings run inside a real IPython kernel (started with jupyter_client), so trait updates and
display messages are serialized and sent on the kernel's channels as they are in Jupyter.
Run: ``.venv/bin/python benchmarks/bench_review.py`` (``--quick`` for a smaller run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_NEXT_MS = 30.0
TARGET_RATIO = 1.5
TARGET_COMMIT_MS = 10.0
TARGET_TABLE_OPEN_S = 1.0
TARGET_SEARCH_MS = 300.0
TARGET_FILTER_RATIO = 20.0


def synthetic_traces(n: int) -> Any:
    """``n`` canonical support-bot traces (system prompt, tool call, retrieval, Markdown answer)."""
    from evalkit.traces.schema import to_canonical

    system = {"role": "system", "content": "You are Acme Cloud's support assistant. " * 8}
    docs = [
        {"id": f"kb/doc-{k}.md", "text": "Refund policy paragraph. " * 20, "score": 0.9 - k / 10}
        for k in range(3)
    ]
    segments = ["billing", "outage", "account", "api"]
    records = []
    for i in range(n):
        question = f"Ticket {i}: why was I charged twice for my Team plan this month?"
        answer = (
            f"Thanks for reaching out about ticket **{i}**.\n\n1. Duplicate charges are usually "
            "pending authorisations.\n2. They disappear within 3 business days.\n\n"
            "See [billing FAQ](https://acme.example/faq)."
        )
        records.append(
            {
                "trace_id": f"tr-{i:07d}",
                "input": question,
                "output": answer,
                "messages": [
                    system,
                    {"role": "user", "content": question},
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {"name": "lookup_account", "arguments": {"account_id": f"AC-{i}"}}
                        ],
                    },
                    {"role": "tool", "content": '{"plan": "Team", "charges": 2}'},
                    {"role": "assistant", "content": answer},
                ],
                "retrieved": docs,
                "model": "gpt-4o-mini",
                "latency_ms": 1500.0 + i % 900,
                "input_tokens": 1200 + i % 300,
                "output_tokens": 150 + i % 80,
                "cost_usd": 0.0004,
                "segment": segments[i % 4],
            }
        )
    return to_canonical(records)


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def time_next(sizes: list[int], reps: int, tmp: Path) -> dict[int, dict[str, float]]:
    """Median time of Annotator.next() (render + traits + labels of the new trace) per queue size.

    The queues are timed in alternating blocks so that machine noise hits every size alike.
    """
    from evalkit.store import LabelStore
    from evalkit.widgets.annotator import Annotator

    anns, opened = {}, {}
    for n in sizes:
        traces = synthetic_traces(n)
        store = LabelStore(tmp / f"next_{n}.sqlite")
        t0 = time.perf_counter()
        anns[n] = Annotator(traces, store, annotator="bench")
        opened[n] = time.perf_counter() - t0
        anns[n].go(n // 2)  # the middle of the queue
        for _ in range(30):  # warm-up
            anns[n].next()
    samples: dict[int, list[float]] = {n: [] for n in sizes}
    block = 20
    for _ in range(max(1, reps // block)):
        for n in sizes:
            ann = anns[n]
            for _ in range(block):
                t = time.perf_counter()
                ann.next()
                samples[n].append(time.perf_counter() - t)
    out: dict[int, dict[str, float]] = {
        n: {"next_ms": _median_ms(samples[n]), "open_s": opened[n]} for n in sizes
    }
    big = anns[max(sizes)]
    for i in range(200):  # some labels and notes to show and search
        big.press("1" if i % 3 else "2")
    big.set_note("refund policy misquoted")
    t = time.perf_counter()
    big.table()
    out[max(sizes)]["table_open_s"] = time.perf_counter() - t
    searches = []
    for q in ["ticket 1999", "REFUND POLICY", "charged twice", "no such text", "Ticket 42:"] * 3:
        t = time.perf_counter()
        big.table(search=q)
        searches.append(time.perf_counter() - t)
    out[max(sizes)]["search_ms"] = _median_ms(searches)
    for ann in anns.values():
        ann.store.close()
    return out


def time_filter(sizes: list[int], tmp: Path) -> dict[int, float]:
    """Seconds for filter(judge_verdict=...) and filter(disagreement=True), judges on 10%."""
    import pandas as pd

    from evalkit.store import LabelStore
    from evalkit.widgets.annotator import Annotator

    out = {}
    for n in sizes:
        ids = [f"tr-{i:07d}" for i in range(n)]
        traces = pd.DataFrame({"trace_id": ids, "input": "q", "segment": "billing"})
        store = LabelStore(tmp / f"filter_{n}.sqlite")
        judged = ids[:: 10]
        store.import_labels(
            pd.DataFrame({"trace_id": judged, "verdict": ["pass", "fail"] * (len(judged) // 2),
                          "judge": "j1"}), source="judge:x")  # fmt: skip
        ann = Annotator(traces, store, annotator="bench")
        t = time.perf_counter()
        ann.filter(judge_verdict="fail")
        ann.filter(judge_verdict="pass")
        ann.filter(disagreement=True)
        out[n] = time.perf_counter() - t
        store.close()
    return out


def time_pigeon(n_queue: int, reps: int) -> dict[str, float]:
    """The peer: ipywidgets.Output + clear_output + display(HTML) per navigation (pigeon's way)."""
    import ipywidgets as widgets
    from IPython.display import HTML, clear_output, display

    from evalkit.widgets._render import trace_document

    traces = synthetic_traces(n_queue)
    out = widgets.Output()
    display(out)
    pos = n_queue // 2

    def show(i: int) -> None:
        with out:
            clear_output(wait=True)
            display(HTML(trace_document(traces.iloc[i])))

    for k in range(20):
        show(pos + k)
    samples = []
    for k in range(reps):
        t = time.perf_counter()
        show(pos + 20 + k)
        samples.append(time.perf_counter() - t)
    return {"next_ms": _median_ms(samples)}


def time_commit(reps: int, tmp: Path) -> dict[str, float]:
    """Median time of one durable LabelStore.record (committed and fsynced before it returns)."""
    from evalkit.store import LabelStore

    store = LabelStore(tmp / "commit.sqlite")
    for i in range(10):
        store.record(f"warm-{i}", annotator="bench", field="verdict", value="pass")
    samples = []
    for i in range(reps):
        t = time.perf_counter()
        store.record(
            f"tr-{i:07d}", annotator="bench", field="verdict", value="fail" if i % 3 else "pass"
        )
        samples.append(time.perf_counter() - t)
    store.close()
    return {"commit_ms": _median_ms(samples)}


def measure(quick: bool = False) -> dict[str, Any]:
    """Run every timing in this process (called inside the kernel)."""
    reps = 60 if quick else 200
    big = 20_000 if quick else 200_000
    with tempfile.TemporaryDirectory(prefix="bench_review_") as d:
        tmp = Path(d)
        nxt = time_next([1_000, big], reps, tmp)
        small_res, big_res = nxt[1_000], nxt[big]
        pigeon = time_pigeon(1_000, reps)
        commit = time_commit(reps, tmp)
        filt = time_filter([big // 10, big], tmp)
    return {"n_big": big, "small": small_res, "big": big_res, "pigeon": pigeon, "commit": commit,
            "filter": {"small": filt[big // 10], "big": filt[big]}}


def _run_in_kernel(quick: bool) -> dict[str, Any]:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        here = str(Path(__file__).resolve())
        code = (
            "import json, runpy\n"
            f"_ns = runpy.run_path({here!r}, run_name='bench_review_kernel')\n"
            f"print('RESULT' + json.dumps(_ns['measure'](quick={quick!r})))\n"
        )
        lines: list[str] = []
        errors: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream":
                lines.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                errors.append("\n".join(msg["content"]["traceback"]))

        reply = kc.execute_interactive(code, timeout=1800, output_hook=hook)
        if reply["content"]["status"] != "ok" or errors:
            raise RuntimeError("benchmark failed in the kernel:\n" + "\n".join(errors))
        text = "".join(lines)
        return json.loads(text[text.index("RESULT") + len("RESULT") :].splitlines()[0])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="20,000-trace big queue, fewer repetitions"
    )
    args = parser.parse_args(argv)
    r = _run_in_kernel(args.quick)
    small, big, pigeon, commit = (
        r["small"]["next_ms"],
        r["big"]["next_ms"],
        r["pigeon"]["next_ms"],
        r["commit"]["commit_ms"],
    )
    ratio = big / small
    print(
        f"next trace, 1,000-trace queue:        {small:7.2f} ms median"
        f"  (target <= {TARGET_NEXT_MS:g} ms)"
    )
    print(
        f"next trace, {r['n_big']:,}-trace queue:    {big:7.2f} ms median"
        f"  (opening the widget: {r['big']['open_s']:.2f} s)"
    )
    print(
        f"ratio big / small queue:             {ratio:7.2f}            (target <= {TARGET_RATIO:g})"
    )
    print(
        f"pigeon-style clear_output re-render:  {pigeon:7.2f} ms median"
        f"  (ours / pigeon = {small / pigeon:.2f})"
    )
    print(
        f"durable label commit:                 {commit:7.2f} ms median"
        f"  (target <= {TARGET_COMMIT_MS:g} ms)"
    )
    table_open, search = r["big"]["table_open_s"], r["big"]["search_ms"]
    f_small, f_big = r["filter"]["small"], r["filter"]["big"]
    print(
        f"queue table, {r['n_big']:,} traces:       {table_open:7.2f} s to open"
        f"  (target < {TARGET_TABLE_OPEN_S:g} s); search {search:.1f} ms median"
        f" (target < {TARGET_SEARCH_MS:g} ms)"
    )
    print(
        f"filter x3, {r['n_big'] // 10:,} vs {r['n_big']:,} traces: {f_small:.2f} s vs "
        f"{f_big:.2f} s, ratio {f_big / f_small:.1f} (target <= {TARGET_FILTER_RATIO:g})"
    )
    failed = []
    if table_open >= TARGET_TABLE_OPEN_S:
        failed.append("queue table opens in 1 s or more")
    if search >= TARGET_SEARCH_MS:
        failed.append("queue table search takes 300 ms or more")
    if f_big / f_small > TARGET_FILTER_RATIO:
        failed.append("filter grows faster than linearly")
    if max(small, big) > TARGET_NEXT_MS:
        failed.append("next trace median above 30 ms")
    if ratio > TARGET_RATIO:
        failed.append("next trace slows down with queue size")
    if commit > TARGET_COMMIT_MS:
        failed.append("durable commit median above 10 ms")
    if args.quick:
        print("(quick run: the 200,000-trace target is checked by the full run)")
    for f in failed:
        print(f"TARGET MISSED: {f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
