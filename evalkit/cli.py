"""The ``evalkit`` command line: CI gates over the library.

Commands
--------
``evalkit calibrate HUMAN JUDGE``
    Calibrate a judge against human labels and gate on TPR/TNR.
``evalkit judge verify RECORD --prompt-file P --model M``
    Fail when the judge's prompt or model changed since it was calibrated.
``evalkit check TRACES --config checks.yaml [--gate "json_valid>=0.99"]``
    Run code-based checks over traces and gate on their pass rates.
``evalkit golden export|verify|rotate|status``
    Golden sets (see :mod:`evalkit._cli_golden`; ``verify`` exits 1 on tampering).
``evalkit judge run TRACES --rubric R --judges J --out V``
    Run a rubric's judges over traces (see :mod:`evalkit._cli_judge_run`; exit 1 means
    ``--max-cost`` stopped the run).
``evalkit history add|show|drift HISTORY ...``
    Run history per segment (see :mod:`evalkit._cli_history`; ``drift`` exits 1 on drift).
``evalkit gate BASELINE CANDIDATE [--by segment] [--max-regression 0.03] [--bound lower]``
    Compare two runs per segment with paired intervals; exit 1 when a segment regresses (see
    :mod:`evalkit._cli_gate`).
``evalkit review TRACES --store labels.sqlite [--annotator NAME] [--token T]``
    Serve the review workspace as a web page on 127.0.0.1 for reviewers without Jupyter.

Exit codes
----------
0
    The gate holds (or the record matches).
1
    The gate fails (or the prompt/model changed).
2
    Bad input or usage (unreadable file, mismatched ids, unknown option...).

Label files may be CSV, Parquet or JSONL with ``trace_id`` and ``verdict`` columns, long human
labels (``annotator`` column: pick one with ``--annotator`` or use ``--annotator majority``), long
judge verdicts (``judge`` column: pick one with ``--judge``), or a label-store export.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evalkit._cli_judge_run import add_judge_run_parser
from evalkit.errors import EvalkitError

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors raise instead of exiting (so ``main`` returns 2)."""

    def error(self, message: str) -> Any:
        self.print_usage(sys.stderr)
        raise _UsageError(f"{self.prog}: error: {message}")


class _UsageError(Exception):
    pass


def _fraction(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1]; got {text!r}") from None
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1]; got {text!r}")
    return v


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = _Parser(
        prog="evalkit",
        description="evalkit command line: judge calibration gates for CI.",
        epilog="Exit codes: 0 gate holds, 1 gate fails, 2 bad input or usage.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    cal = sub.add_parser(
        "calibrate", help="calibrate a judge against human labels and gate on TPR/TNR",
        description="Calibrate a judge against human labels; exit 0 when TPR and TNR meet the "
                    "minimums, 1 when they do not, 2 on bad input.",
    )
    cal.add_argument("human", help="human labels (CSV, Parquet, JSONL or label-store export)")
    cal.add_argument("judge", help="judge verdicts (CSV, Parquet or JSONL)")
    cal.add_argument("--positive", default="pass",
                     help="the verdict meaning pass, any case (default: pass; PASS/true/yes/1 "
                          "and FAIL/false/no/0 are always read as pass and fail)")
    cal.add_argument("--verdict-column", default="verdict", metavar="COL",
                     help="the column holding the verdict in both files (default: verdict)")
    cal.add_argument("--min-tpr", type=_fraction, default=0.8, help="minimum TPR (default 0.8)")
    cal.add_argument("--min-tnr", type=_fraction, default=0.8, help="minimum TNR (default 0.8)")
    cal.add_argument("--bound", choices=("lower", "point"), default="lower",
                     help="gate on the interval's lower bound (default) or the point estimate")
    cal.add_argument("--confidence-level", type=_fraction, default=0.95)
    cal.add_argument("--method", choices=("wilson", "clopper-pearson", "jeffreys"),
                     default="wilson", help="interval method (default wilson)")
    cal.add_argument("--threshold", type=float, metavar="T",
                     help="score judge: pass when the judge's score column is >= T")
    cal.add_argument("--judge", dest="judge_name", metavar="NAME",
                     help="which judge, when JUDGE holds several (judge column)")
    cal.add_argument("--annotator", metavar="NAME",
                     help="which annotator, or 'majority', when HUMAN holds several")
    cal.add_argument("--record", metavar="JSON", help="write/update a calibrated-judge record")
    cal.add_argument("--prompt-file", metavar="P", help="judge prompt (needed with --record)")
    cal.add_argument("--model", help="judge model version (default: the judge file's "
                                     "judge_model column)")
    cal.add_argument("--judge-id", help="judge id for the record (default: --judge or file stem)")
    cal.add_argument("--rubric", metavar="YAML",
                     help="rubric the judge ran with; its content hash goes into the record")
    cal.add_argument("--json", action="store_true", help="machine-readable output")
    cal.set_defaults(func=cmd_calibrate)

    judge = sub.add_parser("judge", help="run judges; check calibrated-judge records")
    jsub = judge.add_subparsers(dest="judge_command", metavar="COMMAND", parser_class=_Parser)
    ver = jsub.add_parser(
        "verify", help="fail when the prompt or model changed since calibration",
        description="Exit 0 when the prompt and model match the record, 1 when they changed, "
                    "2 on bad input.",
    )
    ver.add_argument("record", help="calibrated-judge record (JSON)")
    ver.add_argument("--prompt-file", required=True, metavar="P")
    ver.add_argument("--model", required=True, metavar="M")
    ver.add_argument("--rubric", metavar="YAML",
                     help="rubric the judge runs with (needed when the record holds one)")
    ver.add_argument("--json", action="store_true")
    ver.set_defaults(func=cmd_judge_verify)
    from evalkit._cli_check import add_parser as add_check_parser

    add_check_parser(sub)  # `evalkit check`: code-based checks (evalkit/_cli_check.py)
    from evalkit._cli_golden import add_parser as add_golden_parser

    add_golden_parser(sub, _Parser)  # `evalkit golden ...` (evalkit/_cli_golden.py)
    from evalkit._cli_history import add_parser as add_history_parser

    add_history_parser(sub, _Parser)  # `evalkit history ...` (evalkit/_cli_history.py)
    from evalkit._cli_gate import add_parser as add_gate_parser

    add_gate_parser(sub)  # `evalkit gate BASELINE CANDIDATE` (evalkit/_cli_gate.py)
    add_judge_run_parser(jsub)

    from evalkit.widgets._review_cli import add_review_parser

    add_review_parser(sub)
    return parser


def _read_text(path: str, what: str) -> str:
    p = Path(path)
    if not p.is_file():
        raise EvalkitError(f"{path}: {what} not found.")
    return p.read_text(encoding="utf-8")


def _finite(value: Any) -> Any:
    """``value`` with every NaN/Infinity replaced by ``None`` (JSON has no NaN; RFC 8259)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        return _finite(value.item())
    return value


def _print_json(doc: Any) -> None:
    print(json.dumps(_finite(doc), indent=2, allow_nan=False))


def _write_step_summary(summary: str) -> None:
    """Append to ``$GITHUB_STEP_SUMMARY``; a path we cannot write is a warning, not a failure."""
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    if not step:
        return
    try:
        with open(step, "a", encoding="utf-8") as f:
            f.write(summary + "\n")
    except OSError as exc:
        print(f"evalkit: warning: cannot write the job summary to GITHUB_STEP_SUMMARY={step!r}: "
              f"{exc.strerror or exc}; the gate result is unaffected", file=sys.stderr)


def _require_labels(labels: Any, path: str, what: str) -> None:
    if len(labels.frame) == 0:
        raise EvalkitError(f"{path}: no labels in the {what} file (only a header?); "
                           "nothing to calibrate.")


def _estimate_dict(e: Any) -> dict[str, float | None]:
    def num(x: float) -> float | None:
        return None if not math.isfinite(x) else float(x)

    return {"statistic": num(e.statistic), "ci_low": num(e.confidence_interval.low),
            "ci_high": num(e.confidence_interval.high)}


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``evalkit calibrate``: exit 0 when the TPR/TNR gate holds, 1 when it fails."""
    from evalkit.labels import read_labels
    from evalkit.stats.calibration import calibrate, check_gate

    human = read_labels(args.human, annotator=args.annotator, verdict_column=args.verdict_column)
    _require_labels(human, args.human, "human label")
    judge = read_labels(args.judge, judge=args.judge_name, verdict_column=args.verdict_column)
    _require_labels(judge, args.judge, "judge verdict")
    if args.threshold is not None and "score" not in judge.frame.columns:
        raise _UsageError(f"evalkit calibrate: error: --threshold needs a 'score' column in "
                          f"{args.judge}")
    cal = calibrate(human.frame, judge.frame, positive=args.positive.strip().lower(),
                    confidence_level=args.confidence_level, method=args.method,
                    threshold=args.threshold)
    gate = check_gate(cal, min_tpr=args.min_tpr, min_tnr=args.min_tnr, bound=args.bound)
    record_info = None
    if args.record:
        from evalkit.judges import record_calibration

        if not args.prompt_file:
            raise _UsageError("evalkit calibrate: error: --record needs --prompt-file")
        model = args.model or judge.model
        if not model:
            raise _UsageError("evalkit calibrate: error: --record needs --model (the judge "
                              "file has no judge_model column)")
        judge_id = args.judge_id or args.judge_name or Path(args.judge).stem
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rec = record_calibration(cal, args.record, judge_id=judge_id, model=model,
                                     prompt=_read_text(args.prompt_file, "prompt file"),
                                     test_set=human.frame, rubric=_rubric(args.rubric))
        for w in caught:
            print(f"evalkit: warning: {w.message}", file=sys.stderr)
        record_info = {"path": args.record, "test_set_evaluations": rec.test_set_evaluations,
                       "judge_id": rec.judge_id, "model": rec.model}
    _write_step_summary(gate.to_markdown(cal))
    if args.json:
        out = {
            "passed": gate.passed, "bound": args.bound,
            "checks": gate.checks.to_dict("records"),
            "n": cal.n, "n_positive": cal.n_positive, "n_negative": cal.n_negative,
            "confusion_matrix": {"tp": cal.tp, "fn": cal.fn, "fp": cal.fp, "tn": cal.tn},
            "metrics": {k: _estimate_dict(v) for k, v in cal.metrics().items()},
            "confidence_level": cal.confidence_level, "method": cal.method,
            "human": {"path": human.path, "kind": human.kind, "source": human.source,
                      "n_deferred": human.n_deferred},
            "judge": {"path": judge.path, "kind": judge.kind, "source": judge.source},
            "record": record_info,
        }
        _print_json(out)
    else:
        print(f"judge calibration: n={cal.n} ({cal.n_positive} human pass, "
              f"{cal.n_negative} human fail)")
        if human.n_deferred:
            print(f"  {human.n_deferred} human labels dropped (defer or tied majority)")
        for _, r in gate.checks.iterrows():
            e = getattr(cal, r["metric"])
            print(f"  {r['metric'].upper()} = {e.statistic:.3f} "
                  f"[{e.confidence_interval.low:.3f}, {e.confidence_interval.high:.3f}]  "
                  f"{args.bound} {r['value']:.3f} >= {r['minimum']:.3f}? "
                  f"{'yes' if r['passed'] else 'NO'}")
        print("gate passed" if gate.passed else "gate FAILED")
    return EXIT_OK if gate.passed else EXIT_FAIL


def _rubric(path: str | None) -> Any:
    if path is None:
        return None
    from evalkit.judges import Rubric

    return Rubric.from_yaml(path)


def cmd_judge_verify(args: argparse.Namespace) -> int:
    """``evalkit judge verify``: exit 0 when prompt and model match the record, else 1."""
    from evalkit.judges import verify_record

    if not Path(args.record).is_file():
        raise EvalkitError(f"{args.record}: record file not found.")
    check = verify_record(args.record, prompt=_read_text(args.prompt_file, "prompt file"),
                          model=args.model, rubric=_rubric(args.rubric))
    if args.json:
        _print_json({"ok": check.ok, "problems": check.problems,
                     "judge_id": check.record.judge_id})
    elif check.ok:
        print(f"judge {check.record.judge_id!r}: prompt and model match the calibration of "
              f"{check.record.calibrated_at}")
    else:
        for p in check.problems:
            print(f"judge {check.record.judge_id!r}: {p}; re-calibrate before trusting it")
    return EXIT_OK if check.ok else EXIT_FAIL


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 pass, 1 gate failed, 2 bad input or usage)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        func = getattr(args, "func", None)
        if func is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return int(func(args))
    except _UsageError as e:
        print(str(e), file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as e:  # --help
        return int(e.code or 0) if isinstance(e.code, int) else EXIT_USAGE
    except (EvalkitError, ValueError, TypeError, OSError, UnicodeError, OverflowError) as e:
        print(f"evalkit: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except RecursionError:  # e.g. a record file nested thousands of levels deep
        where = " ".join(a for a in (argv or sys.argv[1:]) if not a.startswith("-"))
        print(f"evalkit: error: an input file is nested too deeply to read ({where}).",
              file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
