"""``evalkit check TRACES --config checks.yaml``: run code-based checks in CI and gate on them.

Exit codes: 0 every gate condition holds (or no gate was given), 1 a condition fails, 2 bad
input or usage (unreadable traces, unknown check in the config, malformed gate...). A markdown
summary goes to ``$GITHUB_STEP_SUMMARY`` when it is set; ``--json`` prints machine output;
``--out`` writes the verdicts as a long judge-style label file (``trace_id, judge, verdict,
segment, note, source`` with ``judge = check:<name>``; the segment column is named after ``--by``
and left out with ``--by none``) that ``evalkit calibrate HUMAN OUT --judge check:<name>`` reads
and that ``evalkit gate BASELINE CANDIDATE --judge check:<name>`` compares per segment.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError

EXIT_OK, EXIT_FAIL = 0, 1
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def add_parser(sub: Any) -> None:
    """Register ``check`` on the CLI's subparsers."""
    p = sub.add_parser(
        "check", help="run code-based checks over traces and gate on their pass rates",
        description="Run the checks of a config over traces; exit 0 when every gate condition "
                    "holds, 1 when one fails, 2 on bad input.",
    )
    p.add_argument("traces", help="trace file, folder or glob (anything evalkit.load_traces reads)")
    p.add_argument("--config", required=True, metavar="YAML",
                   help="checks config (YAML or JSON): a 'checks' list and an optional 'gate'")
    p.add_argument("--gate", action="append", default=[], metavar="SPEC",
                   help="gate condition on a check's pass rate, e.g. 'json_valid>=0.99' "
                        "(repeatable; adds to the config's gate)")
    p.add_argument("--bound", choices=("point", "lower"), default="point",
                   help="gate on the pass rate (default) or its Wilson lower bound")
    p.add_argument("--by", default="segment", help="column for the per-segment breakdown "
                   "(default segment; 'none' for overall only)")
    p.add_argument("--format", dest="trace_format", metavar="FMT",
                   help="force the trace format (see evalkit.load_traces)")
    p.add_argument("--out", metavar="FILE", help="write pass/fail verdicts as labels "
                   "(.csv, .parquet or .jsonl)")
    p.add_argument("--na-as", choices=("pass", "fail"), default=None,
                   help="with --out: write n/a verdicts as this (default: leave them out)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_check)


def _num(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x.item() if hasattr(x, "item") else x


def _csv_safe(value: Any) -> Any:
    # a cell starting like a formula would run in a spreadsheet: quote it (OWASP CSV injection)
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA) else value


def _write_out(result: Any, path: str, na_as: str | None) -> int:
    import pandas as pd

    frames = []
    for name in result.checks:
        v = result.verdicts(name, na=na_as)
        f = result.frame[result.frame["check"] == name]
        notes = dict(zip(f["trace_id"].astype(str), f["reason"].astype(str), strict=True))
        v.insert(1, "judge", f"check:{name}")
        if result.segments is not None:  # the run file `evalkit gate` compares per segment
            col = result.by if result.by not in ("trace_id", "judge", "verdict") else "segment"
            v[col] = v["trace_id"].map(result.segments).astype(object)
        v["note"] = v["trace_id"].map(notes)
        v["source"] = f"check:{name}"
        frames.append(v)
    out = pd.concat(frames, ignore_index=True)
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        out.map(_csv_safe).to_csv(p, index=False, lineterminator="\n")
    elif suffix == ".parquet":
        out.to_parquet(p, index=False)
    elif suffix == ".jsonl":
        out.to_json(p, orient="records", lines=True, force_ascii=False)
    else:
        raise EvalkitError(f"--out {path}: use a .csv, .parquet or .jsonl file; got {suffix!r}.")
    return len(out)


def cmd_check(args: argparse.Namespace) -> int:
    """``evalkit check``: exit 0 when the gate holds (or there is none), 1 when it fails."""
    from evalkit.checks._config import load_config
    from evalkit.checks._gate import gate
    from evalkit.checks._run import run_checks
    from evalkit.traces import load_traces

    cfg = load_config(args.config)
    specs = list(cfg.gate) + [s for g in args.gate for s in g.split(",") if s.strip()]
    if specs:  # malformed gates and unknown checks are usage errors, before any work
        from evalkit.checks._gate import parse_gate

        names = {c.name for c in cfg.checks}
        for s in specs:
            spec = parse_gate(s)
            if spec.check not in names:
                raise EvalkitError(f"gate {s!r} names check {spec.check!r}, which is not in "
                                   f"{args.config}; checks: {sorted(names)}.")
    traces = load_traces(args.traces, format=args.trace_format) if args.trace_format else (
        load_traces(args.traces))
    by = None if args.by.lower() == "none" else args.by
    result = run_checks(traces, list(cfg.checks), by=by)
    g = gate(result, specs, bound=args.bound) if specs else None
    written = _write_out(result, args.out, args.na_as) if args.out else None
    md = "### evalkit check\n\n" + result.to_markdown() + ("\n" + g.to_markdown() if g else "")
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    if step:
        with open(step, "a", encoding="utf-8") as f:
            f.write(md + "\n")
    passed = g.passed if g is not None else True
    if args.json:
        summary = result.summary
        out = {
            "passed": passed,
            "n_traces": result.n_traces,
            "n_failing_any": result.n_failing,
            "checks": [{k: _num(v) for k, v in r.items()}
                       for r in summary[summary["segment"] == "(all)"].to_dict("records")],
            "by_segment": [{k: _num(v) for k, v in r.items()}
                           for r in summary[summary["segment"] != "(all)"].to_dict("records")],
            "gate": None if g is None else [{k: _num(v) for k, v in r.items()}
                                            for r in g.table.to_dict("records")],
            "bound": args.bound,
            "out": None if written is None else {"path": args.out, "rows": written},
        }
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(f"{result.n_traces} traces, {len(result.checks)} checks; "
              f"{result.n_failing} traces fail at least one")
        for line in summary_rows(result):
            print(line)
        if g is not None:
            for _, r in g.table.iterrows():
                verdict = "ok" if r["passed"] else f"FAILED ({r['why']})"
                print(f"  gate {r['condition']}: {verdict}")
            print("gate passed" if g.passed else "gate FAILED")
    return EXIT_OK if passed else EXIT_FAIL


def summary_rows(result: Any) -> list[str]:
    """One line per check: counts and the failure rate with its interval."""
    rows = []
    s = result.summary[result.summary["segment"] == "(all)"]
    for _, r in s.iterrows():
        rate = "n/a" if r["failure_rate"] != r["failure_rate"] else (
            f"{r['failure_rate']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]")
        rows.append(f"  {r['check']}: {r['n_pass']} pass, {r['n_fail']} fail, {r['n_na']} n/a, "
                    f"{r['n_error']} error; failure rate {rate}")
    return rows
