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
from evalkit.checks._distinct import distinct_rows, string_codes
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


def _retrieved_ids(frame: pd.DataFrame) -> tuple[list[Any], np.ndarray, int]:
    """Retrieved document ids, flattened, with the trace each belongs to (row position)."""
    arr = F.list_column(frame, "retrieved")
    if arr is not None:
        flat = pc.list_flatten(arr)
        rows = pc.list_parent_indices(arr).to_numpy()
        if not pa.types.is_struct(flat.type) or flat.type.get_field_index("id") < 0:
            return [], np.zeros(0, dtype=np.int64), len(frame)
        ids = pc.struct_field(flat, "id").cast(pa.large_string()).to_pylist()
        return ids, rows.astype(np.int64), len(frame)
    ids, rows = [], []
    for i, cell in enumerate(F.column(frame, "retrieved").tolist()):
        for d in cell if isinstance(cell, (list, tuple, np.ndarray)) else []:
            if isinstance(d, dict):
                ids.append(None if d.get("id") is None else str(d["id"]))
                rows.append(i)
    return ids, np.asarray(rows, dtype=np.int64), len(frame)


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
        ids, rows, n = _retrieved_ids(frame)
        out = F.strings(frame, "output").to_pylist()
        ndocs = np.bincount(rows, minlength=n)
        cited = np.fromiter((d is not None and d != "" and d in (out[r] or "")
                             for d, r in zip(ids, rows.tolist(), strict=True)),
                            dtype=bool, count=len(ids))
        any_cited = np.bincount(rows, weights=cited, minlength=n) > 0
        bad = (ndocs > 0) & ~any_cited
        why = np.full(n, "", dtype=object)
        why[bad] = "cites no retrieved document"
        if rx is not None:
            per_row: list[set[str]] = [set() for _ in range(n)]
            for d, r in zip(ids, rows.tolist(), strict=True):
                if d:
                    per_row[r].add(d)
            for i in np.flatnonzero(ndocs > 0).tolist():
                extra = sorted({m.group(1) for m in rx.finditer(out[i] or "")} - per_row[i])
                if extra:
                    bad[i], why[i] = True, f"cites {', '.join(extra)}, not retrieved"[:200]
        return verdicts_from(n, [(ndocs == 0, NA, "nothing retrieved"), (bad, FAIL, why)])

    return Check(name=name, func=run, columns=("retrieved", "output"),
                 description="the answer cites a retrieved document id (proxy)",
                 params={"pattern": pattern})


_PUNCT = "".join(chr(c) for c in range(0x21, 0x7F) if not chr(c).isalnum()) + "‘’“”…–—«»¿¡"


def _tokens(arr: pa.Array, min_len: int) -> tuple[pa.Array, np.ndarray]:
    """Lower-cased words of ``min_len``+ characters and the row each comes from.

    Words are separated by ASCII whitespace and trimmed of punctuation; ``min_len`` counts
    bytes (a word of short non-ASCII letters may pass it).
    """
    # ASCII whitespace splits 2x faster than Unicode's; words too short even with their
    # punctuation are dropped before the (costlier) trimming and lower-casing
    lists = pc.ascii_split_whitespace(pc.fill_null(arr, ""))
    flat = pc.list_flatten(lists)
    rows = pc.list_parent_indices(lists).to_numpy()
    keep = F.as_bool(pc.greater_equal(pc.binary_length(flat), min_len))
    flat, rows = flat.filter(pa.array(keep)), rows[keep]
    flat = pc.utf8_lower(pc.utf8_trim(flat, characters=_PUNCT))
    keep = F.as_bool(pc.greater_equal(pc.binary_length(flat), min_len))
    return flat.filter(pa.array(keep)), rows[keep]


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """Sorted unique values of an int64 array (sort-based: faster than hashing here)."""
    a = np.sort(a)
    return a[np.concatenate([[True], a[1:] != a[:-1]])] if len(a) else a


def _overlap_chunk(output: pa.Array, arr: pa.ListArray | None, frame: pd.DataFrame | None,
                   min_len: int, stop: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Per trace: distinct answer words, and how many occur in one of its retrieved documents.

    ``arr`` is the Arrow ``retrieved`` column (a slice); without it, ``frame`` (the same rows)
    gives the object column.
    """
    n = len(output)
    out_tok, out_row = _tokens(output, min_len)
    keep = ~F.as_bool(pc.is_in(out_tok, value_set=stop))
    out_tok, out_row = out_tok.filter(pa.array(keep)), out_row[keep]
    if arr is not None:
        flat = pc.list_flatten(arr)
        doc_row = pc.list_parent_indices(arr).to_numpy()
        text = (pc.struct_field(flat, "text") if pa.types.is_struct(flat.type)
                and flat.type.get_field_index("text") >= 0 else pa.nulls(len(flat), pa.string()))
    else:
        texts, where = [], []
        assert frame is not None
        for i, cell in enumerate(F.column(frame, "retrieved").tolist()):
            for d in cell if isinstance(cell, (list, tuple, np.ndarray)) else []:
                if isinstance(d, dict):
                    texts.append(None if d.get("text") is None else str(d["text"]))
                    where.append(i)
        text, doc_row = pa.array(texts, pa.large_string()), np.asarray(where, dtype=np.int64)
    # Retrieved documents repeat across traces (one knowledge base): tokenise each text once.
    enc = pc.dictionary_encode(pc.fill_null(text.cast(pa.large_string()), ""))
    doc_u = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    dtok, dtok_doc = _tokens(enc.dictionary, min_len)
    codes = pc.dictionary_encode(pa.concat_arrays([dtok.cast(pa.large_string()),
                                                   out_tok.cast(pa.large_string())])).indices
    codes = codes.to_numpy(zero_copy_only=False).astype(np.int64)
    v = int(codes.max()) + 1 if len(codes) else 1
    known = _sorted_unique(dtok_doc.astype(np.int64) * v + codes[: len(dtok)])
    ans = _sorted_unique(out_row.astype(np.int64) * v + codes[len(dtok):])
    rows, tok = ans // v, ans % v
    counts = np.bincount(doc_row, minlength=n)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    hit = np.zeros(len(ans), dtype=bool)
    for j in range(int(counts.max()) if len(counts) else 0):
        has = np.flatnonzero(counts[rows] > j)
        key = doc_u[first[rows[has]] + j] * v + tok[has]
        pos = np.minimum(np.searchsorted(known, key), max(len(known) - 1, 0))
        hit[has] |= known[pos] == key if len(known) else False
    total = np.bincount(rows, minlength=n)
    shared = np.bincount(rows, weights=hit, minlength=n)
    return total, shared


def doc_text_codes(ret: pa.ListArray) -> tuple[np.ndarray, np.ndarray]:
    """Per retrieved document (flattened, in row order): its text's code; and docs per trace."""
    flat = pc.list_flatten(ret)
    text = (pc.struct_field(flat, "text") if pa.types.is_struct(flat.type)
            and flat.type.get_field_index("text") >= 0 else pa.nulls(len(flat), pa.string()))
    counts = np.asarray(pc.fill_null(pc.list_value_length(ret), 0).to_numpy(), dtype=np.int64)
    return string_codes(text.cast(pa.large_string())), counts


def _per_distinct(output: pa.Array, ret: pa.ListArray | None, frame: pd.DataFrame,
                  min_len: int, stop: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run :func:`_overlap_chunk` once per distinct (answer, retrieved texts).

    Returns ``total`` and ``shared`` per distinct input, and the distinct input of each trace.
    """
    n = len(output)
    if ret is not None:
        first, group = distinct_rows(n, [string_codes(output)], [doc_text_codes(ret)])
        output, ret = output.take(pa.array(first)), ret.take(pa.array(first))
    else:
        first, group = np.arange(n), np.arange(n)
    m = len(first)
    total, shared = np.zeros(m), np.zeros(m)
    for start in range(0, m, _CHUNK):  # bounded memory: slices are zero-copy
        stop_ = min(m, start + _CHUNK)
        t, s = _overlap_chunk(
            output.slice(start, stop_ - start),
            None if ret is None else ret.slice(start, stop_ - start),
            frame.iloc[start:stop_] if ret is None else None, min_len, stop)
        total[start:stop_], shared[start:stop_] = t, s
    return total, shared, group


def lexical_overlap(*, min_overlap: float = 0.3, min_token_len: int = 4,
                    name: str = "lexical_overlap_proxy") -> Check:
    """Share of the answer's content words that occur in the retrieved text (a proxy).

    Words are lower-cased, whitespace-separated and trimmed of punctuation, at least
    ``min_token_len`` characters long, minus :data:`STOPWORDS`, counted once per answer. Fails
    when the share is below ``min_overlap``: the answer may ignore or go beyond what was
    retrieved.

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
        output = F.strings(frame, "output")
        ret = F.list_column(frame, "retrieved")
        total, shared, group = _per_distinct(output, ret, frame, min_token_len, stop)
        ndocs = F.list_lengths(frame, "retrieved")
        with np.errstate(invalid="ignore", divide="ignore"):
            share = shared / total
        low = (total > 0) & (share < min_overlap)
        why = np.full(len(total), "", dtype=object)
        for i in np.flatnonzero(low).tolist():  # once per distinct input
            why[i] = (f"overlap {share[i]:.2f} < {min_overlap:g} "
                      f"({int(shared[i])} of {int(total[i])} words)")
        low, total, why = low[group], total[group], why[group]
        return verdicts_from(n, [(ndocs == 0, NA, "nothing retrieved"),
                                 (total == 0, NA, "no content words in the answer"),
                                 (low, FAIL, why)])

    return Check(name=name, func=run, columns=("retrieved", "output"),
                 description="answer words overlap the retrieved text (proxy)",
                 params={"min_overlap": min_overlap, "min_token_len": min_token_len})

