"""The checks config loader and ``evalkit check``: typed errors, exit codes 0/1/2, summaries."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import evalkit
from evalkit.checks import CheckConfigError, load_config
from evalkit.cli import main

from .conftest import ROOT

TRACES = str(ROOT / "data" / "traces")


def write(tmp_path: Path, text: str, name: str = "checks.yaml") -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_load_config_builds_checks_and_gates(tmp_path: Path) -> None:
    (tmp_path / "answer.schema.json").write_text('{"type": "object"}')
    cfg = load_config(write(tmp_path, """
checks:
  - json_valid
  - check: json_schema
    name: answer_schema
    schema_file: answer.schema.json
  - check: tool_not_called
    tool: issue_refund
    segments: [legal_threats]
  - {check: budget, latency_ms: 8000, by_segment: {outage: {latency_ms: 4000}}}
gate: ["json_valid>=0.5"]
"""))
    assert [c.name for c in cfg.checks] == ["json_valid", "answer_schema",
                                            "tool_not_called:issue_refund", "budget"]
    assert cfg.gate == ("json_valid>=0.5",)
    assert cfg.checks[1].params["schema"] == {"type": "object"}


@pytest.mark.parametrize(("config", "match"), [
    ({"checks": ["jsn_valid"]}, r"checks\[0\]: unknown check 'jsn_valid'; known checks: \["),
    ({"checks": [{"check": "regex", "patern": "x"}]},
     r"checks\[0\] \(regex\): unknown options \['patern'\]; allowed: \[.*'pattern'"),
    ({"checks": [{"check": "regex"}]}, r"missing required options \['pattern'\]"),
    ({"checks": [{"check": "tool_called"}]}, r"missing required options \['tool'\]"),
    ({"checks": [{"check": "json_schema", "schema": {"type": 1}}]}, "schema does not compile"),
    ({"checks": [{"check": "regex", "pattern": r"(a)\1"}]}, "not a valid RE2 regex"),
    ({"checks": [{"check": "budget", "latency_ms": "fast"}]}, "must be a positive number"),
    ({"checks": [{"name": "x"}]}, "a mapping with a 'check' key"),
    ({"checks": ["json_valid", "json_valid"]}, r"names \['json_valid'\] appear more than once"),
    ({"checks": []}, "'checks' must be a non-empty list"),
    ({"checks": ["json_valid"], "extra": 1}, r"unknown keys \['extra'\]"),
    ({"checks": ["json_valid"], "gate": ["json_valid=1"]}, "gate: gate 'json_valid=1' must look"),
    ({"checks": ["json_valid"], "gate": [3]}, "'gate' must be a list of conditions"),
    ({"checks": [{"check": "json_valid", "schema_file": "x.json"}]},
     "'schema_file' is only for json_schema"),
])
def test_config_errors_are_typed_and_name_the_entry(config: dict, match: str) -> None:
    with pytest.raises(CheckConfigError, match=match):
        load_config(config)


def test_config_file_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckConfigError, match="checks config not found"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(CheckConfigError, match="not valid YAML/JSON"):
        load_config(write(tmp_path, "checks: [json_valid\n"))
    with pytest.raises(CheckConfigError, match="must be a mapping with a 'checks' list"):
        load_config(write(tmp_path, "- json_valid\n"))
    with pytest.raises(CheckConfigError, match=r"schema_file .* not found"):
        load_config(write(tmp_path, "checks: [{check: json_schema, schema_file: no.json}]\n"))
    assert [c.name for c in load_config(write(tmp_path, '{"checks": ["json_valid"]}',
                                              "c.json")).checks] == ["json_valid"]


CONFIG = """
checks:
  - tool_args_valid
  - check: no_invented_ids
    keys: [email, invoice_id, region]
  - check: budget
    latency_ms: 20000
"""


def test_cli_exit_codes_and_step_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path, CONFIG)
    step = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    assert main(["check", TRACES, "--config", cfg]) == 0  # no gate: report only
    assert main(["check", TRACES, "--config", cfg, "--gate", "budget>=0.95"]) == 0
    # the 40 planted invented ids among ~160 traces with id arguments: pass rate ~0.75 < 0.9
    assert main(["check", TRACES, "--config", cfg, "--gate", "no_invented_ids>=0.9"]) == 1
    out = capsys.readouterr().out
    assert "gate FAILED" in out and "no_invented_ids" in out
    text = step.read_text()
    assert "| budget |" in text and "check gate failed" in text
    assert main(["check", TRACES, "--config", cfg, "--gate", "nope>=0.9"]) == 2
    assert main(["check", TRACES, "--config", cfg, "--gate", "budget=1"]) == 2
    assert main(["check", TRACES, "--config", write(tmp_path, "checks: [jsn]", "bad.yaml")]) == 2
    assert main(["check", str(tmp_path / "nothing"), "--config", cfg]) == 2
    assert main(["check", TRACES]) == 2  # --config is required
    err = capsys.readouterr().err
    assert "unknown check 'jsn'" in err and "names check 'nope'" in err


def test_cli_json_and_out_feed_evalkit_calibrate(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write(tmp_path, CONFIG)
    out = tmp_path / "checks.csv"
    code = main(["check", TRACES, "--config", cfg, "--json", "--gate", "budget>=0.9",
                 "--out", str(out), "--na-as", "pass"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is True and data["n_traces"] == 600
    budget = next(c for c in data["checks"] if c["check"] == "budget")
    assert (budget["n_fail"], budget["n_na"]) == (12, 110)
    assert {r["segment"] for r in data["by_segment"]} >= {"billing", "legal_threats"}
    written = pd.read_csv(out)
    assert list(written.columns) == ["trace_id", "judge", "verdict", "segment", "note",
                                     "source"]
    assert len(written) == 3 * 600
    # the segment of each row is the trace's (oracle: the trace file itself)
    segs = evalkit.load_traces(TRACES).set_index("trace_id")["segment"].astype(str)
    assert (written["segment"] == written["trace_id"].map(segs)).all()
    human = ROOT / "data" / "labels" / "human.csv"
    assert main(["calibrate", str(human), str(out), "--annotator", "majority",
                 "--judge", "check:no_invented_ids", "--min-tpr", "0.9", "--min-tnr", "0"]) == 0


def test_cli_out_guards_csv_formulas(tmp_path: Path) -> None:
    traces = pd.DataFrame({"trace_id": ["=cmd|' /C calc'!A0"], "output": ["x"]})
    src = tmp_path / "t.csv"
    traces.to_csv(src, index=False)
    cfg = write(tmp_path, "checks: [json_valid]")
    out = tmp_path / "o.csv"
    assert main(["check", str(src), "--config", cfg, "--by", "none", "--out", str(out)]) == 0
    assert pd.read_csv(out)["trace_id"].tolist() == ["'=cmd|' /C calc'!A0"]
