"""Argument errors from the statistics are typed evalkit errors (still ValueError / TypeError)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from evalkit.errors import EvalkitError
from evalkit.stats import StatisticsInputError
from evalkit.stats.agreement import cohen_kappa, fleiss_kappa, gwet_ac1
from evalkit.stats.calibration import calibrate, corrected_pass_rate, plan_calibration
from evalkit.stats.ppi import ppi_mean

RATINGS = pd.DataFrame({"a": ["x", "y", "x", "y"] * 3, "b": ["x", "y", "y", "y"] * 3})
CAL = calibrate(["pass", "fail", "pass", "fail"] * 5, ["pass", "fail", "pass", "pass"] * 5)

CASES: list[tuple[str, Callable[[], Any], type[Exception]]] = [
    ("confidence_level", lambda: fleiss_kappa(RATINGS, confidence_level=2), ValueError),
    ("n_resamples", lambda: gwet_ac1(RATINGS, method="bootstrap", n_resamples=0), ValueError),
    ("n_resamples type", lambda: gwet_ac1(RATINGS, method="bootstrap", n_resamples=1.5),
     TypeError),
    ("weights", lambda: cohen_kappa(RATINGS["a"], RATINGS["b"], weights="cubic"), ValueError),
    ("calibration type", lambda: corrected_pass_rate(["pass"], [1, 2]), TypeError),
    ("target_width", lambda: plan_calibration(CAL, ["pass"] * 10, target_width=3), ValueError),
    ("ppi empty", lambda: ppi_mean([], [], [1.0]), ValueError),
]


@pytest.mark.parametrize(("name", "call", "builtin"), CASES, ids=[c[0] for c in CASES])
def test_argument_errors_are_typed(name: str, call: Callable[[], Any],
                                   builtin: type[Exception]) -> None:
    with pytest.raises(EvalkitError) as info:
        call()
    assert isinstance(info.value, StatisticsInputError)
    assert isinstance(info.value, builtin)  # `except ValueError` / `except TypeError` still work
    assert "`" in str(info.value)  # the message names the argument
