"""Worker scripts run in child processes by the concurrency and durability tests.

Run with ``runpy.run_path(__file__, init_globals=..., run_name="__main__")`` (multiprocessing) or as
``python _writer.py PATH PREFIX`` (subprocess). Not collected by pytest (leading underscore).
"""

from __future__ import annotations

import sys

from evalkit.store import LabelStore


def write_n(path: str, worker: int, n: int, start: object | None) -> None:
    """Write ``n`` labels as annotator ``w{worker}``, each a single durable ``record`` commit.

    One commit per label is how the review widget writes, and it gives the most lock contention.
    """

    def label(i: int) -> dict[str, object]:
        field, value = ("verdict", "pass") if i % 2 else ("severity", 1 + i % 3)
        return {
            "trace_id": f"trace-{worker}-{i}",
            "annotator": f"w{worker}",
            "field": field,
            "value": value,
        }

    with LabelStore(path, timeout=60) as store:
        if start is not None:
            start.wait()  # type: ignore[attr-defined]  # a Barrier: everyone is ready
        for i in range(n):
            store.record(**label(i))  # type: ignore[arg-type]


def record_forever(path: str, prefix: str) -> None:
    """Record labels until killed; print each event id only after ``record`` has returned."""
    with LabelStore(path) as store:
        i = 0
        while True:
            ev = store.record(
                f"{prefix}-{i}",
                annotator="killed",
                field="verdict",
                value="pass" if i % 2 else "fail",
            )
            print(ev.event_id, flush=True)
            i += 1


if __name__ == "__main__":
    g = globals()
    if "WORKER" in g:  # multiprocessing via runpy
        write_n(g["PATH"], g["WORKER"], g["N"], g.get("START"))
    else:
        record_forever(sys.argv[1], sys.argv[2])
