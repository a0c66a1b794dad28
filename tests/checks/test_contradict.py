"""The contradiction proxy (quantity and negation rules) and the pluggable NLI model."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evalkit
from evalkit import checks
from evalkit.checks import CheckError
from evalkit.checks._claims import claims, quantities

from .conftest import ROOT, frame, verdicts

KB = [{"id": "KB-1", "text": "Invoices are payable within 14 days. Annual plans are refunded "
       "pro rata within 30 days of purchase. Services are suspended only after 21 days without "
       "payment. Refunds reach the card in 5-7 business days.", "score": 0.9},
      {"id": "KB-2", "text": "Reset links expire after 30 minutes and can be used once.",
       "score": 0.5}]


def run(outputs: list[str | None], check: checks.Check | None = None,
        retrieved: list | None = None) -> pd.DataFrame:
    t = frame(output=outputs, retrieved=[KB if retrieved is None else retrieved] * len(outputs))
    return evalkit.run_checks(t, [check or checks.contradicts_retrieved()], by=None).frame


@pytest.mark.parametrize(("answer", "why"), [
    ("Invoices are payable within 60 days, so there is no rush.", "says '60 days' where KB-1"),
    # 48 hours is 2 days: durations compare across units
    ("Services are suspended 48 hours after a missed payment.", "says '48 hours' where KB-1"),
    ("Reset links expire after 2 hours.", "says '2 hours' where KB-2 says '30 minutes'"),
    ("Annual plans are non-refundable once paid.", "negates KB-1"),
    ("Annual plans are not refunded pro rata.", "negates KB-1"),
])
def test_true_positives(answer: str, why: str) -> None:
    out = run([answer])
    assert out["verdict"].tolist() == ["fail"]
    assert why in out["reason"].iloc[0]


@pytest.mark.parametrize("answer", [
    "Invoices are payable within 14 days.",  # the same value
    "Invoices are payable within two weeks.",  # 14 days written another way
    "Services are suspended after 3 weeks without payment.",  # 21 days
    "Refunds reach your card within 5 to 7 business days.",  # the same range
    "Refunds reach the card in 6 business days.",  # inside the range
    "Your invoice INV-2025-000060 is for $99.00.",  # ids and amounts the KB does not discuss
    "The status page is updated every 60 minutes.",  # a value about something else
    "Reset links can be used only once.",  # the same polarity
    "If you're not an owner, ask an owner to update the card.",  # negation in another clause
    "Thanks for reaching out!",
])
def test_false_positives_are_avoided(answer: str) -> None:
    assert run([answer])["verdict"].tolist() == ["pass"]


def test_documented_limits_of_the_proxy() -> None:
    # a paraphrase that moves the negation is flagged (a false positive, as documented) ...
    assert run(["Refunds are not available after 14 days of purchase."],
               retrieved=[{"id": "K", "text": "Refunds are available within 14 days of "
                           "purchase."}])["verdict"].tolist() == ["fail"]
    # ... and a contradiction worded with other words passes (a false negative)
    assert run(["Refunds only ever go to account credit."],
               retrieved=[{"id": "K", "text": "Refunds go back to the original card."}]
               )["verdict"].tolist() == ["pass"]


def test_rules_can_be_chosen_and_na_cases() -> None:
    answers = ["Invoices are payable within 60 days.", "Annual plans are not refunded pro rata."]
    assert run(answers, checks.contradicts_retrieved(rules=["quantity"]))["verdict"].tolist() == [
        "fail", "pass"]
    assert run(answers, checks.contradicts_retrieved(rules=["negation"]))["verdict"].tolist() == [
        "pass", "fail"]
    t = frame(output=["Payable within 60 days.", None, "x"],
              retrieved=[[], KB, None])
    out = evalkit.run_checks(t, [checks.contradicts_retrieved()], by=None).frame
    assert out["verdict"].tolist() == ["n/a", "n/a", "n/a"]
    assert out["reason"].tolist() == ["nothing retrieved", "no output", "nothing retrieved"]


def test_object_columns_give_what_arrow_columns_give(sample_traces: pd.DataFrame) -> None:
    # the Arrow path groups traces by (answer, documents); the object path checks each trace
    t = sample_traces[["trace_id", "output", "retrieved"]].copy()
    arrow = evalkit.run_checks(t, [checks.contradicts_retrieved()], by=None).frame
    t["retrieved"] = pd.Series(t["retrieved"].astype(object).tolist(), dtype=object,
                               index=t.index)
    assert not isinstance(t["retrieved"].dtype, pd.ArrowDtype)
    plain = evalkit.run_checks(t, [checks.contradicts_retrieved()], by=None).frame
    pd.testing.assert_frame_equal(arrow.astype(str), plain.astype(str))


def test_quantities_and_clauses_by_hand() -> None:
    got = [(q.unit, q.lo, q.hi) for q in quantities(
        "Pay $1,250.50 within 2-3 weeks (10% off), by 2025-02-15 or Mar 3rd; INV-2025-1 v1.2.")]
    # 2-3 weeks = 336-504 h; 2025-02-15 -> 2*100 + 15; Mar 3rd -> 3*100 + 3
    assert got == [("$", 1250.5, 1250.5), ("duration", 336.0, 504.0), ("%", 10.0, 10.0),
                   ("date", 215.0, 215.0), ("date", 303.0, 303.0)]
    cs = claims("Nothing is due today, but pay later.")
    assert [c.negated for c in cs] == [True, False]


def test_nli_callable_decides_on_sentence_pairs() -> None:
    seen: list[tuple[str, str]] = []

    def fake_nli(pairs: list[tuple[str, str]]) -> list[float]:
        seen.extend(pairs)
        return [0.97 if "credit" in h else 0.02 for _, h in pairs]

    c = checks.contradicts_retrieved(nli=fake_nli, batch_size=1)
    assert c.name == "contradiction_nli"
    out = run(["Refunds only go to account credit.", "Refunds reach the card in 5-7 business "
               "days.", "Refunds only go to account credit."], c)
    assert out["verdict"].tolist() == ["fail", "pass", "fail"]
    assert out["reason"].iloc[0] == ("contradicts KB-1 (NLI 0.97): "
                                     "'Refunds only go to account credit.'")
    # premises are whole retrieved documents, hypotheses answer clauses; each pair once
    assert len(seen) == len(set(seen)) == 2
    assert all(p == KB[0]["text"] for p, _ in seen)


@pytest.mark.parametrize("bad", [[0.2, 0.3], ["high"], [math.nan], [1.5], [True]])
def test_a_misbehaving_nli_model_gives_error_verdicts(bad: list) -> None:
    c = checks.contradicts_retrieved(nli=lambda pairs: bad)
    out = run(["Refunds only go to account credit."], c)
    assert out["verdict"].tolist() == ["error"]
    assert re.search(r"CheckError: `nli` (returned 2 scores|must return)", out["reason"].iloc[0])


def test_an_nli_model_that_raises_does_not_abort_the_run() -> None:
    def broken(pairs: list) -> list:
        raise RuntimeError("model not loaded")

    out = run(["Refunds only go to account credit.", "Hi"],
              checks.contradicts_retrieved(nli=broken))
    # bisection pins the error on the trace whose pairs reach the model ("Hi" has none)
    assert out["verdict"].tolist() == ["error", "pass"]
    assert out["reason"].iloc[0] == "RuntimeError: model not loaded"


@pytest.mark.parametrize(("kw", "match"), [
    ({"min_overlap": 0}, "`min_overlap` must be in"),
    ({"negation_overlap": 2}, "`negation_overlap` must be in"),
    ({"rules": ["numbers"]}, "`rules` must be a non-empty list"),
    ({"rules": "quantity"}, "`rules` must be a non-empty list"),
    ({"nli": "roberta"}, "`nli` must be a callable"),
    ({"nli_threshold": 0}, "`nli_threshold` must be in"),
    ({"batch_size": 0}, "`batch_size` must be a positive integer"),
])
def test_bad_arguments(kw: dict, match: str) -> None:
    with pytest.raises(CheckError, match=match):
        checks.contradicts_retrieved(**kw)


def test_on_the_sample_data_every_flag_is_a_planted_contradiction(
        sample_traces: pd.DataFrame) -> None:
    # the generator's hallucinated_policy answers state a policy that contradicts the retrieved
    # KB article (data/README.md); the proxy's flags must be among them (precision), and it
    # must find the "payable within 60 days" ones (KB-1001 says 14 days: found by hand)
    gt = pd.read_csv(ROOT / "data" / "ground_truth.csv").set_index("trace_id")["failure_mode"]
    out = evalkit.run_checks(sample_traces, [checks.contradicts_retrieved()], by=None).frame
    flagged = out.loc[out["verdict"] == "fail", "trace_id"].astype(str)
    assert len(flagged) > 0
    assert set(gt.reindex(flagged)) == {"hallucinated_policy"}
    sixty = sample_traces.loc[sample_traces["output"].str.contains(
        "payable within 60 days", regex=False), "trace_id"].astype(str)
    assert len(sixty) > 0 and set(sixty) <= set(flagged)


@settings(max_examples=60, deadline=None)
@given(answer=st.text(max_size=60), doc=st.text(max_size=60))
def test_fuzz_never_raises_untyped_errors(answer: str, doc: str) -> None:
    t = frame(output=[answer], retrieved=[[{"id": "K", "text": doc}]])
    assert set(verdicts(t, checks.contradicts_retrieved())) <= {"pass", "fail"}
    assert verdicts(t, checks.contradicts_retrieved(nli=lambda p: [0.0] * len(p))) in (
        ["pass"],)
