"""The sample-data planting for code checks is pure, deterministic and leaves every label alone."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from evalkit.sample_data import SEED, _labels, _plant_checks, _traces


def test_planting_is_pure_deterministic_and_label_neutral() -> None:
    original = _traces.generate_traces(SEED)
    snapshot = copy.deepcopy(original)
    a = _plant_checks.plant_check_failures(original, SEED)
    b = _plant_checks.plant_check_failures(original, SEED)
    assert [t.__dict__ for t in original] == [t.__dict__ for t in snapshot]  # inputs untouched
    assert [t.__dict__ for t in a] == [t.__dict__ for t in b]
    kinds = pd.Series([p.split(":")[0] for t in a for p in t.extra.get("planted", [])])
    assert kinds.value_counts().to_dict() == {"schema": 12, "language": 12, "budget": 12}
    # schema and language plants only go to traces that already fail
    assert all(t.mode != "none" for t in a
               if any(not p.startswith("budget") for p in t.extra.get("planted", [])))
    # the ground truth, judges and annotators come out exactly as without planting
    gt0, gt1 = _labels.ground_truth(original), _labels.ground_truth(a)
    pd.testing.assert_frame_equal(gt0, gt1)
    pd.testing.assert_frame_equal(_labels.judges(gt0, np.random.default_rng([SEED, 2])),
                                  _labels.judges(gt1, np.random.default_rng([SEED, 2])))
    pd.testing.assert_frame_equal(
        _labels.humans(gt0, original, np.random.default_rng([SEED, 3])),
        _labels.humans(gt1, a, np.random.default_rng([SEED, 3])))
