"""Golden-set export benchmark against a peer, in the same run (exit 1 if a target is missed).

Target (issue 13): ``export_golden`` of 100,000 labelled cases (three messages each, built-in
redaction on, 8 segments) in under 20 s with peak memory under 1 GB. Peer for the ratio: pandas
``DataFrame.to_json(orient="records", lines=True)`` of the same rows (no split, no schema,
no redaction, no hashes). Also times a re-export of the same set (every case an update) and
``verify_golden`` (sha256 + JSON Schema over every case).

Peak memory is the process's peak resident set size (``ru_maxrss``) measured in a fresh child
process per step, so imports and the input frames are included.

Run: .venv/bin/python benchmarks/bench_golden.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

N = 100_000
TIME_TARGET, MEM_TARGET_MB = 20.0, 1024.0

CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
from evalkit.golden import export_golden, verify_golden

n, step, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rng = np.random.default_rng(0)
segs = np.array(["billing", "refunds", "outage", "account_access", "data_privacy",
                 "legal_threats", "technical_howto", "rare"])
p = np.array([.3, .2, .15, .15, .1, .05, .04, .01])
seg = segs[rng.choice(8, n, p=p)]
ids = [f"trace-{i:07d}" for i in range(n)]
inp = [f"My invoice {i} is wrong, mail me at user{i}@example.com" for i in range(n)]
outp = [f"Sorry about invoice {i}. Refunds take 5 days; call +1 415 555 {i % 10000:04d}."
        for i in range(n)]
msgs = [[{"role": "system", "content": "You are Acme support.", "name": None,
          "tool_call_id": None, "tool_calls": None},
         {"role": "user", "content": a, "name": None, "tool_call_id": None, "tool_calls": None},
         {"role": "assistant", "content": b, "name": None, "tool_call_id": None,
          "tool_calls": None}] for a, b in zip(inp, outp)]
traces = pd.DataFrame({"trace_id": ids, "input": inp, "output": outp, "messages": msgs,
                       "segment": seg})
verdict = np.where(rng.random(n) < .3, "fail", "pass")
labels = pd.DataFrame({"trace_id": ids, "annotator": "ann", "verdict": verdict,
                       "failure_modes": np.where(verdict == "fail", "hallucinated_policy", ""),
                       "labeled_at": "2025-03-18T09:03:39Z"})
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
if step == "export":
    m = export_golden(traces, labels, out)
    extra = {"splits": m["counts"]["split"], "redacted": m["redaction"]["counts"]}
elif step == "reexport":
    export_golden(traces, labels, out)
    t0 = time.perf_counter()
    m = export_golden(traces, labels, out)
    extra = {"updated": m["exports"][-1]["updated"]}
elif step == "verify":
    export_golden(traces, labels, out)
    t0 = time.perf_counter()
    verify_golden(out)
    extra = {}
else:  # the peer: pandas writes the same rows as JSON lines
    traces.merge(labels, on="trace_id").to_json(out + ".jsonl", orient="records", lines=True)
    extra = {}
secs = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": secs, "peak_mb": peak, "input_mb": base, **extra}))
"""


def run(step: str, n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as d:
        res = subprocess.run([sys.executable, "-c", CHILD, str(n), step, str(Path(d) / "g")],
                             capture_output=True, text=True, check=False)
    if res.returncode:
        sys.stderr.write(res.stderr)
        raise SystemExit(2)
    out: dict[str, float] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def main() -> int:
    ok = True
    peer = run("peer", N)
    exp = run("export", N)
    ratio = exp["seconds"] / peer["seconds"]
    print(f"export_golden, {N:,} cases: {exp['seconds']:.2f} s (target < {TIME_TARGET:g} s), "
          f"peak RSS {exp['peak_mb']:.0f} MB (target < {MEM_TARGET_MB:g} MB; inputs alone "
          f"{exp['input_mb']:.0f} MB); splits {exp['splits']}; redacted {exp['redacted']}")
    print(f"peer pandas to_json(lines) of the same rows: {peer['seconds']:.2f} s, peak RSS "
          f"{peer['peak_mb']:.0f} MB; evalkit/peer time ratio {ratio:.1f}x")
    re = run("reexport", N)
    print(f"re-export (100,000 updates, splits kept): {re['seconds']:.2f} s, peak RSS "
          f"{re['peak_mb']:.0f} MB")
    ve = run("verify", N)
    print(f"verify_golden (sha256 + JSON Schema of every case): {ve['seconds']:.2f} s")
    if exp["seconds"] >= TIME_TARGET:
        print("FAIL: export time target missed")
        ok = False
    if exp["peak_mb"] >= MEM_TARGET_MB:
        print("FAIL: export memory target missed")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
