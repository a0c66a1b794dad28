"""Typed errors of the runs stage (run comparison, the release gate, history, online signals).

Every error is a :class:`RunsError`, itself an :class:`evalkit.errors.EvalkitError` and a
``ValueError``, so ``except evalkit.EvalkitError`` catches all of them and the CLI maps them to
exit code 2. Messages name the argument, file or column and show what was received.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalkit.errors import EvalkitError


class RunsError(EvalkitError, ValueError):
    """Base class: a run, a history or an argument to a runs function is not usable."""


class RunFileError(RunsError):
    """A run file cannot be read: unknown format, missing id/verdict/score column, bad line."""


class RunInputError(RunsError):
    """An argument is invalid (an option out of range, a wrong type, a missing column)."""


class UnmatchedCasesError(RunsError):
    """The two runs do not cover the same cases (and ``unmatched="error"``).

    Attributes
    ----------
    only_baseline, only_candidate : tuple of str
        The case ids found in one run only (all of them, sorted).
    """

    def __init__(
        self, message: str, *, only_baseline: Sequence[Any] = (), only_candidate: Sequence[Any] = ()
    ) -> None:
        super().__init__(message)
        self.only_baseline = tuple(str(c) for c in only_baseline)
        self.only_candidate = tuple(str(c) for c in only_candidate)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_unmatched, (self.args[0], self.only_baseline, self.only_candidate))


def _rebuild_unmatched(
    message: str, only_baseline: tuple[str, ...], only_candidate: tuple[str, ...]
) -> UnmatchedCasesError:
    return UnmatchedCasesError(message, only_baseline=only_baseline, only_candidate=only_candidate)


class DuplicateCaseError(RunsError):
    """A case id occurs more than once in one run."""


class VerdictMismatchError(RunsError):
    """Verdicts outside the vocabulary, or the two runs spell verdicts in different vocabularies."""


class MixedOutcomeError(RunsError):
    """One run has verdicts and the other scores (or one run mixes both)."""


class EmptySegmentError(RunsError):
    """A segment has no paired case (or the whole comparison is empty)."""


class HistoryError(RunsError):
    """A run history cannot be read or written (for :class:`evalkit.RunHistory`)."""


class HistoryVersionError(HistoryError):
    """The history file was written by a newer evalkit than this one."""
