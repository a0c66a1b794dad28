"""Benchmark: evalkit.load_traces on three 1,000,000-trace files vs pyarrow's raw JSON parse.

Shapes (issue 10), each written once under ``benchmarks/.cache`` (gitignored) and reused:

* ``chat``: plain chat JSON Lines ``{"messages": [...], "tools": [...]}`` with a tool call
  (system, user, assistant tool call, tool result, assistant answer), the most common shape;
* ``model_dump``: real ``{"request", "response": response.model_dump()}`` log pairs with
  ``tools`` in the request and ``"function_call": null`` in the response;
* ``otlp``: OTLP JSON Lines, one ``ExportTraceServiceRequest`` per line, holding a trace of two
  spans (an app span and a GenAI chat span with ``gen_ai.input.messages``/``output.messages``).

For each shape, in the same run: ``pyarrow.json.read_json(path)`` (our peer and floor) and
``evalkit.load_traces(path)``, best of ``--repeats`` runs, interleaved. Wall time is the target;
CPU time (all threads of the process, as pyarrow parses on every core, plus the chat path's
hash worker processes) is printed beside it, being less sensitive to other load on a shared
machine, with the load average. Peak memory of our load is measured in a fresh subprocess
(VmHWM: interpreter, imports and the frame; plus each hash worker at the largest one's peak)
relative to the file size. Targets: time within 2x of pyarrow; peak memory under 3x the file
size. Every ratio is printed; exit status 1 if any target is missed. ``--n 20000`` makes a small
run for a quick look, ``--shapes chat,otlp`` a subset.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TIME_TARGET = 2.0
MEMORY_TARGET = 3.0
CACHE = Path(__file__).parent / ".cache"
HASHERS = 2  # evalkit.traces._fast_chat.HASHERS: worker processes of the chat path

WORDS = (  # noqa: SIM905
    "the cloud account billing invoice server restart region quota error plan upgrade support "
    "ticket password reset deploy domain certificate storage bucket backup snapshot api key "
    "rotate limit usage team member role permission outage status latency"
).split()
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_invoice",
            "description": "Find an invoice by number.",
            "parameters": {
                "type": "object",
                "properties": {"number": {"type": "string"}},
                "required": ["number"],
            },
        },
    }
]
SYSTEM = "You are the Acme Cloud support assistant. Be concise."


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _conversation(rng: random.Random, i: int) -> list[dict[str, Any]]:
    call = {
        "id": f"call_{i}",
        "type": "function",
        "function": {"name": "lookup_invoice", "arguments": json.dumps({"number": f"INV-{i}"})},
    }
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": _text(rng, 18)},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": f"call_{i}", "content": _text(rng, 10)},
    ]


def chat_line(rng: random.Random, i: int) -> dict[str, Any]:
    messages = _conversation(rng, i)
    messages.append({"role": "assistant", "content": _text(rng, 40)})
    return {"messages": messages, "tools": TOOLS}


def model_dump_line(rng: random.Random, i: int) -> dict[str, Any]:
    message = {
        "content": _text(rng, 40),
        "refusal": None,
        "role": "assistant",
        "annotations": [],
        "audio": None,
        "function_call": None,
        "tool_calls": None,
    }
    return {
        "request": {
            "model": "gpt-4o-mini",
            "messages": _conversation(rng, i),
            "tools": TOOLS,
            "temperature": 0.2,
        },
        "response": {
            "id": f"chatcmpl-{i:012d}",
            "choices": [
                {"finish_reason": "stop", "index": 0, "logprobs": None, "message": message}
            ],
            "created": 1731000000 + i,
            "model": "gpt-4o-mini-2024-07-18",
            "object": "chat.completion",
            "service_tier": None,
            "system_fingerprint": "fp_bench",
            "usage": {
                "completion_tokens": 40 + i % 30,
                "prompt_tokens": 60 + i % 50,
                "total_tokens": 100 + i % 80,
                "completion_tokens_details": None,
                "prompt_tokens_details": None,
            },
        },
    }


def _kv(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def otlp_line(rng: random.Random, i: int) -> dict[str, Any]:
    trace_id = f"{i:032x}"
    start = 1731000000_000000000 + i * 1_000_000_000
    inputs = [
        {"role": "system", "parts": [{"type": "text", "content": SYSTEM}]},
        {"role": "user", "parts": [{"type": "text", "content": _text(rng, 18)}]},
    ]
    outputs = [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": _text(rng, 40)}],
            "finish_reason": "stop",
        }
    ]
    app = {
        "traceId": trace_id,
        "spanId": f"{2 * i:016x}",
        "name": "support-agent",
        "kind": 1,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 900_000_000),
        "attributes": [_kv("session.id", f"sess-{i // 3}"), _kv("user.id", f"user-{i % 5000}")],
        "status": {},
    }
    chat = {
        "traceId": trace_id,
        "spanId": f"{2 * i + 1:016x}",
        "parentSpanId": f"{2 * i:016x}",
        "name": "chat gpt-4o-mini",
        "kind": 3,
        "startTimeUnixNano": str(start + 100_000_000),
        "endTimeUnixNano": str(start + 800_000_000),
        "attributes": [
            _kv("gen_ai.operation.name", "chat"),
            _kv("gen_ai.provider.name", "openai"),
            _kv("gen_ai.request.model", "gpt-4o-mini"),
            _kv("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
            _kv("gen_ai.response.id", f"chatcmpl-{i}"),
            _kv("gen_ai.usage.input_tokens", 60 + i % 50),
            _kv("gen_ai.usage.output_tokens", 40 + i % 30),
            _kv("gen_ai.input.messages", json.dumps(inputs)),
            _kv("gen_ai.output.messages", json.dumps(outputs)),
        ],
        "status": {},
    }
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [_kv("service.name", "support")]},
                "scopeSpans": [{"scope": {"name": "bench"}, "spans": [app, chat]}],
            }
        ]
    }


SHAPES: dict[str, tuple[str, Callable[[random.Random, int], dict[str, Any]]]] = {
    "chat": ("chat.jsonl", chat_line),
    "model_dump": ("model_dump.jsonl", model_dump_line),
    "otlp": ("otlp_spans.jsonl", otlp_line),
}


def ensure_file(shape: str, n: int) -> Path:
    """The benchmark file of ``shape`` with ``n`` traces (written once, then reused)."""
    name, make = SHAPES[shape]
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{n}_{name}"
    if not path.exists():
        rng = random.Random(0)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            for i in range(n):
                fh.write(json.dumps(make(rng, i)) + "\n")
        tmp.rename(path)
    return path


def _cpu() -> float:
    """CPU seconds of this process (every thread) and of its ended children (hash workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _time(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU seconds (this process's threads and its worker processes) of one call."""
    start, cpu = time.perf_counter(), _cpu()
    result = fn()
    elapsed = time.perf_counter() - start, _cpu() - cpu
    del result
    return elapsed


def _load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


# VmHWM (peak resident set of this process image) rather than ru_maxrss, which Linux carries
# over from the parent across fork+exec and would charge the parent's memory to the child.
_CHILD = """
import resource, sys, warnings
warnings.simplefilter("ignore")
def peak():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
from evalkit.traces import _hash_worker, load_traces
workers = [0]  # the chat path's hash workers: their VmHWM, read before each answer is taken
answer = _hash_worker.Worker.answer
def sampled(self):
    try:
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmHWM:"):
                workers[0] = max(workers[0], int(line.split()[1]) * 1024)
    except OSError:
        pass
    return answer(self)
_hash_worker.Worker.answer = sampled
base = peak()
df = load_traces(sys.argv[1])
assert len(df) == int(sys.argv[2]) and df["trace_id"].is_unique
print(base, peak(), workers[0])
"""


def run_shape(shape: str, n: int, repeats: int) -> tuple[float, float]:
    import warnings

    import pyarrow.json as pj

    from evalkit.traces import load_traces

    path = ensure_file(shape, n)
    size = path.stat().st_size
    ours: list[tuple[float, float]] = []
    peer: list[tuple[float, float]] = []
    df = None
    load_before = _load()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # keep the output clean
        for _ in range(repeats):
            peer.append(_time(lambda: pj.read_json(path)))
            del df
            start, cpu = time.perf_counter(), _cpu()
            df = load_traces(path)  # the last run's frame is checked below
            ours.append((time.perf_counter() - start, _cpu() - cpu))
    load_after = _load()
    assert len(df) == n and df["trace_id"].is_unique, shape
    assert df["output"].notna().all() and df["input"].notna().all(), shape
    del df
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    base_rss, main_rss, worker_rss = (int(v) for v in child.stdout.split())
    # hash worker processes run beside the reader: count each at the largest one's peak
    workers = HASHERS if worker_rss else 0
    peak_rss = main_rss + workers * worker_rss
    wall_peer, wall_ours = min(t for t, _ in peer), min(t for t, _ in ours)
    cpu_peer, cpu_ours = min(c for _, c in peer), min(c for _, c in ours)
    ratio, mem = wall_ours / wall_peer, peak_rss / size
    runs_peer = ", ".join(f"{t:.2f}" for t, _ in peer)
    runs_ours = ", ".join(f"{t:.2f}" for t, _ in ours)
    print(f"== {shape}: {n:,} traces, {size / 1e6:,.0f} MB ({path.name})")
    print(f"   {load_before} before, {load_after} after")
    print(
        f"   pyarrow.json.read_json : {wall_peer:7.2f} s  (runs {runs_peer}); CPU {cpu_peer:.2f} s"
    )
    print(
        f"   evalkit.load_traces    : {wall_ours:7.2f} s  (runs {runs_ours}); CPU {cpu_ours:.2f} s"
    )
    print(
        f"   time ratio {ratio:.2f}x (target <= {TIME_TARGET:.1f}x); "
        f"CPU-time ratio {cpu_ours / cpu_peer:.2f}x"
    )
    with_workers = f" + {workers} workers x {worker_rss / 1e6:,.0f} MB" if workers else ""
    print(
        f"   peak RSS {main_rss / 1e6:,.0f} MB{with_workers} (baseline {base_rss / 1e6:,.0f} MB)"
        f" = {mem:.2f}x file size (target < {MEMORY_TARGET:.1f}x)"
    )
    return ratio, mem


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="traces per file")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per shape (>= 1)")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    args = parser.parse_args()
    results = {s: run_shape(s, args.n, args.repeats) for s in args.shapes.split(",")}
    print(
        "summary:",
        "; ".join(f"{s} {r:.2f}x time, {m:.2f}x memory" for s, (r, m) in results.items()),
    )
    ok = all(r <= TIME_TARGET and m < MEMORY_TARGET for r, m in results.values())
    print("PASS" if ok else "FAIL: a target was missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
