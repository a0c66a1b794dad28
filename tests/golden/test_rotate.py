"""rotate and holdout_status: graduation, refill from new cases, retirement, age warning."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from evalkit.golden import (
    GoldenError,
    HoldoutAgeWarning,
    export_golden,
    holdout_status,
    load_golden,
    rotate,
    verify_golden,
)
from tests.golden.conftest import make_labels, make_traces


def _splits(path: Path) -> pd.Series:
    return load_golden(path, "all", unseal="test").set_index("trace_id")["split"]


def test_rotation_moves_and_logs(tmp_path: Path) -> None:
    g = tmp_path / "g"
    tr = make_traces(0, segments={"a": 40, "b": 20})
    export_golden(tr.iloc[:50], make_labels(tr.iloc[:50]), g)
    rotate(g, fraction=0.5, rng=1)  # first rotation: refills from the newest active cases
    before = _splits(g)
    export_golden(tr, make_labels(tr), g)  # 10 new 'b' cases arrive
    new_ids = list(tr.trace_id[50:])
    mid = _splits(g)
    assert (mid[before.index] == before).all()
    rec = rotate(g, fraction=0.5, rng=2)
    after = _splits(g)
    was_hold = mid[mid == "holdout"].index
    # a: holdout 12 (round(.3*40)) -> ceil(6) graduate; b: holdout of 20 -> ceil(.5*h)
    graduated = [t for t in was_hold if after[t] == "active"]
    assert len(graduated) == rec["graduated"] > 0
    sealed = [t for t in after.index if after[t] == "holdout" and mid[t] != "holdout"]
    assert len(sealed) == rec["sealed"]
    assert set(sealed) & set(new_ids)  # new 'b' cases were taken into the holdout
    retired = after[(after == "retired") & (mid != "retired")].index
    assert len(retired) == rec["retired"] > 0
    assert all(mid[t] == "active" for t in retired)
    m = verify_golden(g)
    assert [r["graduated"] for r in m["holdout"]["rotations"]][-1] == rec["graduated"]
    assert m["holdout"]["last_rotated"] == rec["time"]
    # the holdout size per segment is kept
    assert (mid == "holdout").sum() == (after == "holdout").sum()


def test_rotation_is_reproducible(tmp_path: Path) -> None:
    tr = make_traces(0, segments={"a": 40, "b": 20})
    for name in ("x", "y"):
        export_golden(tr, make_labels(tr), tmp_path / name)
        rotate(tmp_path / name, fraction=0.3, rng=7)
    assert (_splits(tmp_path / "x") == _splits(tmp_path / "y")).all()


def test_bad_fraction(tmp_path: Path) -> None:
    tr = make_traces(5)
    export_golden(tr, make_labels(tr), tmp_path / "g")
    for bad in (0, 1.5, True, "x"):
        with pytest.raises(GoldenError, match=r"`fraction` must be in \(0, 1\]"):
            rotate(tmp_path / "g", fraction=bad)  # type: ignore[arg-type]


def test_status_and_age_warning(tmp_path: Path) -> None:
    g = tmp_path / "g"
    tr = make_traces(20)
    export_golden(tr, make_labels(tr), g)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        st = holdout_status(g)
    assert (st.n_holdout, st.n_active, st.n_retired, st.n_reads) == (6, 14, 0, 0)
    assert st.statistic < 1 and not st.stale and st.last_rotated is None
    load_golden(g, "holdout", unseal="weekly check")
    later = datetime.now(UTC) + timedelta(days=100)
    with pytest.warns(HoldoutAgeWarning, match=r"last rotated 100 days ago \(limit 90\)"):
        st2 = holdout_status(g, now=later)
    assert st2.stale and st2.n_reads == 1 and st2.last_read is not None
    assert holdout_status(g, now=later, max_age_days=365).stale is False
    rec = rotate(g, fraction=0.5, rng=0)
    assert holdout_status(g).last_rotated == rec["time"]
    assert "<table>" in st._repr_html_() and len(st.to_frame()) == 1
