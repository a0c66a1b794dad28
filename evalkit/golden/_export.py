"""``export_golden``: labelled traces -> a versioned golden folder (cases, schema, manifest)."""

from __future__ import annotations

import getpass
import heapq
import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
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
from evalkit.golden._schema import QUALITIES, SCHEMA_VERSION, case_checker, schema_text
from evalkit.golden._split import assign_splits

FORMAT_VERSION = 1
#: an export checks every new or updated case against the schema when there are at most this
#: many; else a seeded sample of :data:`SAMPLE_VALIDATION` (cases are built by typed code, the
#: sample guards against regressions; ``verify_golden`` checks every case).
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


class Counts:
    """Counts per split, per segment x split, per failure mode x split and per verdict."""

    def __init__(self) -> None:
        self.split: Counter[str] = Counter()
        self.seg: dict[str, Counter[str]] = defaultdict(Counter)
        self.mode: dict[str, Counter[str]] = defaultdict(Counter)
        self.verdict: Counter[str] = Counter()

    def add(self, c: dict[str, Any]) -> None:
        """Count one case."""
        self.split[c["split"]] += 1
        self.seg[c["segment"]][c["split"]] += 1
        self.verdict[str(c["expected_verdict"])] += 1
        for m in c["failure_modes"]:
            self.mode[m][c["split"]] += 1

    def to_dict(self) -> dict[str, Any]:
        """The manifest's ``counts`` (sorted keys)."""
        return {
            "split": dict(sorted(self.split.items())),
            "segment": {k: dict(sorted(v.items())) for k, v in sorted(self.seg.items())},
            "failure_mode": {k: dict(sorted(v.items())) for k, v in sorted(self.mode.items())},
            "verdict": dict(sorted(self.verdict.items())),
        }


def counts(cases: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Counts per split, per segment x split, per failure mode x split and per verdict."""
    acc = Counts()
    for c in cases:
        acc.add(c)
    return acc.to_dict()


def write_stream(path: Path, entries: Iterable[tuple[dict[str, Any], str | None]],
                 manifest: dict[str, Any],
                 prepare: Callable[[dict[str, Any]], None] | None = None,
                 before_manifest: Callable[[], None] | None = None) -> None:
    """Write ``(case, line)`` entries, already in ``case_id`` order, and the manifest, atomically.

    ``line`` is the case's unchanged line from the previous version (written as is) or ``None``
    (``prepare(case)`` runs, then the case is encoded). Counts and hashes are taken on the way,
    so neither the old nor the new set is ever held whole.
    """
    import hashlib

    hashes: dict[str, str] = {}
    acc = Counts()

    def write_cases(fh: Any) -> None:
        h = hashlib.sha256()
        dumps = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
        last = None
        for c, line in entries:
            if last is not None and c["case_id"] <= last:
                raise GoldenError(f"internal: cases out of order at {c['case_id']!r}")
            last = c["case_id"]
            if line is None:
                if prepare is not None:
                    prepare(c)
                line = dumps(c) + "\n"
            acc.add(c)
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
        manifest["counts"] = acc.to_dict()
        manifest["files"] = dict(sorted(hashes.items()))
        fh.write(dump_manifest(manifest))

    write_version(path, {SCHEMA: write_schema, CASES: write_cases, MANIFEST: write_manifest})


def write_cases_and_manifest(path: Path, cases: list[dict[str, Any]],
                             manifest: dict[str, Any],
                             prepare: Callable[[dict[str, Any]], None] | None = None,
                             before_manifest: Callable[[], None] | None = None) -> None:
    """Write ``cases`` (sorted by id here) and a manifest with fresh counts and hashes."""
    cases.sort(key=lambda c: c["case_id"])
    write_stream(path, ((c, None) for c in cases), manifest, prepare, before_manifest)


def _is_store(labels: Any) -> bool:
    if type(labels).__name__ == "LabelStore":
        return True
    if isinstance(labels, (str, os.PathLike)):
        from evalkit.golden._storehash import is_sqlite

        return is_sqlite(Path(labels))
    return False


def _old_state(target: Path, new_ids: set[str]) -> tuple[
        dict[str, tuple[str, str, str, str]], dict[str, list[dict[str, Any]]]]:
    """One pass over the previous ``cases.jsonl``: what each case keeps, updated cases' refs.

    Per case ``(trace_id, split, segment, added_at)``; the references of the cases in
    ``new_ids`` (this export updates them).
    """
    meta: dict[str, tuple[str, str, str, str]] = {}
    refs: dict[str, list[dict[str, Any]]] = {}
    for _, c in iter_cases(target):
        cid = c["case_id"]
        meta[cid] = (c["trace_id"], c["split"], c["segment"], c["added_at"])
        if cid in new_ids:
            refs[cid] = c["references"]
    return meta, refs


def _unchanged(target: Path, skip: set[str]) -> Iterator[tuple[dict[str, Any], str | None]]:
    """The previous version's cases that this export does not update, with their lines."""
    with (target / CASES).open(encoding="utf-8") as fh:
        for line in fh:
            c = json.loads(line)
            if c["case_id"] not in skip:
                yield c, line


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
        Labels (``trace_id, verdict`` and optionally ``annotator, failure_modes, severity,
        labeled_at``), or store labels (``LabelStore.labels()``: one row per field). Every
        labelled trace becomes a case. Text fields ``reference_high`` / ``reference_borderline``
        (the Annotator's reference answers) become references with the annotator as author.
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

    Notes
    -----
    Re-exporting: existing cases keep their split and ``added_at``; updated cases keep frame
    references and get the store's current reference per (author, quality). ``holdout``,
    ``floor`` and ``stratify`` of *this* export place the new cases: per stratum (this
    ``stratify``; ``None`` is one stratum) the holdout quota is computed over existing and new
    cases and only new cases fill what it still lacks. Each export's settings are kept in its
    ``exports`` record. The previous version is streamed, never held in memory.

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
    summary, label_source, label_digest, store_refs = summarise_labels(labels, taxonomy=taxonomy)
    refs = check_references(references)
    for tid, by_key in store_refs.items():  # the Annotator's references, one per author/quality
        refs.setdefault(tid, []).extend(
            {"text": t, "quality": q, "author": a} for (a, q), t in sorted(
                by_key.items(), key=lambda kv: (QUALITIES.index(kv[0][1]), kv[0][0])) if t)
    new_cases = build_cases(traces, summary, refs, stratify=stratify, label_source=label_source)
    del summary, refs
    new_cases.sort(key=lambda c: c["case_id"], reverse=True)  # pop() hands out in id order
    new_ids = {c["case_id"] for c in new_cases}

    exists = check_target(target)
    now = now_iso()
    settings = {"holdout": holdout, "floor": floor, "stratify": stratify,
                "redact": redactor_name}
    old_meta: dict[str, tuple[str, str, str, str]] = {}
    old_refs: dict[str, list[dict[str, Any]]] = {}
    if exists:
        manifest = read_manifest(target)
        verify_hashes(target, manifest)  # the file is the one evalkit wrote (and validated)
        old_meta, old_refs = _old_state(target, new_ids)
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
        prev = old_meta.get(c["case_id"])
        if prev is not None and prev[0] != c["trace_id"]:
            from evalkit.golden._errors import CaseIdCollisionError

            raise CaseIdCollisionError(
                f"{target / CASES}: case {c['case_id']!r} belongs to trace {prev[0]!r}; "
                f"trace {c['trace_id']!r} hashes to the same id."
            )
    # This export's settings rule the new cases: strata from this `stratify`, the quota
    # round(holdout * n) floored by `floor` over each stratum's existing and new cases.
    # Existing cases never move; each export's settings are kept in its record (history).
    one_stratum = stratify is None
    ids = [c["case_id"] for c in new_cases]
    ids += [cid for cid in old_meta if cid not in new_ids]
    strata = ["" if one_stratum else c["segment"] for c in new_cases]
    strata += ["" if one_stratum else m[2] for cid, m in old_meta.items() if cid not in new_ids]
    splits = assign_splits(ids, strata, existing={cid: m[1] for cid, m in old_meta.items()},
                           holdout=holdout, floor=floor, salt=salt)
    del ids, strata
    n_new = n_updated = 0
    for c in new_cases:
        prev = old_meta.get(c["case_id"])
        if prev is None:
            c["split"], c["added_at"] = splits[c["case_id"]], now
            n_new += 1
        else:
            c["split"], c["added_at"] = prev[1], prev[3]
            n_updated += 1
    del splits

    report: Counter[str] = Counter()
    touched = 0
    check = case_checker()  # compiled once
    to_check = sorted(new_ids)
    if len(to_check) > FULL_VALIDATION_MAX:
        picks = np.random.default_rng(0).choice(len(to_check), SAMPLE_VALIDATION, replace=False)
        to_check = [to_check[i] for i in picks]
    checked = set(to_check)
    del to_check

    def prepare(c: dict[str, Any]) -> None:
        nonlocal touched
        cid = c["case_id"]
        if factory is not None:
            fn = factory()
            if _apply(c, fn):
                touched += 1
            if isinstance(fn, Redactor):
                report.update(fn.counts)
        if cid in old_refs:
            # the label store speaks for its (author, quality) pairs: an edited or cleared
            # reference replaces the one exported before; other references are kept
            spoken = {(a, q) for a, q in store_refs.get(c["trace_id"], {})}
            kept = [r for r in old_refs.pop(cid) if (r["author"], r["quality"]) not in spoken]
            c["references"] = _merge_refs(kept, c["references"])
        if cid in checked:
            check(c, f"case {cid!r} (trace {c['trace_id']!r})")

    export_record = {
        "time": now, "who": whoami(), "new": n_new, "updated": n_updated,
        "label_source": label_source, "label_sha256": label_digest, "settings": settings,
    }
    manifest["exports"].append(export_record)
    manifest["updated_at"] = now
    manifest["taxonomy"] = (None if taxonomy is None else
                            {"name": getattr(taxonomy, "name", None),
                             "version": getattr(taxonomy, "version", None)})
    from evalkit import __version__
    from evalkit.golden._storehash import METHOD

    manifest["provenance"] = {"evalkit_version": __version__, "time": now, "who": whoami(),
                              "label_source": label_source, "label_sha256": label_digest,
                              "label_hash_method": METHOD if _is_store(labels) else "sha256"}
    redaction: dict[str, Any] = {"redactor": redactor_name, "entity_types": list(ENTITY_TYPES)}
    manifest["redaction"] = redaction

    def finish_report() -> None:  # runs after every case was written, before the manifest
        redaction["counts"] = dict(sorted(report.items()))
        redaction["cases_changed"] = touched

    def new_entries() -> Iterator[tuple[dict[str, Any], str | None]]:
        while new_cases:  # hand each case over and forget it: written cases are freed
            yield new_cases.pop(), None

    entries: Iterable[tuple[dict[str, Any], str | None]] = new_entries()
    if old_meta:
        entries = heapq.merge(entries, _unchanged(target, new_ids),
                              key=lambda e: e[0]["case_id"])
    write_stream(target, entries, manifest, prepare, finish_report)
    return manifest
