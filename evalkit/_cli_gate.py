"""``evalkit gate BASELINE CANDIDATE``: the release gate, per segment, with paired intervals.

Exit codes: 0 the gate holds (no segment regresses by more than ``--max-regression``), 1 a
segment (or the overall rate) regresses, 2 bad input or usage (unreadable run file, unmatched or
duplicated cases, a verdict vocabulary mismatch...). A markdown table goes to
``$GITHUB_STEP_SUMMARY`` when it is set; ``--json`` prints machine output.

Run files are CSV, Parquet or JSON Lines with ``case_id`` or ``trace_id``, ``verdict`` or
``score`` and an optional ``segment`` column, or the label files ``evalkit check --out`` writes
(pick the check with ``--judge check:<name>``). ``--cases`` names a golden-set folder (or a file)
whose cases the runs must cover; segments then come from it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

EXIT_OK, EXIT_FAIL = 0, 1


def _nonnegative(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative number; got {text!r}") from None
    if not v >= 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a non-negative number; got {text!r}")
    return v


def _level(text: str) -> float:
    from evalkit.cli import _fraction

    v = _fraction(text)
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1); got {text!r}")
    return v


def _count(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer; got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer; got {text!r}")
    return v


def add_parser(sub: Any) -> None:
    """Register ``gate`` on the CLI's subparsers."""
    p = sub.add_parser(
        "gate", help="compare a candidate run with a baseline per segment and gate a release",
        description="Pair the runs' verdicts (or scores) per case; exit 0 when no segment "
                    "regresses by more than --max-regression, 1 when one does, 2 on bad input.",
    )
    p.add_argument("baseline", help="baseline run (CSV, Parquet, JSONL; case_id/trace_id and "
                                    "verdict or score, optional segment)")
    p.add_argument("candidate", help="candidate run (same shape; `evalkit check --out` files too)")
    p.add_argument("--by", default="segment",
                   help="segment column (default segment; 'none' for overall only)")
    p.add_argument("--max-regression", type=_nonnegative, default=0.03, metavar="M",
                   help="largest allowed drop of a segment's rate (default 0.03; for scores "
                        "in the score's unit)")
    p.add_argument("--bound", choices=("lower", "point"), default="lower",
                   help="gate on the lower bound of the delta's interval (default) or the delta")
    p.add_argument("--adjust", choices=("holm", "bh", "none"), default="holm",
                   help="multiplicity adjustment of the per-segment p-values (default holm)")
    p.add_argument("--confidence-level", type=_level, default=0.95, metavar="L")
    p.add_argument("--interval", choices=("tango", "newcombe", "wald", "bootstrap", "t"),
                   help="interval of the delta (default tango for verdicts, t for scores)")
    p.add_argument("--mid-p", action="store_true", help="McNemar mid-p instead of exact")
    p.add_argument("--cases", metavar="GOLDEN_DIR",
                   help="case list: a golden-set folder (or a file) the runs must cover")
    p.add_argument("--unmatched", choices=("error", "drop"), default="error",
                   help="cases in one run only: fail with exit 2 (default) or drop and report")
    p.add_argument("--positive", help="the verdict meaning pass in a vocabulary of your own")
    p.add_argument("--judge", metavar="NAME",
                   help="for label files with a judge column (evalkit check --out): which judge")
    p.add_argument("--n-resamples", type=_count, default=2000, metavar="B",
                   help="bootstrap resamples (default 2000; 0 skips the bootstrap)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_gate)


def cmd_gate(args: argparse.Namespace) -> int:
    """``evalkit gate``: exit 0 when the gate holds, 1 when a segment regresses."""
    from evalkit.cli import _print_json, _write_step_summary
    from evalkit.runs import compare_runs, read_run

    baseline = read_run(args.baseline, judge=args.judge, strict_judge=False)
    candidate = read_run(args.candidate, judge=args.judge, strict_judge=False)
    by = None if args.by.lower() == "none" else args.by
    res = compare_runs(
        baseline, candidate, by=by, max_regression=args.max_regression, bound=args.bound,
        confidence_level=args.confidence_level, adjust=args.adjust, interval=args.interval,
        mid_p=args.mid_p, positive=args.positive, unmatched=args.unmatched, cases=args.cases,
        n_resamples=args.n_resamples, rng=args.seed,
    )
    _write_step_summary("### evalkit gate\n\n" + res.to_markdown())
    if args.json:
        _print_json(res.summary())
    else:
        for line in _text_lines(res):
            print(line)
    return EXIT_OK if res.gate_passed else EXIT_FAIL


def _text_lines(res: Any) -> list[str]:
    what = "pass rate" if res.outcome == "verdict" else "mean score"
    lines = [f"{res.n_pairs} paired cases; {what} candidate - baseline, "
             f"{res.confidence_level:.0%} {res.method} intervals; p-values adjusted ({res.adjust})"]
    if res.only_baseline or res.only_candidate:
        lines.append(f"  dropped {len(res.only_baseline)} case(s) only in the baseline and "
                     f"{len(res.only_candidate)} only in the candidate")
    for r in res.details.itertuples(index=False):
        flag = "REGRESSED" if r.regressed else "ok"
        name = _printable(r.segment)
        lines.append(f"  {name}: n={r.n} {r.baseline_rate:.3f} -> {r.candidate_rate:.3f} "
                     f"delta {r.delta:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}] "
                     f"p_adj={r.p_adjusted:.3g} {flag}")
    lines.append("gate passed" if res.gate_passed else
                 f"gate FAILED: regression beyond -{res.max_regression:g} in "
                 + ", ".join(_printable(s) for s in res.regressions))
    return lines


def _printable(name: object) -> str:
    """A segment name from a file, with control characters (terminal escapes) made visible."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(name))


if __name__ == "__main__":  # pragma: no cover
    from evalkit.cli import main

    sys.exit(main(["gate", *sys.argv[1:]]))
