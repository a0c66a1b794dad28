"""The golden folder on disk: atomic swap-in of a new version, hashing, reading and verifying.

A new version is written to a temp folder beside the target (``.<name>.tmp-<hex>``), every file
and the folder fsynced, then swapped in with two renames (old -> ``.<name>.old-<hex>``, new ->
name). A kill before the swap leaves the previous version untouched; a kill between the two
renames leaves the previous version under ``.old-``, which :func:`recover` renames back.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from evalkit._atomic import atomic_write_text
from evalkit.golden._errors import GoldenManifestError, GoldenTamperError, GoldenTargetError

CASES, SCHEMA, MANIFEST = "cases.jsonl", "schema.json", "manifest.json"
HASHED_FILES: tuple[str, ...] = (CASES, SCHEMA)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def recover(path: Path) -> None:
    """Put back a previous version a kill left under ``.<name>.old-*``; drop stale temp folders."""
    parent = path.parent
    if not parent.is_dir():
        return
    olds = sorted(parent.glob(f".{path.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and not path.exists():
        os.rename(olds[-1], path)
        olds = olds[:-1]
    for p in olds:
        shutil.rmtree(p, ignore_errors=True)
    for p in parent.glob(f".{path.name}.tmp-*"):
        # a live writer would be in the same process or have written within the last minutes
        try:
            import time

            if time.time() - p.stat().st_mtime > 600:
                shutil.rmtree(p, ignore_errors=True)
        except OSError:
            continue


def check_target(path: Path) -> bool:
    """Return True when ``path`` holds a golden set, False when absent or empty; else raise."""
    recover(path)
    if not path.exists():
        return False
    if not path.is_dir():
        raise GoldenTargetError(
            f"{path}: exists and is not a folder; got a file. Choose another path."
        )
    entries = [p.name for p in path.iterdir()]
    if not entries:
        return False
    if MANIFEST not in entries:
        raise GoldenTargetError(
            f"{path}: the folder is not empty and has no {MANIFEST}, so it is not a golden set "
            f"(found {sorted(entries)[:5]}); evalkit never overwrites it."
        )
    return True


def write_version(path: Path, writers: dict[str, Callable[[Any], None]]) -> None:
    """Write each ``name -> writer(text_file)`` into a temp folder and swap it in atomically."""
    parent = path.parent
    parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    tmp = parent / f".{path.name}.tmp-{tag}"
    tmp.mkdir()
    try:
        for name, write in writers.items():
            with (tmp / name).open("w", encoding="utf-8", newline="\n") as fh:
                write(fh)
                fh.flush()
                os.fsync(fh.fileno())
        _fsync_dir(tmp)
        old = parent / f".{path.name}.old-{tag}"
        if path.exists():
            os.rename(path, old)
        os.rename(tmp, path)
        _fsync_dir(parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def read_manifest(path: Path) -> dict[str, Any]:
    """Read ``manifest.json``; raise :class:`GoldenManifestError` when missing or unreadable."""
    recover(path)
    mf = path / MANIFEST
    if not mf.is_file():
        raise GoldenManifestError(
            f"{path}: no {MANIFEST}; this is not a golden set (export one with "
            "evalkit.export_golden)."
        )
    try:
        data = json.loads(mf.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, json.JSONDecodeError) as e:
        raise GoldenManifestError(f"{mf}: unreadable manifest: {e}") from e
    if not isinstance(data, dict):
        raise GoldenManifestError(
            f"{mf}: field 'files' is missing: the manifest must be a JSON object; got "
            f"{type(data).__name__} {json.dumps(data)[:60]}"
        )
    if not isinstance(data.get("files"), dict):
        raise GoldenManifestError(f"{mf}: field 'files' is missing; got keys {sorted(data)[:8]}")
    return data


def verify_hashes(path: Path, manifest: dict[str, Any]) -> None:
    """Raise :class:`GoldenTamperError` when a file is missing or its sha256 differs."""
    for name in HASHED_FILES:
        f = path / name
        want = manifest["files"].get(name)
        if not f.is_file():
            raise GoldenTamperError(f"{f}: file is missing (the manifest lists it).")
        got = sha256_file(f)
        if got != want:
            raise GoldenTamperError(
                f"{f}: sha256 is {got[:16]}..., the manifest says {str(want)[:16]}...; the file "
                "was changed outside evalkit. Restore it from version control or re-export."
            )


def iter_cases(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, case)`` from ``cases.jsonl``."""
    from evalkit.golden._errors import GoldenSchemaError

    with (path / CASES).open(encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            try:
                case = json.loads(line)
            except json.JSONDecodeError as e:
                raise GoldenSchemaError(f"{path / CASES}:{i}: not valid JSON: {e}") from e
            yield i, case


def dump_manifest(manifest: dict[str, Any]) -> str:
    """The manifest as written: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def update_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Rewrite only ``manifest.json`` (access log, rotation record) atomically."""
    atomic_write_text(path / MANIFEST, dump_manifest(manifest))
