"""regex, contains, not_contains, exact and normalised exact; RE2 bounds catastrophic patterns."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from evalkit import checks
from evalkit.checks import CheckError

from .conftest import frame, verdicts


def test_regex_true_and_false_positives_match_python_re() -> None:
    texts = ["ticket SUP-12345 opened", "SUP-1234", "sup-12345", "no ticket", ""]
    pattern = r"SUP-\d{5}"
    got = verdicts(frame(output=texts), checks.regex(pattern))
    assert got == ["pass" if re.search(pattern, t) else "fail" for t in texts]
    got = verdicts(frame(output=texts), checks.regex(pattern, ignore_case=True))
    assert got == ["pass" if re.search(pattern, t, re.I) else "fail" for t in texts]
    assert verdicts(frame(output=texts), checks.regex(pattern, must_match=False)) == [
        "fail", "pass", "pass", "pass", "pass"]


def test_regex_missing_text_is_not_applicable() -> None:
    assert verdicts(frame(output=["a", None]), checks.regex("a")) == ["pass", "n/a"]


@pytest.mark.timeout(60)
def test_catastrophic_regex_is_linear_time() -> None:
    # (a+)+$ backtracks exponentially in Python's re on 'aaaa...b'; RE2 is linear, so this
    # finishes (pytest-timeout would stop a backtracking engine) with the right verdicts.
    t = frame(output=["a" * 50_000 + "b", "a" * 50_000])
    assert verdicts(t, checks.regex(r"(a+)+$")) == ["fail", "pass"]
    assert verdicts(t, checks.regex(r"^(a+)+$")) == ["fail", "pass"]


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?=a)b", r"(?<!x)y", "(unclosed", ""])
def test_patterns_re2_cannot_run_are_typed_errors(pattern: str) -> None:
    with pytest.raises(CheckError, match=r"RE2|non-empty regex"):
        checks.regex(pattern)


def test_contains_any_all_and_not_contains() -> None:
    t = frame(output=["See KB-1101 and KB-1102.", "See KB-1101.", "Nothing", None])
    assert verdicts(t, checks.contains("KB-1101")) == ["pass", "pass", "fail", "n/a"]
    both = checks.contains(["KB-1101", "KB-1102"], require="all")
    assert verdicts(t, both) == ["pass", "fail", "fail", "n/a"]
    assert both(t)["reason"].tolist()[1] == "'KB-1102'"
    assert verdicts(t, checks.contains(["kb-1102", "nothing"], ignore_case=True)) == [
        "pass", "fail", "pass", "n/a"]
    nc = checks.not_contains(["KB-1102", "Nothing"])
    assert verdicts(t, nc) == ["fail", "pass", "fail", "n/a"]
    assert nc(t)["reason"].tolist()[:3] == ["contains 'KB-1102'", "", "contains 'Nothing'"]
    with pytest.raises(CheckError, match="`require` must be 'any' or 'all'"):
        checks.contains("x", require="most")
    with pytest.raises(CheckError, match="`text` must be a non-empty string"):
        checks.not_contains([])


def test_exact_and_normalized_exact_against_references() -> None:
    t = frame(output=["Paris.", "  paris ", "ＰＡＲＩＳ", "Rome", None, "x"],
              expected=["Paris", "Paris", "Paris", "Paris", "Paris", None])
    assert verdicts(t, checks.exact("expected")) == ["fail", "fail", "fail", "fail", "fail", "n/a"]
    assert verdicts(t, checks.normalized_exact("expected")) == [
        "pass", "pass", "pass", "fail", "fail", "n/a"]


def test_references_by_trace_id_from_a_golden_frame() -> None:
    t = frame(output=["4", "5", "6"])
    golden = pd.DataFrame({"trace_id": ["t0", "t2"], "reference": ["4", "7"]})
    assert verdicts(t, checks.exact(golden)) == ["pass", "n/a", "fail"]
    assert verdicts(t, checks.exact({"t1": "5"})) == ["n/a", "pass", "n/a"]
    with pytest.raises(CheckError, match="duplicate trace ids"):
        checks.exact(pd.Series(["a", "b"], index=["t0", "t0"]))
    with pytest.raises(CheckError, match="`reference` frame needs 'trace_id'"):
        checks.exact(pd.DataFrame({"id": ["t0"], "answer": ["4"]}))
    with pytest.raises(CheckError, match="`reference` must be a column name"):
        checks.exact(42)


def test_normalize_matches_a_hand_derived_normalisation() -> None:
    import pyarrow as pa

    from evalkit.checks._text import normalize

    # NFKC maps fullwidth letters and the ligature (and № to "No"); punctuation goes, the
    # run of two spaces becomes one, the ends are trimmed
    got = normalize(pa.array(["Ｔｈｅ  ﬁle:  №5!", "Ça va?", None, " a\u00a0 b\t"])).to_pylist()
    assert got == ["the file no5", "ça va", None, "a b"]


def test_normalized_exact_keeps_words_apart() -> None:
    # decided: whitespace is collapsed, not dropped (SQuAD's normalize_answer does the same);
    # "ice cream" and "icecream" are different answers, "e-mail" and "email" the same word
    t = frame(output=["Ice   cream.", "icecream", "E-mail", "Paris, France"],
              expected=["ice cream", "ice cream", "email", "paris france"])
    assert verdicts(t, checks.normalized_exact("expected")) == ["pass", "fail", "pass", "pass"]


def test_normalize_repeated_values_agree_with_one_by_one() -> None:
    import pyarrow as pa

    from evalkit.checks._text import normalize

    # the per-distinct-value cache gives what normalising each string alone gives
    vals = ["A  b", None, "ｃ!", "A  b", "ｃ!", "", None]
    whole = normalize(pa.array(vals)).to_pylist()
    alone = [normalize(pa.array([v], pa.string())).to_pylist()[0] for v in vals]
    assert whole == alone == ["a b", None, "c", "a b", "c", "", None]
