"""The Annotator's taxonomy hooks: modes from a Taxonomy, the relabel pass, versioned mode labels.

``Annotator(..., taxonomy=tax)`` shows the taxonomy's active modes as the failure-mode toggles
and records, beside every ``failure_modes`` label, the taxonomy version it was made under.
``Annotator(..., mode="relabel", taxonomy=tax)`` reviews the (trace, mode) questions that
:meth:`evalkit.taxonomy.Taxonomy.relabel_queue` lists (by default for the store at hand): the
toggles are the modes asked about, and the reviewer answers each one yes (on) or no (off).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.taxonomy import Taxonomy

AnnotatorMode = Literal["review", "relabel"]


def taxonomy_args(
    taxonomy: Taxonomy | None,
    mode: Any,
    store: Any,
    *,
    annotator: str,
    failure_modes: Sequence[str] | None,
    fields: Any,
    queue: pd.DataFrame | Sequence[str] | None,
) -> tuple[Sequence[str] | None, Any, Any, pd.DataFrame | None]:
    """Return ``(failure_modes, fields, queue, questions)`` for the Annotator's arguments.

    Raises
    ------
    ValueError
        Bad ``mode``, ``relabel`` without a taxonomy, or both ``taxonomy`` and ``failure_modes``.
    TypeError
        ``taxonomy`` is not a Taxonomy.
    """
    if mode not in ("review", "relabel"):
        raise ValueError(f"`mode` must be one of 'review', 'relabel'; got {mode!r}.")
    if taxonomy is None:
        if mode == "relabel":
            raise ValueError("`mode='relabel'` needs `taxonomy=` (the taxonomy to relabel with).")
        return failure_modes, fields, queue, None
    from evalkit.taxonomy import Taxonomy

    if not isinstance(taxonomy, Taxonomy):
        raise TypeError(f"`taxonomy` must be an evalkit Taxonomy; got {type(taxonomy).__name__}.")
    if failure_modes is not None:
        raise ValueError("pass either `taxonomy` or `failure_modes`, not both.")
    modes = list(taxonomy.mode_names)
    if mode == "review":
        return modes, fields, queue, None
    questions = _questions(taxonomy, store, annotator, queue)
    asked = [m for m in modes if m in set(questions["mode"])] or modes
    ids = list(dict.fromkeys(questions["trace_id"]))
    return asked, ["verdict", "failure_modes"], ids, questions


def _questions(taxonomy: Taxonomy, store: Any, annotator: str, queue: Any) -> pd.DataFrame:
    import pandas as pd

    if queue is None:
        from evalkit.labels import LabelStore

        if isinstance(store, LabelStore):
            return taxonomy.relabel_queue(store)
        with LabelStore(store) as opened:
            return taxonomy.relabel_queue(opened)
    if isinstance(queue, pd.DataFrame):
        if "mode" in queue.columns:
            return queue
        return pd.DataFrame({"trace_id": queue["trace_id"], "mode": None})
    return pd.DataFrame({"trace_id": list(queue), "mode": None})


def record_version(store: Any, taxonomy: Taxonomy | None, trace_id: str, annotator: str) -> None:
    """After a ``failure_modes`` label: save the taxonomy and record the version it used."""
    if taxonomy is None:
        return
    from evalkit.taxonomy._store import VERSION_FIELD, save_taxonomy

    save_taxonomy(taxonomy, store)
    store.record(trace_id, annotator=annotator, field=VERSION_FIELD, value=taxonomy.version)


def add_mode(
    store: Any, taxonomy: Taxonomy | None, name: str, definition: str, who: str, why: str
) -> Taxonomy:
    """Return ``taxonomy`` with mode ``name`` added, saved to the store as a new version."""
    if taxonomy is None:
        raise ValueError("add_mode needs an Annotator made with `taxonomy=`.")
    new = taxonomy.add(name, definition=definition, who=who, why=why or "added while reviewing")
    return new.save(store)


def current_modes(
    taxonomy: Taxonomy | None, questions: pd.DataFrame | None, trace_id: str, value: Any
) -> Any:
    """``failure_modes`` in the taxonomy's current names, before they are recorded.

    Former names are resolved (a renamed or merged mode to its new name); in the relabel pass
    the modes asked about on this trace are kept only when the reviewer chose them, so a split
    mode never silently turns into all of its parts.
    """
    if taxonomy is None or not isinstance(value, list):
        return value
    from evalkit.taxonomy import TaxonomyError

    asked: set[str] = set()
    if questions is not None and len(questions):
        asked = set(questions.loc[questions["trace_id"] == trace_id, "mode"].dropna())
    out: list[str] = []
    for name in value:
        if name in taxonomy:
            out.append(name)
            continue
        try:
            parts = taxonomy.resolve(name)
        except TaxonomyError:
            out.append(name)  # not ours to drop: the store keeps what the reviewer chose
            continue
        out.extend(p for p in parts if p not in asked)
    return list(dict.fromkeys(out))
