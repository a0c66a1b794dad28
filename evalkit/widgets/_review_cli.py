"""The ``evalkit review`` subcommand: argument parsing; the server is in :mod:`review_server`."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any


def add_review_parser(sub: Any) -> None:
    """Register ``evalkit review TRACES --store S [--annotator NAME]`` on the CLI's subparsers."""
    rev = sub.add_parser(
        "review", help="serve the review workspace as a web page (for non-Jupyter reviewers)",
        description="Serve the Annotator as a standalone page on 127.0.0.1: keyboard-first "
                    "labelling into a SQLite label store, several reviewers at once.",
    )  # fmt: skip
    rev.add_argument("traces", help="trace file or folder (anything evalkit.load_traces reads)")
    rev.add_argument("--store", required=True, metavar="FILE", help="the label store (SQLite)")
    rev.add_argument("--annotator", metavar="NAME",
                     help="label as NAME (default: each reviewer gives a name on the page)")
    rev.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    rev.add_argument("--port", type=int, default=8866, help="port (default 8866; 0 = any free)")
    rev.add_argument("--token", help="require ?token=TOKEN to open the page")
    rev.add_argument("--failure-mode", action="append", dest="failure_modes", metavar="MODE",
                     help="a failure-mode toggle (repeat for several)")
    rev.add_argument("--no-blind", action="store_true",
                     help="show other reviewers' and judges' labels before labelling")
    rev.set_defaults(func=cmd_review)


def cmd_review(args: argparse.Namespace) -> int:
    """``evalkit review``: serve until interrupted (Ctrl+C), exit 0."""
    from evalkit.traces import load_traces
    from evalkit.widgets.review_server import serve

    traces = load_traces(args.traces)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C ends the session
        serve(traces, args.store, host=args.host, port=args.port, annotator=args.annotator,
              token=args.token, failure_modes=args.failure_modes, blind=not args.no_blind)
    return 0
