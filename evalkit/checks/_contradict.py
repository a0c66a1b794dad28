"""Groundedness proxy: the answer *contradicts* the retrieved text (lexical rules or your model).

Without a model, two deterministic rules compare each answer clause with the retrieved clauses
it overlaps strongly (most of its content words; :func:`evalkit.checks._claims.overlap`):

* **quantity**: the answer states a number with a unit (a duration, an amount, a percentage, a
  date, "N <unit>") that occurs nowhere in the retrieved text, while an overlapping retrieved
  sentence states a different value of the same unit ("payable within 60 days" vs "payable
  within 14 days"; durations compare across units: "48 hours" vs "21 days");
* **negation**: the answer sentence and the retrieved sentence it overlaps most differ in
  negation ("Annual plans are non-refundable" vs "Annual plans are refunded pro rata").

This is a *proxy*, named so (``contradiction_proxy``): it misses contradictions worded
differently ("credit only, never back to your card"), and flags paraphrases that move a negation
("refunds are not available after 14 days" vs "refunds are available within 14 days").
Calibrate it against human labels before trusting it. With ``nli=``, a contradiction model you
provide (an NLI cross-encoder, a judge call) decides instead, on the same sentence pairs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.checks import _frame as F
from evalkit.checks._claims import claims, overlap
from evalkit.checks._contradict_fast import rule_verdicts
from evalkit.checks._core import FAIL, NA, PASS, Check, CheckError, Verdicts, verdicts_from
from evalkit.checks._distinct import distinct_rows, string_codes

RULES: tuple[str, ...] = ("quantity", "negation")
NLICallable = Callable[[list[tuple[str, str]]], Sequence[float]]


def _docs(frame: pd.DataFrame) -> tuple[Any, list[list[tuple[str, str]]] | None]:
    """The retrieved column as Arrow, or (object column) per trace a list of ``(id, text)``."""
    arr = F.list_column(frame, "retrieved")
    if arr is not None:
        return arr, None
    out: list[list[tuple[str, str]]] = []
    for cell in F.column(frame, "retrieved").tolist():
        docs = []
        for d in cell if isinstance(cell, (list, tuple, np.ndarray)) else []:
            if isinstance(d, dict) and d.get("text") is not None:
                docs.append(("" if d.get("id") is None else str(d["id"]), str(d["text"])))
        out.append(docs)
    return None, out


def _field(flat: pa.Array, name: str) -> pa.Array:
    if pa.types.is_struct(flat.type) and flat.type.get_field_index(name) >= 0:
        return pc.struct_field(flat, name).cast(pa.large_string())
    return pa.nulls(len(flat), pa.large_string())


def _groups(output: pa.Array, arr: Any, docs: list[list[tuple[str, str]]] | None
            ) -> tuple[np.ndarray, pa.Array, np.ndarray, list[list[tuple[str, str]]]]:
    """Group traces by (answer, retrieved ids and texts).

    Returns each trace's group, each group's answer (Arrow) and document set, and the distinct
    document sets (lists of ``(id, text)``).
    """
    n = len(output)
    if arr is None:
        assert docs is not None
        return np.arange(n), output, np.arange(n), docs
    flat = pc.list_flatten(arr)
    ids, texts = _field(flat, "id"), _field(flat, "text")
    counts = np.asarray(pc.fill_null(pc.list_value_length(arr), 0).to_numpy(), dtype=np.int64)
    dfirst, dgroup = distinct_rows(n, [], [(string_codes(texts), counts),
                                           (string_codes(ids), counts)])
    first, group = distinct_rows(n, [string_codes(output), dgroup])
    sub = arr.take(pa.array(dfirst))
    sflat = pc.list_flatten(sub)
    sids, stexts = _field(sflat, "id").to_pylist(), _field(sflat, "text").to_pylist()
    scounts = np.asarray(pc.fill_null(pc.list_value_length(sub), 0).to_numpy(), dtype=np.int64)
    out_docs, pos = [], 0
    for c in scounts.tolist():
        out_docs.append([("" if i is None else i, t) for i, t in
                         zip(sids[pos:pos + c], stexts[pos:pos + c], strict=True)
                         if t is not None])
        pos += c
    return group, output.take(pa.array(first)), dgroup[first], out_docs


def _nli_pairs(answer: str, docs: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """``(doc id, premise, hypothesis)``: each answer clause and the document it overlaps most."""
    out = []
    doc_claims = [(d, text, claims(text)) for d, text in docs]
    for a in claims(answer):
        best: tuple[float, str, str] | None = None
        for d, text, cs in doc_claims:
            score = max((overlap(a, c) for c in cs), default=0.0)
            if score > 0 and (best is None or score > best[0]):
                best = (score, d, text)
        if best is not None:
            out.append((best[1], best[2], a.text))
    return out


def _call_nli(nli: NLICallable, pairs: list[tuple[str, str]], batch_size: int) -> list[float]:
    scores: list[float] = []
    for start in range(0, len(pairs), batch_size):
        batch = pairs[start:start + batch_size]
        got = list(nli(batch))
        if len(got) != len(batch):
            raise CheckError(f"`nli` returned {len(got)} scores for {len(batch)} sentence pairs.")
        for v in got:
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) or (
                    not math.isfinite(float(v))) or not 0 <= float(v) <= 1:
                raise CheckError("`nli` must return a contradiction probability in [0, 1] per "
                                 f"(premise, hypothesis) pair; got {v!r}.")
            scores.append(float(v))
    return scores


def _nli_verdicts(nli: NLICallable, threshold: float, batch_size: int, answers: list[Any],
                  docs: list[list[tuple[str, str]]]) -> tuple[np.ndarray, np.ndarray]:
    per_group = [_nli_pairs(a, d) if a and d else [] for a, d in zip(answers, docs, strict=True)]
    index: dict[tuple[str, str], int] = {}
    for pairs in per_group:
        for _, p, h in pairs:
            index.setdefault((p, h), len(index))
    scores = _call_nli(nli, list(index), batch_size)  # each distinct pair once
    codes = np.full(len(answers), PASS, dtype=np.int8)
    why = np.full(len(answers), "", dtype=object)
    for g, pairs in enumerate(per_group):
        if not pairs:
            continue
        s, (d, _, h) = max(((scores[index[(p, h)]], (d, p, h)) for d, p, h in pairs),
                           key=lambda x: x[0])
        if s >= threshold:
            codes[g] = FAIL
            why[g] = f"contradicts {d or 'a retrieved document'} (NLI {s:.2f}): {h!r}"[:200]
    return codes, why


def contradicts_retrieved(*, min_overlap: float = 0.5, negation_overlap: float = 0.75,
                          rules: Sequence[str] = RULES,
                          nli: NLICallable | None = None, nli_threshold: float = 0.5,
                          batch_size: int = 64, name: str | None = None) -> Check:
    """The answer contradicts the retrieved text: a lexical proxy, or your NLI model (``nli=``).

    Parameters
    ----------
    min_overlap : float, default 0.5
        Share of an answer clause's content stems (first five letters of words of 3+ letters,
        minus stop words, unit words and negations) that a retrieved clause must have, with at
        least two stems, for their quantities to be compared.
    negation_overlap : float, default 0.75
        The same share for the negation rule, which compares a clause only with the retrieved
        clause it overlaps most, and needs three shared stems (negations move around in
        paraphrases: a stricter match).
    rules : sequence of {'quantity', 'negation'}, default both
        Which lexical rules run (see the module docstring).
    nli : callable, optional
        ``nli(pairs) -> scores``: gets a list of ``(premise, hypothesis)`` pairs (a retrieved
        document's text, an answer sentence) and returns one contradiction probability in
        ``[0, 1]`` per pair. Each answer sentence is paired with the document it overlaps most;
        each distinct pair is scored once, in batches of ``batch_size``. When given, the model
        decides and ``rules`` are not used.
    nli_threshold : float, default 0.5
        A trace fails when one of its pairs scores at least this.
    batch_size : int, default 64
    name : str, optional
        Default ``'contradiction_proxy'`` (rules) or ``'contradiction_nli'`` (model).

    Returns
    -------
    Check
        ``fail`` naming the conflicting values, the negated sentence or the model's score;
        ``n/a`` when nothing was retrieved or there is no answer.

    Raises
    ------
    CheckError
        Bad options. A model that raises or returns bad scores gives the affected traces the
        ``error`` verdict (the run goes on).

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> kb = [{"id": "KB-1", "text": "Invoices are payable within 14 days. Annual plans are "
    ...        "refunded pro rata.", "score": 0.9}]
    >>> t = pd.DataFrame({"trace_id": ["a", "b", "c", "d"], "retrieved": [kb, kb, kb, []],
    ...     "output": ["Invoices are payable within 60 days.", "Annual plans are not refunded.",
    ...                "Invoices are payable within two weeks.", "Hi"]})
    >>> r = evalkit.run_checks(t, [contradicts_retrieved()], by=None)
    >>> r.frame["verdict"].tolist()
    ['fail', 'fail', 'pass', 'n/a']
    >>> for why in r.frame["reason"].iloc[:2]:
    ...     print(why)
    says '60 days' where KB-1 says '14 days'
    'Annual plans are not refunded.' negates KB-1: 'Annual plans are refunded pro rata.'

    A contradiction model you provide (here a fake one) decides instead:

    >>> def fake_nli(pairs):
    ...     return [0.9 if "60" in h else 0.1 for _, h in pairs]
    >>> c = contradicts_retrieved(nli=fake_nli)
    >>> evalkit.run_checks(t, [c], by=None).frame["verdict"].tolist()
    ['fail', 'pass', 'pass', 'n/a']
    """
    if isinstance(min_overlap, bool) or not isinstance(min_overlap, (int, float)) or not (
            0 < min_overlap <= 1):
        raise CheckError(f"`min_overlap` must be in (0, 1]; got {min_overlap!r}.")
    if isinstance(negation_overlap, bool) or not isinstance(negation_overlap, (int, float)) or (
            not 0 < negation_overlap <= 1):
        raise CheckError(f"`negation_overlap` must be in (0, 1]; got {negation_overlap!r}.")
    if isinstance(rules, str) or not isinstance(rules, Sequence) or not rules or any(
            r not in RULES for r in rules):
        raise CheckError(f"`rules` must be a non-empty list of {list(RULES)}; got {rules!r}.")
    if nli is not None and not callable(nli):
        raise CheckError(f"`nli` must be a callable (pairs -> scores); got {nli!r:.80}.")
    if isinstance(nli_threshold, bool) or not isinstance(nli_threshold, (int, float)) or not (
            0 < nli_threshold <= 1):
        raise CheckError(f"`nli_threshold` must be in (0, 1]; got {nli_threshold!r}.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise CheckError(f"`batch_size` must be a positive integer; got {batch_size!r}.")
    rule_set = frozenset(rules)
    nm = name or ("contradiction_proxy" if nli is None else "contradiction_nli")

    def run(frame: Any) -> Verdicts:
        n = len(frame)
        output = F.strings(frame, "output")
        arr, docs = _docs(frame)
        group, answers, docset, docsets = _groups(output, arr, docs)
        if nli is not None:
            codes, why = _nli_verdicts(nli, float(nli_threshold), batch_size,
                                       answers.to_pylist(), [docsets[k] for k in docset])
        else:
            codes, why = rule_verdicts(answers, docset, docsets, float(min_overlap),
                                       float(negation_overlap), rule_set)
        ndocs = F.list_lengths(frame, "retrieved")
        return verdicts_from(n, [(ndocs == 0, NA, "nothing retrieved"),
                                 (F.is_null(output), NA, "no output"),
                                 (codes[group] == FAIL, FAIL, why[group])])

    return Check(name=nm, func=run, columns=("retrieved", "output"),
                 description=("the answer contradicts the retrieved text (proxy)" if nli is None
                              else "the answer contradicts the retrieved text (NLI model)"),
                 params={"min_overlap": min_overlap, "negation_overlap": negation_overlap,
                "rules": list(rules),
                         "nli": None if nli is None else getattr(nli, "__name__", "nli"),
                         "nli_threshold": nli_threshold})

