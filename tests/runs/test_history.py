"""RunHistory: append-only SQLite record, typed errors, counts-in = rows-in, drift oracles, CLI."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from evalkit.cli import main
from evalkit.errors import EvalkitError
from evalkit.runs import (
    DuplicateCaseError,
    EmptySegmentError,
    HistoryError,
    HistoryVersionError,
    RunHistory,
    RunInputError,
    VerdictMismatchError,
)
from evalkit.runs._history import SCHEMA_VERSION


def _run(values: list[int], segments: list[str], ids: list[str] | None = None) -> pd.DataFrame:
    ids = ids or [f"c{i}" for i in range(len(values))]
    return pd.DataFrame({"case_id": ids, "segment": segments,
                         "verdict": ["pass" if v else "fail" for v in values]})


def _meta(i: int = 0) -> dict[str, str]:
    return {"model": "m", "prompt_hash": "p", "eval_set_version": "v1",
            "at": f"2025-01-{i + 1:02d}"}


@pytest.fixture
def hist(tmp_path: Path) -> RunHistory:
    return RunHistory(tmp_path / "h.db")


# ------------------------------------------------------------------ storage
def test_add_and_frame_round_trip(hist: RunHistory) -> None:
    rid = hist.add(_run([1, 1, 0, 1], ["a", "a", "b", "b"]), **_meta(), run_id="r1")
    assert rid == "r1"
    f = hist.frame()
    assert f["segment"].tolist() == ["a", "b"]
    assert f["n"].tolist() == [2, 2]
    assert f["statistic"].tolist() == [1.0, 0.5]
    # Wilson for 1/2 at 95%: centre (0.5 + z^2/4)/(1 + z^2/2) = 0.5, so symmetric about 0.5
    assert f["ci_low"].iloc[1] + f["ci_high"].iloc[1] == pytest.approx(1.0, abs=1e-12)
    assert hist.cases("r1")["value"].tolist() == [1.0, 1.0, 0.0, 1.0]
    assert len(hist) == 1
    assert str(f["at"].iloc[0]) == "2025-01-01 00:00:00+00:00"


def test_rows_in_equals_counts_in(hist: RunHistory, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    seg = rng.choice(["a", "b", "c"], 500)
    ok = rng.random(500) < 0.8
    hist.add(_run(ok.astype(int).tolist(), seg.tolist()), **_meta(), run_id="rows")
    counts = pd.DataFrame({"segment": ["a", "b", "c"],
                           "n": [int((seg == s).sum()) for s in "abc"],
                           "passes": [int(ok[seg == s].sum()) for s in "abc"]})
    other = RunHistory(tmp_path / "h2.db")
    other.add(counts, **_meta(), run_id="rows")
    cols = ["segment", "n", "statistic", "ci_low", "ci_high"]
    a, b = hist.frame()[cols], other.frame()[cols]
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=0, atol=1e-12)


def test_triggers_refuse_update_and_delete(hist: RunHistory) -> None:
    hist.add(_run([1, 0], ["a", "a"]), **_meta(), run_id="r1")
    with sqlite3.connect(hist.path) as conn:
        for sql in ("UPDATE runs SET model = 'x'", "DELETE FROM runs",
                    "UPDATE segments SET n = 9", "DELETE FROM segments",
                    "UPDATE cases SET value = 0", "DELETE FROM cases",
                    "UPDATE meta SET value = 'x'"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)


def test_newer_file_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    RunHistory(path).add(_run([1], ["a"]), **_meta(), run_id="r1")
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryVersionError, match=r"newer evalkit.*version 2"):
        RunHistory(path)
    assert main(["history", "show", str(path)]) == 2


def test_foreign_and_non_sqlite_files(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("hello")
    with pytest.raises(HistoryError, match="not an SQLite database"):
        RunHistory(text)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(HistoryError, match=r"not an evalkit run history.*\['t'\]"):
        RunHistory(foreign)
    with pytest.raises(HistoryError, match="is a directory"):
        RunHistory(tmp_path)
    with pytest.raises(HistoryError, match="does not exist"):
        RunHistory(tmp_path / "no" / "h.db").add(_run([1], ["a"]), **_meta())


def test_bad_runs_are_typed_errors(hist: RunHistory) -> None:
    with pytest.raises(DuplicateCaseError, match=r"duplicate case ids \['c'\]"):
        hist.add(_run([1, 0], ["a", "a"], ids=["c", "c"]), **_meta())
    with pytest.raises(VerdictMismatchError, match=r"row 1.*\['maybe'\]"):
        hist.add(pd.DataFrame({"case_id": ["a", "b"], "verdict": ["pass", "maybe"],
                               "segment": ["x", "x"]}), **_meta())
    with pytest.raises(EmptySegmentError, match="empty segments"):
        hist.add(pd.DataFrame({"segment": ["a"], "n": [0], "passes": [0]}), **_meta())
    with pytest.raises(EmptySegmentError, match="no rows"):
        hist.add(_run([], []), **_meta())
    with pytest.raises(RunInputError, match="`model` must be a non-empty string; got ''"):
        hist.add(_run([1], ["a"]), **{**_meta(), "model": ""})
    with pytest.raises(RunInputError, match="`at` must be a date/time"):
        hist.add(_run([1], ["a"]), **{**_meta(), "at": "not a date"})
    with pytest.raises(RunInputError, match="no column 'segment'"):
        hist.add(pd.DataFrame({"case_id": ["a"], "verdict": ["pass"]}), **_meta())
    with pytest.raises(RunInputError, match=r"'passes' must be a whole number in \[0, n\]"):
        hist.add(pd.DataFrame({"segment": ["a"], "n": [3], "passes": [4]}), **_meta())
    hist.add(_run([1], ["a"]), **_meta(), run_id="r1")
    with pytest.raises(HistoryError, match="'r1' is already in"):
        hist.add(_run([1], ["a"]), **_meta(), run_id="r1")
    assert len(hist) == 1  # nothing half-written by the failures


def test_empty_history_reads_empty(hist: RunHistory) -> None:
    assert hist.frame().empty and hist.runs().empty
    assert not hist.drift().drifted


# ------------------------------------------------------------------ drift oracles
def test_paired_drift_matches_statsmodels_mcnemar(hist: RunHistory) -> None:
    # 40 cases; run 2 breaks 9 cases and fixes 1 (b = 9, c = 1)
    first = [1] * 30 + [0] * 10
    second = [0] * 9 + [1] * 21 + [1] + [0] * 9
    segs = ["a"] * 40
    hist.add(_run(first, segs), **_meta(0), run_id="r1")
    hist.add(_run(second, segs), **_meta(1), run_id="r2")
    d = hist.drift(adjust="none")
    row = d.table[d.table["segment"].isna()].iloc[0]
    expected = mcnemar(np.array([[21, 9], [1, 9]]), exact=True).pvalue
    assert row["p_value"] == pytest.approx(expected, rel=1e-12)
    assert row["delta"] == pytest.approx((1 - 9) / 40, abs=1e-15)
    assert row["method"] == "mcnemar-exact"
    assert d.drifted  # p = 2 * 11/1024 = 0.0215 < 0.05


def test_unpaired_drift_matches_statsmodels(hist: RunHistory) -> None:
    hist.add(pd.DataFrame({"segment": ["a"], "n": [200], "passes": [182]}), **_meta(0),
             run_id="r1")
    hist.add(pd.DataFrame({"segment": ["a"], "n": [180], "passes": [150]}), **_meta(1),
             run_id="r2")
    t = hist.drift(adjust="none").table
    row = t[t["segment"] == "a"].iloc[0]
    _, p = proportions_ztest([150, 182], [180, 200])
    lo, hi = confint_proportions_2indep(150, 180, 182, 200, method="newcomb")
    assert row["p_value"] == pytest.approx(p, rel=1e-10)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), abs=1e-10)
    assert row["method"] == "two-proportion-z"


def test_drift_compares_only_within_eval_set_version_and_holm(hist: RunHistory) -> None:
    base = _run([1] * 50, ["a"] * 50)
    bad = _run([0] * 20 + [1] * 30, ["a"] * 50)
    hist.add(base, **_meta(0), run_id="r1")
    hist.add(bad, **{**_meta(1), "eval_set_version": "v2"}, run_id="r2")  # other version
    hist.add(base, **_meta(2), run_id="r3")
    t = hist.drift().table
    assert set(zip(t["from_run"], t["to_run"], strict=True)) == {("r1", "r3")}
    hist.add(bad, **_meta(3), run_id="r4")
    d = hist.drift(eval_set_version="v1")
    # Holm over 4 tests (two pairs x overall + segment a): smallest p times 4
    p = d.table["p_value"].to_numpy()
    assert d.table["p_adjusted"].min() == pytest.approx(min(1.0, 4 * p.min()), rel=1e-12)
    assert d.flagged["to_run"].unique().tolist() == ["r4"]
    assert d.statistic == pytest.approx(-0.4)
    with pytest.raises(RunInputError, match=r"'v9' is not in the history; known versions"):
        hist.drift(eval_set_version="v9")
    with pytest.raises(RunInputError, match="`adjust` must be one of"):
        hist.drift(adjust="bonferroni")  # type: ignore[arg-type]


def test_paired_drift_counts_unmatched_cases(hist: RunHistory) -> None:
    hist.add(_run([1, 1, 1], ["a"] * 3, ids=["x", "y", "z"]), **_meta(0), run_id="r1")
    hist.add(_run([1, 1, 1], ["a"] * 3, ids=["x", "y", "w"]), **_meta(1), run_id="r2")
    row = hist.drift().table.iloc[0]
    assert (row["n_from"], row["n_unmatched"]) == (2, 2)  # z and w are not unchanged cases


def test_segment_missing_in_one_run_is_reported(hist: RunHistory) -> None:
    hist.add(pd.DataFrame({"segment": ["a", "b"], "n": [10, 10], "passes": [9, 9]}),
             **_meta(0), run_id="r1")
    hist.add(pd.DataFrame({"segment": ["a"], "n": [10], "passes": [9]}), **_meta(1),
             run_id="r2")
    t = hist.drift().table
    row = t[t["segment"] == "b"].iloc[0]
    assert row["method"] == "segment-missing" and np.isnan(row["p_value"])


def test_score_runs_paired_t(hist: RunHistory) -> None:
    from scipy import stats

    rng = np.random.default_rng(0)
    a = rng.random(30)
    b = a - 0.1 + rng.normal(0, 0.05, 30)
    ids = [f"c{i}" for i in range(30)]
    hist.add(pd.DataFrame({"case_id": ids, "score": a, "segment": "s"}), **_meta(0))
    hist.add(pd.DataFrame({"case_id": ids, "score": b, "segment": "s"}), **_meta(1))
    row = hist.drift(adjust="none").table.iloc[0]
    assert row["p_value"] == pytest.approx(stats.ttest_rel(b, a).pvalue, rel=1e-10)
    assert row["method"] == "paired-t"


def test_result_html_escapes_and_plots(hist: RunHistory) -> None:
    evil = "<img src=x onerror=alert(1)>"
    hist.add(_run([1] * 20, [evil] * 20), **_meta(0))
    hist.add(_run([0] * 20, [evil] * 20), **_meta(1))
    d = hist.drift()
    assert d.drifted and evil not in d._repr_html_() and "&lt;img" in d._repr_html_()
    assert evil not in hist._repr_html_()
    for fig in (hist.plot(), d.plot()):
        assert evil not in fig.to_json()
    assert d.to_frame().equals(d.table)


# ------------------------------------------------------------------ CLI
def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "h.db"
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    _run([1] * 40, ["a"] * 40).to_csv(good, index=False)
    _run([0] * 15 + [1] * 25, ["a"] * 40).to_csv(bad, index=False)
    meta = ["--model", "m", "--prompt-hash", "p", "--eval-set-version", "v1"]
    assert main(["history", "add", str(db), str(good), *meta, "--at", "2025-01-01"]) == 0
    assert main(["history", "add", str(db), str(good), *meta, "--at", "2025-01-02"]) == 0
    assert main(["history", "drift", str(db)]) == 0
    assert main(["history", "add", str(db), str(bad), *meta, "--at", "2025-01-03",
                 "--run-id", "r3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {"run_id": "r3"}
    assert main(["history", "drift", str(db), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["drifted"] is True
    assert main(["history", "show", str(db), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3
    # bad input: exit 2
    assert main(["history", "drift", str(tmp_path / "missing.db")]) == 2
    assert main(["history", "add", str(db), str(tmp_path / "none.csv"), *meta]) == 2
    (tmp_path / "x.txt").write_text("a")
    assert main(["history", "add", str(db), str(tmp_path / "x.txt"), *meta]) == 2
    assert main(["history", "add", str(db), str(good), *meta, "--run-id", "r3"]) == 2
    assert main(["history", "drift", str(db), "--eval-set-version", "v9"]) == 2
    assert "v9" in capsys.readouterr().err


# ------------------------------------------------------------------ fuzz
_text = st.text(string.printable + "é<>&", max_size=6)
_cell = st.one_of(st.none(), _text, st.integers(-2, 3), st.floats(allow_nan=True),
                  st.booleans())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.fixed_dictionaries(
    {"case_id": _cell, "verdict": _cell, "segment": _cell, "n": _cell, "passes": _cell}),
    max_size=5), drop=st.sets(st.sampled_from(["case_id", "verdict", "segment", "n", "passes"])),
    at=st.one_of(st.none(), _text))
def test_fuzz_add_only_raises_evalkit_errors(tmp_path: Path, rows: list[dict[str, object]],
                                             drop: set[str], at: str | None) -> None:
    df = pd.DataFrame(rows, columns=["case_id", "verdict", "segment", "n", "passes"])
    df = df.drop(columns=sorted(drop))
    h = RunHistory(tmp_path / "fuzz.db")
    with contextlib.suppress(EvalkitError):
        h.add(df, model="m", prompt_hash="p", eval_set_version="v", at=at)
        h.frame()
        h.drift()


def test_latest_compares_only_the_newest_run(hist: RunHistory, tmp_path: Path) -> None:
    good, bad = _run([1] * 40, ["a"] * 40), _run([0] * 15 + [1] * 25, ["a"] * 40)
    for i, run in enumerate((good, bad, bad)):
        hist.add(run, **_meta(i), run_id=f"r{i}")
    assert hist.drift().drifted  # r0 -> r1 dropped
    latest = hist.drift(latest=True)
    assert set(latest.table["to_run"]) == {"r2"} and not latest.drifted
    assert "drifted=False" in repr(latest)
    assert main(["history", "drift", str(hist.path)]) == 1
    assert main(["history", "drift", str(hist.path), "--latest"]) == 0


def test_cli_add_counts_file(tmp_path: Path) -> None:
    counts = tmp_path / "counts.csv"
    counts.write_text("segment,n,passes\nbilling,200,182\nrefunds,40,36\n")
    db = tmp_path / "h.db"
    assert main(["history", "add", str(db), str(counts), "--model", "m", "--prompt-hash", "p",
                 "--eval-set-version", "v1"]) == 0
    f = RunHistory(db).frame()
    assert f["n"].tolist() == [200, 40] and f["statistic"].tolist() == [0.91, 0.9]
    assert not RunHistory(db).runs()["has_cases"].iloc[0]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(string.printable + "é", max_size=80),
       suffix=st.sampled_from([".csv", ".jsonl", ".parquet", ".txt"]),
       sub=st.sampled_from(["add", "show", "drift"]))
def test_fuzz_cli_exits_0_1_or_2(tmp_path: Path, body: str, suffix: str, sub: str) -> None:
    run = tmp_path / f"run{suffix}"
    run.write_text(body, encoding="utf-8")
    db = tmp_path / "cli.db"
    args = (["history", "add", str(db), str(run), "--model", "m", "--prompt-hash", "p",
             "--eval-set-version", "v"] if sub == "add" else ["history", sub, str(db)])
    assert main(args) in (0, 1, 2)
