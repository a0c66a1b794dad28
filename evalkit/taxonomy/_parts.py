"""The pieces a taxonomy is made of: modes, changelog entries, and argument checks.

:class:`Mode` and :class:`Change` are frozen records; the helpers validate names, trace ids and
times for the taxonomy operations and raise typed errors naming the argument.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from evalkit.taxonomy._errors import ParentCycleError, TaxonomyError

#: Format version of the dict / YAML / JSON form written by this evalkit.
FORMAT_VERSION = 1
_KEEP: Any = object()  # "leave this attribute as it is" in :meth:`Taxonomy.define`


@dataclass(frozen=True, slots=True, kw_only=True)
class Mode:
    """One failure mode.

    Attributes
    ----------
    name : str
        Unique name (also unique among retired modes).
    definition : str
        One sentence: what a trace must show to have this mode.
    severity : int
        On the taxonomy's ``severity_scale`` (default 1-3, like the store's ``severity`` field).
    parent : str or None
        Name of the parent mode (a group such as ``"Scheduling failures"``), if any.
    fail_examples, pass_examples : tuple of str
        Trace ids that show the mode, and near misses that do not.
    retired : bool
        Retired modes (by ``retire``, ``merge`` or ``split``) are kept for history only.
    """

    name: str
    definition: str = ""
    severity: int = 2
    parent: str | None = None
    fail_examples: tuple[str, ...] = ()
    pass_examples: tuple[str, ...] = ()
    retired: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the mode as a dict with a stable key order."""
        return {
            "name": self.name,
            "definition": self.definition,
            "severity": self.severity,
            "parent": self.parent,
            "fail_examples": list(self.fail_examples),
            "pass_examples": list(self.pass_examples),
            "retired": self.retired,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One changelog entry: the operation that produced ``version``.

    Attributes
    ----------
    version : int
        The version this change produced.
    op : str
        ``'create'``, ``'add'``, ``'rename'``, ``'merge'``, ``'split'``, ``'retire'``,
        ``'define'`` or ``'map'``.
    modes : tuple of str
        The modes acted on (before the change).
    into : tuple of str
        The resulting modes (after the change; empty for ``retire``).
    who, when, why : str
        Author, ISO 8601 UTC time and reason.
    """

    version: int
    op: str
    modes: tuple[str, ...] = ()
    into: tuple[str, ...] = ()
    who: str = ""
    when: str = ""
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as a dict with a stable key order."""
        return {
            "version": self.version,
            "op": self.op,
            "modes": list(self.modes),
            "into": list(self.into),
            "who": self.who,
            "when": self.when,
            "why": self.why,
        }


def _name(arg: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TaxonomyError(f"`{arg}` must be a non-empty string; got {value!r}.")
    return value.strip()


def _names(arg: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (_name(arg, value),)
    if not isinstance(value, Iterable):
        raise TaxonomyError(f"`{arg}` must be a string or a sequence of strings; got {value!r}.")
    out = tuple(_name(f"{arg}[{i}]", v) for i, v in enumerate(value))
    if not out:
        raise TaxonomyError(f"`{arg}` must name at least one mode; got an empty sequence.")
    return out


def _ids(arg: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TaxonomyError(f"`{arg}` must be a sequence of trace ids; got {value!r}.")
    return tuple(_name(f"{arg}[{i}]", v) for i, v in enumerate(value))


def _when(value: Any) -> str:
    if value is None:
        value = datetime.now(UTC)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TaxonomyError(f"`when` must be timezone-aware; got naive {value!r}.")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, str):
        try:
            return _when(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            pass
    raise TaxonomyError(
        f"`when` must be a timezone-aware datetime or ISO 8601 text; got {value!r}."
    )


def _as_mode(value: Any, i: int) -> Mode:
    if isinstance(value, Mode):
        return value
    if isinstance(value, str):
        return Mode(name=value)
    if isinstance(value, Mapping):
        known = set(Mode.__dataclass_fields__)
        extra = sorted(map(str, set(value) - known))
        if extra:
            raise TaxonomyError(f"modes[{i}] has unknown keys {extra}; allowed: {sorted(known)}.")
        d = dict(value)
        for key in ("fail_examples", "pass_examples"):
            d[key] = _ids(f"modes[{i}].{key}", d.get(key))
        return Mode(**d)
    raise TaxonomyError(f"modes[{i}] must be a Mode, a mapping or a name; got {value!r}.")


def _write(text: str, path: str | os.PathLike[str] | None) -> str:
    if path is not None:
        from pathlib import Path

        target = Path(path)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    return text


def _codes(codes: Any) -> tuple[str, ...]:
    if isinstance(codes, str):
        return (codes,)
    return tuple(codes)


def _scale(value: Any) -> tuple[int, int]:
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise TaxonomyError(f"`severity_scale` must be (low, high); got {value!r}.") from None
    ok = all(isinstance(v, int) and not isinstance(v, bool) for v in (lo, hi))
    if not ok or lo > hi:
        raise TaxonomyError(f"`severity_scale` must be two integers low <= high; got {value!r}.")
    return int(lo), int(hi)


def _check_cycles(modes: Sequence[Mode]) -> None:
    parent = {m.name: m.parent for m in modes}
    for start in parent:
        path = [start]
        node = parent[start]
        while node is not None:
            if node in path:
                cycle = " -> ".join([*path[path.index(node) :], node])
                raise ParentCycleError(f"parents form a cycle: {cycle}.")
            path.append(node)
            node = parent.get(node)
