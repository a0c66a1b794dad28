"""The Taxonomy value: named failure modes, a code -> mode map, and a changelog of versions.

A :class:`Taxonomy` is immutable. Every operation (:meth:`~Taxonomy.add`, ``rename``, ``merge``,
``split``, ``retire``, ``define``, ``map_codes``) validates its arguments and returns a *new*
taxonomy whose ``version`` is one higher and whose ``changelog`` ends with a :class:`Change`
saying who did what, when and why. Retired modes stay in the taxonomy (marked ``retired``) so
that labels made under an older version can still be resolved.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from evalkit.taxonomy._errors import DuplicateModeError, TaxonomyError, UnknownModeError
from evalkit.taxonomy._ops import TaxonomyOps
from evalkit.taxonomy._parts import (
    FORMAT_VERSION,
    Change,
    Mode,
    _as_mode,
    _check_cycles,
    _name,
    _scale,
    _write,
)

__all__ = ["FORMAT_VERSION", "Change", "Mode", "Taxonomy"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Taxonomy(TaxonomyOps):
    """A versioned, immutable set of named failure modes.

    Parameters
    ----------
    name : str, default ``'taxonomy'``
        Name of the taxonomy (one store may hold several).
    version : int, default 1
        Version number; every operation returns ``version + 1``.
    modes : sequence of Mode, mapping or str
        The modes (a bare string is a mode with that name and no definition).
    codes : mapping of str to str
        Open code (or note-cluster label) -> mode name.
    severity_scale : (int, int), default (1, 3)
        Inclusive range of mode severities.
    changelog : sequence of Change
        History of the operations that led here.

    Raises
    ------
    DuplicateModeError, UnknownModeError, ParentCycleError, TaxonomyError
        Duplicate names, a parent or code target that is not a mode, a parent cycle, a severity
        off the scale.

    Examples
    --------
    >>> tax = Taxonomy(modes=["wrong_refusal", "no_next_step"], codes={"said no": "wrong_refusal"})
    >>> tax2 = tax.rename("no_next_step", "dead_end", who="ana", why="shorter",
    ...                   when="2025-03-20T10:00:00Z")
    >>> tax2.version, tax2.mode_names
    (2, ('wrong_refusal', 'dead_end'))
    >>> tax2.changelog[-1].op, tax2.resolve("no_next_step")
    ('rename', ('dead_end',))
    """

    name: str = "taxonomy"
    version: int = 1
    modes: tuple[Mode, ...] = ()
    codes: Mapping[str, str] | tuple[tuple[str, str], ...] = ()
    severity_scale: tuple[int, int] = (1, 3)
    changelog: tuple[Change, ...] = ()

    def __post_init__(self) -> None:
        _name("name", self.name)
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise TaxonomyError(f"`version` must be a positive integer; got {self.version!r}.")
        lo, hi = _scale(self.severity_scale)
        modes = tuple(_as_mode(m, i) for i, m in enumerate(self.modes))
        seen: set[str] = set()
        for m in modes:
            _name("mode name", m.name)
            if m.name in seen:
                raise DuplicateModeError(f"mode {m.name!r} appears more than once in the taxonomy.")
            seen.add(m.name)
            sev = m.severity
            if isinstance(sev, bool) or not isinstance(sev, int) or not lo <= sev <= hi:
                raise TaxonomyError(
                    f"mode {m.name!r}: `severity` must be an integer from {lo} to {hi}; "
                    f"got {sev!r}."
                )
        for m in modes:
            if m.parent is not None and m.parent not in seen:
                raise UnknownModeError(
                    f"mode {m.name!r}: parent {m.parent!r} is not a mode; known: {sorted(seen)}."
                )
        _check_cycles(modes)
        raw: dict[str, str] = dict(self.codes)
        active = {m.name for m in modes if not m.retired}
        for code, mode in raw.items():
            _name("code", code)
            if mode not in active:
                raise UnknownModeError(
                    f"code {code!r} maps to {mode!r}, which is not an active mode; "
                    f"known: {sorted(active)}."
                )
        log = tuple(c if isinstance(c, Change) else Change(**c) for c in self.changelog)
        object.__setattr__(self, "modes", modes)
        object.__setattr__(self, "codes", tuple(sorted(raw.items())))
        object.__setattr__(self, "severity_scale", (lo, hi))
        object.__setattr__(self, "changelog", log)

    # ------------------------------------------------------------------ reading
    @property
    def active_modes(self) -> tuple[Mode, ...]:
        """The modes in use (not retired), in taxonomy order."""
        return tuple(m for m in self.modes if not m.retired)

    @property
    def mode_names(self) -> tuple[str, ...]:
        """Names of the active modes, in taxonomy order."""
        return tuple(m.name for m in self.active_modes)

    @property
    def code_map(self) -> dict[str, str]:
        """Open code -> mode name."""
        return dict(self.codes)

    @property
    def versions(self) -> tuple[int, ...]:
        """Every version in this taxonomy's history (1 up to :attr:`version`)."""
        first = min([c.version for c in self.changelog] + [self.version, 1])
        return tuple(range(first, self.version + 1))

    def __getitem__(self, name: str) -> Mode:
        for m in self.modes:
            if m.name == name:
                return m
        raise UnknownModeError(f"no mode named {name!r}; known: {list(self.mode_names)}.")

    def __contains__(self, name: object) -> bool:
        return any(m.name == name for m in self.active_modes)

    def __iter__(self) -> Iterator[Mode]:
        return iter(self.active_modes)

    def __len__(self) -> int:
        return len(self.active_modes)

    def children(self, name: str) -> tuple[str, ...]:
        """Names of the active modes whose parent is ``name``."""
        return tuple(m.name for m in self.active_modes if m.parent == name)

    def resolve(self, label: str) -> tuple[str, ...]:
        """Current mode names a mode name, historical name or open code stands for.

        A renamed or merged mode resolves to its new name, a split one to all its parts, a
        retired one to ``()``. Raises :class:`UnknownModeError` for anything else.
        """
        if label in self:
            return (label,)
        code_map = self.code_map
        if label in code_map:
            return (code_map[label],)
        current = {label}
        hit = False
        for change in self.changelog:
            touched = current.intersection(change.modes)
            if not touched or change.op in ("define", "add", "create", "map"):
                continue
            hit = True
            current = (current - touched) | set(change.into)
        if not hit:
            raise UnknownModeError(
                f"{label!r} is neither a mode, a former mode nor a mapped code of taxonomy "
                f"{self.name!r} v{self.version}; modes: {list(self.mode_names)}."
            )
        return tuple(n for n in self.mode_names if n in current)

    # ------------------------------------------------------------------ output
    def to_dict(self) -> dict[str, Any]:
        """Return a plain dict with a stable key order (what YAML and JSON files hold)."""
        return {
            "evalkit_taxonomy": FORMAT_VERSION,
            "name": self.name,
            "version": self.version,
            "severity_scale": list(self.severity_scale),
            "modes": [m.to_dict() for m in self.modes],
            "codes": dict(self.codes),
            "changelog": [c.to_dict() for c in self.changelog],
        }

    def to_yaml(self, path: str | os.PathLike[str] | None = None) -> str:
        """Return the YAML form (fixed key order, one block per mode); also write it to ``path``."""
        from evalkit.taxonomy._io import to_yaml

        return _write(to_yaml(self), path)

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """Return the JSON form (same keys and order as YAML); also write it to ``path``."""
        from evalkit.taxonomy._io import to_json

        return _write(to_json(self), path)

    @classmethod
    def from_yaml(cls, source: str | os.PathLike[str]) -> Taxonomy:
        """Read a YAML file path or text (errors name the file and line)."""
        from evalkit.taxonomy._io import from_yaml

        return from_yaml(source)

    @classmethod
    def from_json(cls, source: str | os.PathLike[str]) -> Taxonomy:
        """Read a JSON file path or text (errors name the file and line)."""
        from evalkit.taxonomy._io import from_json

        return from_json(source)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Taxonomy:
        """Build a taxonomy from :meth:`to_dict` output."""
        from evalkit.taxonomy._io import from_dict

        return from_dict(dict(d))

    def save(self, store: Any) -> Taxonomy:
        """Append this version to a LabelStore's taxonomy history; returns ``self``."""
        from evalkit.taxonomy._store import save_taxonomy

        return save_taxonomy(self, store)

    @classmethod
    def from_store(
        cls, store: Any, name: str | None = None, *, version: int | None = None
    ) -> Taxonomy:
        """Load the newest (or the given) version of a taxonomy saved in a LabelStore."""
        from evalkit.taxonomy._store import load_taxonomy

        return load_taxonomy(store, name, version=version)

    @staticmethod
    def suggest(
        labels: Any,
        *,
        n_modes: int | None = None,
        suggest: Any = None,
        rng: Any = 0,
        annotator: str | None = None,
    ) -> Any:
        """Suggest candidate modes from notes and open codes (offline, deterministic).

        See :func:`evalkit.taxonomy.suggest_modes`; accept them with ``.accept(decisions)``.
        """
        from evalkit.taxonomy._suggest import suggest_modes

        return suggest_modes(labels, n_modes=n_modes, suggest=suggest, rng=rng, annotator=annotator)

    def relabel_queue(self, labels: Any, *, annotator: str | None = None) -> Any:
        """Return the (trace, mode) questions left open by later splits and merges.

        See :func:`evalkit.taxonomy.relabel_queue`.
        """
        from evalkit.taxonomy._store import relabel_queue

        return relabel_queue(self, labels, annotator=annotator)

    def to_frame(self) -> Any:
        """Return one row per mode (``name, definition, severity, parent, retired, codes``)."""
        import pandas as pd

        by_mode: dict[str, list[str]] = {}
        for code, mode in self.code_map.items():
            by_mode.setdefault(mode, []).append(code)
        rows = [{**m.to_dict(), "codes": by_mode.get(m.name, [])} for m in self.modes]
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(m.name)}</td><td>{html.escape(m.parent or '')}</td>"
            f"<td>{m.severity}</td>"
            f"<td style='text-align:left'>{html.escape(m.definition)}</td></tr>"
            for m in self.active_modes
        )
        return (
            f"<div class='evalkit-taxonomy'><b>Taxonomy {html.escape(self.name)}</b> "
            f"v{self.version}: {len(self)} modes, {len(self.codes)} mapped codes"
            "<table><tr><th>mode</th><th>parent</th><th>severity</th><th>definition</th></tr>"
            f"{rows}</table></div>"
        )

    def __repr__(self) -> str:
        return f"Taxonomy({self.name!r}, v{self.version}, modes={list(self.mode_names)})"
