"""A JSON Lines piece that starts with ``null`` never reaches pyarrow's JSON reader.

pyarrow 26's ``read_json`` crashes the process (SIGSEGV) when the first record of its input is
``null``. The vectorised readers cut files into pieces at line ends, so a ``null`` line that
opens a piece (or a whole file of ``null``) used to kill the Python process, a Jupyter kernel
with it. Each case runs in a subprocess, so that a crash fails the test instead of the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.traces import _fast_pieces

_LOAD = """
import sys, warnings
warnings.simplefilter("ignore")
from evalkit.traces import _fast_pieces, load_traces
for path, fmt, piece in zip(sys.argv[1::3], sys.argv[2::3], sys.argv[3::3]):
    _fast_pieces.PIECE = int(piece)
    df, errors = load_traces(path, format=fmt, errors="collect")
    print(len(df), len(errors), flush=True)
"""


def _chat_line(i: int) -> str:
    messages = [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]
    return json.dumps({"messages": messages})


CASES = [
    # a null line that opens the second piece of a chat file (pieces of 64 bytes)
    ("chat.jsonl", "openai", "\n".join([_chat_line(0), "null", _chat_line(1)]) + "\n"),
    ("null.jsonl", "otel_genai", "null\n"),
    ("null.json", "otel_genai", "null"),
    ("spaced.jsonl", "otel_genai", "  null\n"),
]


def test_a_piece_opening_with_null_is_reported_not_a_crash(tmp_path: Path) -> None:
    args = []
    for name, fmt, text in CASES:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        args += [str(path), fmt, str(64 if fmt == "openai" else 1 << 24)]
    # one subprocess for every case: a crash (SIGSEGV) fails the test instead of the run
    done = subprocess.run(
        [sys.executable, "-c", _LOAD, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answers = done.stdout.splitlines()
    assert len(answers) == len(CASES)
    for answer in answers:
        _, errors = (int(v) for v in answer.split())
        assert errors >= 1  # the null line is a TraceError naming its line


def test_parse_refuses_a_piece_that_does_not_open_with_an_object() -> None:
    for piece in (b"null\n", b" null", b"\n{}\n", b"[1]\n"):
        with pytest.raises(ValueError, match="one JSON object per line"):
            _fast_pieces.parse(piece)
    assert _fast_pieces.parse(b'{"a": 1}\nnull\n').num_rows == 2  # later lines: pyarrow copes
