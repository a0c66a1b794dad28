"""``evalkit history add|show|drift``: the run history from the command line.

Exit codes: 0 success (``drift``: no drift found); 1 ``drift`` flagged a significant change;
2 bad input or usage (unreadable run file, a history from a newer evalkit, unknown version...).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

EXIT_OK, EXIT_DRIFT, EXIT_USAGE = 0, 1, 2


def add_parser(sub: Any, parser_class: Any) -> None:
    """Register ``history`` and its three subcommands on the CLI's subparsers."""
    h = sub.add_parser("history", help="record runs; show trends; flag drift (exit 1)")
    hs = h.add_subparsers(dest="history_command", metavar="COMMAND", parser_class=parser_class)

    ad = hs.add_parser("add", help="append a run (rows or per-segment counts) to a history",
                       description="Append one run to HISTORY (created when missing). RUN is "
                                   "CSV, Parquet or JSONL: case_id/trace_id with verdict or "
                                   "score (and a segment column), or segment, n, passes.")
    ad.add_argument("history", help="history file (SQLite)")
    ad.add_argument("run", help="run file (CSV, Parquet, JSONL)")
    ad.add_argument("--model", required=True)
    ad.add_argument("--prompt-hash", required=True)
    ad.add_argument("--eval-set-version", required=True)
    ad.add_argument("--at", default=None, help="when it ran (ISO 8601; default now)")
    ad.add_argument("--run-id", default=None)
    ad.add_argument("--by", default="segment", help="segment column ('none': one segment)")
    ad.add_argument("--json", action="store_true")
    ad.set_defaults(func=cmd_add)

    sh = hs.add_parser("show", help="rates per run and segment with intervals")
    sh.add_argument("history")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(func=cmd_show)

    dr = hs.add_parser("drift", help="compare consecutive runs (exit 1 when drift is found)",
                       description="Exit 0 when no comparison is flagged, 1 when one is, 2 on "
                                   "bad input.")
    dr.add_argument("history")
    dr.add_argument("--eval-set-version", default=None)
    dr.add_argument("--confidence-level", type=float, default=0.95)
    dr.add_argument("--adjust", choices=("holm", "bh", "none"), default="holm")
    dr.add_argument("--latest", action="store_true",
                    help="only the newest run of each eval-set version against the previous one")
    dr.add_argument("--json", action="store_true")
    dr.set_defaults(func=cmd_drift)


def _existing(path: str) -> Any:
    from evalkit.runs._errors import HistoryError
    from evalkit.runs._history import RunHistory

    if not Path(path).is_file():
        raise HistoryError(f"{path}: run history not found.")
    return RunHistory(path)


def _jsonable(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict("records"):
        clean = {}
        for k, v in rec.items():
            if isinstance(v, pd.Timestamp):
                v = v.isoformat()
            elif isinstance(v, float) and math.isnan(v):
                v = None
            elif hasattr(v, "item"):
                v = v.item()
            clean[str(k)] = v
        out.append(clean)
    return out


def cmd_add(args: argparse.Namespace) -> int:
    """``evalkit history add``."""
    from evalkit.runs._history import RunHistory
    from evalkit.runs._runfile import read_run

    run = read_run(args.run)
    by = None if args.by == "none" else args.by
    rid = RunHistory(args.history).add(
        run, model=args.model, prompt_hash=args.prompt_hash,
        eval_set_version=args.eval_set_version, at=args.at, run_id=args.run_id, by=by)
    print(json.dumps({"run_id": rid}) if args.json else f"added run {rid} to {args.history}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    """``evalkit history show``."""
    frame = _existing(args.history).frame()
    cols = ["at", "run_id", "model", "prompt_hash", "eval_set_version", "segment", "n",
            "statistic", "ci_low", "ci_high"]
    if args.json:
        print(json.dumps(_jsonable(frame[cols]), ensure_ascii=False))
    else:
        print(frame[cols].to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    return EXIT_OK


def cmd_drift(args: argparse.Namespace) -> int:
    """``evalkit history drift``: exit 1 when a comparison is flagged."""
    res = _existing(args.history).drift(eval_set_version=args.eval_set_version,
                                        confidence_level=args.confidence_level,
                                        adjust=args.adjust, latest=args.latest)
    if args.json:
        print(json.dumps({"drifted": res.drifted, "comparisons": _jsonable(res.table)},
                         ensure_ascii=False))
    else:
        shown = (res.flagged if res.drifted else res.table).copy()
        shown["segment"] = shown["segment"].map(lambda s: "(all)" if s is None else s)
        cols = ["eval_set_version", "from_run", "to_run", "segment", "rate_from", "rate_to",
                "delta", "ci_low", "ci_high", "p_adjusted", "flagged"]
        print(shown[cols].to_string(index=False, float_format=lambda x: f"{x:.3f}"))
        print(f"{'DRIFT' if res.drifted else 'no drift'}: {int(res.table['flagged'].sum())} of "
              f"{len(res.table)} comparisons flagged ({res.adjust}-adjusted).")
    return EXIT_DRIFT if res.drifted else EXIT_OK
