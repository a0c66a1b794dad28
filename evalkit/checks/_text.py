"""Text checks: regex, contains / not-contains, exact and normalised-exact match against references.

Regexes are compiled by RE2 (``google-re2``) and matched by Arrow's RE2-backed kernels: matching
is linear in the text, so a catastrophic pattern such as ``(a+)+$`` cannot hang a run. Features
RE2 lacks (backreferences, lookaround) are a :class:`~evalkit.checks.CheckError` at build time.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.checks import _frame as F
from evalkit.checks._core import FAIL, NA, Check, CheckError, Verdicts, verdicts_from


def compile_regex(pattern: Any, *, ignore_case: bool = False, what: str = "pattern") -> str:
    r"""Validate ``pattern`` with RE2; return it (typed error for syntax RE2 does not support).

    Examples
    --------
    >>> compile_regex(r"INV-\d+")
    'INV-\\d+'
    >>> compile_regex(r"(a)\1")
    Traceback (most recent call last):
    ...
    evalkit.checks._core.CheckError: pattern '(a)\\1' is not a valid RE2 regex ...
    """
    import re2

    if not isinstance(pattern, str) or not pattern:
        raise CheckError(f"`{what}` must be a non-empty regex string; got {pattern!r}.")
    try:
        re2.compile(("(?i)" if ignore_case else "") + pattern)
    except Exception as exc:  # re2.error does not subclass re.error
        msg = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise CheckError(
            f"{what} {pattern!r} is not a valid RE2 regex ({msg}); RE2 runs in linear time and "
            "has no backreferences or lookaround."
        ) from None
    return pattern


def regex_match(arr: pa.Array, pattern: str, *, ignore_case: bool = False) -> np.ndarray:
    """Boolean mask: ``pattern`` is found in each string (nulls: False); RE2, linear time."""
    return F.as_bool(pc.match_substring_regex(arr, pattern, ignore_case=ignore_case))


def regex(pattern: str, *, column: str = "output", ignore_case: bool = False,
          must_match: bool = True, name: str = "regex") -> Check:
    r"""The text matches (or, with ``must_match=False``, does not match) an RE2 regex.

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> t = pd.DataFrame({"trace_id": ["a", "b"], "output": ["ticket SUP-12345", "no ticket"]})
    >>> c = regex(r"SUP-\d{5}", name="has_ticket")
    >>> evalkit.run_checks(t, [c], by=None).frame["verdict"].tolist()
    ['pass', 'fail']
    """
    pat = compile_regex(pattern, ignore_case=ignore_case)

    def run(frame: Any) -> Verdicts:
        arr = F.strings(frame, column)
        hit = regex_match(arr, pat, ignore_case=ignore_case)
        bad = ~hit if must_match else hit
        why = f"no match for {pat!r}" if must_match else f"matches {pat!r}"
        return verdicts_from(len(arr), [(F.is_null(arr), NA, f"no {column}"),
                                        (bad, FAIL, why[:200])])

    return Check(name=name, func=run, columns=(column,),
                 description=f"{column} {'matches' if must_match else 'does not match'} a regex",
                 params={"pattern": pattern, "ignore_case": ignore_case,
                         "must_match": must_match, "column": column})


def _phrases(text: str | Sequence[str], what: str) -> list[str]:
    items = [text] if isinstance(text, str) else list(text)
    if not items or not all(isinstance(t, str) and t for t in items):
        raise CheckError(f"`{what}` must be a non-empty string or list of them; got {text!r}.")
    return items


def _contains(arr: pa.Array, items: list[str], ignore_case: bool) -> np.ndarray:
    hits = np.zeros((len(items), len(arr)), dtype=bool)
    for j, t in enumerate(items):
        hits[j] = F.as_bool(pc.match_substring(arr, t, ignore_case=ignore_case))
    return hits


def contains(text: str | Sequence[str], *, column: str = "output", require: str = "any",
             ignore_case: bool = False, name: str = "contains") -> Check:
    """The text contains ``text`` (any or all of several substrings, literally).

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> t = pd.DataFrame({"trace_id": ["a", "b"], "output": ["See KB-1101.", "Sorry."]})
    >>> evalkit.run_checks(t, [contains("KB-")], by=None).frame["verdict"].tolist()
    ['pass', 'fail']
    """
    items = _phrases(text, "text")
    if require not in ("any", "all"):
        raise CheckError(f"`require` must be 'any' or 'all'; got {require!r}.")

    def run(frame: Any) -> Verdicts:
        arr = F.strings(frame, column)
        hits = _contains(arr, items, ignore_case)
        ok = hits.any(axis=0) if require == "any" else hits.all(axis=0)
        missing = np.array([", ".join(repr(t) for t, h in zip(items, col, strict=True) if not h)
                            for col in hits.T], dtype=object) if require == "all" else (
            f"contains none of {items!r}"[:200])
        return verdicts_from(len(arr), [(F.is_null(arr), NA, f"no {column}"),
                                        (~ok, FAIL, missing)])

    return Check(name=name, func=run, columns=(column,), description=f"{column} contains text",
                 params={"text": items, "require": require, "ignore_case": ignore_case})


def not_contains(text: str | Sequence[str], *, column: str = "output", ignore_case: bool = False,
                 name: str = "not_contains") -> Check:
    """The text contains none of the substrings (e.g. internal hostnames, ``"As an AI"``).

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> t = pd.DataFrame({"trace_id": ["a", "b"], "output": ["As an AI, I...", "Sure."]})
    >>> c = not_contains(["as an ai"], ignore_case=True)
    >>> evalkit.run_checks(t, [c], by=None).frame[["verdict", "reason"]].values.tolist()
    [['fail', "contains 'as an ai'"], ['pass', '']]
    """
    items = _phrases(text, "text")

    def run(frame: Any) -> Verdicts:
        arr = F.strings(frame, column)
        hits = _contains(arr, items, ignore_case)
        first = np.argmax(hits, axis=0)
        why = np.array([f"contains {items[j]!r}"[:200] for j in range(len(items))],
                       dtype=object)[first]
        return verdicts_from(len(arr), [(F.is_null(arr), NA, f"no {column}"),
                                        (hits.any(axis=0), FAIL, why)])

    return Check(name=name, func=run, columns=(column,),
                 description=f"{column} contains none of the phrases",
                 params={"text": items, "ignore_case": ignore_case})


# ------------------------------------------------------------------ references
def _prepare_reference(reference: Any) -> str | pd.Series:
    """A column name, or references as a Series keyed by trace_id (validated when built)."""
    if isinstance(reference, str):
        return reference
    if isinstance(reference, pd.DataFrame):
        col = next((c for c in ("reference", "expected", "output") if c in reference.columns),
                   None)
        if "trace_id" not in reference.columns or col is None:
            raise CheckError("`reference` frame needs 'trace_id' and one of 'reference', "
                             f"'expected', 'output'; columns: {list(reference.columns)}.")
        reference = reference.set_index("trace_id")[col]
    if isinstance(reference, Mapping):
        reference = pd.Series(dict(reference), dtype=object)
    if not isinstance(reference, pd.Series):
        raise CheckError("`reference` must be a column name, a Series or dict keyed by "
                         f"trace_id, or a frame; got {type(reference).__name__}.")
    if reference.index.has_duplicates:
        raise CheckError("`reference` has duplicate trace ids, e.g. "
                         f"{reference.index[reference.index.duplicated()][0]!r}.")
    return reference.astype(object)


def _references(frame: pd.DataFrame, reference: str | pd.Series) -> pa.Array:
    """Reference text per trace (null where there is none)."""
    if isinstance(reference, str):
        return F.strings(frame, reference)
    ids = F.column(frame, "trace_id").astype(str)
    vals = reference.reindex(ids.to_numpy())
    return pa.array(vals.where(vals.notna(), None).tolist(), type=pa.large_string())


def normalize(arr: pa.Array) -> pa.Array:
    """NFKC, lower-cased, punctuation removed, whitespace collapsed: what normalised match compares.

    Punctuation (anything but letters, digits and whitespace) is removed, as in the SQuAD
    evaluation script's ``normalize_answer``; whitespace runs become one space and the ends are
    trimmed. Words stay apart: ``"ice cream"`` and ``"icecream"`` differ, ``"e-mail"`` and
    ``"email"`` are equal. Each distinct string is normalised once.

    Examples
    --------
    >>> import pyarrow as pa
    >>> normalize(pa.array(["  The Answer:  42! ", "ＡＢＣ", "ice cream", "icecream"])).to_pylist()
    ['the answer 42', 'abc', 'ice cream', 'icecream']
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    # references and answers repeat (canned replies, one golden answer per question):
    # normalise the distinct strings only
    enc = pc.dictionary_encode(arr)
    return _normalize_distinct(enc.dictionary).take(enc.indices)


def _normalize_distinct(arr: pa.Array) -> pa.Array:
    a = pc.utf8_normalize(arr, "NFKC")
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    # pyarrow < 26 leaves combining marks uncomposed ("C" + U+0327 stays two code points):
    # the few rows that hold a mark are normalised again by Python's unicodedata
    marks = pc.fill_null(pc.match_substring_regex(a, r"\pM"), False)
    if pc.any(marks).as_py():
        fixed = [unicodedata.normalize("NFKC", t) for t in pc.filter(a, marks).to_pylist()]
        a = pc.replace_with_mask(a, marks, pa.array(fixed, type=a.type))
    a = pc.utf8_lower(a)
    a = pc.utf8_trim_whitespace(pc.replace_substring_regex(a, r"[^\pL\pN\s]+", ""))
    # splitting on whitespace and joining with one space is 2x faster than an RE2 ``\s+`` pass
    return pc.binary_join(pc.utf8_split_whitespace(a), pa.scalar(" ", a.type))


def exact(reference: Any, *, column: str = "output", normalized: bool = False,
          name: str | None = None) -> Check:
    """The text equals its reference (``normalized=True``: after :func:`normalize`).

    Parameters
    ----------
    reference : str, Series, dict or DataFrame
        A column of the trace frame, or references keyed by ``trace_id`` (a golden set's
        ``trace_id, reference`` frame works). Traces without a reference are ``n/a``.
    column : str, default 'output'
    normalized : bool, default False
    name : str, optional
        Default ``'exact'`` or ``'normalized_exact'``.

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> t = pd.DataFrame({"trace_id": ["a", "b", "c"], "output": ["Paris.", "paris", "Rome"]})
    >>> ref = {"a": "Paris", "b": "Paris"}
    >>> evalkit.run_checks(t, [exact(ref), normalized_exact(ref)], by=None).frame[
    ...     "verdict"].tolist()
    ['fail', 'fail', 'n/a', 'pass', 'pass', 'n/a']
    """
    nm = name or ("normalized_exact" if normalized else "exact")
    ref_spec = _prepare_reference(reference)

    def run(frame: Any) -> Verdicts:
        out = F.strings(frame, column)
        ref = _references(frame, ref_spec)
        both = np.flatnonzero(~F.is_null(ref) & ~F.is_null(out))
        a, b = (out.take(pa.array(both)), ref.take(pa.array(both)))
        if normalized:
            a, b = normalize(a), normalize(b)
        same = np.zeros(len(out), dtype=bool)
        same[both] = F.as_bool(pc.equal(a, b))
        return verdicts_from(len(out), [(F.is_null(ref), NA, "no reference"),
                                        (F.is_null(out), FAIL, f"no {column}"),
                                        (~same, FAIL, "differs from the reference")])

    cols = (column,) + ((reference,) if isinstance(reference, str) else ())
    return Check(name=nm, func=run, columns=cols,
                 description=f"{column} equals the reference" + (" (normalised)" if normalized
                                                                 else ""),
                 params={"normalized": normalized, "column": column})


def normalized_exact(reference: Any, *, column: str = "output",
                     name: str = "normalized_exact") -> Check:
    """Exact match after :func:`normalize` (ignores case, Unicode width, punctuation, extra spaces).

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> t = pd.DataFrame({"trace_id": ["a", "b"], "output": ["Ice  cream!", "icecream"]})
    >>> c = normalized_exact({"a": "ice cream", "b": "ice cream"})
    >>> evalkit.run_checks(t, [c], by=None).frame["verdict"].tolist()
    ['pass', 'fail']
    """
    return exact(reference, column=column, normalized=True, name=name)
