"""A real Jupyter kernel killed mid-labeling loses no acknowledged label."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import time
from pathlib import Path

from jupyter_client.manager import KernelManager

from evalkit.store import LabelStore

LOOP = """
from evalkit.store import LabelStore
store = LabelStore({path!r})
i = 0
while True:
    value = "pass" if i % 2 else "fail"
    ev = store.record(f"kt-{{i}}", annotator="kernel", field="verdict", value=value)
    print("ACK", ev.event_id, flush=True)   # only after record() returned: the label is saved
    i += 1
"""


def test_killed_kernel_keeps_every_acknowledged_label(tmp_path: Path) -> None:
    path = str(tmp_path / "kernel.sqlite")
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(tmp_path))
    kc = km.client()
    kc.start_channels()
    acked: list[str] = []
    buffer = ""

    def take(text: str) -> None:
        # stream messages may split a line: only complete lines count
        nonlocal buffer
        buffer += text
        *lines, buffer = buffer.split("\n")
        acked.extend(ln.split()[1] for ln in lines if ln.startswith("ACK "))

    try:
        kc.wait_for_ready(timeout=60)
        kc.execute(LOOP.format(path=path))
        deadline = time.monotonic() + 60
        errors: list[str] = []
        while len(acked) < 200 and time.monotonic() < deadline:
            try:
                msg = kc.get_iopub_msg(timeout=5)
            except queue.Empty:
                continue
            if msg["msg_type"] == "stream":
                take(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                errors.append("\n".join(msg["content"]["traceback"]))
        assert errors == []
        assert len(acked) >= 200
        pid = km.provisioner.pid  # type: ignore[union-attr]
        os.kill(pid, signal.SIGKILL)  # the kernel dies mid-loop, like a crashed notebook
        deadline = time.monotonic() + 30
        while km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not km.is_alive()
        # drain ids that reached iopub before the kill: they were acknowledged too
        while True:
            try:
                msg = kc.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                break
            if msg["msg_type"] == "stream":
                take(msg["content"]["text"])
    finally:
        kc.stop_channels()
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    with LabelStore(path) as store:
        stored = set(store.labels(latest=False, annotator="kernel")["event_id"])
    assert [e for e in acked if e not in stored] == []
    assert len(stored) >= len(acked)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
