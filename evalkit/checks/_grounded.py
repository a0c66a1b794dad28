"""Groundedness *proxies*: answers cite retrieved document ids, or share words with them.

Neither says the answer is faithful: an answer can cite a document and contradict it, or reword
it with no shared words. They are cheap screens to calibrate against human labels (or a judge)
before use; the names say so (``lexical_overlap_proxy``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.checks import _frame as F
from evalkit.checks._core import FAIL, NA, Check, CheckError, Verdicts, verdicts_from
from evalkit.checks._text import compile_regex

_CHUNK = 100_000
#: Frequent English words of 4+ letters that carry no content (ignored by the overlap proxy).
STOPWORDS: frozenset[str] = frozenset({
    "about", "above", "after", "again", "also", "been", "before", "being", "below", "between",
    "both", "could", "does", "doing", "down", "during", "each", "from", "further", "have",
    "having", "here", "hers", "herself", "himself", "into", "itself", "just", "more", "most",
    "myself", "once", "only", "other", "ours", "ourselves", "over", "same", "should", "some",
    "such", "than", "that", "their", "theirs", "them", "themselves", "then", "there", "these",
    "they", "this", "those", "through", "under", "until", "very", "were", "what", "when",
    "where", "which", "while", "whom", "will", "with", "would", "your", "yours", "yourself",
    "yourselves", "thanks", "thank", "please", "help", "happy", "sure",
})


def _retrieved_ids(frame: pd.DataFrame) -> list[list[str]]:
    arr = F.list_column(frame, "retrieved")
    if arr is not None:
        flat = pc.list_flatten(arr)
        if not pa.types.is_struct(flat.type) or flat.type.get_field_index("id") < 0:
            return [[] for _ in range(len(frame))]
        ids = pc.struct_field(flat, "id").cast(pa.large_string()).to_pylist()
        offsets = np.asarray(arr.offsets.to_numpy()) - int(arr.offsets[0].as_py())
        return [[x for x in ids[offsets[i]:offsets[i + 1]] if x] for i in range(len(frame))]
    out = []
    for cell in F.column(frame, "retrieved").tolist():
        items = cell if isinstance(cell, (list, tuple, np.ndarray)) else []
        out.append([str(d["id"]) for d in items if isinstance(d, dict) and d.get("id")])
    return out


def cites_retrieved(*, pattern: str | None = None, name: str = "cites_retrieved") -> Check:
    r"""The answer mentions a retrieved document id (and, with ``pattern``, cites no other).

    Parameters
    ----------
    pattern : str, optional
        RE2 regex whose first group is a cited id, e.g. ``r"\[(KB-\d+)\]"``: any cited id
        that was not retrieved fails the trace.
    name : str, default 'cites_retrieved'

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> docs = [{"id": "KB-1", "text": "Refunds within 14 days.", "score": 0.9}]
    >>> t = pd.DataFrame({"trace_id": ["a", "b", "c"], "retrieved": [docs, docs, []],
    ...                   "output": ["Per [KB-1], 14 days.", "See [KB-7].", "Hi"]})
    >>> r = evalkit.run_checks(t, [cites_retrieved(pattern=r"\[(KB-\d+)\]")], by=None)
    >>> r.frame[["verdict", "reason"]].values.tolist()
    [['pass', ''], ['fail', 'cites KB-7, not retrieved'], ['n/a', 'nothing retrieved']]
    """
    rx = None
    if pattern is not None:
        compile_regex(pattern)
        import re2

        rx = re2.compile(pattern)
        if rx.groups < 1:
            raise CheckError(f"`pattern` {pattern!r} needs a capturing group for the cited id.")

    def run(frame: Any) -> Verdicts:
        ids = _retrieved_ids(frame)
        out = F.strings(frame, "output").to_pylist()
        n = len(out)
        none = np.array([not x for x in ids], dtype=bool)
        bad = np.zeros(n, dtype=bool)
        why = np.full(n, "", dtype=object)
        for i, (docs, text) in enumerate(zip(ids, out, strict=True)):
            if not docs:
                continue
            text = text or ""
            if rx is not None:
                extra = sorted({m.group(1) for m in rx.finditer(text)} - set(docs))
                if extra:
                    bad[i], why[i] = True, f"cites {', '.join(extra)}, not retrieved"[:200]
                    continue
            if not any(d in text for d in docs):
                bad[i], why[i] = True, "cites no retrieved document"
        return verdicts_from(n, [(none, NA, "nothing retrieved"), (bad, FAIL, why)])

    return Check(name=name, func=run, columns=("retrieved", "output"),
                 description="the answer cites a retrieved document id (proxy)",
                 params={"pattern": pattern})


def _tokens(arr: pa.Array, min_len: int) -> tuple[pa.Array, np.ndarray]:
    """Lower-cased word tokens of ``min_len``+ letters and the row each comes from."""
    lists = pc.split_pattern_regex(pc.utf8_lower(pc.fill_null(arr, "")), r"[^\p{L}\p{N}]+")
    flat = pc.list_flatten(lists)
    rows = pc.list_parent_indices(lists).to_numpy()
    keep = F.as_bool(pc.greater_equal(pc.utf8_length(flat), min_len))
    return flat.filter(pa.array(keep)), rows[keep]


def _overlap_chunk(frame: pd.DataFrame, min_len: int, stop: pa.Array
                   ) -> tuple[np.ndarray, np.ndarray]:
    n = len(frame)
    out_tok, out_row = _tokens(F.strings(frame, "output"), min_len)
    arr = F.list_column(frame, "retrieved")
    if arr is not None:
        flat = pc.list_flatten(arr)
        doc_row = pc.list_parent_indices(arr).to_numpy()
        text = (pc.struct_field(flat, "text") if pa.types.is_struct(flat.type)
                and flat.type.get_field_index("text") >= 0 else pa.nulls(len(flat), pa.string()))
        ret_tok, ret_doc = _tokens(text.cast(pa.large_string()), min_len)
        ret_row = doc_row[ret_doc] if len(ret_doc) else ret_doc
    else:
        texts = F.joined_field(frame, "retrieved", "text")
        ret_tok, ret_row = _tokens(pa.array(texts, pa.large_string()), min_len)
    keep = ~F.as_bool(pc.is_in(out_tok, value_set=stop))
    out_tok, out_row = out_tok.filter(pa.array(keep)), out_row[keep]
    codes = pc.dictionary_encode(pa.concat_arrays([out_tok.cast(pa.large_string()),
                                                   ret_tok.cast(pa.large_string())])).indices
    codes = codes.to_numpy(zero_copy_only=False).astype(np.int64)
    v = int(codes.max()) + 1 if len(codes) else 1
    ans = np.unique(out_row.astype(np.int64) * v + codes[: len(out_tok)])
    ret = np.unique(ret_row.astype(np.int64) * v + codes[len(out_tok):])
    hit = np.isin(ans, ret, assume_unique=True)
    rows = ans // v
    total = np.bincount(rows, minlength=n)
    shared = np.bincount(rows, weights=hit, minlength=n)
    return total, shared


def lexical_overlap(*, min_overlap: float = 0.3, min_token_len: int = 4,
                    name: str = "lexical_overlap_proxy") -> Check:
    """Share of the answer's content words that occur in the retrieved text (a proxy).

    Words are lower-cased runs of letters/digits of at least ``min_token_len`` characters,
    minus :data:`STOPWORDS`, counted once per answer. Fails when the share is below
    ``min_overlap``: the answer may ignore or go beyond what was retrieved.

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> docs = [{"id": "KB-1", "text": "Monthly plans are refundable within fourteen days.",
    ...          "score": 0.9}]
    >>> t = pd.DataFrame({"trace_id": ["a", "b"], "retrieved": [docs, docs],
    ...     "output": ["Monthly plans: refundable within fourteen days.",
    ...                "Contact your bank about chargebacks."]})
    >>> r = evalkit.run_checks(t, [lexical_overlap(min_overlap=0.5)], by=None)
    >>> r.frame[["verdict", "reason"]].values.tolist()
    [['pass', ''], ['fail', 'overlap 0.00 < 0.5 (0 of 3 words)']]
    """
    if isinstance(min_overlap, bool) or not isinstance(min_overlap, (int, float)) or not (
            0 <= min_overlap <= 1):
        raise CheckError(f"`min_overlap` must be in [0, 1]; got {min_overlap!r}.")
    if isinstance(min_token_len, bool) or not isinstance(min_token_len, int) or min_token_len < 1:
        raise CheckError(f"`min_token_len` must be a positive integer; got {min_token_len!r}.")
    stop = pa.array(sorted(STOPWORDS), pa.large_string())

    def run(frame: Any) -> Verdicts:
        n = len(frame)
        total = np.zeros(n)
        shared = np.zeros(n)
        for start in range(0, n, _CHUNK):
            part = frame.iloc[start:start + _CHUNK]
            t, s = _overlap_chunk(part, min_token_len, stop)
            total[start:start + len(part)], shared[start:start + len(part)] = t, s
        ndocs = F.list_lengths(frame, "retrieved")
        with np.errstate(invalid="ignore", divide="ignore"):
            share = shared / total
        low = (total > 0) & (share < min_overlap)
        why = np.full(n, "", dtype=object)
        for i in np.flatnonzero(low).tolist():
            why[i] = (f"overlap {share[i]:.2f} < {min_overlap:g} "
                      f"({int(shared[i])} of {int(total[i])} words)")
        return verdicts_from(n, [(ndocs == 0, NA, "nothing retrieved"),
                                 (total == 0, NA, "no content words in the answer"),
                                 (low, FAIL, why)])

    return Check(name=name, func=run, columns=("retrieved", "output"),
                 description="answer words overlap the retrieved text (proxy)",
                 params={"min_overlap": min_overlap, "min_token_len": min_token_len})

