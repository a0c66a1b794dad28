"""`TaxonomyBuilder`: group open codes and note clusters into named failure modes (an anywidget).

The browser side (``static/taxonomy_builder.js``) lists the store's open codes and note clusters
with counts and example notes, and sends one message per action. Every action is a taxonomy
operation done here, in methods a notebook can also call directly (``builder.group(...)``); each
one appends a new taxonomy version to the label store. Text is only ever set with
``textContent`` in the browser, so notes and names cannot inject markup.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from evalkit.taxonomy import Taxonomy, TaxonomyError, label_table, load_taxonomy, suggest_modes
from evalkit.taxonomy._parts import _KEEP
from evalkit.widgets._annotator_args import _open_store

if TYPE_CHECKING:
    import os

    import pandas as pd

    from evalkit.labels import LabelStore

_STATIC = Path(__file__).parent / "static"
_log = logging.getLogger(__name__)
_EXAMPLES = 3
_UNMAPPED = 8


class TaxonomyBuilder(anywidget.AnyWidget):
    """Build a failure taxonomy from a label store's open codes and note clusters.

    Lists every open code and every suggested note cluster of failing traces with its count and
    example notes; selected items are grouped into a mode (new or existing) with a name,
    definition, severity and parent. Shows coverage: the share of failing traces mapped to some
    mode, and the notes that are not yet. A mode can be split into new modes with its codes
    assigned to them; the relabel queue that splits and merges open is listed per mode. Every
    change is a new taxonomy version in the store. Keyboard: ``j``/``k`` move, ``x`` selects,
    ``/`` names the mode, ``g`` groups, ``u`` unmaps, ``?`` lists the keys.

    Parameters
    ----------
    store : LabelStore or path
        The label store (notes, open codes and verdicts are read from it; versions go to it).
    taxonomy : Taxonomy, optional
        Start from this taxonomy. Default: the newest version of ``name`` in the store, or an
        empty one.
    name : str, default ``'taxonomy'``
        Name of the taxonomy when none is stored yet.
    who : str, optional
        Author recorded in the changelog (default: the ``USER`` environment variable).
    n_clusters : int, optional
        Number of note clusters (default: see :func:`evalkit.taxonomy.suggest_modes`).
    rng : int, default 0
        Seed of the note clustering.

    Attributes
    ----------
    taxonomy : Taxonomy
        The current version.
    errors : list of str
        Tracebacks of errors raised while handling front-end messages (also shown in the widget).

    Examples
    --------
    >>> import tempfile, os
    >>> from evalkit.labels import LabelStore
    >>> store = LabelStore(os.path.join(tempfile.mkdtemp(), "labels.sqlite"))
    >>> for t, code in [("t1", "said no"), ("t2", "said no"), ("t3", "no link")]:
    ...     _ = store.record(t, annotator="ana", field="verdict", value="fail")
    ...     _ = store.record(t, annotator="ana", field="open_codes", value=[code])
    >>> b = TaxonomyBuilder(store, who="ana")
    >>> b.group(["code:said no"], "wrong_refusal", definition="Refuses a valid request")
    >>> b.taxonomy.version, b.coverage()["share"]
    (2, 0.6666666666666666)
    """

    _esm = _STATIC / "taxonomy_builder.js"
    _css = _STATIC / "taxonomy_builder.css"
    state = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        store: LabelStore | str | os.PathLike[str],
        *,
        taxonomy: Taxonomy | None = None,
        name: str = "taxonomy",
        who: str | None = None,
        n_clusters: int | None = None,
        rng: int = 0,
    ) -> None:
        self._store = _open_store(store)
        if taxonomy is not None and not isinstance(taxonomy, Taxonomy):
            raise TypeError(f"`taxonomy` must be a Taxonomy; got {type(taxonomy).__name__}.")
        if taxonomy is None:
            try:
                taxonomy = load_taxonomy(self._store, name)
            except TaxonomyError:
                taxonomy = Taxonomy(name=name)
        super().__init__()
        self.taxonomy: Taxonomy = taxonomy
        self.who = who
        self.errors: list[str] = []
        self._message = ("", "info")
        self._load(n_clusters, rng)
        self.on_msg(self._on_msg)
        self._refresh()

    # ------------------------------------------------------------------ data
    def _load(self, n_clusters: int | None, rng: int) -> None:
        wide = label_table(self._store)
        if "verdict" in wide.columns:
            wide = wide[wide["verdict"].astype(object) == "fail"]
        self._failing = sorted(set(wide["trace_id"]))
        notes = wide["note"] if "note" in wide.columns else [None] * len(wide)
        self._notes = {
            t: n.strip()
            for t, n in zip(wide["trace_id"], notes, strict=True)
            if isinstance(n, str) and n.strip()
        }
        self._labelled = {
            t for t, m in zip(wide["trace_id"], wide["failure_modes"], strict=True) if m
        }
        items: dict[str, dict[str, Any]] = {}
        for tid, codes in zip(wide["trace_id"], wide["open_codes"], strict=True):
            for code in codes:
                item = items.setdefault(
                    f"code:{code}", {"kind": "code", "key": code, "label": code, "traces": []}
                )
                item["traces"].append(tid)
        for item in items.values():
            notes_of = [self._notes[t] for t in item["traces"] if t in self._notes]
            item["examples"] = list(dict.fromkeys(notes_of))[:_EXAMPLES]
        if len(self._notes) >= 2:
            sug = suggest_modes(wide.drop(columns=["open_codes"]), n_modes=n_clusters, rng=rng)
            for c in sug.candidates:
                items[f"cluster:{c.name}"] = {
                    "kind": "cluster",
                    "key": c.name,
                    "label": c.representative,
                    "traces": list(c.trace_ids),
                    "examples": list(c.notes[:_EXAMPLES]),
                }
        self._items = items

    def coverage(self) -> dict[str, Any]:
        """Share of failing traces mapped to some mode, and the notes of those that are not."""
        code_map = self.taxonomy.code_map
        covered = set(self._labelled)
        for item in self._items.values():
            if item["key"] in code_map:
                covered.update(item["traces"])
        failing = self._failing
        n_cov = sum(t in covered for t in failing)
        unmapped = [self._notes[t] for t in failing if t not in covered and t in self._notes]
        return {
            "failing": len(failing),
            "covered": n_cov,
            "share": n_cov / len(failing) if failing else 0.0,
            "unmapped_notes": list(dict.fromkeys(unmapped))[:_UNMAPPED],
            "n_unmapped": len(failing) - n_cov,
        }

    # ------------------------------------------------------------------ actions
    def _keys(self, items: Sequence[str]) -> list[str]:
        if isinstance(items, str) or not items:
            raise TaxonomyError(f"`items` must be a non-empty list of item ids; got {items!r}.")
        unknown = [i for i in items if i not in self._items]
        if unknown:
            raise TaxonomyError(f"`items` {unknown} are not open codes or note clusters here.")
        return [self._items[i]["key"] for i in items]

    def _commit(self, tax: Taxonomy, message: str) -> None:
        self.taxonomy = tax.save(self._store)
        self._message = (f"✓ v{tax.version}: {message}", "saved")
        self._refresh()

    def group(
        self,
        items: Sequence[str],
        name: str,
        *,
        definition: str = "",
        severity: int = 2,
        parent: str | None = None,
        why: str = "",
    ) -> None:
        """Map the selected items (``'code:...'``/``'cluster:...'`` ids) to mode ``name``.

        A new name adds the mode; an existing one gets the items mapped to it.
        """
        keys = self._keys(items)
        tax = self.taxonomy
        if name in tax:
            new = tax.map_codes(dict.fromkeys(keys, name), who=self.who, why=why)
        else:
            new = tax.add(
                name, definition=definition, severity=severity, parent=parent or None,
                codes=keys, who=self.who, why=why,
            )  # fmt: skip
        self._commit(new, f"{len(keys)} item(s) -> {name}")

    def define(
        self,
        mode: str,
        *,
        definition: str | None = None,
        severity: int | None = None,
        parent: str | None = _KEEP,
    ) -> None:
        """Edit a mode's definition, severity or parent."""
        new = self.taxonomy.define(
            mode, definition=definition, severity=severity, parent=parent, who=self.who
        )
        self._commit(new, f"edited {mode}")

    def rename(self, old: str, new: str) -> None:
        """Rename a mode (its codes and children follow)."""
        self._commit(self.taxonomy.rename(old, new, who=self.who), f"{old} renamed {new}")

    def merge(self, modes: Sequence[str], into: str) -> None:
        """Merge modes into one (existing or new)."""
        self._commit(self.taxonomy.merge(modes, into, who=self.who), f"merged into {into}")

    def split(
        self,
        mode: str,
        into: Sequence[str],
        *,
        codes: dict[str, str] | None = None,
        why: str = "",
    ) -> None:
        """Split a mode into new modes (at least two); ``codes`` assigns its codes to them.

        Traces labelled with the old mode are queued for relabeling (see :meth:`relabel_queue`).
        """
        new = self.taxonomy.split(mode, list(into), codes=codes, who=self.who, why=why)
        self._commit(new, f"split {mode} into {', '.join(into)}")

    def relabel_queue(self) -> pd.DataFrame:
        """The (trace, mode) questions the taxonomy's splits and merges opened in the store.

        Open them with ``Annotator(traces, store, taxonomy=builder.taxonomy, mode="relabel")``.
        """
        return self.taxonomy.relabel_queue(self._store)

    def _relabel_state(self) -> dict[str, Any]:
        try:
            q = self.relabel_queue()
        except TaxonomyError as exc:
            return {"error": str(exc), "n": 0, "traces": 0, "by_mode": []}
        by_mode = [
            {"mode": str(m), "count": len(g), "traces": list(map(str, g["trace_id"][:_EXAMPLES])),
             "reason": str(g["reason"].iloc[-1])}
            for m, g in q.groupby("mode", sort=False)
        ]  # fmt: skip
        return {"n": len(q), "traces": int(q["trace_id"].nunique()), "by_mode": by_mode}

    def retire(self, mode: str) -> None:
        """Retire a mode (its codes become unmapped)."""
        self._commit(self.taxonomy.retire(mode, who=self.who), f"retired {mode}")

    def unmap(self, items: Sequence[str]) -> None:
        """Unmap the selected items from their modes."""
        keys = self._keys(items)
        self._commit(self.taxonomy.map_codes(dict.fromkeys(keys), who=self.who), "unmapped")

    # ------------------------------------------------------------------ front end
    def _refresh(self) -> None:
        code_map = self.taxonomy.code_map
        items = [
            {
                "id": iid,
                "kind": it["kind"],
                "label": it["label"],
                "key": it["key"],
                "count": len(set(it["traces"])),
                "examples": it["examples"],
                "mode": code_map.get(it["key"]),
            }
            for iid, it in sorted(
                self._items.items(), key=lambda kv: (-len(set(kv[1]["traces"])), kv[0])
            )
        ]
        counts: dict[str, int] = {}
        for it in items:
            if it["mode"]:
                counts[it["mode"]] = counts.get(it["mode"], 0) + it["count"]
        modes = [
            {"name": m.name, "definition": m.definition, "severity": m.severity,
             "parent": m.parent, "items": counts.get(m.name, 0),
             "codes": sorted(c for c, t in code_map.items() if t == m.name)}
            for m in self.taxonomy.active_modes
        ]  # fmt: skip
        log = [
            {"version": c.version, "op": c.op, "modes": list(c.modes), "into": list(c.into),
             "who": c.who, "why": c.why}
            for c in self.taxonomy.changelog[-5:]
        ]  # fmt: skip
        self.state = {
            "name": self.taxonomy.name,
            "version": self.taxonomy.version,
            "items": items,
            "modes": modes,
            "coverage": self.coverage(),
            "changelog": log,
            "scale": list(self.taxonomy.severity_scale),
            "message": self._message[0],
            "message_kind": self._message[1],
            "relabel": self._relabel_state(),
        }

    def _on_msg(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        try:
            self._handle(content)
        except Exception as exc:  # shown in the widget, kept in .errors, logged
            self.errors.append(traceback.format_exc())
            _log.warning("TaxonomyBuilder message failed: %s", exc)
            self._message = (f"⚠ {exc}", "error")
            self._refresh()

    def _handle(self, c: dict[str, Any]) -> None:
        kind = c.get("type")
        if kind == "group":
            self.group(
                list(c.get("items") or []), str(c.get("name") or "").strip(),
                definition=str(c.get("definition") or ""), severity=int(c.get("severity") or 2),
                parent=c.get("parent") or None,
            )  # fmt: skip
        elif kind == "define":
            self.define(
                str(c.get("mode")), definition=c.get("definition"),
                severity=int(c["severity"]) if c.get("severity") else None,
                parent=c.get("parent") or None,
            )  # fmt: skip
        elif kind == "rename":
            self.rename(str(c.get("old")), str(c.get("new") or "").strip())
        elif kind == "retire":
            self.retire(str(c.get("mode")))
        elif kind == "split":
            codes = c.get("codes") if isinstance(c.get("codes"), dict) else None
            into = [str(n).strip() for n in c.get("into") or [] if str(n).strip()]
            self.split(str(c.get("mode")), into, codes=codes)
        elif kind == "merge":
            self.merge(list(c.get("modes") or []), str(c.get("into") or "").strip())
        elif kind == "unmap":
            self.unmap(list(c.get("items") or []))
        else:
            raise TaxonomyError(f"unknown message type {kind!r}.")
