"""Several processes writing one store file at once, and a writer killed with SIGKILL."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import runpy
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from evalkit.store import LabelStore

WRITER = str(Path(__file__).with_name("_writer.py"))


def test_four_processes_write_one_file(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    LabelStore(path).close()  # create first, so the race is on writes (opening races: schema tests)
    ctx = multiprocessing.get_context("spawn")
    n, workers = 2000, 4
    start = ctx.Barrier(workers + 1)  # released once every child has imported and opened the store
    procs = [
        ctx.Process(
            target=runpy.run_path,
            args=(WRITER,),
            kwargs={
                "init_globals": {"PATH": path, "WORKER": w, "N": n, "START": start},
                "run_name": "__main__",
            },
        )
        for w in range(workers)
    ]
    for p in procs:
        p.start()
    start.wait(timeout=120)
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * workers

    with LabelStore(path) as store:
        events = store.labels(latest=False)
        assert len(events) == n * workers
        assert events["event_id"].is_unique
        keys = set(zip(events["trace_id"], events["annotator"], strict=True))
        assert keys == {(f"trace-{w}-{i}", f"w{w}") for w in range(workers) for i in range(n)}
        # each writer's labels are in its own commit order
        for w in range(workers):
            mine = events[events["annotator"] == f"w{w}"]
            assert list(mine["trace_id"]) == [f"trace-{w}-{i}" for i in range(n)]
        assert len(store.labels()) == n * workers
        # the writers really ran at the same time: their commits interleave
        order = events["annotator"].tolist()
        switches = sum(a != b for a, b in itertools.pairwise(order))
        assert switches >= 20, f"writers did not interleave ({switches} switches)"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()


def test_sigkill_mid_run_loses_no_acknowledged_label(tmp_path: Path) -> None:
    path = str(tmp_path / "killed.sqlite")
    proc = subprocess.Popen(
        [sys.executable, WRITER, path, "k"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    acked: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while len(acked) < 300 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acked.append(line.strip())
        assert len(acked) >= 300, (
            f"writer stopped early: {proc.stderr.read() if proc.stderr else ''}"
        )
        os.kill(proc.pid, signal.SIGKILL)  # mid-run: the writer is in its record loop
        # Read the rest through the same text wrapper: readline() may already hold several
        # acknowledged lines in its buffer, which communicate() (raw fd reads) would skip.
        rest = proc.stdout.read()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    # ids printed before the kill (still in the pipe) were acknowledged too
    acked += [x.strip() for x in rest.splitlines() if len(x.strip()) == 32]
    with LabelStore(path) as store:
        stored = set(store.labels(latest=False, annotator="killed")["event_id"])
    missing = [e for e in acked if e not in stored]
    assert missing == []
    assert len(stored) >= len(acked)  # at most the one in flight is extra
    assert len(stored) - len(acked) <= 1
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
