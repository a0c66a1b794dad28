"""The shared surface of results whose first table row is the overall scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from evalkit.stats._common import ConfidenceInterval

if TYPE_CHECKING:
    import pandas as pd


class FirstRowResult:
    """``statistic`` and ``confidence_interval`` from row 0 of ``table``; ``to_frame`` copies it.

    Mixed into frozen, slotted result dataclasses that declare a ``table`` field whose first
    row is the overall scope, with the interval in ``ci_low`` / ``ci_high``.
    """

    __slots__ = ()
    _statistic_column: ClassVar[str] = "statistic"
    table: pd.DataFrame

    @property
    def statistic(self) -> float:
        """The overall estimate (first row of :attr:`table`)."""
        return float(self.table[self._statistic_column].iloc[0])

    @property
    def confidence_interval(self) -> ConfidenceInterval:
        """The overall estimate's interval."""
        r = self.table.iloc[0]
        return ConfidenceInterval(float(r["ci_low"]), float(r["ci_high"]))

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of :attr:`table`."""
        return self.table.copy()


class PerSignalResult:
    """Per-signal ``statistic`` / ``confidence_interval`` dicts from the overall rows of ``table``.

    The overall rows are those with a missing ``segment``; ``_statistic_column`` names the
    estimate (a rate or a delta), the interval is ``ci_low`` / ``ci_high``.
    """

    __slots__ = ()
    _statistic_column: ClassVar[str] = "rate"
    table: pd.DataFrame

    @property
    def _overall(self) -> pd.DataFrame:
        return self.table[self.table["segment"].isna()].set_index("signal")

    @property
    def statistic(self) -> dict[str, float]:
        """The overall estimate per signal."""
        return {str(s): float(r) for s, r in self._overall[self._statistic_column].items()}

    @property
    def confidence_interval(self) -> dict[str, ConfidenceInterval]:
        """The overall interval per signal."""
        o = self._overall
        return {str(s): ConfidenceInterval(float(lo), float(hi))
                for s, lo, hi in zip(o.index, o["ci_low"], o["ci_high"], strict=True)}

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of :attr:`table`."""
        return self.table.copy()
