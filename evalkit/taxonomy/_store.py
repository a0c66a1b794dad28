"""Taxonomies inside a label store: appended versions, labels tagged with the version, relabeling.

A store file carries its taxonomy history in an append-only ``taxonomy_versions`` table (one
row per saved version, the JSON document; triggers refuse UPDATE and DELETE, like the events
table), kept through the store's public hook
:meth:`evalkit.labels.LabelStore.extension_table`. Labels made under a taxonomy also record the
registered ``taxonomy_version`` field, so :func:`relabel_queue` can tell which traces a later
split or merge affects.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from evalkit.taxonomy._errors import TaxonomyError, UnknownTaxonomyVersionError
from evalkit.taxonomy._io import from_dict
from evalkit.taxonomy._labels import label_table
from evalkit.taxonomy._model import Taxonomy

VERSION_FIELD = "taxonomy_version"
TABLE = "taxonomy_versions"
_COLUMNS = {"name": "TEXT", "version": "INTEGER", "document": "TEXT", "saved_at": "TEXT"}


def _table(store: Any) -> Any:
    """The store's append-only ``taxonomy_versions`` table (the labels stage's public hook)."""
    if not (hasattr(store, "extension_table") and hasattr(store, "register_field")):
        raise TaxonomyError(f"`store` must be an evalkit LabelStore; got {type(store).__name__}.")
    return store.extension_table(TABLE, _COLUMNS, unique=("name", "version"))


def save_taxonomy(tax: Taxonomy, store: Any) -> Taxonomy:
    """Append ``tax`` to the store's taxonomy history (idempotent for an identical version).

    Raises
    ------
    TaxonomyError
        The store already holds a *different* document under this name and version (two people
        edited the same version), or holds a newer version of this taxonomy.
    """
    table = _table(store)
    if not isinstance(tax, Taxonomy):
        raise TaxonomyError(f"`tax` must be a Taxonomy; got {type(tax).__name__}.")
    store.register_field(VERSION_FIELD, kind="int", low=1)
    doc = json.dumps(tax.to_dict(), ensure_ascii=False)

    def txn(tx: Any) -> None:
        row = tx.select("name = ? AND version = ?", (tax.name, tax.version), columns=["document"])
        if row:
            if json.loads(row[0][0]) != json.loads(doc):
                raise TaxonomyError(
                    f"the store already holds a different taxonomy {tax.name!r} v{tax.version}; "
                    "load it with Taxonomy.from_store and apply your change to it."
                )
            return
        versions = [v for (v,) in tx.select("name = ?", (tax.name,), columns=["version"])]
        newest = max(versions, default=None)
        if newest is not None and newest > tax.version:
            raise TaxonomyError(
                f"the store already holds taxonomy {tax.name!r} v{newest}, newer than "
                f"v{tax.version}; nothing was written."
            )
        saved = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        tx.append({"name": tax.name, "version": tax.version, "document": doc, "saved_at": saved})

    table.write(txn)
    return tax


def load_taxonomy(store: Any, name: str | None = None, *, version: int | None = None) -> Taxonomy:
    """Return a stored taxonomy (the newest version unless ``version`` is given).

    Raises
    ------
    TaxonomyError
        No taxonomy is stored, or several are and ``name`` was not given.
    UnknownTaxonomyVersionError
        ``version`` was never saved in this store.
    """
    hist = taxonomy_history(store)
    if hist.empty:
        raise TaxonomyError(f"label store {str(store.path)!r} holds no taxonomy.")
    names = sorted(hist["name"].unique())
    if name is None:
        if len(names) > 1:
            raise TaxonomyError(f"the store holds several taxonomies {names}; pass `name=`.")
        name = names[0]
    rows = hist[hist["name"] == name]
    if rows.empty:
        raise TaxonomyError(f"no taxonomy named {name!r} in the store; found {names}.")
    if version is not None:
        rows = rows[rows["version"] == version]
        if rows.empty:
            saved = sorted(hist.loc[hist["name"] == name, "version"].tolist())
            raise UnknownTaxonomyVersionError(
                f"taxonomy {name!r} v{version} was never saved in the store; saved: {saved}."
            )
    doc = rows.sort_values("version").iloc[-1]["document"]
    return from_dict(json.loads(doc), file=str(store.path))


def taxonomy_history(store: Any) -> pd.DataFrame:
    """Return every stored taxonomy version: ``name, version, saved_at, document``."""
    cols = ["name", "version", "saved_at", "document"]
    return pd.DataFrame(_table(store).select(columns=cols), columns=cols)


def record_modes(
    store: Any,
    trace_id: str,
    modes: list[str],
    *,
    taxonomy: Taxonomy,
    annotator: str,
    source: str = "human",
) -> Any:
    """Record ``failure_modes`` for a trace together with the taxonomy version they use.

    The taxonomy is saved to the store first (if it is not yet), so the version is known.
    """
    unknown = [m for m in modes if m not in taxonomy]
    if unknown:
        from evalkit.taxonomy._errors import UnknownModeError

        raise UnknownModeError(
            f"`modes` {unknown} are not active modes of taxonomy {taxonomy.name!r} "
            f"v{taxonomy.version}; known: {list(taxonomy.mode_names)}."
        )
    save_taxonomy(taxonomy, store)
    event = store.record(
        trace_id, annotator=annotator, field="failure_modes", value=list(modes), source=source
    )
    store.record(
        trace_id, annotator=annotator, field=VERSION_FIELD, value=taxonomy.version, source=source
    )
    return event


def relabel_queue(tax: Taxonomy, labels: Any, *, annotator: str | None = None) -> pd.DataFrame:
    """The (trace, mode) questions that a split or merge after a label's version leaves open.

    Parameters
    ----------
    tax : Taxonomy
        The current taxonomy.
    labels : LabelStore or DataFrame
        Labels (see :func:`label_table`); ``taxonomy_version`` says under which version each
        trace's ``failure_modes`` were chosen (missing: the first version of ``tax``).
    annotator : str, optional
        Only this annotator's labels.

    Returns
    -------
    pandas.DataFrame
        ``trace_id, mode, question, reason, from_version, annotator``, one row per question;
        pass it to ``Annotator(..., mode="relabel", queue=...)``.

    Raises
    ------
    UnknownTaxonomyVersionError
        A label names a version outside this taxonomy's history.
    """
    wide = label_table(labels)
    if annotator is not None:
        wide = wide[wide["annotator"] == annotator]
    first = tax.versions[0]
    known = set(tax.versions)
    rows: list[dict[str, Any]] = []
    versions = wide[VERSION_FIELD] if VERSION_FIELD in wide.columns else [None] * len(wide)
    for tid, ann, modes, ver in zip(
        wide["trace_id"], wide["annotator"], wide["failure_modes"], versions, strict=True
    ):
        v = first if ver is None or pd.isna(ver) else int(ver)
        if v not in known:
            raise UnknownTaxonomyVersionError(
                f"trace {tid!r} (annotator {ann!r}) was labelled under taxonomy "
                f"{tax.name!r} v{v}, which is not in its history {list(tax.versions)}."
            )
        current = set(modes)
        for change in tax.changelog:
            if change.version <= v:
                continue
            touched = current.intersection(change.modes)
            if not touched:
                continue
            current = (current - touched) | set(change.into)
            if change.op in ("split", "merge"):
                for new in change.into:
                    rows.append(
                        {
                            "trace_id": tid,
                            "mode": new,
                            "reason": f"{change.op} of {', '.join(sorted(touched))} "
                            f"in v{change.version}",
                            "from_version": v,
                            "annotator": ann,
                        }
                    )
    out = pd.DataFrame(rows, columns=["trace_id", "mode", "reason", "from_version", "annotator"])
    out = out[out["mode"].isin(tax.mode_names)].drop_duplicates(["trace_id", "mode"], keep="last")
    out.insert(2, "question", [f"Does this trace show {m!r}?" for m in out["mode"]])
    return out.reset_index(drop=True)
