"""Fast path of the contradiction proxy: clauses split, gated and deduplicated with Arrow.

An answer's verdict under the lexical rules is the verdict of its first failing clause, and a
clause's verdict depends only on the clause and the retrieved document set
(:func:`clause_verdict`). So the answers are split into clauses with Arrow kernels (the same
split as :func:`evalkit.checks._claims.claims`), clauses that no rule could flag are dropped by
regular-expression gates that are supersets of the Python conditions (at least two words of
three letters; a digit or a number word for the quantity rule; a negation-like substring, or a
negated document set, for the negation rule), and each distinct (clause, document set) pair is
judged once in Python. Answers are processed in chunks, so memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from evalkit.checks._claims import NUMBER_WORDS, Claim, Quantity, _claim, claims, overlap
from evalkit.checks._core import FAIL, PASS

MIN_SHARED = 2  # content stems an answer clause shares with a retrieved one to be compared
MIN_SHARED_NEGATION = 3  # a negation flip needs more evidence: negations move in paraphrases
CHUNK = 32_768  # answers per Arrow pass (bounds the memory of the split clauses)

DocIndex = tuple[list[tuple[str, Claim]], list[Quantity], frozenset[str], bool]

#: Exactly the characters Python's ``str.isspace``, ``str.strip`` and ``re``'s ``\s`` treat as
#: whitespace (a test checks this against every code point).
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
              "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_WS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"
_SEP = "\x00"  # clause separator inserted by the split; answers containing it take the slow path
# claims()' split `(?<=[.!?;,:])\s+|\n+` without the look-behind (RE2 has none): the
# punctuation is captured and put back before the separator
SPLIT = rf"([.!?;,:]){_WS}+|\n+"
# a clause needs two content stems: two words of 3+ letters, each letter being an ASCII letter
# or a non-ASCII character (a superset of Python's `[^\W\d_]` after lower-casing)
TWO_WORDS = r"(?s)[A-Za-z\x{80}-\x{10FFFF}]{3}.*[A-Za-z\x{80}-\x{10FFFF}]{3}"
# quantities need a (Unicode) decimal digit or a number word
MAYBE_NUMBER = r"\p{Nd}|(?i:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + ")"
# negation words all contain "no" (not, none, cannot, nor, non-...), or are never/neither/n't
MAYBE_NEGATED = r"(?i:no|never|neither|n't|n’t)"


@lru_cache(maxsize=4096)
def doc_index(docs: tuple[tuple[str, str], ...]) -> DocIndex:
    """A document set's clauses, quantities, stems and whether any clause is negated (cached)."""
    doc_claims = [(d, c) for d, text in docs for c in claims(text)]
    known = [q for _, c in doc_claims for q in c.quantities]
    stems = frozenset().union(*(c.stems for _, c in doc_claims))
    return doc_claims, known, stems, any(c.negated for _, c in doc_claims)


def clause_verdict(a: Claim, index: DocIndex, min_overlap: float, negation_overlap: float,
                   rules: frozenset[str]) -> tuple[int, str]:
    """``(FAIL, reason)`` when the answer clause ``a`` contradicts the documents, else PASS."""
    doc_claims, known, doc_stems, doc_negated = index
    # cheap exits first: too few shared words, or nothing either rule could flag
    if len(a.stems & doc_stems) < MIN_SHARED or not (
            ("quantity" in rules and a.quantities)
            or ("negation" in rules and (a.negated or doc_negated))):
        return PASS, ""
    floor = min(min_overlap, negation_overlap)
    aligned = [(d, c, overlap(a, c)) for d, c in doc_claims
               if len(a.stems & c.stems) >= MIN_SHARED]
    aligned = [x for x in aligned if x[2] >= floor]
    if not aligned:
        return PASS, ""
    if "quantity" in rules:
        for q in a.quantities:
            if any(q.agrees(k) for k in known):
                continue
            for d, c, o in aligned:
                other = next((x for x in c.quantities if x.unit == q.unit), None)
                if other is not None and o >= min_overlap:
                    return FAIL, (f"says {q.text!r} where {d or 'a retrieved document'} "
                                  f"says {other.text!r}")[:200]
    if "negation" in rules:
        d, c, o = max(aligned, key=lambda x: x[2])
        if (o >= negation_overlap and c.negated != a.negated
                and len(a.stems & c.stems) >= MIN_SHARED_NEGATION):
            which = "negates" if a.negated else "drops the negation of"
            return FAIL, (f"{a.text!r} {which} {d or 'a retrieved document'}: "
                          f"{c.text!r}")[:200]
    return PASS, ""


def rule_verdict(answer: str, docs: Sequence[tuple[str, str]], min_overlap: float,
                 negation_overlap: float, rules: frozenset[str]) -> tuple[int, str]:
    """One answer against its documents, clause by clause in Python (the slow path)."""
    index = doc_index(tuple(docs))
    for a in claims(answer):
        code, why = clause_verdict(a, index, min_overlap, negation_overlap, rules)
        if code == FAIL:
            return code, why
    return PASS, ""


def _mask(arr: pa.Array, pattern: str) -> NDArray[np.bool_]:
    got = pc.fill_null(pc.match_substring_regex(arr, pattern), False)
    return np.asarray(got.to_numpy(zero_copy_only=False), dtype=bool)


def rule_verdicts(answers: pa.Array, docset: NDArray[np.int64],
                  docsets: Sequence[Sequence[tuple[str, str]]], min_overlap: float,
                  negation_overlap: float, rules: frozenset[str]
                  ) -> tuple[NDArray[np.int8], NDArray[np.object_]]:
    """Verdict code and reason per answer (``answers[i]`` against ``docsets[docset[i]]``).

    Gives exactly what :func:`rule_verdict` gives row by row (``PASS`` for a missing or empty
    answer or an empty document set).
    """
    n = len(answers)
    codes = np.full(n, PASS, dtype=np.int8)
    why = np.full(n, "", dtype=object)
    local: dict[int, DocIndex] = {}  # bounded: an object column may hold a set per trace

    def index_of(k: int) -> DocIndex:
        ix = local.get(k)
        if ix is None:
            ix = doc_index(tuple(docsets[k]))
            if len(local) < 4096:
                local[k] = ix
        return ix

    has_docs = np.array([bool(d) for d in docsets] + [False], dtype=bool)
    doc_neg = np.array([bool(d) and index_of(k)[3] for k, d in enumerate(docsets)] + [False],
                       dtype=bool)
    answers = answers.cast(pa.large_string())
    nonempty = np.asarray(pc.fill_null(pc.greater(pc.binary_length(answers), 0), False)
                          .to_numpy(zero_copy_only=False), dtype=bool)
    ds = np.where(docset < 0, len(docsets), docset)
    todo = np.flatnonzero(nonempty & has_docs[ds])
    slow = todo[_mask(answers.take(pa.array(todo)), _SEP)] if len(todo) else todo
    for i in slow.tolist():  # answers holding the separator character: clause by clause
        ix = int(ds[i])
        codes[i], why[i] = rule_verdict(answers[i].as_py(), docsets[ix], min_overlap,
                                        negation_overlap, rules)
    todo = np.setdiff1d(todo, slow)
    quantity, negation = "quantity" in rules, "negation" in rules
    cache: dict[tuple[str, int], tuple[int, str]] = {}
    for start in range(0, len(todo), CHUNK):
        rows = todo[start:start + CHUNK]
        parts = pc.split_pattern(
            pc.replace_substring_regex(answers.take(pa.array(rows)), SPLIT, "\\1" + _SEP), _SEP)
        parent = np.asarray(pc.list_parent_indices(parts).to_numpy(), dtype=np.int64)
        flat = pc.utf8_trim(pc.list_flatten(parts), WHITESPACE)
        cds = ds[rows][parent]
        need = (np.asarray(pc.greater(pc.binary_length(flat), 0).to_numpy(
            zero_copy_only=False), dtype=bool) & _mask(flat, TWO_WORDS))
        rule_may = np.zeros(len(flat), dtype=bool)
        if quantity:
            rule_may |= _mask(flat, MAYBE_NUMBER)
        if negation:
            rule_may |= doc_neg[cds] | _mask(flat, MAYBE_NEGATED)
        keep = np.flatnonzero(need & rule_may)
        if not len(keep):
            continue
        texts = flat.take(pa.array(keep)).to_pylist()
        fail = np.zeros(len(keep), dtype=bool)
        reasons: list[str] = [""] * len(keep)
        for j, (text, k) in enumerate(zip(texts, cds[keep].tolist(), strict=True)):
            got = cache.get((text, k))
            if got is None:
                got = clause_verdict(_claim(text), index_of(k), min_overlap, negation_overlap,
                                     rules)
                if len(cache) < 200_000:  # bounded: distinct answers rarely share clauses
                    cache[(text, k)] = got
            if got[0] == FAIL:
                fail[j] = True
                reasons[j] = got[1]
        hits = np.flatnonzero(fail)  # in clause order: the first per answer is its verdict
        owners, first = np.unique(parent[keep[hits]], return_index=True)
        for o, h in zip(owners.tolist(), hits[first].tolist(), strict=True):
            codes[rows[o]] = FAIL
            why[rows[o]] = reasons[h]
    return codes, why
