"""The `evalkit` CLI (calibrate gate, judge verify) and the label-file reader it uses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.cli import main
from evalkit.errors import UndefinedStatisticWarning
from evalkit.labels import LabelFileError, read_labels

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 400
    ids = [f"t{i:03d}" for i in range(n)]
    h = np.where(rng.random(n) < 0.6, "pass", "fail")
    pd.DataFrame({"trace_id": ids, "verdict": h}).to_csv(tmp_path / "human.csv", index=False)
    rows = []
    for judge, (tpr, tnr) in {"judge_strict": (0.97, 0.97), "judge_lenient": (0.98, 0.4)}.items():
        ok = np.where(h == "pass", rng.random(n) < tpr, rng.random(n) < tnr)
        j = np.where(ok, h, np.where(h == "pass", "fail", "pass"))
        rows += [
            {
                "trace_id": t,
                "judge": judge,
                "verdict": v,
                "score": 3,
                "judge_model": "gpt-4o-2024-08-06",
            }
            for t, v in zip(ids, j, strict=True)
        ]
    pd.DataFrame(rows).to_csv(tmp_path / "judges.csv", index=False)
    (tmp_path / "prompt.txt").write_text("Grade the answer.")
    return tmp_path


def test_gate_passes_and_fails(files: Path, capsys) -> None:
    rc = main(
        [
            "calibrate",
            str(files / "human.csv"),
            str(files / "judges.csv"),
            "--judge",
            "judge_strict",
        ]
    )
    assert rc == 0
    assert "gate passed" in capsys.readouterr().out
    rc = main(
        [
            "calibrate",
            str(files / "human.csv"),
            str(files / "judges.csv"),
            "--judge",
            "judge_lenient",
            "--min-tnr",
            "0.8",
        ]
    )
    assert rc == 1
    out = capsys.readouterr().out
    assert "TNR" in out and "gate FAILED" in out


def test_json_output_and_bound(files: Path, capsys) -> None:
    rc = main(
        [
            "calibrate",
            str(files / "human.csv"),
            str(files / "judges.csv"),
            "--judge",
            "judge_lenient",
            "--min-tnr",
            "0.35",
            "--bound",
            "point",
            "--json",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert rc == 0 and data["passed"] is True and data["bound"] == "point"
    assert data["n"] == 400
    assert set(data["metrics"]) >= {"tpr", "tnr", "kappa", "precision"}
    tnr = data["metrics"]["tnr"]
    assert tnr["ci_low"] < tnr["statistic"] < tnr["ci_high"]
    cm = data["confusion_matrix"]
    assert cm["tp"] + cm["fn"] + cm["fp"] + cm["tn"] == 400


def test_threshold_on_scores(files: Path, capsys) -> None:
    h, j = str(files / "human.csv"), str(files / "judges.csv")
    # every score is 3: with --threshold 3 the judge passes everything (TNR 0), with 4 nothing
    with pytest.warns(UndefinedStatisticWarning, match="npv is undefined"):
        assert (
            main(["calibrate", h, j, "--judge", "judge_strict", "--threshold", "3", "--json"]) == 1
        )
    assert json.loads(capsys.readouterr().out)["confusion_matrix"]["fp"] > 0
    with pytest.warns(UndefinedStatisticWarning, match="precision is undefined"):
        assert (
            main(["calibrate", h, j, "--judge", "judge_strict", "--threshold", "4", "--json"]) == 1
        )
    out = json.loads(capsys.readouterr().out)
    assert out["confusion_matrix"]["tp"] == 0 and out["metrics"]["tnr"]["statistic"] == 1.0
    (files / "plain.csv").write_text("trace_id,verdict\nt000,pass\n")
    assert (
        main(["calibrate", str(files / "plain.csv"), str(files / "plain.csv"), "--threshold", "3"])
        == 2
    )
    assert "--threshold needs a 'score' column" in capsys.readouterr().err


def test_github_step_summary(files: Path, monkeypatch, capsys) -> None:
    summary = files / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    main(
        [
            "calibrate",
            str(files / "human.csv"),
            str(files / "judges.csv"),
            "--judge",
            "judge_lenient",
        ]
    )
    text = summary.read_text()
    assert "judge calibration gate failed" in text and "| TNR |" in text


def test_usage_and_input_errors_exit_2(files: Path, capsys) -> None:
    h, j = str(files / "human.csv"), str(files / "judges.csv")
    assert main(["calibrate", h, j]) == 2  # two judges, none chosen
    assert "choose one with --judge" in capsys.readouterr().err
    assert main(["calibrate", h, str(files / "missing.csv"), "--judge", "x"]) == 2
    assert "missing.csv: file not found" in capsys.readouterr().err
    assert main(["calibrate", h, j, "--judge", "judge_x"]) == 2
    assert (
        "judge 'judge_x' not found; available: judge_lenient, judge_strict"
        in capsys.readouterr().err
    )
    assert main(["calibrate", h, j, "--judge", "judge_strict", "--min-tpr", "1.5"]) == 2
    assert "must be a number in [0, 1]" in capsys.readouterr().err
    assert main(["calibrate", h, j, "--bound", "upper"]) == 2
    assert main([]) == 2
    assert main(["calibrate", h, j, "--judge", "judge_strict", "--record", "r.json"]) == 2
    assert "--record needs --prompt-file" in capsys.readouterr().err
    # human ids missing from the judge file
    pd.DataFrame({"trace_id": ["zzz"], "verdict": ["pass"]}).to_csv(files / "h2.csv", index=False)
    assert main(["calibrate", str(files / "h2.csv"), j, "--judge", "judge_strict"]) == 2
    assert "have no judge verdict" in capsys.readouterr().err


def test_record_and_verify_drift(files: Path, capsys) -> None:
    h, j = str(files / "human.csv"), str(files / "judges.csv")
    rec, prompt = str(files / "judge.json"), str(files / "prompt.txt")
    assert (
        main(
            ["calibrate", h, j, "--judge", "judge_strict", "--record", rec, "--prompt-file", prompt]
        )
        == 0
    )
    data = json.loads(Path(rec).read_text())
    assert data["model"] == "gpt-4o-2024-08-06" and data["judge_id"] == "judge_strict"
    assert (
        main(
            ["calibrate", h, j, "--judge", "judge_strict", "--record", rec, "--prompt-file", prompt]
        )
        == 0
    )
    assert "evaluated 2 times" in capsys.readouterr().err
    assert (
        main(["judge", "verify", rec, "--prompt-file", prompt, "--model", "gpt-4o-2024-08-06"]) == 0
    )
    assert main(["judge", "verify", rec, "--prompt-file", prompt, "--model", "gpt-5"]) == 1
    assert "the model changed since calibration" in capsys.readouterr().out
    (files / "prompt2.txt").write_text("Grade the answer strictly.")
    assert (
        main(
            [
                "judge",
                "verify",
                rec,
                "--prompt-file",
                str(files / "prompt2.txt"),
                "--model",
                "gpt-4o-2024-08-06",
                "--json",
            ]
        )
        == 1
    )
    assert json.loads(capsys.readouterr().out)["problems"] == [
        "the prompt changed since calibration"
    ]
    assert (
        main(["judge", "verify", str(files / "nope.json"), "--prompt-file", prompt, "--model", "m"])
        == 2
    )
    assert main(["judge", "verify", rec, "--model", "m"]) == 2  # --prompt-file is required


def test_installed_console_script_exit_codes(files: Path) -> None:
    exe = Path(sys.executable).parent / "evalkit"  # the script of the environment under test
    assert exe.exists(), f"console script missing: {exe}"
    h, j = str(files / "human.csv"), str(files / "judges.csv")
    ok = subprocess.run(
        [str(exe), "calibrate", h, j, "--judge", "judge_strict"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    fail = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "calibrate", h, j, "--judge", "judge_lenient"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fail.returncode == 1
    bad = subprocess.run([str(exe), "calibrate", h], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "usage" in bad.stderr


# --------------------------------------------------------------------------- label files


def test_read_formats_round_trip(tmp_path: Path) -> None:
    df = pd.DataFrame({"trace_id": ["a", "b", "c"], "verdict": ["pass", "FAIL ", "pass"]})
    df.to_csv(tmp_path / "x.csv", index=False)
    df.to_parquet(tmp_path / "x.parquet")
    df.to_json(tmp_path / "x.jsonl", orient="records", lines=True)
    for ext in ("csv", "parquet", "jsonl"):
        lf = read_labels(tmp_path / f"x.{ext}")
        assert lf.kind == "simple"
        assert lf.frame["verdict"].tolist() == ["pass", "fail", "pass"]


def test_read_store_export(tmp_path: Path) -> None:
    rows = [
        ("a", "ann_alice", "verdict", "fail", "2026-01-01T10:00:00"),
        ("a", "ann_alice", "verdict", "pass", "2026-01-01T11:00:00"),  # latest wins
        ("a", "ann_alice", "note", "fine", "2026-01-01T11:00:00"),
        ("b", "ann_alice", "verdict", "defer", "2026-01-01T10:00:00"),
        ("c", "ann_alice", "verdict", "fail", "2026-01-01T10:00:00"),
    ]
    pd.DataFrame(rows, columns=["trace_id", "annotator", "field", "value", "created_at"]).to_csv(
        tmp_path / "export.csv", index=False
    )
    lf = read_labels(tmp_path / "export.csv")
    assert lf.kind == "store-export" and lf.n_deferred == 1 and lf.source == "ann_alice"
    assert lf.frame.set_index("trace_id")["verdict"].to_dict() == {"a": "pass", "c": "fail"}


@pytest.mark.parametrize("ext", ["csv", "parquet", "jsonl"])
@pytest.mark.parametrize("latest", [True, False])
def test_read_real_label_store_export(tmp_path: Path, ext: str, latest: bool, capsys) -> None:
    from evalkit.store import LabelStore

    store = LabelStore(tmp_path / "labels.sqlite")
    store.record("a", annotator="ann_alice", field="verdict", value="fail")
    store.record("a", annotator="ann_alice", field="verdict", value="pass")  # supersedes
    store.record("a", annotator="ann_alice", field="note", value="fine")
    store.record("b", annotator="ann_alice", field="verdict", value="fail")
    store.record("c", annotator="ann_alice", field="verdict", value="pass")
    store.record("c", annotator="ann_alice", field="verdict", value="fail")
    store.undo("ann_alice", trace_id="c")  # retracts the fail: back to pass
    store.record("d", annotator="ann_alice", field="verdict", value="defer")
    path = store.export(tmp_path / f"export.{ext}", latest=latest)
    store.close()
    lf = read_labels(path)
    assert lf.kind == "store-export" and lf.n_deferred == 1
    assert lf.frame.set_index("trace_id")["verdict"].to_dict() == {
        "a": "pass",
        "b": "fail",
        "c": "pass",
    }
    judge = pd.DataFrame({"trace_id": list("abcd"), "verdict": ["pass", "fail", "fail", "pass"]})
    judge.to_csv(tmp_path / "judge.csv", index=False)
    assert (
        main(
            [
                "calibrate",
                str(path),
                str(tmp_path / "judge.csv"),
                "--min-tpr",
                "0",
                "--min-tnr",
                "0",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["human"]["n_deferred"] == 1 and out["n"] == 3


def test_read_human_long_majority(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "trace_id": ["a"] * 3 + ["b"] * 3,
            "annotator": ["ann_alice", "ann_bob", "ann_carol"] * 2,
            "verdict": ["pass", "pass", "fail", "fail", "fail", "pass"],
        }
    )
    df.to_csv(tmp_path / "human.csv", index=False)
    with pytest.raises(
        LabelFileError,
        match=r"holds 3 annotators .* choose one with "
        r"--annotator or 'majority'",
    ):
        read_labels(tmp_path / "human.csv").frame  # noqa: B018 (reading it raises)
    assert len(read_labels(tmp_path / "human.csv").rows) == 6  # every row is still readable
    maj = read_labels(tmp_path / "human.csv", annotator="majority")
    assert maj.frame.set_index("trace_id")["verdict"].to_dict() == {"a": "pass", "b": "fail"}
    alice = read_labels(tmp_path / "human.csv", annotator="ann_alice")
    assert alice.frame["verdict"].tolist() == ["pass", "fail"]


def test_read_errors_name_file_line_field(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("trace_id,verdict\na,pass\nb,\n")
    with pytest.raises(LabelFileError, match=r"bad.csv:3, field 'verdict': empty value"):
        read_labels(p)
    p.write_text("trace_id,verdict\na,pass\na,fail\n")
    with pytest.raises(
        LabelFileError,
        match=r"bad.csv:3, field 'trace_id': trace_id 'a' "
        r"appears 2 times",
    ):
        read_labels(p)
    p.write_text("id,verdict\na,pass\n")
    with pytest.raises(LabelFileError, match=r"field 'trace_id': missing required column"):
        read_labels(p)
    j = tmp_path / "bad.jsonl"
    j.write_text('{"trace_id": "a", "verdict": "pass"}\n{oops\n')
    with pytest.raises(LabelFileError, match=r"bad.jsonl:2: invalid JSON"):
        read_labels(j)
    with pytest.raises(LabelFileError, match=r"unsupported file type '.txt'"):
        (tmp_path / "x.txt").write_text("hi")
        read_labels(tmp_path / "x.txt")


def test_record_and_verify_the_rubric(files: Path, capsys) -> None:
    from evalkit.judges import Rubric, load_example_rubric

    h, j = str(files / "human.csv"), str(files / "judges.csv")
    rec, prompt = str(files / "judge.json"), str(files / "prompt.txt")
    rubric = load_example_rubric("support_bot_binary")
    rubric.to_yaml(files / "rubric.yaml")
    args = ["calibrate", h, j, "--judge", "judge_strict", "--record", rec, "--prompt-file", prompt]
    assert main([*args, "--rubric", str(files / "rubric.yaml")]) == 0
    assert json.loads(Path(rec).read_text())["rubric_sha256"] == rubric.content_hash
    verify = ["judge", "verify", rec, "--prompt-file", prompt, "--model", "gpt-4o-2024-08-06"]
    assert main([*verify, "--rubric", str(files / "rubric.yaml")]) == 0
    assert main(verify) == 1  # the record holds a rubric: verifying without one fails
    # an edited rubric (a new version) is drift
    lines = (files / "rubric.yaml").read_text().splitlines(keepends=True)
    lines = ["version: 99-edited\n" if ln.startswith("version:") else ln for ln in lines]
    (files / "rubric2.yaml").write_text("".join(lines))
    assert Rubric.from_yaml(files / "rubric2.yaml").content_hash != rubric.content_hash
    capsys.readouterr()
    assert main([*verify, "--rubric", str(files / "rubric2.yaml")]) == 1
    assert "rubric" in capsys.readouterr().out
    (files / "broken.yaml").write_text("name: [unclosed\n")
    assert main([*verify, "--rubric", str(files / "broken.yaml")]) == 2
