"""Read a golden set: verify it, load a split (the holdout only when unsealed, and logged)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from evalkit.golden._errors import GoldenError, GoldenSchemaError, HoldoutSealedError
from evalkit.golden._folder import (
    CASES,
    SCHEMA,
    iter_cases,
    read_manifest,
    update_manifest,
    verify_hashes,
)
from evalkit.golden._schema import SPLITS, case_checker

Split = Literal["active", "holdout", "retired", "all"]
CASE_COLUMNS: tuple[str, ...] = (
    "case_id", "trace_id", "split", "segment", "expected_verdict", "failure_modes", "severity",
    "input", "output", "messages", "references", "source", "provenance", "added_at",
)


def verify_golden(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Check the manifest, every file's sha256 and every case against ``schema.json``.

    Returns the manifest. Raises :class:`GoldenManifestError`, :class:`GoldenTamperError` or
    :class:`GoldenSchemaError` (naming the file, line and field).
    """
    import json

    p = Path(os.fspath(path))
    manifest = read_manifest(p)
    verify_hashes(p, manifest)
    try:
        schema = json.loads((p / SCHEMA).read_text(encoding="utf-8"))
    except (UnicodeError, json.JSONDecodeError) as e:
        raise GoldenSchemaError(f"{p / SCHEMA}: not valid JSON: {e}") from e
    check = case_checker(schema)  # compiled once; jsonschema only explains a failing case
    seen: set[str] = set()
    where = str(p / CASES)
    for i, c in iter_cases(p):
        check(c, f"{where}:{i}")
        if c["case_id"] in seen:
            from evalkit.golden._errors import CaseIdCollisionError

            raise CaseIdCollisionError(f"{p / CASES}:{i}: case_id {c['case_id']!r} repeats.")
        seen.add(c["case_id"])
    return manifest


def read_cases(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Verified manifest and every case (any split) of a golden folder."""
    manifest = read_manifest(path)
    verify_hashes(path, manifest)
    return manifest, [c for _, c in iter_cases(path)]


def load_golden(
    path: str | os.PathLike[str], split: Split = "active", *, unseal: str | None = None,
) -> pd.DataFrame:
    """Load one split of a golden set as a frame (one row per case).

    Parameters
    ----------
    path : str or os.PathLike
        The golden folder.
    split : {'active', 'holdout', 'retired', 'all'}, default 'active'
        ``'holdout'`` and ``'all'`` read sealed cases and need ``unseal``.
    unseal : str, optional
        Why the holdout is read; appended with who and when to the manifest's access log.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CASE_COLUMNS`, in ``case_id`` order.

    Raises
    ------
    HoldoutSealedError
        The holdout is read without a reason.
    GoldenManifestError, GoldenTamperError, GoldenError

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from evalkit.golden import export_golden
    >>> tr = pd.DataFrame({"trace_id": list("abcd"), "input": ["q"] * 4, "output": ["a"] * 4})
    >>> lab = pd.DataFrame({"trace_id": list("abcd"), "verdict": ["pass"] * 4})
    >>> path = tempfile.mkdtemp() + "/gold"
    >>> _ = export_golden(tr, lab, path, redact=False)
    >>> len(load_golden(path)), len(load_golden(path, "holdout", unseal="final check"))
    (3, 1)
    """
    if split not in (*SPLITS, "all"):
        raise GoldenError(f"`split` must be one of {[*SPLITS, 'all']}; got {split!r}.")
    p = Path(os.fspath(path))
    sealed = split in ("holdout", "all")
    if sealed and (not isinstance(unseal, str) or not unseal.strip()):
        raise HoldoutSealedError(
            f"{p}: the holdout is sealed; read it with load_golden(path, split={split!r}, "
            f"unseal='why you need it'). Got unseal={unseal!r}."
        )
    manifest, cases = read_cases(p)
    if sealed:
        log_access(p, manifest, reason=str(unseal), what=f"load_golden(split={split!r})")
    rows = [c for c in cases if split == "all" or c["split"] == split]
    # object columns: a missing verdict or reference stays None under pandas 3 (not NaN)
    return pd.DataFrame(rows, columns=list(CASE_COLUMNS), dtype=object)


def log_access(path: Path, manifest: dict[str, Any], *, reason: str, what: str) -> None:
    """Append who/when/why of a holdout read to the manifest's access log."""
    from evalkit.golden._export import now_iso, whoami

    manifest.setdefault("access_log", []).append(
        {"time": now_iso(), "who": whoami(), "reason": reason, "what": what}
    )
    update_manifest(path, manifest)
