"""``evalkit golden export|verify|rotate|status``: outputs and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.cli import main

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    out = tmp_path / "g"
    assert main(["golden", "export", str(DATA / "traces"), str(DATA / "labels/human.csv"),
                 str(out), "--seed", "3"]) == 0
    return out


def test_export_verify_ok(gold: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["golden", "verify", str(gold), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and sum(out["counts"].values()) == 240


def test_verify_exit_1_on_tampering(gold: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = gold / "cases.jsonl"
    f.write_text(f.read_text().replace('"pass"', '"fail"', 1))
    assert main(["golden", "verify", str(gold)]) == 1
    assert "TAMPERED" in capsys.readouterr().out


def test_verify_exit_2_on_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["golden", "verify", str(tmp_path)]) == 2
    assert "no manifest.json" in capsys.readouterr().err
    (tmp_path / "manifest.json").write_text("{not json")
    assert main(["golden", "verify", str(tmp_path)]) == 2
    assert main(["golden", "verify"]) == 2  # usage


def test_export_refuses_foreign_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x/keep.txt").write_text("k")
    rc = main(["golden", "export", str(DATA / "traces"), str(DATA / "labels/human.csv"),
               str(tmp_path / "x")])
    assert rc == 2 and "not a golden set" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["keep.txt"]


def test_rotate_and_status(gold: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["golden", "rotate", str(gold), "--fraction", "0.2", "--seed", "1",
                 "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["graduated"] == rec["sealed"] > 0
    assert main(["golden", "status", str(gold), "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["last_rotated"] == rec["time"] and st["stale"] is False
    assert main(["golden", "status", str(gold), "--max-age-days", "-1"]) == 1
    assert "stale" in capsys.readouterr().err
    assert main(["golden", "rotate", str(gold), "--fraction", "2"]) == 2


def test_export_options(tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("Lucas Novak\n")
    refs = tmp_path / "refs.csv"
    human = (DATA / "labels/human.csv").read_text().splitlines()[1].split(",")[0]
    refs.write_text(f"trace_id,text,quality,author\n{human},Good answer,high,lead\n")
    out = tmp_path / "g"
    assert main(["golden", "export", str(DATA / "traces"), str(DATA / "labels/human.csv"),
                 str(out), "--names", str(names), "--references", str(refs),
                 "--stratify", "none"]) == 0
    m = json.loads((out / "manifest.json").read_text())
    assert m["redaction"]["redactor"] == "evalkit.redact (with names)"
    assert m["holdout"]["stratify"] is None
    assert '"Good answer"' in (out / "cases.jsonl").read_text()
    raw = tmp_path / "raw"
    assert main(["golden", "export", str(DATA / "traces"), str(DATA / "labels/human.csv"),
                 str(raw), "--no-redact"]) == 0
    assert "@pinecrest.org" in (raw / "cases.jsonl").read_text()
