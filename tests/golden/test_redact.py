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


# --- the closing note's remaining errors (third set: redaction_holdout2.jsonl) -----------------

HOLDOUT2 = SET.with_name("redaction_holdout2.jsonl")


def _mod97(text: str) -> int:
    """The ISO 13616 remainder, written out independently of the redactor (1 means valid)."""
    s = text.replace(" ", "").upper()
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97


@pytest.mark.parametrize(("text", "value", "kind"), [
    ("Berlin office 030/12345678", "030/12345678", "PHONE"),  # German number with a slash
    ("Handy: 0664/1234567", "0664/1234567", "PHONE"),  # Austrian mobile
    ("Wien 01/5123456", "01/5123456", "PHONE"),  # one-digit area code after the trunk 0
    ("call +49 30/12345678 at 9", "+49 30/12345678", "PHONE"),
    ("Tel. +49 (0)89/1234567", "+49 (0)89/1234567", "PHONE"),
    ("Zentrale 040/30 30 30 30", "040/30 30 30 30", "PHONE"),  # the tail alone was taken
    ("My number is (089) 7654321, evenings", "(089) 7654321", "PHONE"),  # one group after (0..)
    # a long subscriber number after the slash takes no following group (the year stays)
    ("Tel 030/1234567 2025", "030/1234567", "PHONE"),
    # found after the second holdout was measured (not in any set): spaced slash, extension
    ("tel 030 / 1234567", "030 / 1234567", "PHONE"),
    ("Fax 030/1234567-89", "030/1234567-89", "PHONE"),
    # lower-case registry examples (DE89 3704 0044 0532 0130 00, GB29 NWBK 6016 1331 9268 19)
    ("iban: de89 3704 0044 0532 0130 00", "de89 3704 0044 0532 0130 00", "IBAN"),
    ("refund to gb29nwbk60161331926819 pls", "gb29nwbk60161331926819", "IBAN"),
    ("IBAN De89 3704 0044 0532 0130 00 (typed)", "De89 3704 0044 0532 0130 00", "IBAN"),
    # the case-blind pattern runs on into a short word; the IBAN ends before it
    ("send de89 3704 0044 0532 0130 00 to me", "de89 3704 0044 0532 0130 00", "IBAN"),
    ("BE68539007547034 today", "BE68539007547034", "IBAN"),
])
def test_closing_note_misses_are_found(text: str, value: str, kind: str) -> None:
    start = text.index(value)
    assert find_entities(text) == [(start, start + len(value), kind)]


@pytest.mark.parametrize("text", [
    "part no. PN 1234-5678-90", "P/N 0412-8812-34", "part number 12-3456-7890",
    "SKU 0400-1234-56", "order # 0171 2345 678", "Order no. 30-1234-5678",
    "tracking 1Z 999 AA1 01 2345 6784", "UPS tracking: 1Z 204 E38 03 9876 5432",
    "FedEx tracking 7712 3456 7890", "tracking no. JJD 0012 3456 7890", "S/N 4000-1234-5678",
    "section 1.2.3.4 of the spec", "§ 4.1.2.3 applies", "nach §4.1.2.3 BGB",
    "upgrade to version 1.0.0.1", "Version: 2.4.1.0", "built with v 4.2.1.0", "ver. 5.4.3.2",
    "Sections 1.2.3.4 and 1.2.3.5",
    # slashes that are not phones: dates, references, paths, ratios
    "12/03/2025", "valid thru 03/2027", "Ref 0042/2025", "page 012/345", "24/7",
    "path /v1/0301/123456/items", "Az. 3 O 123/24",
    # IBAN-shaped with a wrong checksum: neither an IBAN nor a phone in its tail
    "GB00 WEST 1234 5698 7654 32", "iban de00 3704 0044 0532 0130 00",
])
def test_closing_note_lookalikes_stay(text: str) -> None:
    assert find_entities(text) == []


def test_holdout2_set_is_new_and_labelled() -> None:
    rows = [json.loads(x) for x in HOLDOUT2.read_text(encoding="utf-8").splitlines()]
    earlier = {json.loads(x)["text"] for p in (SET, HOLDOUT)
               for x in p.read_text(encoding="utf-8").splitlines()}
    assert len(rows) >= 80 and sum(not r["entities"] for r in rows) >= 40
    assert not earlier & {r["text"] for r in rows}
    for r in rows:
        for e in r["entities"]:
            assert e["value"] in r["text"]


def test_precision_recall_on_holdout2() -> None:
    # Out-of-sample before the fixes (README: all types P 0.310, R 0.382; IBAN recall 0.00,
    # PHONE precision 0.28, IPV4 precision 0.35); after them every type is 1.000 / 1.000
    # (in-sample: the rules were written looking at this set). Floors leave a little room.
    df = measure(HOLDOUT2).set_index("type")
    print("\n" + df.to_string(float_format="{:.3f}".format))
    assert set(df.index) == {"IBAN", "IPV4", "PHONE"}
    assert (df.precision >= 0.95).all(), df
    assert (df.recall >= 0.95).all(), df


def test_lower_case_ibans_need_a_registry_country_and_its_length() -> None:
    # both pass mod 97 (checked independently below) yet neither is an IBAN: ZZ is no country,
    # and German IBANs have 22 characters, not 24 (a hex id that happens to start with "de")
    for fake in ("ZZ591234567890123456", "de13a1b2c3d4e5f6a7b8c9d0"):
        assert _mod97(fake) == 1
        assert find_entities(f"build {fake} ok") == []
    assert _mod97("de89370400440532013000") == 1
    assert redact("de89370400440532013000") == "<IBAN_1>"


@pytest.mark.parametrize(("text", "value", "kind"), [
    # a label word only covers the id right after it, not a phone or an address further on
    ("PN 1234-5678-90 or call 0171 2345678", "0171 2345678", "PHONE"),
    ("SKU 0400-1234-56, questions to +49 30 901820", "+49 30 901820", "PHONE"),
    ("order hotline 0800 123 4567", "0800 123 4567", "PHONE"),
    ("part-time desk: +44 20 7946 0321", "+44 20 7946 0321", "PHONE"),
    ("section 5: blocked IP 203.0.113.9", "203.0.113.9", "IPV4"),
    ("versioned host 192.0.2.44", "192.0.2.44", "IPV4"),
    ("see § 3 for 198.51.100.4", "198.51.100.4", "IPV4"),
    ("firewall rules: 10.0.0.1", "10.0.0.1", "IPV4"),
    # + and ( mark a phone number whatever the label before it
    ("questions about your order: +49 30 901820", "+49 30 901820", "PHONE"),
    ("tracking: (030) 1234 5678", "(030) 1234 5678", "PHONE"),
])
def test_context_rules_leave_neighbours_alone(text: str, value: str, kind: str) -> None:
    start = text.index(value)
    assert find_entities(text) == [(start, start + len(value), kind)]


# PII-shaped pieces glued by arbitrary text: plain st.text() almost never builds a phone or an IBAN
_PIECES = st.sampled_from([
    "ana@x.io", "+49 30 901820", "030/12345678", "(089) 7654321", "4111 1111 1111 1111",
    "DE89 3704 0044 0532 0130 00", "de89370400440532013000", "10.0.0.1", "::ffff:192.0.2.128",
    "sk_live_51HqLyjWDarjtT1zdp7dc", "Ana Silva", "PN 1234-5678-90", "section 1.2.3.4", "<EMAIL_1>",
    "<PHONE_2>", "1Z 999 AA1 01 2345 6784", "12/03/2025", "/", "-", ".", " ", "0", "7", ":", "§",
])
_PII_TEXT = st.lists(st.one_of(_PIECES, st.text(alphabet="0123456789 +-./()@:<>_abzAZ", max_size=8),
                               st.text(max_size=6)), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), _PII_TEXT))
def test_fuzz_redact_is_idempotent(text: str) -> None:
    once = redact(text, names=["Ana Silva"])
    assert redact(once, names=["Ana Silva"]) == once
