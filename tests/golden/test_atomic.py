"""Atomicity: a SIGKILL in the middle of an export leaves the previous version intact."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd

from evalkit.golden import export_golden, load_golden, verify_golden
from tests.golden.conftest import make_labels, make_traces

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from evalkit.golden import export_golden
    import pandas as pd

    def slow(text):  # a slow redactor keeps the writer inside cases.jsonl for seconds
        time.sleep(0.002)
        return text.upper()

    ids = [f"t{{i}}" for i in range(3000)]
    tr = pd.DataFrame({{"trace_id": ids, "input": ["q"] * 3000, "output": ["a"] * 3000}})
    export_golden(tr, pd.DataFrame({{"trace_id": ids, "verdict": ["pass"] * 3000}}),
                  {path!r}, redact=slow)
""")


def test_sigkill_mid_export_keeps_previous_version(tmp_path: Path) -> None:
    g = tmp_path / "g"
    tr = make_traces(50)
    export_golden(tr, make_labels(tr), g)
    before = {p.name: p.read_bytes() for p in g.iterdir()}
    proc = subprocess.Popen([sys.executable, "-c", CHILD.format(root=str(ROOT), path=str(g))],
                            cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        seen = False
        while time.monotonic() < deadline and proc.poll() is None:
            tmps = list(tmp_path.glob(".g.tmp-*/cases.jsonl"))
            if tmps and tmps[0].stat().st_size > 10_000:
                seen = True
                break
            time.sleep(0.02)
        assert seen, "the child never got into writing cases.jsonl"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert {p.name: p.read_bytes() for p in g.iterdir()} == before
    verify_golden(g)
    assert len(load_golden(g, "all", unseal="test")) == 50
    # the next export cleans the temp folder once it is stale and succeeds
    export_golden(tr, make_labels(tr), g)
    verify_golden(g)


def test_kill_between_renames_is_recovered(tmp_path: Path) -> None:
    g = tmp_path / "g"
    tr = make_traces(10)
    export_golden(tr, make_labels(tr), g)
    os.rename(g, tmp_path / ".g.old-deadbeef")  # the state after the first of the two renames
    assert len(load_golden(g)) == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g"]


def test_failed_export_leaves_no_temp_folder(tmp_path: Path) -> None:
    g = tmp_path / "g"
    tr = make_traces(10)
    export_golden(tr, make_labels(tr), g)

    def bad(text: str) -> str:
        raise RuntimeError("redactor crashed")

    with contextlib.suppress(RuntimeError):
        export_golden(pd.concat([tr, make_traces(3, prefix="n")]),
                      make_labels(pd.concat([tr, make_traces(3, prefix="n")])), g, redact=bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g"]
    assert len(load_golden(g, "all", unseal="test")) == 10
