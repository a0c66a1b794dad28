"""Named warnings and the typed input error of :mod:`evalkit.stats`.

Each warning says what is wrong with the *data* (not the call): a calibration set too small for
its interval, an estimate outside its range, a design with too few units or no disagreement,
labels coded two ways. Filter them by class, e.g.
``warnings.simplefilter("error", SmallSampleWarning)`` in a CI gate.
"""

from __future__ import annotations

import os
import sys
import warnings

from evalkit.errors import EvalkitError, UndefinedStatisticWarning


class StatisticsInputError(EvalkitError, ValueError):
    """Bad input to a statistic (an argument out of its domain, such as ``threshold=nan``).

    Subclasses :class:`ValueError`, so ``except ValueError`` keeps working.
    """


class StatisticsTypeError(StatisticsInputError, TypeError):
    """An argument of the wrong type (a list where a result object is needed, and so on).

    Subclasses :class:`TypeError` too, so ``except TypeError`` keeps working.
    """


class EstimateOutOfRangeWarning(UndefinedStatisticWarning):
    """An estimate fell outside its parameter's range and was clipped (the raw value is kept).

    For example the Rogan-Gladen corrected pass rate when the judge's pass rate is below
    ``1 - TNR``: the result reports both the raw and the clipped estimate.
    """


class SmallSampleWarning(RuntimeWarning):
    """The sample is too small for the interval to keep its nominal coverage.

    The docstring of the statistic gives the measured coverage at such sizes.
    """


class DegenerateDataWarning(RuntimeWarning):
    """The design cannot support the interval: no disagreement at all, or very few units.

    A (1, 1) interval from five units in perfect agreement is not evidence of perfect
    agreement; the warning says so instead of staying silent.
    """


class LabelCodingWarning(UserWarning):
    """Labels are coded in a way that changes the statistic, e.g. ``1`` and ``"1"`` both present.

    Those are two categories to the computation; recode them if they mean the same.
    """


# Public home of these names (what tracebacks and doctests show): ``evalkit.stats``.
for _cls in (StatisticsInputError, StatisticsTypeError, EstimateOutOfRangeWarning,
             SmallSampleWarning, DegenerateDataWarning, LabelCodingWarning):
    _cls.__module__ = "evalkit.stats"


def warn(category: type[Warning], message: str, *, stacklevel: int = 3) -> None:
    """Emit ``category(message)`` pointing at the caller's caller."""
    warnings.warn(message, category, stacklevel=stacklevel)


_STATS_DIR = os.path.dirname(os.path.abspath(__file__))


def warn_user(category: type[Warning], message: str) -> None:
    """Emit ``category(message)`` attributed to the first frame outside :mod:`evalkit.stats`.

    The call depth differs between coefficients, so the stack level is found, not counted.
    """
    level, frame = 2, sys._getframe(1)  # stacklevel 2 is the frame that called warn_user
    while frame is not None and os.path.dirname(
            os.path.abspath(frame.f_code.co_filename)) == _STATS_DIR:
        level += 1
        frame = frame.f_back  # type: ignore[assignment]
    warnings.warn(message, category, stacklevel=level)


def plain_id(value: object) -> object:
    """A numpy scalar as its Python value, so messages show ``1``, not ``np.int64(1)``."""
    item = getattr(value, "item", None)
    return item() if callable(item) and getattr(value, "ndim", None) == 0 else value
