"""evalkit.redact: typed placeholders, consistency per case, precision/recall on the fixed set."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evalkit
from evalkit.golden import GoldenError, Redactor, export_golden, find_entities, load_golden, redact

SET = Path(__file__).resolve().parents[1] / "fixtures/golden/redaction_set.jsonl"
NAMES = ["Lucas Novak", "Maria Lopez", "Chen Wei", "Ana Silva", "Tom Nguyen"]


def measure(path: Path = SET) -> pd.DataFrame:
    """Strict per-type precision/recall of find_entities on a labelled set."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        text = r["text"]
        exp = {(e["type"], text.index(e["value"]), text.index(e["value"]) + len(e["value"]))
               for e in r["entities"]}
        got = {(k, s, e) for s, e, k in find_entities(text, names=NAMES)}
        tp.update(x[0] for x in got & exp)
        fp.update(x[0] for x in got - exp)
        fn.update(x[0] for x in exp - got)
    kinds = sorted(set(tp) | set(fp) | set(fn))
    df = pd.DataFrame({"type": kinds, "tp": [tp[k] for k in kinds], "fp": [fp[k] for k in kinds],
                       "fn": [fn[k] for k in kinds]})
    df["precision"] = df.tp / (df.tp + df.fp)
    df["recall"] = df.tp / (df.tp + df.fn)
    return df


def test_fixed_set_is_large_enough() -> None:
    rows = [json.loads(x) for x in SET.read_text().splitlines()]
    assert len(rows) >= 200
    assert sum(not r["entities"] for r in rows) >= 80  # lures
    for r in rows:
        for e in r["entities"]:
            assert e["value"] in r["text"]


def test_precision_recall_per_type() -> None:
    df = measure().set_index("type")
    print("\n" + df.to_string(float_format="{:.3f}".format))
    assert set(df.index) == {"API_KEY", "CARD", "EMAIL", "IBAN", "IPV4", "IPV6", "NAME", "PHONE"}
    # floors a little under the measured figures (reported in the PR): a regression fails here
    assert (df.precision >= 0.9).all(), df
    assert (df.recall >= 0.9).all(), df


def test_luhn_and_mod97_reject_lookalikes() -> None:
    # 4111 1111 1111 1111 is Visa's published test number (Luhn sum 30); ...1112 sums to 31
    assert redact("4111 1111 1111 1111") == "<CARD_1>"
    assert redact("4111 1111 1111 1112") == "4111 1111 1111 1112"
    # DE89 3704 0044 0532 0130 00 is the IBAN registry's German example; DE00 breaks mod 97
    assert redact("DE89 3704 0044 0532 0130 00") == "<IBAN_1>"
    assert "<IBAN" not in redact("DE00 3704 0044 0532 0130 00")
    assert redact("999.999.999.999") == "999.999.999.999"


def test_placeholders_consistent_within_a_case(tmp_path: Path) -> None:
    tr = pd.DataFrame({"trace_id": ["t0", "t1"],
                       "input": ["I am Ana Silva, ana@x.io", "bob@y.io"],
                       "output": ["Hi Ana Silva, we wrote to ana@x.io and bob@y.io",
                                  "ok bob@y.io"]})
    lab = pd.DataFrame({"trace_id": ["t0", "t1"], "verdict": ["pass", "pass"]})
    refs = pd.DataFrame({"trace_id": ["t0"], "text": ["Dear ana@x.io"], "quality": ["high"],
                         "author": ["lead"]})
    m = export_golden(tr, lab, tmp_path / "g", redact=Redactor(names=["Ana Silva"]),
                      references=refs, holdout=0.0, floor=0.0)
    df = load_golden(tmp_path / "g").set_index("trace_id")
    assert df.loc["t0", "input"] == "I am <NAME_1>, <EMAIL_1>"
    assert df.loc["t0", "output"] == "Hi <NAME_1>, we wrote to <EMAIL_1> and <EMAIL_2>"
    assert df.loc["t0", "references"][0]["text"] == "Dear <EMAIL_1>"
    assert df.loc["t1", "input"] == "<EMAIL_1>"  # numbering restarts per case
    assert m["redaction"]["counts"] == {"EMAIL": 6, "NAME": 2}
    assert m["redaction"]["cases_changed"] == 2


def test_pluggable_and_explicit_off(tmp_path: Path) -> None:
    tr = pd.DataFrame({"trace_id": ["t0"], "input": ["ana@x.io"], "output": ["ok"]})
    lab = pd.DataFrame({"trace_id": ["t0"], "verdict": ["pass"]})
    m = export_golden(tr, lab, tmp_path / "a", redact=str.upper, holdout=0.0, floor=0.0)
    assert load_golden(tmp_path / "a")["input"].tolist() == ["ANA@X.IO"]
    assert m["redaction"]["redactor"] == "str.upper"
    m = export_golden(tr, lab, tmp_path / "b", redact=False, holdout=0.0, floor=0.0)
    assert load_golden(tmp_path / "b")["input"].tolist() == ["ana@x.io"]
    assert m["redaction"]["redactor"] == "none (redact=False)"
    with pytest.raises(GoldenError, match="must return str; got int"):
        export_golden(tr, lab, tmp_path / "c", redact=len, holdout=0.0, floor=0.0)


def test_public_name_and_bad_input() -> None:
    assert evalkit.redact("ip 10.0.0.1") == "ip <IPV4_1>"
    with pytest.raises(GoldenError, match="`text` must be a str; got bytes"):
        redact(b"x")  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_redact_never_crashes(text: str) -> None:
    out = redact(text, names=["Ana Silva"])
    assert isinstance(out, str)
    if not find_entities(text, names=["Ana Silva"]):
        assert out == text


HOLDOUT = SET.with_name("redaction_holdout.jsonl")


def test_holdout_set_is_large_and_new() -> None:
    rows = [json.loads(x) for x in HOLDOUT.read_text(encoding="utf-8").splitlines()]
    first = {json.loads(x)["text"] for x in SET.read_text(encoding="utf-8").splitlines()}
    assert len(rows) >= 150 and sum(not r["entities"] for r in rows) >= 60
    assert not first & {r["text"] for r in rows}  # no string of the first set
    for r in rows:
        for e in r["entities"]:
            assert e["value"] in r["text"]


def test_precision_recall_on_the_holdout_set() -> None:
    # Out-of-sample before the fixes it prompted (README: all types P 0.828, R 0.835; API_KEY
    # recall 0.20, PHONE precision 0.63); these floors hold the figures after them (in-sample).
    df = measure(HOLDOUT).set_index("type")
    print("\n" + df.to_string(float_format="{:.3f}".format))
    assert (df.precision >= 0.85).all(), df
    assert (df.recall >= 0.9).all(), df
    total = df[["tp", "fp", "fn"]].sum()
    assert total.tp / (total.tp + total.fp) >= 0.95 and total.tp / (total.tp + total.fn) >= 0.95


@pytest.mark.parametrize(("text", "kind"), [
    ("::ffff:192.0.2.128", "IPV6"),  # the IPv4 tail was left behind
    ("sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "API_KEY"),
    ("j.o'brien+work@example.ie", "EMAIL"),
    ("+358 40 1234567", "PHONE"),
])
def test_holdout_fixes_whole_spans(text: str, kind: str) -> None:
    assert find_entities(f"x {text} y") == [(2, 2 + len(text), kind)]


@pytest.mark.parametrize("text", [
    "logo@2x.png", "git@github.com:acme/bot.git", "18.03.2025", "1000-2000", "94107-1234",
    "10.0.19045.3803", "ISBN 978-0-306-40615-7", "IMEI 490154203237518", "0.0001305",
])
def test_holdout_lookalikes_stay(text: str) -> None:
    assert find_entities(text) == []
