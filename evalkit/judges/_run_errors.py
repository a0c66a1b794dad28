"""Typed errors of a judge run: bad rubric, bad judge output, bad cache file, missing price."""

from __future__ import annotations

from evalkit.errors import EvalkitError


class RubricError(EvalkitError, ValueError):
    """A rubric does not validate; the message names the file (if any) and the field."""


class JudgeOutputError(EvalkitError, ValueError):
    """A judge's answer is not valid JSON for the rubric (retried, then recorded as an error)."""


class JudgeConfigError(EvalkitError, ValueError):
    """A judge, a price or a ``run_judges`` option is invalid (names the judge and the argument)."""


class PriceMissingError(JudgeConfigError):
    """No price is known for a judge's model; pass ``prices=`` or ``Judge(price=...)``."""


class JudgeCacheError(EvalkitError, ValueError):
    """The judge cache file is unreadable, foreign, or written by a newer evalkit."""
