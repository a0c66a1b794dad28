"""Golden-set export benchmark against a peer, in the same run (exit 1 if a target is missed).

Targets (issue 13): ``export_golden`` of 100,000 labelled cases (three messages each, built-in
redaction on, 8 segments) in under 20 s with peak memory under 1 GB; a re-export of the same set
(every case an update) under 1 GB too. Peer for the ratio: pandas
``DataFrame.to_json(orient="records", lines=True)`` of the same rows (no split, no schema,
no redaction, no hashes). ``verify_golden`` (sha256 + the compiled JSON Schema check of every
case) is timed against the peer :mod:`jsonschema` validating the same cases (a 5,000-case
sample, scaled to 100,000), target under 10 s.

Peak memory is the process's peak resident set size (``ru_maxrss``) measured in a fresh child
process per step (the set a step re-exports or verifies is written by an earlier child), so
imports and the input frames are included. The load average is printed with the timings: the
machine is shared.

Run: .venv/bin/python benchmarks/bench_golden.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

N = 100_000
TIME_TARGET, MEM_TARGET_MB, VERIFY_TARGET = 20.0, 1024.0, 10.0

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
elif step == "reexport":  # the set was written by the "export" child
    m = export_golden(traces, labels, out)
    extra = {"updated": m["exports"][-1]["updated"]}
elif step == "verify":
    del traces, labels, msgs, inp, outp
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    verify_golden(out)
    extra = {}
elif step == "jsonschema":  # the peer: jsonschema on a 5,000-case sample of the same file
    import jsonschema
    from evalkit.golden import CASE_SCHEMA
    with open(out + "/cases.jsonl", encoding="utf-8") as fh:
        sample = [json.loads(line) for _, line in zip(range(5000), fh)]
    v = jsonschema.Draft202012Validator(CASE_SCHEMA)
    t0 = time.perf_counter()
    bad = sum(1 for c in sample if next(iter(v.iter_errors(c)), None) is not None)
    secs = (time.perf_counter() - t0) * n / len(sample)
    print(json.dumps({"seconds": secs, "peak_mb": 0, "input_mb": base, "bad": bad}))
    raise SystemExit(0)
else:  # the peer: pandas writes the same rows as JSON lines
    traces.merge(labels, on="trace_id").to_json(out + ".jsonl", orient="records", lines=True)
    extra = {}
secs = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": secs, "peak_mb": peak, "input_mb": base, **extra}))
"""


def run(step: str, n: int, folder: str) -> dict[str, float]:
    res = subprocess.run([sys.executable, "-c", CHILD, str(n), step, str(Path(folder) / "g")],
                         capture_output=True, text=True, check=False)
    if res.returncode:
        sys.stderr.write(res.stderr)
        raise SystemExit(2)
    out: dict[str, float] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    ok = True
    n = int(sys.argv[1]) if len(sys.argv) > 1 else N  # a smaller n while developing
    with tempfile.TemporaryDirectory() as d, tempfile.TemporaryDirectory() as p:
        peer = run("peer", n, p)
        print(f"[{load()}]")
        exp = run("export", n, d)
        ratio = exp["seconds"] / peer["seconds"]
        print(f"export_golden, {n:,} cases: {exp['seconds']:.2f} s (target < {TIME_TARGET:g} s),"
              f" peak RSS {exp['peak_mb']:.0f} MB (target < {MEM_TARGET_MB:g} MB; inputs alone "
              f"{exp['input_mb']:.0f} MB); splits {exp['splits']}; redacted {exp['redacted']}")
        print(f"peer pandas to_json(lines) of the same rows: {peer['seconds']:.2f} s, peak RSS "
              f"{peer['peak_mb']:.0f} MB; evalkit/peer time ratio {ratio:.1f}x  [{load()}]")
        re = run("reexport", n, d)
        print(f"re-export ({re['updated']:,} updates, splits kept): {re['seconds']:.2f} s, peak "
              f"RSS {re['peak_mb']:.0f} MB (target < {MEM_TARGET_MB:g} MB)  [{load()}]")
        ve = run("verify", n, d)
        js = run("jsonschema", n, d)
        print(f"verify_golden (sha256 + compiled schema check of every case): "
              f"{ve['seconds']:.2f} s (target < {VERIFY_TARGET:g} s), peak RSS "
              f"{ve['peak_mb']:.0f} MB; peer jsonschema alone on the same cases (5,000-case "
              f"sample, scaled): {js['seconds']:.2f} s; ratio {ve['seconds'] / js['seconds']:.2f}"
              f"  [{load()}]")
    checks = [(exp["seconds"] < TIME_TARGET, "export time"),
              (exp["peak_mb"] < MEM_TARGET_MB, "export memory"),
              (re["peak_mb"] < MEM_TARGET_MB, "re-export memory"),
              (ve["seconds"] < VERIFY_TARGET, "verify time")]
    if n != N:
        print(f"(n={n:,}: targets are for {N:,} cases; not checked)")
        return 0
    for passed, what in checks:
        if not passed:
            print(f"FAIL: {what} target missed")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
