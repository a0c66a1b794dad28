"""``evalkit golden export|verify|rotate|status``: golden sets from the command line.

Exit codes: 0 success; 1 ``verify`` found a tampered file, a schema violation or a repeated
case id, or ``status`` found the holdout older than ``--max-age-days``; 2 bad input or usage
(missing manifest, unreadable traces or labels, a target folder that is not a golden set...).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def add_parser(sub: Any, parser_class: Any) -> None:
    """Register ``golden`` and its four subcommands on the CLI's subparsers."""
    g = sub.add_parser("golden", help="export, verify, rotate and inspect golden sets")
    gs = g.add_subparsers(dest="golden_command", metavar="COMMAND", parser_class=parser_class)

    ex = gs.add_parser("export", help="export labelled traces to a golden folder",
                       description="Export every labelled trace to a versioned golden folder "
                                   "(new or existing: cases are appended/updated, never moved).")
    ex.add_argument("traces", help="trace file, folder or glob (anything load_traces reads)")
    ex.add_argument("labels", help="label file (CSV, Parquet, JSONL) or label store (.db)")
    ex.add_argument("out", help="golden folder")
    ex.add_argument("--holdout", type=float, default=0.30, help="holdout share (default 0.30)")
    ex.add_argument("--floor", type=float, default=0.15,
                    help="minimum share of each segment in each split (default 0.15)")
    ex.add_argument("--stratify", default="segment", help="stratum column ('none': one stratum)")
    ex.add_argument("--references", metavar="CSV",
                    help="references: trace_id, text, quality (high|borderline), author")
    ex.add_argument("--taxonomy", metavar="FILE", help="taxonomy (YAML or JSON)")
    ex.add_argument("--names", metavar="FILE", help="person names to redact, one per line")
    ex.add_argument("--no-redact", action="store_true", help="export raw text (no redaction)")
    ex.add_argument("--seed", type=int, default=None, help="split salt seed for a new set")
    ex.add_argument("--json", action="store_true")
    ex.set_defaults(func=cmd_export)

    ve = gs.add_parser("verify", help="check hashes and schema (exit 1 when tampered)",
                       description="Exit 0 when every file matches its manifest hash and every "
                                   "case its schema; 1 on tampering; 2 on bad input.")
    ve.add_argument("path")
    ve.add_argument("--json", action="store_true")
    ve.set_defaults(func=cmd_verify)

    ro = gs.add_parser("rotate", help="graduate part of the holdout, retire old, refill")
    ro.add_argument("path")
    ro.add_argument("--fraction", type=float, default=0.25)
    ro.add_argument("--seed", type=int, default=None)
    ro.add_argument("--json", action="store_true")
    ro.set_defaults(func=cmd_rotate)

    st = gs.add_parser("status", help="holdout age, last rotation and reads (exit 1 when stale)")
    st.add_argument("path")
    st.add_argument("--max-age-days", type=float, default=90.0)
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)


def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, sort_keys=True, default=str) if args.json else text)


def cmd_export(args: argparse.Namespace) -> int:
    """``evalkit golden export``."""
    import pandas as pd

    from evalkit.golden import Redactor, export_golden

    refs = None
    if args.references:
        refs = pd.read_csv(args.references, dtype=str, keep_default_na=False)
    tax = None
    if args.taxonomy:
        from evalkit.taxonomy import Taxonomy

        p = Path(args.taxonomy)
        tax = Taxonomy.from_json(p) if p.suffix == ".json" else Taxonomy.from_yaml(p)
    redact: Any = True
    if args.no_redact:
        redact = False
    elif args.names:
        names = Path(args.names).read_text(encoding="utf-8").splitlines()
        redact = Redactor(names=[n.strip() for n in names if n.strip()])
    labels: Any = args.labels
    if Path(labels).suffix in (".db", ".sqlite"):
        from evalkit.labels import LabelStore

        labels = LabelStore(labels)
    m = export_golden(args.traces, labels, args.out, taxonomy=tax, holdout=args.holdout,
                      floor=args.floor, stratify=None if args.stratify == "none" else
                      args.stratify, references=refs, redact=redact, rng=args.seed)
    last = m["exports"][-1]
    _emit(args, {"counts": m["counts"], "export": last, "redaction": m["redaction"]},
          f"{args.out}: {last['new']} new, {last['updated']} updated; splits "
          f"{m['counts']['split']}; redacted {m['redaction'].get('counts', {})}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    """``evalkit golden verify``: 1 on tampering, 2 when the folder is not a golden set."""
    from evalkit.golden import (
        CaseIdCollisionError,
        GoldenSchemaError,
        GoldenTamperError,
        verify_golden,
    )

    try:
        m = verify_golden(args.path)
    except (GoldenTamperError, GoldenSchemaError, CaseIdCollisionError) as e:
        _emit(args, {"ok": False, "problem": str(e)}, f"TAMPERED: {e}")
        return EXIT_FAIL
    _emit(args, {"ok": True, "counts": m["counts"]["split"]},
          f"{args.path}: OK ({m['counts']['split']})")
    return EXIT_OK


def cmd_rotate(args: argparse.Namespace) -> int:
    """``evalkit golden rotate``."""
    from evalkit.golden import rotate

    rec = rotate(args.path, fraction=args.fraction, rng=args.seed)
    _emit(args, rec, f"{args.path}: graduated {rec['graduated']}, sealed {rec['sealed']}, "
                     f"retired {rec['retired']}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    """``evalkit golden status``: exit 1 when the holdout is older than ``--max-age-days``."""
    from evalkit.golden import HoldoutAgeWarning, holdout_status

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HoldoutAgeWarning)
        st = holdout_status(args.path, max_age_days=args.max_age_days)
    data = {f: getattr(st, f) for f in st.__slots__}
    text = (f"{args.path}: holdout {st.n_holdout}, active {st.n_active}, retired "
            f"{st.n_retired}; age {st.statistic:.1f} days (limit {st.max_age_days:g}); last "
            f"rotated {st.last_rotated or 'never'}; {st.n_reads} holdout read(s), last "
            f"{st.last_read or 'never'}")
    _emit(args, data, text)
    if st.stale:
        print(f"{args.path}: the holdout is stale; rotate it (evalkit golden rotate)",
              file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK
