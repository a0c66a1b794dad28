"""Checks as the candidate run of ``evalkit gate``: ``evalkit check --out`` files pipe into it.

Needs ``evalkit gate`` (issue 14, branch i14a): this test passes once both branches are merged.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evalkit.cli import main

from .conftest import ROOT

TRACES = str(ROOT / "data" / "traces")


def _config(tmp_path: Path, latency_ms: int, name: str) -> str:
    p = tmp_path / name
    p.write_text(f"checks:\n  - {{check: budget, latency_ms: {latency_ms}}}\n  - json_valid\n",
                 encoding="utf-8")
    return str(p)


def test_check_out_files_are_gate_runs(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    base, same, slow = (tmp_path / f"{n}.csv" for n in ("base", "same", "slow"))
    assert main(["check", TRACES, "--config", _config(tmp_path, 8000, "a.yaml"),
                 "--out", str(base)]) == 0
    assert main(["check", TRACES, "--config", _config(tmp_path, 8000, "b.yaml"),
                 "--out", str(same)]) == 0
    # a release whose latency budget is missed far more often: 3 s instead of 8 s
    assert main(["check", TRACES, "--config", _config(tmp_path, 3000, "c.yaml"),
                 "--out", str(slow)]) == 0
    capsys.readouterr()
    written = pd.read_csv(base)
    assert {"trace_id", "verdict", "segment", "judge"} <= set(written.columns)

    # --bound point: with the default lower bound, segments of 16-120 traces cannot show that
    # even identical runs stay within 0.03 (the interval is wider), and the gate fails
    gate = ["--judge", "check:budget", "--bound", "point"]
    assert main(["gate", str(base), str(same), *gate]) == 0
    assert "gate passed" in capsys.readouterr().out
    assert main(["gate", str(base), str(slow), *gate]) == 1
    out = capsys.readouterr().out
    assert "gate FAILED" in out
    # per segment: the segment column of the check files reached the gate (oracle: the traces)
    segs = set(written["segment"])
    assert sum(f"  {s}: n=" in out for s in segs) == len(segs)
    # the file holds two checks: without --judge the gate asks which one (usage error)
    assert main(["gate", str(base), str(slow)]) == 2
