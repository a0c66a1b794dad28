"""Taxonomy files: YAML and JSON that diff cleanly in git, read back with file and line in errors.

The written form has a fixed key order and one block per mode (YAML: a blank line between
modes). Reading checks the ``evalkit_taxonomy`` format version first, so a file from a newer
evalkit fails with :class:`TaxonomyVersionError` naming the file and line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

from evalkit.taxonomy._errors import TaxonomyError, TaxonomyFileError, TaxonomyVersionError
from evalkit.taxonomy._model import FORMAT_VERSION, Change, Taxonomy

_TOP_KEYS = ("evalkit_taxonomy", "name", "version", "severity_scale", "modes", "codes", "changelog")


def _dump(obj: Any) -> str:
    return yaml.safe_dump(obj, sort_keys=False, allow_unicode=True, width=100)


def to_yaml(tax: Taxonomy) -> str:
    """Return the taxonomy as YAML text: fixed key order, one block per mode and change.

    Examples
    --------
    >>> print(to_yaml(Taxonomy(name="t", modes=["a"])).splitlines()[0])
    evalkit_taxonomy: 1
    """
    d = tax.to_dict()
    lo, hi = d["severity_scale"]
    head = _dump({k: d[k] for k in ("evalkit_taxonomy", "name", "version")}).rstrip()
    parts = [head + f"\nseverity_scale: [{lo}, {hi}]"]
    parts.append("modes:" + (" []" if not d["modes"] else ""))
    parts += ["\n" + _dump([m]).rstrip() for m in d["modes"]]
    parts.append("\n" + ("codes: {}" if not d["codes"] else _dump({"codes": d["codes"]}).rstrip()))
    parts.append("\nchangelog:" + (" []" if not d["changelog"] else ""))
    parts += [_dump([c]).rstrip() for c in d["changelog"]]
    return "\n".join(parts) + "\n"


def to_json(tax: Taxonomy) -> str:
    """Return the taxonomy as JSON text (same keys and order as the YAML form)."""
    return json.dumps(tax.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _line_of(node: yaml.Node | None, key: str | int | None = None) -> int | None:
    """1-based line of ``key`` in a mapping node (or item ``key`` of a sequence node)."""
    if node is None:
        return None
    if key is None:
        return node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for k, _v in node.value:
            if getattr(k, "value", None) == key:
                return k.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key].start_mark.line + 1
    return node.start_mark.line + 1


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                return v
    return None


def from_dict(d: Any, *, file: str | None = None, node: yaml.Node | None = None) -> Taxonomy:
    """Build a taxonomy from the dict form; errors name ``file`` and (for YAML) the line."""
    if not isinstance(d, dict):
        raise TaxonomyFileError(
            f"expected a mapping at the top; got {type(d).__name__}.", file=file
        )
    fmt = d.get("evalkit_taxonomy")
    line = _line_of(node, "evalkit_taxonomy")
    if isinstance(fmt, bool) or not isinstance(fmt, int):
        raise TaxonomyFileError(
            f"`evalkit_taxonomy` (the format version) must be an integer; got {fmt!r}.",
            file=file,
            line=line,
        )
    if fmt > FORMAT_VERSION:
        raise TaxonomyVersionError(
            f"written by a newer evalkit: taxonomy format {fmt}, but this evalkit reads up to "
            f"{FORMAT_VERSION}. Upgrade evalkit to read it.",
            file=file,
            line=line,
        )
    extra = sorted(map(str, set(d) - set(_TOP_KEYS)))
    if extra:
        raise TaxonomyFileError(
            f"unknown keys {extra}; allowed: {list(_TOP_KEYS)}.", file=file, line=_line_of(node)
        )
    modes = d.get("modes") or []
    mode_node = _child(node, "modes")
    if not isinstance(modes, list):
        raise TaxonomyFileError(
            f"`modes` must be a list; got {modes!r}.", file=file, line=_line_of(node, "modes")
        )
    log_node = _child(node, "changelog")
    try:
        changelog = [Change(**_change(c)) for c in d.get("changelog") or []]
    except (TypeError, ValueError) as exc:
        raise TaxonomyFileError(f"`changelog`: {exc}", file=file, line=_line_of(log_node)) from None
    try:
        return Taxonomy(
            name=d.get("name", "taxonomy"),
            version=d.get("version", 1),
            severity_scale=tuple(d.get("severity_scale") or (1, 3)),
            modes=tuple(modes),
            codes=d.get("codes") or {},
            changelog=tuple(changelog),
        )
    except TaxonomyError as exc:
        # point at the mode the message names, when there is one
        msg = str(exc)
        line = None
        for i, m in enumerate(modes):
            if isinstance(m, dict) and f"{m.get('name')!r}" in msg:
                line = _line_of(mode_node, i)
                break
        raise type(exc)(f"{file or '<string>'}:{line or '?'}: {msg}") from None


def _change(c: Any) -> dict[str, Any]:
    if not isinstance(c, dict):
        raise ValueError(f"each entry must be a mapping; got {c!r}")
    out = dict(c)
    for key in ("modes", "into"):
        out[key] = tuple(out.get(key) or ())
    return out


def _read(source: str | os.PathLike[str]) -> tuple[str, str | None]:
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source):
        path = Path(source)
        if not path.is_file():
            raise TaxonomyFileError(f"no such taxonomy file (got {str(source)!r}).", file=str(path))
        return path.read_text(encoding="utf-8"), str(path)
    return str(source), None


def from_yaml(source: str | os.PathLike[str]) -> Taxonomy:
    """Read a taxonomy from a YAML file path or YAML text (errors name the file and line)."""
    text, file = _read(source)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise TaxonomyFileError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            file=file,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    return from_dict(data, file=file, node=node)


def from_json(source: str | os.PathLike[str]) -> Taxonomy:
    """Read a taxonomy from a JSON file path or JSON text (errors name the file and line)."""
    text, file = _read(source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaxonomyFileError(f"not valid JSON: {exc.msg}", file=file, line=exc.lineno) from None
    return from_dict(data, file=file)
