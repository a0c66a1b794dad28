"""``export_golden``: labelled traces -> a versioned golden folder (cases, schema, manifest)."""

from __future__ import annotations

import getpass
import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.golden._cases import build_cases, check_references, summarise_labels
from evalkit.golden._errors import GoldenError
from evalkit.golden._folder import (
    CASES,
    MANIFEST,
    SCHEMA,
    check_target,
    dump_manifest,
    iter_cases,
    read_manifest,
    verify_hashes,
    write_version,
)
from evalkit.golden._redact import ENTITY_TYPES, Redactor
from evalkit.golden._schema import SCHEMA_VERSION, schema_text, validate_case, validator
from evalkit.golden._split import assign_splits

FORMAT_VERSION = 1
#: an export validates every new or updated case against the JSON Schema when there are at
#: most this many; else a seeded sample of :data:`SAMPLE_VALIDATION` (cases are built by typed
#: code, the sample guards against regressions; ``verify_golden`` validates every case).
FULL_VALIDATION_MAX = 1_000
SAMPLE_VALIDATION = 1_000


def now_iso() -> str:
    """The current UTC time as ISO 8601 with microseconds (orders exports and rotations)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def whoami() -> str:
    """The user recorded in provenance and access logs (``$EVALKIT_USER`` or the login)."""
    try:
        return os.environ.get("EVALKIT_USER") or getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "unknown"


def _redactor(redact: Any) -> tuple[Callable[[], Callable[[str], str]] | None, str]:
    """Return (factory of a per-case redactor or None, name for the report)."""
    if redact is True:
        return Redactor, "evalkit.redact"
    if redact is False:
        return None, "none (redact=False)"
    if isinstance(redact, Redactor):
        return redact.fresh, "evalkit.redact (with names)"
    if callable(redact):
        return (lambda: redact), getattr(redact, "__qualname__", type(redact).__name__)
    raise GoldenError(
        "`redact` must be True (built-in redactor), False (explicitly no redaction) or a "
        f"callable str -> str; got {redact!r}."
    )


def _apply(case: dict[str, Any], fn: Callable[[str], str]) -> bool:
    """Redact every text of ``case`` in place; return whether anything changed."""
    changed = False

    def r(x: Any) -> Any:
        nonlocal changed
        if x is None:
            return None
        out = fn(x)
        if not isinstance(out, str):
            raise GoldenError(f"the `redact` callable must return str; got {type(out).__name__}.")
        changed = changed or out != x
        return out

    case["input"], case["output"] = r(case["input"]), r(case["output"])
    for m in case["messages"]:
        m["content"] = r(m["content"])
        for c in m["tool_calls"] or ():
            c["arguments"] = r(c["arguments"])
    for ref in case["references"]:
        ref["text"] = r(ref["text"])
    return changed


def _merge_refs(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for ref in [*old, *new]:
        key = (ref["text"], ref["quality"], ref["author"])
        if key not in seen:
            seen.add(key)
            out.append(ref)
    return out


def counts(cases: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Counts per split, per segment x split, per failure mode x split and per verdict."""
    split: Counter[str] = Counter()
    seg: dict[str, Counter[str]] = defaultdict(Counter)
    mode: dict[str, Counter[str]] = defaultdict(Counter)
    verdict: Counter[str] = Counter()
    for c in cases:
        split[c["split"]] += 1
        seg[c["segment"]][c["split"]] += 1
        verdict[str(c["expected_verdict"])] += 1
        for m in c["failure_modes"]:
            mode[m][c["split"]] += 1
    return {
        "split": dict(sorted(split.items())),
        "segment": {k: dict(sorted(v.items())) for k, v in sorted(seg.items())},
        "failure_mode": {k: dict(sorted(v.items())) for k, v in sorted(mode.items())},
        "verdict": dict(sorted(verdict.items())),
    }


def write_cases_and_manifest(path: Path, cases: list[dict[str, Any]],
                             manifest: dict[str, Any],
                             prepare: Callable[[dict[str, Any]], None] | None = None,
                             before_manifest: Callable[[], None] | None = None) -> None:
    """Write ``cases`` (sorted by id) and a manifest with fresh counts and hashes, atomically."""
    import hashlib

    cases.sort(key=lambda c: c["case_id"])
    hashes: dict[str, str] = {}

    def write_cases(fh: Any) -> None:
        h = hashlib.sha256()
        dumps = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
        for c in cases:
            if prepare is not None:
                prepare(c)
            line = dumps(c) + "\n"
            h.update(line.encode())
            fh.write(line)
        hashes[CASES] = h.hexdigest()

    def write_schema(fh: Any) -> None:
        text = schema_text()
        hashes[SCHEMA] = hashlib.sha256(text.encode()).hexdigest()
        fh.write(text)

    def write_manifest(fh: Any) -> None:
        if before_manifest is not None:
            before_manifest()
        manifest["counts"] = counts(cases)
        manifest["files"] = dict(sorted(hashes.items()))
        fh.write(dump_manifest(manifest))

    write_version(path, {SCHEMA: write_schema, CASES: write_cases, MANIFEST: write_manifest})


def export_golden(
    traces: Any,
    labels: Any,
    path: str | os.PathLike[str],
    *,
    taxonomy: Any = None,
    holdout: float = 0.30,
    stratify: str | None = "segment",
    floor: float = 0.15,
    references: pd.DataFrame | None = None,
    redact: bool | Callable[[str], str] = True,
    rng: np.random.Generator | int | None = None,
) -> dict[str, Any]:
    """Export labelled traces to a versioned golden folder; return its manifest.

    Parameters
    ----------
    traces : pandas.DataFrame or path
        The canonical trace frame (or anything :func:`evalkit.load_traces` reads).
    labels : path, LabelFile, LabelStore or pandas.DataFrame
        Long labels (``trace_id, verdict`` and optionally ``annotator, failure_modes,
        severity, labeled_at``). Every labelled trace becomes a case.
    path : str or os.PathLike
        The golden folder: absent, empty, or a golden set (which is updated). A non-empty
        folder that is not a golden set raises :class:`GoldenTargetError`.
    taxonomy : Taxonomy, optional
        Resolves failure-mode labels to current mode names; its version goes in the manifest.
    holdout : float, default 0.30
        Share of new cases sealed in the holdout.
    stratify : str or None, default "segment"
        Trace column whose values are strata; ``None`` for one stratum.
    floor : float, default 0.15
        Each stratum with two or more cases keeps at least ``ceil(floor * n)`` in each split.
    references : pandas.DataFrame, optional
        ``trace_id, text, quality ('high' | 'borderline'), author``; several per trace allowed.
    redact : True, False or callable, default True
        ``True``: :func:`evalkit.redact` (pass a :class:`Redactor` to add person names);
        a callable ``str -> str``; ``False`` exports raw text (must be explicit).
    rng : numpy.random.Generator, int or None
        Seeds the split salt of a *new* set (``None``: salt ``"0"``); later exports reuse the
        manifest's salt, so splits never move.

    Returns
    -------
    dict
        The manifest (counts, file hashes, provenance, redaction report, holdout log).

    Raises
    ------
    GoldenTargetError, GoldenManifestError, GoldenTamperError, GoldenSchemaError,
    CaseIdCollisionError, GoldenError

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> traces = pd.DataFrame({"trace_id": ["t1", "t2", "t3", "t4"], "input": ["q"] * 4,
    ...                        "output": ["mail a@b.io", "ok", "ok", "no"],
    ...                        "segment": ["x", "x", "y", "y"]})
    >>> labels = pd.DataFrame({"trace_id": ["t1", "t2", "t3", "t4"],
    ...                        "verdict": ["pass", "fail", "pass", "fail"]})
    >>> m = export_golden(traces, labels, tempfile.mkdtemp() + "/gold")
    >>> m["counts"]["split"], m["redaction"]["counts"]
    ({'active': 2, 'holdout': 2}, {'EMAIL': 1})
    """
    for name, v in (("holdout", holdout), ("floor", floor)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1:
            raise GoldenError(f"`{name}` must be a number in [0, 1); got {v!r}.")
    if floor > 0.5:
        raise GoldenError(f"`floor` must be at most 0.5 (each split keeps it); got {floor!r}.")
    factory, redactor_name = _redactor(redact)
    target = Path(os.fspath(path))
    if not isinstance(traces, pd.DataFrame):
        from evalkit.traces import load_traces

        traces = load_traces(traces)
    summary, label_source, label_digest = summarise_labels(labels, taxonomy=taxonomy)
    refs = check_references(references)
    new_cases = build_cases(traces, summary, refs, stratify=stratify, label_source=label_source)

    exists = check_target(target)
    now = now_iso()
    old: dict[str, dict[str, Any]] = {}
    if exists:
        manifest = read_manifest(target)
        verify_hashes(target, manifest)  # the file is the one evalkit wrote (and validated)
        for _, c in iter_cases(target):
            old[c["case_id"]] = c
        salt = manifest["holdout"]["salt"]
    else:
        salt = "0" if rng is None else str(int(np.random.default_rng(rng).integers(2**63)))
        manifest = {
            "format_version": FORMAT_VERSION, "schema_version": SCHEMA_VERSION,
            "created_at": now, "exports": [], "access_log": [],
            "holdout": {"fraction": holdout, "floor": floor, "stratify": stratify, "salt": salt,
                        "last_rotated": None, "rotations": []},
        }
    for c in new_cases:
        prev = old.get(c["case_id"])
        if prev is not None and prev["trace_id"] != c["trace_id"]:
            from evalkit.golden._errors import CaseIdCollisionError

            raise CaseIdCollisionError(
                f"{target / CASES}: case {c['case_id']!r} belongs to trace {prev['trace_id']!r}; "
                f"trace {c['trace_id']!r} hashes to the same id."
            )
    one_stratum = manifest["holdout"]["stratify"] is None
    all_cases = [*new_cases, *(c for cid, c in old.items())]
    splits = assign_splits([c["case_id"] for c in all_cases],
                           ["" if one_stratum else c["segment"] for c in all_cases],
                           existing={cid: c["split"] for cid, c in old.items()},
                           holdout=holdout, floor=floor, salt=salt)
    del all_cases
    old_refs: dict[str, list[dict[str, Any]]] = {}
    merged = old  # updated in place: replaced old cases can be freed as we go
    n_new = n_updated = 0
    fresh: set[str] = set()
    for c in new_cases:
        prev = merged.get(c["case_id"])
        if prev is None:
            c["split"], c["added_at"] = splits[c["case_id"]], now
            n_new += 1
        else:
            c["split"], c["added_at"] = prev["split"], prev["added_at"]
            old_refs[c["case_id"]] = prev["references"]
            n_updated += 1
        merged[c["case_id"]] = c
        fresh.add(c["case_id"])
    del new_cases

    report: Counter[str] = Counter()
    touched = 0
    v = validator()
    # every new or updated case when few; else a seeded sample (verify_golden checks all)
    to_check = sorted(fresh)
    if len(to_check) > FULL_VALIDATION_MAX:
        picks = np.random.default_rng(0).choice(len(to_check), SAMPLE_VALIDATION, replace=False)
        to_check = [to_check[i] for i in picks]
    check = set(to_check)

    def prepare(c: dict[str, Any]) -> None:
        nonlocal touched
        cid = c["case_id"]
        if cid not in fresh:
            return
        if factory is not None:
            fn = factory()
            if _apply(c, fn):
                touched += 1
            if isinstance(fn, Redactor):
                report.update(fn.counts)
        if cid in old_refs:
            c["references"] = _merge_refs(old_refs[cid], c["references"])
        if cid in check:
            validate_case(v, c, where=f"case {cid!r} (trace {c['trace_id']!r})")

    export_record = {
        "time": now, "who": whoami(), "new": n_new, "updated": n_updated,
        "label_source": label_source, "label_sha256": label_digest,
    }
    manifest["exports"].append(export_record)
    manifest["updated_at"] = now
    manifest["taxonomy"] = (None if taxonomy is None else
                            {"name": getattr(taxonomy, "name", None),
                             "version": getattr(taxonomy, "version", None)})
    from evalkit import __version__

    manifest["provenance"] = {"evalkit_version": __version__, "time": now, "who": whoami(),
                              "label_source": label_source, "label_sha256": label_digest}
    redaction: dict[str, Any] = {"redactor": redactor_name, "entity_types": list(ENTITY_TYPES)}
    manifest["redaction"] = redaction
    cases = list(merged.values())

    def finish_report() -> None:  # runs after every case was written, before the manifest
        redaction["counts"] = dict(sorted(report.items()))
        redaction["cases_changed"] = touched

    write_cases_and_manifest(target, cases, manifest, prepare, finish_report)
    return manifest
