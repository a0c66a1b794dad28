"""The taxonomy operations: add, rename, merge, split, retire, define and map codes.

Each returns a new :class:`~evalkit.taxonomy.Taxonomy` one version higher with a changelog entry
(who, when, why); nothing is changed in place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from evalkit.taxonomy._errors import (
    DuplicateModeError,
    SelfMergeError,
    TaxonomyError,
    UnknownModeError,
)
from evalkit.taxonomy._parts import _KEEP, Change, Mode, _codes, _ids, _name, _names, _when

if TYPE_CHECKING:
    from evalkit.taxonomy._model import Taxonomy


class TaxonomyOps:
    """Mixin with the operations of :class:`~evalkit.taxonomy.Taxonomy`."""

    __slots__ = ()
    name: str
    version: int
    modes: tuple[Mode, ...]
    changelog: tuple[Change, ...]
    severity_scale: tuple[int, int]

    if TYPE_CHECKING:

        @property
        def code_map(self) -> dict[str, str]: ...
        @property
        def mode_names(self) -> tuple[str, ...]: ...
        def __contains__(self, name: object) -> bool: ...
        def __getitem__(self, name: str) -> Mode: ...
        def children(self, name: str) -> tuple[str, ...]: ...

    def _active(self, arg: str, name: Any) -> Mode:
        name = _name(arg, name)
        for m in self.modes:
            if m.name == name:
                if m.retired:
                    raise UnknownModeError(
                        f"`{arg}` {name!r} is a retired mode; active: {list(self.mode_names)}."
                    )
                return m
        raise UnknownModeError(f"`{arg}` {name!r} is not a mode; known: {list(self.mode_names)}.")

    def _free(self, arg: str, name: Any) -> str:
        name = _name(arg, name)
        if any(m.name == name for m in self.modes):
            state = "retired " if self[name].retired else ""
            raise DuplicateModeError(
                f"`{arg}` {name!r} is already a {state}mode of taxonomy {self.name!r}."
            )
        return name

    def _next(
        self,
        modes: Sequence[Mode],
        codes: Mapping[str, str],
        *,
        op: str,
        acted: Sequence[str],
        into: Sequence[str],
        who: str | None,
        why: str,
        when: Any,
    ) -> Taxonomy:
        if not isinstance(why, str):
            raise TaxonomyError(f"`why` must be a string; got {why!r}.")
        author = who if who is not None else os.environ.get("USER") or "unknown"
        change = Change(
            version=self.version + 1,
            op=op,
            modes=tuple(acted),
            into=tuple(into),
            who=_name("who", author),
            when=_when(when),
            why=why,
        )
        from evalkit.taxonomy._model import Taxonomy

        return Taxonomy(
            name=self.name,
            version=self.version + 1,
            modes=tuple(modes),
            codes=dict(codes),
            severity_scale=self.severity_scale,
            changelog=(*self.changelog, change),
        )

    def add(
        self,
        name: str,
        *,
        definition: str = "",
        severity: int = 2,
        parent: str | None = None,
        codes: Sequence[str] = (),
        fail_examples: Sequence[str] = (),
        pass_examples: Sequence[str] = (),
        who: str | None = None,
        why: str = "",
        when: Any = None,
    ) -> Taxonomy:
        """Return a new version with mode ``name`` added (and ``codes`` mapped to it)."""
        name = self._free("name", name)
        if parent is not None:
            self._active("parent", parent)
        mode = Mode(
            name=name,
            definition=definition,
            severity=severity,
            parent=parent,
            fail_examples=_ids("fail_examples", fail_examples),
            pass_examples=_ids("pass_examples", pass_examples),
        )
        code_map = self.code_map
        code_map.update({_name("codes", c): name for c in _codes(codes)})
        return self._next(
            [*self.modes, mode], code_map, op="add", acted=(), into=(name,),
            who=who, why=why, when=when,
        )  # fmt: skip

    def rename(
        self, old: str, new: str, *, who: str | None = None, why: str = "", when: Any = None
    ) -> Taxonomy:
        """Return a new version with mode ``old`` renamed to ``new`` (codes and children follow)."""
        self._active("old", old)
        new = self._free("new", new)
        modes = [
            replace(
                m,
                name=new if m.name == old else m.name,
                parent=new if m.parent == old else m.parent,
            )
            for m in self.modes
        ]
        codes = {c: (new if m == old else m) for c, m in self.code_map.items()}
        return self._next(
            modes, codes, op="rename", acted=(old,), into=(new,), who=who, why=why, when=when
        )

    def merge(
        self,
        modes: str | Sequence[str],
        into: str,
        *,
        definition: str | None = None,
        who: str | None = None,
        why: str = "",
        when: Any = None,
    ) -> Taxonomy:
        """Return a new version with ``modes`` merged into ``into`` (existing or new).

        The merged modes are retired; their codes, children and examples move to ``into``. A new
        ``into`` gets the highest severity of the merged modes and their common parent.
        """
        sources = _names("modes", modes)
        into = _name("into", into)
        if into in sources:
            raise SelfMergeError(f"cannot merge mode {into!r} into itself (`modes` = {sources}).")
        if len(set(sources)) != len(sources):
            raise DuplicateModeError(f"`modes` names a mode more than once: {sources}.")
        olds = [self._active("modes", s) for s in sources]
        fails = tuple(dict.fromkeys(t for m in olds for t in m.fail_examples))
        passes = tuple(dict.fromkeys(t for m in olds for t in m.pass_examples))
        new_modes = list(self.modes)
        if into in self:
            target = self._active("into", into)
            merged = replace(
                target,
                definition=target.definition if definition is None else definition,
                fail_examples=tuple(dict.fromkeys(target.fail_examples + fails)),
                pass_examples=tuple(dict.fromkeys(target.pass_examples + passes)),
            )
            new_modes = [merged if m.name == into else m for m in new_modes]
        else:
            into = self._free("into", into)
            parents = {m.parent for m in olds}
            new_modes.append(
                Mode(
                    name=into,
                    definition=definition if definition is not None else "",
                    severity=max(m.severity for m in olds),
                    parent=parents.pop() if len(parents) == 1 else None,
                    fail_examples=fails,
                    pass_examples=passes,
                )
            )
        new_modes = [
            replace(
                m,
                retired=m.retired or m.name in sources,
                parent=into if m.parent in sources else m.parent,
            )
            for m in new_modes
        ]
        codes = {c: (into if m in sources else m) for c, m in self.code_map.items()}
        return self._next(
            new_modes, codes, op="merge", acted=sources, into=(into,), who=who, why=why, when=when
        )

    def split(
        self,
        mode: str,
        into: Mapping[str, str] | Sequence[str],
        *,
        codes: Mapping[str, str] | None = None,
        who: str | None = None,
        why: str = "",
        when: Any = None,
    ) -> Taxonomy:
        """Return a new version with ``mode`` retired and split into new modes.

        Parameters
        ----------
        mode : str
            The mode to split.
        into : mapping of name -> definition, or sequence of names
            The new modes (at least two); they inherit the severity and parent.
        codes : mapping of code -> new mode, optional
            Where the split mode's codes go; codes not listed become unmapped.
        """
        old = self._active("mode", mode)
        defs = dict(into) if isinstance(into, Mapping) else dict.fromkeys(_names("into", into), "")
        names = [self._free("into", n) for n in defs]
        if len(names) < 2 or len(set(names)) != len(names):
            raise TaxonomyError(f"`into` must name at least two distinct new modes; got {names}.")
        parts = [
            Mode(name=n, definition=defs[n], severity=old.severity, parent=old.parent)
            for n in names
        ]
        code_map = {c: m for c, m in self.code_map.items() if m != mode}
        for code, target in (codes or {}).items():
            if self.code_map.get(code) != mode:
                raise UnknownModeError(f"`codes`: {code!r} is not a code of mode {mode!r}.")
            if target not in names:
                raise UnknownModeError(f"`codes`: {code!r} -> {target!r}, not one of {names}.")
            code_map[code] = target
        if self.children(mode):
            raise TaxonomyError(
                f"cannot split {mode!r}: it is the parent of {list(self.children(mode))}; "
                "move or retire those first."
            )
        new_modes = [replace(m, retired=True) if m.name == mode else m for m in self.modes]
        return self._next(
            [*new_modes, *parts], code_map, op="split", acted=(old.name,), into=names,
            who=who, why=why, when=when,
        )  # fmt: skip

    def retire(
        self, mode: str, *, who: str | None = None, why: str = "", when: Any = None
    ) -> Taxonomy:
        """Return a new version with ``mode`` retired; its codes become unmapped."""
        self._active("mode", mode)
        if self.children(mode):
            raise TaxonomyError(
                f"cannot retire {mode!r}: it is the parent of {list(self.children(mode))}."
            )
        modes = [replace(m, retired=True) if m.name == mode else m for m in self.modes]
        codes = {c: m for c, m in self.code_map.items() if m != mode}
        return self._next(
            modes, codes, op="retire", acted=(mode,), into=(), who=who, why=why, when=when
        )

    def define(
        self,
        mode: str,
        *,
        definition: str | None = None,
        severity: int | None = None,
        parent: str | None = _KEEP,
        fail_examples: Sequence[str] | None = None,
        pass_examples: Sequence[str] | None = None,
        who: str | None = None,
        why: str = "",
        when: Any = None,
    ) -> Taxonomy:
        """Return a new version with the given attributes of ``mode`` changed."""
        old = self._active("mode", mode)
        if parent is not _KEEP and parent is not None:
            self._active("parent", parent)
        new = replace(
            old,
            definition=old.definition if definition is None else definition,
            severity=old.severity if severity is None else severity,
            parent=old.parent if parent is _KEEP else parent,
            fail_examples=old.fail_examples
            if fail_examples is None
            else _ids("fail_examples", fail_examples),
            pass_examples=old.pass_examples
            if pass_examples is None
            else _ids("pass_examples", pass_examples),
        )
        modes = [new if m.name == mode else m for m in self.modes]
        return self._next(
            modes, self.code_map, op="define", acted=(mode,), into=(mode,),
            who=who, why=why, when=when,
        )  # fmt: skip

    def map_codes(
        self,
        mapping: Mapping[str, str | None],
        *,
        who: str | None = None,
        why: str = "",
        when: Any = None,
    ) -> Taxonomy:
        """Return a new version with open codes mapped to modes (``None`` unmaps a code)."""
        if not isinstance(mapping, Mapping):
            raise TaxonomyError(f"`mapping` must be a mapping code -> mode; got {mapping!r}.")
        codes = self.code_map
        targets: list[str] = []
        for code, mode in mapping.items():
            code = _name("mapping key", code)
            if mode is None:
                codes.pop(code, None)
            else:
                codes[code] = self._active(f"mapping[{code!r}]", mode).name
                targets.append(codes[code])
        return self._next(
            self.modes, codes, op="map", acted=tuple(mapping), into=tuple(dict.fromkeys(targets)),
            who=who, why=why, when=when,
        )  # fmt: skip
