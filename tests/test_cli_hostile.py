"""CLI exit codes and output on hostile input (issue 12 items 19-22) and a CLI fuzz target.

Exit codes are the contract: 0 the gate holds, 1 the gate fails, 2 bad input or usage. Bad input
never shows a traceback, ``--json`` output is always valid JSON (RFC 8259: no NaN).
"""

from __future__ import annotations

import json
import math
import string
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.cli import main


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"not valid JSON: {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    n = 200
    ids = [f"t{i:03d}" for i in range(n)]
    human = np.where(rng.random(n) < 0.6, "pass", "fail")
    judge = np.where(rng.random(n) < 0.95, human, np.where(human == "pass", "fail", "pass"))
    pd.DataFrame({"trace_id": ids, "verdict": human}).to_csv(tmp_path / "human.csv", index=False)
    pd.DataFrame({"trace_id": ids, "verdict": judge}).to_csv(tmp_path / "judge.csv", index=False)
    # every human label says pass: TNR is undefined (no negatives)
    pd.DataFrame({"trace_id": ids, "verdict": "pass"}).to_csv(tmp_path / "allpass.csv", index=False)
    (tmp_path / "prompt.txt").write_text("Grade the answer.")
    return tmp_path


def test_deeply_nested_record_exits_2_without_traceback(files: Path, capsys: Any) -> None:
    rec = files / "record.json"
    rec.write_text("[" * 100_000 + "]" * 100_000)
    argv = ["judge", "verify", str(rec), "--prompt-file", str(files / "prompt.txt")]
    assert main([*argv, "--model", "m"]) == 2
    err = capsys.readouterr().err
    assert "record.json" in err and "Traceback" not in err


def test_json_output_never_holds_nan(files: Path, capsys: Any) -> None:
    rc = main(["calibrate", str(files / "allpass.csv"), str(files / "judge.csv"), "--json"])
    out = capsys.readouterr().out
    doc = _strict_json(out)  # raises on NaN / Infinity
    assert rc in (0, 1)
    assert doc["metrics"]["tnr"]["statistic"] is None  # undefined: no human fails
    values = [c["value"] for c in doc["checks"]]
    assert any(v is None for v in values)
    assert all(v is None or math.isfinite(v) for v in values)


@pytest.mark.parametrize("which", ["human", "judge"])
def test_header_only_label_file_exits_2(files: Path, capsys: Any, which: str) -> None:
    (files / "empty.csv").write_text("trace_id,verdict\n")
    args = {"human": str(files / "human.csv"), "judge": str(files / "judge.csv")}
    args[which] = str(files / "empty.csv")
    assert main(["calibrate", args["human"], args["judge"]]) == 2
    err = capsys.readouterr().err
    assert "empty.csv" in err and "no labels" in err


def test_no_shared_trace_ids_exits_2(files: Path, capsys: Any) -> None:
    pd.DataFrame({"trace_id": ["x1", "x2"], "verdict": ["pass", "fail"]}).to_csv(
        files / "other.csv", index=False
    )
    assert main(["calibrate", str(files / "human.csv"), str(files / "other.csv")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_step_summary_pointing_to_a_folder_warns_and_keeps_the_verdict(
    files: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    (files / "summary_dir").mkdir()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(files / "summary_dir"))
    assert main(["calibrate", str(files / "human.csv"), str(files / "judge.csv")]) == 0
    captured = capsys.readouterr()
    assert "gate passed" in captured.out
    assert "warning" in captured.err and "GITHUB_STEP_SUMMARY" in captured.err


# --------------------------------------------------------------------------- fuzz

_CELLS = st.sampled_from(
    ["pass", "fail", "PASS", "defer", "", "nan", "1e999", "-1", "\u202e", '"', "a\x00b", "=1+1"]
) | st.text(string.printable, max_size=6)
_HEADERS = st.lists(
    st.sampled_from(["trace_id", "verdict", "score", "annotator", "judge", "value", "field", "x"]),
    min_size=1,
    max_size=4,
    unique=True,
)


@st.composite
def _label_file(draw: Any) -> str:
    header = draw(_HEADERS)
    rows = draw(st.lists(st.lists(_CELLS, min_size=len(header), max_size=len(header)), max_size=6))
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


_FLAGS = st.lists(
    st.sampled_from(
        [
            ["--json"],
            ["--bound", "point"],
            ["--min-tpr", "0.5"],
            ["--min-tnr", "nan"],
            ["--threshold", "0.5"],
            ["--threshold", "nan"],
            ["--annotator", "majority"],
            ["--judge", "j"],
            ["--positive", "PASS"],
            ["--method", "jeffreys"],
            ["--confidence-level", "1"],
            ["--bogus"],
        ]
    ),
    max_size=3,
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    human=_label_file(),
    judge=_label_file() | st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    flags=_FLAGS,
    suffix=st.sampled_from([".csv", ".jsonl", ".parquet", ".txt"]),
)
def test_cli_fuzz_exit_codes_and_no_traceback(
    tmp_path: Path, capsys: Any, human: str, judge: str, flags: list[list[str]], suffix: str
) -> None:
    h, j = tmp_path / "h.csv", tmp_path / f"j{suffix}"
    h.write_text(human, encoding="utf-8")
    j.write_text(judge, encoding="utf-8")
    argv = ["calibrate", str(h), str(j), *[x for f in flags for x in f]]
    rc = main(argv)
    captured = capsys.readouterr()
    assert rc in (0, 1, 2)
    assert "Traceback" not in captured.err
    if "--json" in argv and rc in (0, 1):
        _strict_json(captured.out)


@settings(max_examples=40, deadline=None)
@given(argv=st.lists(st.text(string.printable, max_size=8) | st.sampled_from(
    ["calibrate", "judge", "verify", "--json", "--help", "-h", "--model", "--prompt-file"]
), max_size=5))  # fmt: skip
def test_cli_fuzz_random_argv(argv: list[str]) -> None:
    rc = main(argv)
    assert rc in (0, 1, 2)
    assert sys.getrecursionlimit() >= 1000  # the CLI must not leave a lowered limit behind
