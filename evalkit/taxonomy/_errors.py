"""Typed errors of the taxonomy stage: unknown or duplicate modes, cycles, files and versions.

Every message names the mode, argument, file and line involved and shows what was received.
"""

from __future__ import annotations

from evalkit.errors import EvalkitError


class TaxonomyError(EvalkitError, ValueError):
    """Base class: a taxonomy operation or input is invalid."""


class UnknownModeError(TaxonomyError, KeyError):
    """A mode name is not in the taxonomy (the message lists the known modes)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DuplicateModeError(TaxonomyError):
    """A mode name is already used in the taxonomy."""


class SelfMergeError(TaxonomyError):
    """A mode was merged into itself."""


class ParentCycleError(TaxonomyError):
    """Parents form a cycle (the message shows the cycle)."""


class TaxonomyFileError(TaxonomyError):
    """A taxonomy YAML/JSON file is malformed; ``file`` and ``line`` locate the problem."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self.file = file
        self.line = line
        where = file or "<string>"
        if line is not None:
            where += f":{line}"
        super().__init__(f"{where}: {message}")


class TaxonomyVersionError(TaxonomyFileError):
    """A taxonomy file was written by a newer evalkit (newer file format)."""


class UnknownTaxonomyVersionError(TaxonomyError):
    """Labels name a taxonomy version this taxonomy's history does not contain."""
