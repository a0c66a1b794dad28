"""Property test: any sequence of record/undo calls matches a plain-Python model of the store."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.store import LabelStore

ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("record"),
            st.sampled_from(["t1", "t2", "t3"]),
            st.sampled_from(["ann_a", "ann_b"]),
            st.sampled_from(["pass", "fail", "defer"]),
        ),
        st.tuples(st.just("undo"), st.sampled_from(["ann_a", "ann_b"])),
    ),
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_latest_and_undo_match_a_model(operations: list[tuple[str, ...]]) -> None:
    # model: a list of [trace, annotator, value, retracted] in commit order
    model: list[list[object]] = []
    with tempfile.TemporaryDirectory() as tmp, LabelStore(Path(tmp) / "m.sqlite") as store:
        for op in operations:
            if op[0] == "record":
                _, trace, ann, value = op
                store.record(trace, annotator=ann, field="verdict", value=value)
                model.append([trace, ann, value, False])
            else:
                ann = op[1]
                live = [e for e in model if e[1] == ann and not e[3]]
                got = store.undo(ann)
                if live:
                    live[-1][3] = True
                    assert got is not None
                    assert (got.trace_id, got.annotator, got.value) == tuple(live[-1][:3])
                else:
                    assert got is None
        expected: dict[tuple[object, object], object] = {}
        for trace, ann, value, retracted in model:
            if not retracted:
                expected[(trace, ann)] = value
        df = store.labels()
        assert (
            dict(zip(zip(df.trace_id, df.annotator, strict=True), df.value, strict=True))
            == expected
        )
        full = store.labels(latest=False)
        assert list(full["undone"]) == [e[3] for e in model]
        queue = ["t1", "t2", "t3"]
        for ann in ("ann_a", "ann_b"):
            values = [expected.get((t, ann)) for t in queue]
            prog = store.progress(queue, annotator=ann)
            assert prog["done"] == sum(v in ("pass", "fail") for v in values)
            assert prog["deferred"] == values.count("defer")
            assert prog["left"] == values.count(None)
