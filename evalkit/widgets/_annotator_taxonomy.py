"""The Annotator's taxonomy hooks: modes from a Taxonomy, the relabel pass, versioned mode labels.

``Annotator(..., taxonomy=tax)`` shows the taxonomy's active modes as the failure-mode toggles
and records, beside every ``failure_modes`` label, the taxonomy version it was made under.
``Annotator(..., mode="relabel", taxonomy=tax)`` reviews the (trace, mode) questions that
:meth:`evalkit.taxonomy.Taxonomy.relabel_queue` lists (by default for the store at hand): each
question gets explicit Yes / No buttons (keys ``y`` / ``n`` answer the next open question);
``Annotator.answer`` does the same from code.
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


# ---------------------------------------------------------------------- relabel: yes / no answers
_ANSWERS = ("yes", "no")


def _session_answers(ann: Any) -> dict[tuple[str, str], str]:
    answers: dict[tuple[str, str], str] | None = getattr(ann, "_relabel_answers", None)
    if answers is None:
        answers = {}
        ann._relabel_answers = answers
    return answers


def asked_modes(ann: Any, trace_id: str) -> list[str]:
    """The modes asked about on ``trace_id`` in the relabel pass (all modes for a plain queue)."""
    q = ann.questions
    if q is None:
        return []
    modes = [m for m in q.loc[q["trace_id"] == trace_id, "mode"] if isinstance(m, str)]
    return list(dict.fromkeys(modes)) or list(ann.failure_modes)


def question_state(ann: Any, trace_id: str | None) -> list[dict[str, Any]]:
    """The shown trace's questions with their answers: ``{mode, question, answer}``.

    An answer given in this session counts; before one, a ``failure_modes`` label of this
    annotator made under the current taxonomy version answers every question (chosen: yes).
    """
    if getattr(ann, "questions", None) is None or trace_id is None:
        return []
    answers = _session_answers(ann)
    own = ann._own_state(trace_id)
    chosen = set(own.get("failure_modes") or [])
    session = any(tid == trace_id for tid, _ in answers)
    current = (
        ann.taxonomy is not None
        and "failure_modes" in own
        and own.get("taxonomy_version") == ann.taxonomy.version
    )
    out = []
    for mode in asked_modes(ann, trace_id):
        if session:
            ans = answers.get((trace_id, mode))
        else:
            ans = ("yes" if mode in chosen else "no") if current else None
        out.append({"mode": mode, "question": f"Does this trace show {mode!r}?", "answer": ans})
    return out


def answer_question(ann: Any, answer: str, mode: str | None, trace_id: str | None) -> Any:
    """Record a yes/no answer to one relabel question (default: the trace's next open one)."""
    if ann.questions is None:
        raise ValueError("answer() is for the relabel pass: Annotator(..., mode='relabel').")
    if answer not in _ANSWERS:
        raise ValueError(f"`answer` must be one of 'yes', 'no'; got {answer!r}.")
    tid = ann._target(trace_id)
    asked = asked_modes(ann, tid)
    if mode is None:
        open_ = [q["mode"] for q in question_state(ann, tid) if q["answer"] is None]
        if not open_:
            raise ValueError(f"every question on trace {tid!r} is answered; pass `mode=`.")
        mode = open_[0]
    if mode not in asked:
        raise ValueError(f"`mode` {mode!r} is not asked on trace {tid!r}; asked: {asked}.")
    chosen = [m for m in (ann._own_state(tid).get("failure_modes") or []) if m != mode]
    if answer == "yes":
        chosen.append(mode)
    event = ann._record(tid, "failure_modes", chosen)
    _session_answers(ann)[(tid, mode)] = answer
    ann._refresh()
    return event
