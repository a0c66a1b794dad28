"""Hypothesis: appending never moves an existing case; floors hold; input order is irrelevant."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.golden._split import assign_splits

segment_names = st.sampled_from(["a", "b", "c", "rare"])
batches = st.lists(st.lists(segment_names, min_size=1, max_size=40), min_size=1, max_size=4)


@settings(max_examples=150, deadline=None)
@given(batches=batches, holdout=st.floats(0, 0.9), floor=st.floats(0, 0.5),
       salt=st.text(max_size=5))
def test_appending_never_moves_a_case(batches: list[list[str]], holdout: float, floor: float,
                                      salt: str) -> None:
    splits: dict[str, str] = {}
    segs: dict[str, str] = {}
    n = 0
    for batch in batches:
        ids = [f"c{n + i}" for i in range(len(batch))]
        n += len(batch)
        segs.update(zip(ids, batch, strict=True))
        before = dict(splits)
        all_ids = list(segs)
        new = assign_splits(all_ids, [segs[c] for c in all_ids], existing=splits,
                            holdout=holdout, floor=floor, salt=salt)
        assert set(new) == set(ids)  # only the appended cases get an assignment
        splits.update(new)
        assert all(splits[c] == s for c, s in before.items())
        assert set(splits.values()) <= {"active", "holdout"}


@settings(max_examples=150, deadline=None)
@given(batch=st.lists(segment_names, min_size=1, max_size=60), holdout=st.floats(0, 0.9),
       floor=st.floats(0.01, 0.5))
def test_first_export_meets_floors_and_ignores_order(batch: list[str], holdout: float,
                                                     floor: float) -> None:
    ids = [f"c{i}" for i in range(len(batch))]
    out = assign_splits(ids, batch, existing={}, holdout=holdout, floor=floor)
    rev = assign_splits(ids[::-1], batch[::-1], existing={}, holdout=holdout, floor=floor)
    assert out == rev
    for seg in set(batch):
        members = [c for c, s in zip(ids, batch, strict=True) if s == seg]
        k = len(members)
        held = sum(out[c] == "holdout" for c in members)
        if k >= 2:
            need = max(1, math.ceil(floor * k))
            assert min(held, k - held) >= min(need, k // 2)


@settings(max_examples=15, deadline=None)
@given(sizes=st.lists(st.integers(1, 25), min_size=2, max_size=3),
       segs=st.lists(segment_names, min_size=75, max_size=75))
def test_export_appending_keeps_every_split(sizes: list[int], segs: list[str]) -> None:
    import tempfile
    from pathlib import Path

    import pandas as pd

    from evalkit.golden import export_golden, load_golden

    n = sum(sizes)
    traces = pd.DataFrame({"trace_id": [f"t{i}" for i in range(n)], "input": ["q"] * n,
                           "output": ["a"] * n, "segment": segs[:n]})
    labels = traces[["trace_id"]].assign(verdict="pass")
    with tempfile.TemporaryDirectory() as d:
        g = Path(d) / "g"
        seen: dict[str, str] = {}
        upto = 0
        for k in sizes:
            upto += k
            export_golden(traces.iloc[:upto], labels.iloc[:upto], g, redact=False)
            now = load_golden(g, "all", unseal="property test").set_index("trace_id")["split"]
            assert all(now[t] == s for t, s in seen.items())
            seen = now.to_dict()
        assert len(seen) == n
