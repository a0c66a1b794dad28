"""`evalkit gate`: exit codes, run-file formats, check label files, golden case lists, summaries."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.cli import main
from evalkit.runs import compare_runs


def _write(frame: pd.DataFrame, path: Path) -> str:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    return str(path)


@pytest.fixture()
def runs(tmp_path: Path) -> dict[str, str]:
    rng = np.random.default_rng(3)
    n = 1200
    seg = np.r_[np.repeat("common", 1000), np.repeat("rare", 200)]
    base = rng.random(n) < 0.8
    better = base | ((seg == "common") & (rng.random(n) < 0.3))
    worse = better & ~((seg == "rare") & (rng.random(n) < 0.3))
    ids = [f"case-{i}" for i in range(n)]

    def frame(v: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"case_id": ids, "segment": seg,
                             "verdict": np.where(v, "pass", "fail")})

    return {
        "base": _write(frame(base), tmp_path / "base.csv"),
        "good": _write(frame(better), tmp_path / "good.parquet"),
        "bad": _write(frame(worse), tmp_path / "bad.jsonl"),
    }


def test_exit_codes(runs: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", runs["base"], runs["good"]]) == 0
    out = capsys.readouterr().out
    assert "gate passed" in out and "common:" in out
    assert main(["gate", runs["base"], runs["bad"]]) == 1
    out = capsys.readouterr().out
    assert "gate FAILED" in out and "rare" in out.splitlines()[-1]
    # overall only: the average still improves, so the gate holds without segments
    assert main(["gate", runs["base"], runs["bad"], "--by", "none", "--bound", "point"]) == 0
    capsys.readouterr()
    assert main(["gate", runs["base"], "missing.csv"]) == 2
    err = capsys.readouterr().err
    assert "missing.csv: no such file" in err and "Traceback" not in err
    assert main(["gate", runs["base"], runs["good"], "--max-regression", "-1"]) == 2
    assert main(["gate", runs["base"], runs["good"], "--max-regression", "nan"]) == 2
    assert main(["gate", runs["base"], runs["good"], "--bound", "upper"]) == 2
    assert main(["gate", runs["base"]]) == 2


def test_json_matches_the_library(runs: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", runs["base"], runs["bad"], "--json", "--adjust", "bh",
                 "--seed", "5"]) == 1
    doc = json.loads(capsys.readouterr().out)
    lib = compare_runs(pd.read_csv(runs["base"]), pd.read_json(runs["bad"], lines=True),
                       adjust="bh", rng=5)
    assert doc["gate_passed"] is False and doc["regressions"] == list(lib.regressions)
    assert doc["delta"] == pytest.approx(lib.statistic, abs=1e-15)
    rare = next(r for r in doc["segments"] if r["segment"] == "rare")
    ref = lib.to_frame().set_index("segment").loc["rare"]
    assert rare["ci_low"] == pytest.approx(ref["ci_low"], abs=1e-14)
    assert rare["p_adjusted"] == pytest.approx(ref["p_bh"], abs=1e-14)


def test_bad_input_exits_2_with_a_typed_message(tmp_path: Path, runs: dict[str, str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    base = pd.read_csv(runs["base"])
    cases = [
        (base.iloc[:-3], "only in the candidate"),
        (pd.concat([base, base.iloc[:2]]), "duplicated case_id"),
        (base.assign(verdict="maybe"), "not in the verdict vocabulary"),
        (base.drop(columns="verdict").assign(score=0.5), "the baseline has verdicts"),
        (base.drop(columns="case_id"), "needs a 'case_id' or 'trace_id'"),
    ]
    for i, (frame, message) in enumerate(cases):
        path = _write(frame, tmp_path / f"c{i}.csv")
        assert main(["gate", runs["base"], path]) == 2, message
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text('{"case_id": 1, "verdict": "pass"}\n{not json\n')
    assert main(["gate", runs["base"], str(bad_json)]) == 2
    assert "bad.jsonl:2: not valid JSON" in capsys.readouterr().err
    odd = tmp_path / "run.xlsx"
    odd.write_text("x")
    assert main(["gate", runs["base"], str(odd)]) == 2
    assert "unknown run file type '.xlsx'" in capsys.readouterr().err


def test_unmatched_drop_reports_the_count(runs: dict[str, str], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    short = _write(pd.read_csv(runs["base"]).iloc[:-5], tmp_path / "short.csv")
    assert main(["gate", runs["base"], short, "--unmatched", "drop", "--bound", "point"]) == 0
    assert "dropped 5 case(s) only in the baseline" in capsys.readouterr().out


def test_step_summary_written_and_unwritable_warns(runs: dict[str, str], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["gate", runs["base"], runs["bad"]]) == 1
    text = summary.read_text()
    assert "release gate failed" in text and "| rare |" in text and "REGRESSED" in text
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, stat.S_IRUSR | stat.S_IXUSR)
    try:
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(locked / "sub" / "summary.md"))
        assert main(["gate", runs["base"], runs["bad"]]) == 1  # exit code kept
        assert "cannot write the job summary" in capsys.readouterr().err
    finally:
        os.chmod(locked, stat.S_IRWXU)


def test_check_label_file_is_a_candidate_run(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    outputs = ['{"a": 1}'] * 40 + ["not json"] * 10
    traces = pd.DataFrame({"trace_id": [f"t{i}" for i in range(50)], "output": outputs})
    src = _write(traces, tmp_path / "traces.csv")
    cfg = tmp_path / "checks.yaml"
    cfg.write_text("checks: [json_valid, refusal]\n")
    out = tmp_path / "checks.csv"
    assert main(["check", src, "--config", str(cfg), "--by", "none", "--out", str(out)]) == 0
    base = _write(pd.DataFrame({"trace_id": traces["trace_id"], "verdict": ["pass"] * 50}),
                  tmp_path / "base.csv")
    capsys.readouterr()
    # two checks in the file: the gate asks which one
    assert main(["gate", base, str(out)]) == 2
    assert "choose one" in capsys.readouterr().err
    assert main(["gate", base, str(out), "--judge", "check:json_valid", "--bound", "point",
                 "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["delta"] == pytest.approx(-10 / 50) and doc["n_pairs"] == 50


def test_golden_folder_is_the_case_list(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from evalkit.golden import export_golden, load_golden

    n = 60
    tr = pd.DataFrame({"trace_id": [f"t{i}" for i in range(n)], "input": ["q"] * n,
                       "output": ["a"] * n, "segment": ["x", "y"] * (n // 2)})
    lab = pd.DataFrame({"trace_id": tr["trace_id"], "verdict": ["pass"] * n})
    gold = tmp_path / "gold"
    export_golden(tr, lab, gold, redact=False)
    active = load_golden(gold)
    ids = [*list(tr["trace_id"]), "not-golden"]
    run = pd.DataFrame({"trace_id": ids, "verdict": ["pass"] * (n + 1)})
    b = _write(run, tmp_path / "b.csv")
    c = _write(run, tmp_path / "c.csv")
    assert main(["gate", b, c, "--cases", str(gold), "--json", "--bound", "point"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["n_pairs"] == len(active)
    assert doc["n_outside_cases"] == 2 * (n + 1 - len(active))
    assert {r["segment"] for r in doc["segments"]} == {"(all)", *set(active["segment"])}
    c_short = _write(run[run["trace_id"] != active["trace_id"].iloc[0]], tmp_path / "cs.csv")
    assert main(["gate", b, c_short, "--cases", str(gold)]) == 2
    assert "missing from the candidate" in capsys.readouterr().err


def test_terminal_escapes_in_segment_names_are_neutralised(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    run = pd.DataFrame({"case_id": range(4), "segment": ["\x1b[2Jwipe", "café"] * 2,
                        "verdict": ["pass"] * 4})
    path = _write(run, tmp_path / "r.parquet")
    assert main(["gate", path, path, "--bound", "point"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[2Jwipe" in out and "café" in out
