"""Build golden cases (plain dicts in schema order) from a trace frame, labels and references."""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.golden._errors import CaseIdCollisionError, GoldenError
from evalkit.golden._schema import QUALITIES, REFERENCE_FIELDS


def case_id_for(trace_id: str) -> str:
    """Stable case id of a trace: ``g-`` and the first 16 hex digits of sha256(trace_id).

    Examples
    --------
    >>> case_id_for("acme-b8b135097b86")
    'g-41642fd213bd18e6'
    """
    return "g-" + hashlib.sha256(trace_id.encode()).hexdigest()[:16]


def _text(x: Any) -> str | None:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return None
    return str(x)


def _label_frame(labels: Any) -> tuple[pd.DataFrame, str, str | None]:
    """Return (long label rows, source name, sha256 of the label file or None)."""
    from evalkit.golden._folder import sha256_file

    if isinstance(labels, (str, os.PathLike)):
        from evalkit.golden._storehash import is_sqlite, store_sha256
        from evalkit.labels import read_labels

        p = Path(labels)
        digest = store_sha256(p) if is_sqlite(p) else sha256_file(p)
        rows = read_labels(p).rows
        return (_wide(rows) if _is_long(rows) else rows.copy()), str(p), digest
    if type(labels).__name__ == "LabelFile":
        rows = labels.rows
        rows = _wide(rows) if _is_long(rows) else rows.copy()
        return rows, str(getattr(labels, "path", "LabelFile")), None
    if type(labels).__name__ == "LabelStore":
        from evalkit.golden._storehash import store_sha256

        where = Path(labels.path) if getattr(labels, "path", None) else None
        return (_wide(labels.labels()), str(where or "LabelStore"),
                store_sha256(where) if where is not None and where.is_file() else None)
    if isinstance(labels, pd.DataFrame):
        try:
            hashed = pd.util.hash_pandas_object(labels, index=False)
        except TypeError:  # unhashable cells (lists): hash their text
            hashed = pd.util.hash_pandas_object(labels.astype(str), index=False)
        digest = hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()
        if _is_long(labels):  # store.labels() or a store export: one row per field
            return _wide(labels), "DataFrame", digest
        return labels.copy(), "DataFrame", digest
    raise GoldenError(
        "`labels` must be a label file path, a LabelFile, a LabelStore or a DataFrame; "
        f"got {type(labels).__name__}."
    )


def _is_long(df: pd.DataFrame) -> bool:
    return {"trace_id", "annotator", "field", "value"} <= set(df.columns) and \
        "verdict" not in df.columns


def _wide(rows: pd.DataFrame) -> pd.DataFrame:
    """Long store labels (a row per trace, annotator and field) -> a row per trace, annotator."""
    if "undone" in rows.columns:
        rows = rows[~rows["undone"].astype(bool)]
    keys = ["trace_id", "annotator"]
    wide = rows.pivot_table(index=keys, columns="field", values="value",
                            aggfunc="last").reset_index()
    wide.columns.name = None
    if "created_at" in rows.columns:
        at = rows.groupby(keys)["created_at"].max().rename("labeled_at").reset_index()
        wide = wide.merge(at, on=keys)
    if "verdict" not in wide.columns:
        wide["verdict"] = None
    return wide


def store_references(df: pd.DataFrame) -> dict[str, dict[tuple[str, str], str]]:
    """``trace_id -> {(author, quality): text}`` from reference fields (``''``: cleared).

    The fields are :data:`~evalkit.golden._schema.REFERENCE_FIELDS` (the Annotator's), one
    column each in wide labels; the author is the row's annotator.
    """
    out: dict[str, dict[tuple[str, str], str]] = {}
    ann = df["annotator"] if "annotator" in df.columns else pd.Series("unknown", index=df.index)
    for field, quality in REFERENCE_FIELDS.items():
        if field not in df.columns:
            continue
        for tid, a, text in zip(df["trace_id"], ann, df[field], strict=True):
            t = _text(text)
            if t is not None:
                out.setdefault(str(tid), {})[(str(a), quality)] = t.strip()
    return out


def _modes(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if _text(v)]
    t = _text(value)
    return [m.strip() for m in t.split(";") if m.strip()] if t else []


def summarise_labels(
    labels: Any, *, taxonomy: Any = None
) -> tuple[pd.DataFrame, str, str | None, dict[str, dict[tuple[str, str], str]]]:
    """One row per labelled trace: verdict (majority, ties -> None), modes, severity, provenance.

    Also returns the reference answers found in the labels (:func:`store_references`). A row
    holding only references (no verdict) counts for its references, not as a verdict.
    """
    df, source, digest = _label_frame(labels)
    if "trace_id" not in df.columns or "verdict" not in df.columns:
        raise GoldenError(
            f"labels ({source}): columns 'trace_id' and 'verdict' are required; got "
            f"{list(map(str, df.columns))}."
        )
    df = df.copy()
    df["trace_id"] = df["trace_id"].astype(str)
    refs = store_references(df)
    df["verdict"] = df["verdict"].map(_text).str.lower()
    ref_cols = [c for c in REFERENCE_FIELDS if c in df.columns]
    if ref_cols:
        only_refs = df["verdict"].isna() & df[ref_cols].notna().any(axis=1)
        other = [c for c in ("note", "open_codes", "failure_modes", "severity")
                 if c in df.columns]
        if other:
            only_refs &= df[other].isna().all(axis=1)
        df = df[~only_refs]
    empty = df[df["verdict"].isna()]
    if len(empty):
        raise GoldenError(
            f"labels ({source}): field 'verdict' is empty for trace {empty['trace_id'].iloc[0]!r} "
            f"({len(empty)} row(s)); every label row needs 'pass' or 'fail'."
        )
    bad = df[~df["verdict"].isin(["pass", "fail"])]
    if len(bad):
        raise GoldenError(
            f"labels ({source}): field 'verdict' must be 'pass' or 'fail'; got "
            f"{bad['verdict'].iloc[0]!r} for trace {bad['trace_id'].iloc[0]!r}."
        )
    if "annotator" not in df.columns:
        df["annotator"] = "unknown"
    df = df.sort_values("trace_id", kind="stable", ignore_index=True)
    tid = df["trace_id"]
    ids, starts = np.unique(tid.to_numpy(dtype=object).astype(str), return_index=True)
    is_fail = (df["verdict"] == "fail").to_numpy()
    n_fail = np.add.reduceat(is_fail.astype(np.int64), starts)
    n_all = np.diff(np.append(starts, len(df)))
    n_pass = n_all - n_fail
    verdict = np.full(len(ids), None, dtype=object)  # a tie has no expected verdict
    verdict[n_pass > n_fail] = "pass"
    verdict[n_fail > n_pass] = "fail"
    modes: dict[str, set[str]] = {}
    if "failure_modes" in df.columns:
        for t, value in zip(tid[is_fail], df["failure_modes"][is_fail], strict=True):
            names = _modes(value)
            if taxonomy is not None:
                names = [n for label in names for n in taxonomy.resolve(label)]
            modes.setdefault(t, set()).update(names)
    ann = df["annotator"].map(str).to_numpy(dtype=object)
    out = pd.DataFrame({"trace_id": ids})
    out["verdict"] = verdict
    out["failure_modes"] = [sorted(modes.get(t, ())) for t in ids]
    out["annotators"] = [sorted(set(chunk)) for chunk in np.split(ann, starts[1:])]
    if "severity" in df.columns:
        sev = pd.to_numeric(df["severity"], errors="coerce").groupby(tid).max()
        out["severity"] = [None if pd.isna(v) else int(v) for v in sev.reindex(ids)]
    else:
        out["severity"] = None
    if "labeled_at" in df.columns:
        at = pd.to_datetime(df["labeled_at"], utc=True, errors="coerce").groupby(tid)
        lo, hi = at.min().reindex(ids), at.max().reindex(ids)
        iso = {v: v.isoformat() for v in set(lo.dropna()) | set(hi.dropna())}  # few distinct
        out["first"] = [None if pd.isna(v) else iso[v] for v in lo]
        out["last"] = [None if pd.isna(v) else iso[v] for v in hi]
    else:
        out["first"] = out["last"] = None
    return out, source, digest, refs


def check_references(references: Any) -> dict[str, list[dict[str, Any]]]:
    """Validate a references frame; return ``trace_id -> [{text, quality, author}]``."""
    if references is None:
        return {}
    if not isinstance(references, pd.DataFrame):
        raise GoldenError(f"`references` must be a DataFrame; got {type(references).__name__}.")
    need = ["trace_id", "text", "quality"]
    missing = [c for c in need if c not in references.columns]
    if missing:
        raise GoldenError(
            f"`references`: columns {missing} are missing; need trace_id, text, quality "
            f"(high|borderline) and optionally author; got {list(map(str, references.columns))}."
        )
    out: dict[str, list[dict[str, Any]]] = {}
    authors = references["author"] if "author" in references.columns else [None] * len(references)
    for i, (tid, text, q, a) in enumerate(zip(references["trace_id"], references["text"],
                                               references["quality"], authors, strict=True)):
        if _text(q) not in QUALITIES:
            raise GoldenError(f"`references` row {i}: field 'quality' must be 'high' or "
                              f"'borderline'; got {q!r}.")
        t = _text(text)
        if not t:
            raise GoldenError(f"`references` row {i}: field 'text' is empty; got {text!r}.")
        out.setdefault(str(tid), []).append({"text": t, "quality": str(q), "author": _text(a)})
    return out


def _messages(value: Any) -> list[dict[str, Any]]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    out = []
    for m in list(value):
        calls = m.get("tool_calls")
        out.append({
            "role": str(m.get("role") or ""),
            "content": _text(m.get("content")),
            "name": _text(m.get("name")),
            "tool_call_id": _text(m.get("tool_call_id")),
            "tool_calls": None if calls is None else [
                {"id": _text(c.get("id")), "name": _text(c.get("name")),
                 "arguments": _text(c.get("arguments"))} for c in list(calls)
            ],
        })
    return out


def _source(src: Any, meta: Any) -> dict[str, Any]:
    src = src if isinstance(src, Mapping) else {}
    meta = meta if isinstance(meta, Mapping) else {}
    line = src.get("line")
    return {
        "format": _text(src.get("format")), "file": _text(src.get("file")),
        "line": None if line is None or pd.isna(line) else int(line),
        "span_id": _text(src.get("span_id")),
        "prompt_id": _text(meta.get("prompt_id")), "template_id": _text(meta.get("template_id")),
    }


def build_cases(
    traces: pd.DataFrame, summary: pd.DataFrame, refs: dict[str, list[dict[str, Any]]], *,
    stratify: str | None, label_source: str,
) -> list[dict[str, Any]]:
    """Join labelled traces to their summary; return unredacted cases (no split yet)."""
    tids = traces["trace_id"].astype(str)
    dup = tids[tids.duplicated()]
    if len(dup):
        raise CaseIdCollisionError(
            f"traces: trace_id {dup.iloc[0]!r} appears more than once, so two cases would get "
            f"case_id {case_id_for(dup.iloc[0])!r}; de-duplicate the traces first."
        )
    if stratify is not None and stratify not in traces.columns and stratify != "segment":
        raise GoldenError(f"`stratify` names column {stratify!r}, which the traces do not have; "
                          f"columns: {list(map(str, traces.columns))}.")
    # without a segment column (the default stratum), every case is in segment "(none)"
    pos = pd.Series(range(len(tids)), index=tids.to_numpy())
    labelled = summary["trace_id"]
    missing = labelled[~labelled.isin(pos.index)]
    if len(missing):
        raise GoldenError(
            f"labels ({label_source}): {len(missing)} labelled trace(s) are not in `traces`, e.g. "
            f"{missing.iloc[0]!r}; pass the traces they were labelled on."
        )
    unknown = [t for t in refs if t not in set(labelled)]
    if unknown:
        raise GoldenError(f"`references`: trace_id {unknown[0]!r} has no label, so it is not a "
                          "golden case; label it first.")
    rows = pos.loc[labelled].to_numpy()
    sub = traces.iloc[rows]

    def col(c: str) -> list[Any]:
        return sub[c].tolist() if c in sub.columns else [None] * len(sub)

    seg_col = stratify or "segment"
    cases: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    summ = summary[["verdict", "failure_modes", "severity", "annotators", "first", "last"]]
    for tid, inp, outp, msgs, seg, src, meta, s in zip(
        labelled, col("input"), col("output"), col("messages"), col(seg_col), col("source"),
        col("metadata"), summ.to_dict("records"), strict=True,
    ):
        cid = case_id_for(tid)
        if cid in seen:
            raise CaseIdCollisionError(f"traces {seen[cid]!r} and {tid!r} both hash to {cid!r}.")
        seen[cid] = tid
        cases.append({
            "case_id": cid, "trace_id": tid, "input": _text(inp), "output": _text(outp),
            "messages": _messages(msgs), "source": _source(src, meta),
            "references": refs.get(tid, []), "expected_verdict": _text(s["verdict"]),
            "failure_modes": list(s["failure_modes"]), "segment": _text(seg) or "(none)",
            "severity": None if _text(s["severity"]) is None else int(s["severity"]),
            "provenance": {"annotators": list(s["annotators"]),
                           "first_labeled_at": _text(s["first"]),
                           "last_labeled_at": _text(s["last"]), "label_source": label_source},
            "split": "", "added_at": "",
        })
    return cases
