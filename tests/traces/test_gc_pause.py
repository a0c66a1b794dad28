"""The collector pause of the readers: objects made in it count as old, cycles still collected."""

from __future__ import annotations

import gc
import weakref

from evalkit.traces._gc import collector_paused


class _Node:
    pass


def test_objects_made_while_paused_are_old_and_cycles_still_collected() -> None:
    assert gc.isenabled()
    threshold = gc.get_threshold()
    gc.set_threshold(10**9)  # no automatic pass while the test looks at the young generation
    try:
        _paused_and_collected()
    finally:
        gc.set_threshold(*threshold)


def _paused_and_collected() -> None:
    with collector_paused():
        assert not gc.isenabled()
        rows = [{"i": [i]} for i in range(200_000)]
        cycle = _Node()
        cycle.me = cycle  # type: ignore[attr-defined]
        alive = weakref.ref(cycle)
        del cycle
    young = gc.get_count()[0]
    assert gc.isenabled()
    # the young generation does not hold the 400,000 new containers (no walk over them next)
    assert young < 5_000
    assert sum(1 for r in rows if r["i"][0] >= 0) == 200_000
    assert alive() is not None  # in the oldest generation: only a full collection frees it
    gc.collect()
    assert alive() is None


def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_comes_back_after_an_error() -> None:
    try:
        with collector_paused():
            raise KeyError("x")
    except KeyError:
        pass
    assert gc.isenabled()


def test_a_vectorised_read_leaves_its_rows_out_of_the_young_generation(tmp_path) -> None:
    import json

    from evalkit.traces._openai_fast import read_fast

    line = {
        "request": {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
        "response": {
            "id": "x",
            "created": 1,
            "choices": [{"message": {"role": "assistant", "content": "yo"}}],
        },
    }
    rows = []
    for i in range(20_000):
        line["response"]["id"] = f"c{i}"
        rows.append(json.dumps(line))
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(rows) + "\n")
    gc.collect()
    threshold = gc.get_threshold()
    gc.set_threshold(10**9)  # no automatic pass while the test looks at the young generation
    try:
        frame = read_fast(path)
        young = gc.get_count()[0]
    finally:
        gc.set_threshold(*threshold)
    assert frame is not None and len(frame) == 20_000
    # 20,000 rows made 40,000+ dicts and lists: none is left for the next young pass to walk
    assert young < 5_000
