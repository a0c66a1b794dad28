"""Typed errors and warnings of the golden stage."""

from __future__ import annotations

from evalkit.errors import EvalkitError


class GoldenError(EvalkitError, ValueError):
    """Base class: a golden set or an argument to a golden function is not usable."""


class GoldenManifestError(GoldenError):
    """The folder has no (readable) ``manifest.json``."""


class GoldenTamperError(GoldenError):
    """A file's sha256 does not match the manifest: it was edited outside evalkit."""


class GoldenSchemaError(GoldenError):
    """A case does not validate against the set's JSON Schema."""


class CaseIdCollisionError(GoldenError):
    """Two traces map to one ``case_id`` (duplicated trace ids, or a hash collision)."""


class GoldenTargetError(GoldenError):
    """The target folder is not empty and is not a golden set: evalkit never overwrites it."""


class HoldoutSealedError(GoldenError):
    """The holdout was read without ``unseal="reason"``."""


class HoldoutAgeWarning(UserWarning):
    """The holdout has not been rotated for longer than the configured age."""
