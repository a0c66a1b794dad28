"""refusal (the documented phrase list, pluggable), language_match, budget, groundedness proxies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit import checks
from evalkit.checks import REFUSAL_PHRASES, CheckError

from .conftest import frame, verdicts


@pytest.mark.parametrize("phrase", REFUSAL_PHRASES)
def test_every_documented_refusal_phrase_is_detected(phrase: str) -> None:
    curly = phrase.replace("'", "’")
    texts = [f"{phrase} that request.", f"Hmm. {curly.upper()} that.", phrase.replace(" ", "\n  ")]
    assert verdicts(frame(output=texts), checks.refusal()) == ["fail"] * 3


@pytest.mark.parametrize("answer", [
    "I can help with that: open Settings > Billing.",
    "You can't reuse a reset link; I've sent a new one.",
    "Refunds are possible within 14 days. I am able to start one now.",
    "The API is unable to accept keys older than 90 days, so rotate it first.",
])
def test_ordinary_answers_are_not_refusals(answer: str) -> None:
    assert verdicts(frame(output=[answer]), checks.refusal()) == ["pass"]


def test_refusal_is_pluggable_and_can_be_expected() -> None:
    t = frame(output=["Nope, not doing that.", "Sure, here it is."],
              segment=["legal_threats", "billing"])
    assert verdicts(t, checks.refusal()) == ["pass", "pass"]  # not in the list: a miss
    assert verdicts(t, checks.refusal(extra=["not doing that"])) == ["fail", "pass"]
    detector = checks.refusal(detector=lambda text: text.startswith("Nope"), name="llm_refusal")
    assert verdicts(t, detector) == ["fail", "pass"]
    must = checks.refusal(["not doing that"], expect=True, segments=["legal_threats"])
    assert must.name == "refuses"
    assert verdicts(t, must) == ["pass", "n/a"]
    with pytest.raises(CheckError, match="`detector` must be a callable"):
        checks.refusal(detector="yes")  # type: ignore[arg-type]
    with pytest.raises(CheckError, match="`phrases` must be a list of non-empty strings"):
        checks.refusal([""])
    with pytest.raises(CheckError, match="`extra` must be a list"):
        checks.refusal(extra="sorry")  # type: ignore[arg-type]


def test_refusal_reason_quotes_the_matched_text() -> None:
    r = checks.refusal()(frame(output=["Sorry: I’m unable to do that"]))
    assert r["reason"].tolist() == ["refused: matched 'I’m unable to'"]


LANG = ["en", "es", "de", "fr"]


def test_language_match_true_and_false_positives() -> None:
    es = "¿Cómo puedo cambiar el método de pago de mi cuenta?"
    de = "Wie kann ich die Zahlungsmethode meines Kontos ändern?"
    en = "How can I change the payment method on my account?"
    t = frame(
        input=[es, es, de, en, en, "hi"],
        output=["Puede cambiarlo en Configuración, en la sección de facturación.",
                "You can change it under Settings, in the billing section.",
                "Sie können sie unter Einstellungen im Bereich Abrechnung ändern.",
                "You can change it under Settings, in the billing section.",
                "Vous pouvez la modifier dans Paramètres, section facturation.",
                "Hello! How can I help you today with your account?"],
    )
    c = checks.language_match(languages=LANG)
    assert verdicts(t, c) == ["pass", "fail", "pass", "pass", "fail", "n/a"]
    assert c(t)["reason"].tolist()[1] == "answer in en, user wrote es"


def test_language_match_takes_any_detector() -> None:
    t = frame(input=["x" * 30, "y" * 30], output=["x" * 30, "x" * 30])
    c = checks.language_match(detector=lambda text: text[0])
    assert verdicts(t, c) == ["pass", "fail"]
    with pytest.raises(CheckError, match="`min_chars` must be a positive integer"):
        checks.language_match(min_chars=0)
    with pytest.raises(CheckError, match="not known to py3langid"):
        checks.language_match(languages=["en", "zz"])


def test_language_match_finds_the_planted_wrong_language_traces(
    sample_traces: pd.DataFrame,
) -> None:
    # Oracle: the generator writes 12 questions in es/de/fr, answered in English.
    r = checks.language_match(languages=LANG)(sample_traces)
    bad = r[r["verdict"] == "fail"]
    assert len(bad) == 12
    assert set(bad["reason"]) == {f"answer in en, user wrote {x}" for x in ("es", "de", "fr")}


def test_budget_per_segment_with_tokens_and_cost() -> None:
    t = frame(segment=["a", "a", "b", "b", "b"],
              latency_ms=[900.0, 5000.0, 2500.0, np.nan, np.nan],
              input_tokens=pd.array([100, 100, 100, 3000, None], dtype="Int64"),
              output_tokens=pd.array([10, 10, 10, 10, None], dtype="Int64"),
              cost_usd=[0.001, 0.001, 0.02, np.nan, np.nan])
    c = checks.budget(latency_ms=4000, tokens=2000, cost_usd=0.01,
                      by_segment={"b": {"latency_ms": 2000, "cost_usd": None}})
    r = c(t)
    assert r["verdict"].astype(str).tolist() == ["pass", "fail", "fail", "fail", "n/a"]
    assert r["reason"].tolist()[1:4] == [
        "latency_ms 5000 > 4000 ms",
        "latency_ms 2500 > 2000 ms",  # cost 0.02 is not budgeted in segment b
        "tokens 3010 > 2000 tokens",
    ]


@pytest.mark.parametrize(("kw", "match"), [
    ({}, "budget needs at least one limit"),
    ({"latency_ms": -1}, "`latency_ms` must be a positive number"),
    ({"tokens": True}, "`tokens` must be a positive number"),
    ({"latency_ms": 1, "by_segment": {"a": {"speed": 1}}}, r"unknown limits \['speed'\]"),
    ({"latency_ms": 1, "by_segment": {"a": 3}}, "must map limits to numbers"),
])
def test_budget_bad_arguments(kw: dict, match: str) -> None:
    with pytest.raises(CheckError, match=match):
        checks.budget(**kw)


def test_budget_finds_the_planted_slow_traces(sample_traces: pd.DataFrame) -> None:
    # Oracle: the generator sets 12 root latencies to 25-45 s; the slowest natural trace is
    # under 15 s (data/README.md: right-skewed, with retries).
    r = checks.budget(latency_ms=20_000)(sample_traces)
    assert (r["verdict"] == "fail").sum() == 12


DOCS = [{"id": "KB-1", "text": "Monthly plans are refundable within fourteen days.", "score": 0.9},
        {"id": "KB-2", "text": "Annual plans are refunded pro rata.", "score": 0.5}]


def test_cites_retrieved() -> None:
    t = frame(retrieved=[DOCS, DOCS, DOCS, [], None],
              output=["Per KB-2, pro rata.", "Per [KB-9], never.", "Fourteen days.", "x", "y"])
    assert verdicts(t, checks.cites_retrieved()) == ["pass", "fail", "fail", "n/a", "n/a"]
    strict = checks.cites_retrieved(pattern=r"\[(KB-\d+)\]")
    assert strict(t)["reason"].tolist()[:3] == ["", "cites KB-9, not retrieved",
                                                 "cites no retrieved document"]
    with pytest.raises(CheckError, match="needs a capturing group"):
        checks.cites_retrieved(pattern=r"KB-\d+")


def test_lexical_overlap_hand_computed() -> None:
    # answer words >= 4 chars, minus stopwords: {monthly, plans, refundable, within(stop? no),
    # fourteen, days, bank}; "within" is not a stopword. Docs hold all but "bank": 6 of 7.
    t = frame(retrieved=[DOCS, DOCS, DOCS],
              output=["Monthly plans: refundable within fourteen days, ask your bank.",
                      "Call your bank about chargebacks.", "ok"])
    r = checks.lexical_overlap(min_overlap=0.5)(t)
    assert r["verdict"].astype(str).tolist() == ["pass", "fail", "n/a"]
    assert r["reason"].tolist()[1] == "overlap 0.00 < 0.5 (0 of 3 words)"
    strict = checks.lexical_overlap(min_overlap=0.9)(t)
    assert strict["reason"].tolist()[0] == "overlap 0.86 < 0.9 (6 of 7 words)"


def test_grounded_proxies_accept_object_columns_too() -> None:
    t = frame(retrieved=[DOCS], output=["Monthly plans, KB-1."])
    t["retrieved"] = t["retrieved"].astype(object)
    assert verdicts(t, checks.lexical_overlap()) == ["pass"]
    assert verdicts(t, checks.cites_retrieved()) == ["pass"]
