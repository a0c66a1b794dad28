"""evalkit errors in IPython: the message plus one line of where; the full traceback on request."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from IPython.testing.globalipapp import start_ipython

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def ip() -> Any:
    shell = start_ipython()
    assert shell is not None
    return shell


def _run(ip: Any, code: str, capsys: pytest.CaptureFixture) -> list[str]:
    capsys.readouterr()
    ip.run_cell(code)
    out = capsys.readouterr()
    return [ANSI.sub("", ln) for ln in (out.out + out.err).strip().splitlines()]


def test_evalkit_error_shows_message_and_where(
    ip: Any, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bad = tmp_path / "labels.csv"
    bad.write_text("trace_id,verdict\nt1,\n")
    ip.run_cell("%xmode Context")
    lines = _run(ip, f"import evalkit\nx = 1\nevalkit.read_labels({str(bad)!r})", capsys)
    assert len(lines) <= 4, lines  # was ~60 lines of internals before the message
    assert lines[0].startswith("LabelFileError: ") and "labels.csv" in lines[0]
    assert "line 3" in lines[1] and "evalkit.read_labels(" in lines[1]
    assert "full traceback" in lines[2]
    full = _run(ip, "print(evalkit.errors.full_traceback())", capsys)
    assert any("evalkit/labels/files.py" in ln for ln in full) and len(full) > 8


def test_verbose_mode_and_other_errors_keep_the_full_traceback(
    ip: Any, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bad = tmp_path / "labels.csv"
    bad.write_text("trace_id,verdict\nt1,\n")
    ip.run_cell("%xmode Verbose")
    try:
        lines = _run(ip, f"import evalkit\nevalkit.read_labels({str(bad)!r})", capsys)
    finally:
        ip.run_cell("%xmode Context")
    assert any("files.py" in ln for ln in lines) and len(lines) > 8
    other = _run(ip, "def f():\n    return 1 / 0\nf()", capsys)
    assert any("ZeroDivisionError" in ln for ln in other) and any("f()" in ln for ln in other)
