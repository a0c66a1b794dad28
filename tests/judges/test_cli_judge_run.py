"""`evalkit judge run`: exit codes 0 (done), 1 (max cost stopped it), 2 (bad input)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from evalkit.cli import main
from evalkit.judges import load_example_rubric
from evalkit.traces import load_traces


@pytest.fixture()
def setup(tmp_path: Path, data_dir: Path) -> dict[str, str]:
    (tmp_path / "judges.yaml").write_text(
        "judges:\n"
        "  strict: {provider: simulated, judge: judge_strict}\n"
        "  lenient: {provider: simulated, judge: judge_lenient, seed: 1}\n"
        "  verbose: {provider: simulated, judge: judge_verbose}\n")
    load_example_rubric("support_bot_binary").to_yaml(tmp_path / "rubric.yaml")
    return {"traces": str(data_dir / "traces" / "support.csv"),
            "rubric": str(tmp_path / "rubric.yaml"), "judges": str(tmp_path / "judges.yaml"),
            "cache": str(tmp_path / "cache.sqlite"), "dir": str(tmp_path)}


def _args(s: dict[str, str], out: str, *extra: str) -> list[str]:
    return ["judge", "run", s["traces"], "--rubric", s["rubric"], "--judges", s["judges"],
            "--out", str(Path(s["dir"]) / out), "--cache", s["cache"], "--no-progress", *extra]


def test_run_writes_verdicts_and_reuses_the_cache(setup, capsys) -> None:
    assert main(_args(setup, "v.parquet", "--json")) == 0
    first = json.loads(capsys.readouterr().out)
    v = pd.read_parquet(Path(setup["dir"]) / "v.parquet")
    n_traces = len(load_traces(setup["traces"]))
    assert first["n_traces"] == n_traces and len(v) == n_traces * 3 * 6
    assert first["n_cache_hits"] == 0 and first["cost_usd"] > 0
    assert set(v["judge"]) == {"strict", "lenient", "verbose"}
    assert main(_args(setup, "v2.csv", "--json")) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["n_calls"] == 0 and second["cost_usd"] == 0
    assert second["n_cache_hits"] == n_traces * 3
    v2 = pd.read_csv(Path(setup["dir"]) / "v2.csv", keep_default_na=False,
                     dtype={"verdict": str})
    assert v2["verdict"].tolist() == v["verdict"].tolist()


def test_max_cost_exits_1_and_a_rerun_resumes(setup, capsys) -> None:
    assert main(_args(setup, "v.jsonl", "--max-cost", "0.05", "--concurrency", "1")) == 1
    captured = capsys.readouterr()
    assert "stopped: --max-cost 0.05 USD reached" in captured.err
    v = pd.read_json(Path(setup["dir"]) / "v.jsonl", lines=True)
    assert v["error"].notna().any() and v["verdict"].notna().any()
    assert main(_args(setup, "v.jsonl")) == 0
    assert "cache hits" in capsys.readouterr().out


def test_sample_option(setup, capsys) -> None:
    assert main(_args(setup, "v.parquet", "--sample", "data_privacy=1,*=0.1", "--json")) == 0
    report = json.loads(capsys.readouterr().out)
    v = pd.read_parquet(Path(setup["dir"]) / "v.parquet")
    traces = load_traces(setup["traces"])
    n_priv = int((traces["segment"] == "data_privacy").sum())
    assert (v.drop_duplicates("trace_id")["segment"] == "data_privacy").sum() == n_priv
    assert report["n_traces"] < len(traces) and "sample_weight" in v.columns


def test_python_provider(setup, tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "my_judges.py").write_text(
        "def client(messages, **params):\n"
        "    import json\n"
        "    ids = ['grounded_policy', 'concrete_next_step', 'correct_tool_use', 'in_scope',"
        " 'concise']\n"
        "    return json.dumps({i: 'pass' for i in ids})\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "j.yaml").write_text(
        "judges:\n  mine: {provider: python, object: 'my_judges:client', model: mine-1}\n"
        "prices:\n  mine-1: [0, 0]\n")
    setup = {**setup, "judges": str(tmp_path / "j.yaml")}
    assert main(_args(setup, "v.parquet")) == 0
    v = pd.read_parquet(tmp_path / "v.parquet")
    assert set(v["verdict"]) == {"pass"} and set(v["model"]) == {"mine-1"}


@pytest.mark.parametrize(("judges_yaml", "match"), [
    ("judges:\n  a: {provider: magic}\n", "judges.a.provider must be one of"),
    ("judges:\n  a: {provider: openai}\n", "judges.a.model is missing"),
    ("judges:\n  a: {provider: simulated, judge: nobody}\n", "judges.a.judge must be one of"),
    ("judges:\n  a: {provider: python, object: nope}\n", "must be 'module:attribute'"),
    ("judges:\n  a: {provider: python, object: 'no_such_mod:x'}\n", "cannot be imported"),
    ("judges:\n  a: {provider: python, object: 'json:dumps', model: unpriced}\n",
     "no price for model 'unpriced'"),
    ("judges: [1, 2]\n", "needs a 'judges' mapping"),
    ("judges: {a: [\n", "invalid YAML"),
])
def test_bad_judges_file_exits_2(setup, tmp_path: Path, judges_yaml: str, match: str,
                                 capsys) -> None:
    (tmp_path / "bad.yaml").write_text(judges_yaml)
    assert main(_args({**setup, "judges": str(tmp_path / "bad.yaml")}, "v.parquet")) == 2
    assert match in capsys.readouterr().err


def test_usage_and_input_errors_exit_2(setup, tmp_path: Path, capsys) -> None:
    assert main(_args(setup, "v.xlsx")) == 2
    assert "--out must end in .parquet, .csv or .jsonl" in capsys.readouterr().err
    assert main(_args(setup, "v.parquet", "--sample", "lots")) == 2
    assert "--sample must be a rate" in capsys.readouterr().err
    assert main(_args({**setup, "rubric": str(tmp_path / "none.yaml")}, "v.parquet")) == 2
    assert "rubric file not found" in capsys.readouterr().err
    assert main(["judge", "run", setup["traces"]]) == 2
    assert "required" in capsys.readouterr().err
    (tmp_path / "newer.sqlite").write_bytes(b"")
    import sqlite3

    from evalkit.judges import JudgeCache
    JudgeCache(tmp_path / "newer.sqlite").close()
    with sqlite3.connect(tmp_path / "newer.sqlite") as conn:
        conn.execute("PRAGMA user_version = 7")
    assert main(_args({**setup, "cache": str(tmp_path / "newer.sqlite")}, "v.parquet")) == 2
    assert "newer evalkit" in capsys.readouterr().err


def test_fail_on_errors_exits_1(setup, tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "flaky.py").write_text(
        "def client(messages, **params):\n    raise ValueError('model is down')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "j.yaml").write_text(
        "judges:\n  f: {provider: python, object: 'flaky:client', model: f-1, price: [0, 0]}\n")
    s = {**setup, "judges": str(tmp_path / "j.yaml")}
    assert main(_args(s, "v.parquet")) == 0  # errors are rows, not a failed run...
    assert main(_args(s, "v.parquet", "--fail-on-errors")) == 1  # ...unless asked
    v = pd.read_parquet(tmp_path / "v.parquet")
    assert set(v["error"]) == {"ValueError: model is down"}
