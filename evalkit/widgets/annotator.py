"""`Annotator`: keyboard-first review of a queue of traces, saving every label to a LabelStore.

The browser side (``static/annotator*.js``, one module) is a thin keyboard and display layer:
it sends one message per keypress and shows what the kernel sends back. All review logic lives
here, in methods a notebook can also call directly (``annotator.press("1")``), so the widget
works the same with and without a browser.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np

from evalkit.widgets._annotator_args import (
    FIELDS,
    Field,
    Order,
    _check_args,
    _check_choice,
    _open_store,
)
from evalkit.widgets._annotator_reference import Quality
from evalkit.widgets._annotator_taxonomy import (
    AnnotatorMode,
    add_mode,
    answer_question,
    current_modes,
    record_version,
    taxonomy_args,
)
from evalkit.widgets._annotator_view import _AnnotatorView
from evalkit.widgets._render import trace_css

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.labels import LabelEvent, LabelStore
    from evalkit.taxonomy import Taxonomy

#: Keys the kernel handles -> action. ``n`` (focus the note) and ``?`` (help) are front-end only.
KEYMAP: Final[dict[str, str]] = {
    "1": "pass",
    "2": "fail",
    "d": "defer",
    "u": "undo",
    "j": "next",
    "ArrowRight": "next",
    "k": "prev",
    "ArrowLeft": "prev",
    "D": "deferred",
}
#: Messages held back waiting for an earlier one before giving up on it.
_MAX_WAITING: Final[int] = 200

_STATIC = Path(__file__).parent / "static"
#: The front end, one ES module in this order: reference box, keys and help, side panel, queue
#: table, then the frame (annotator.js, which holds the default export).
_ESM_FILES: Final = ("annotator_reference.js", "annotator_keys.js", "annotator_side.js",
                     "annotator_table.js", "annotator.js")  # fmt: skip
_log = logging.getLogger(__name__)


def _category(verdict: str | None) -> str:
    if verdict in ("pass", "fail"):
        return "done"
    if verdict == "defer":
        return "deferred"
    return "left"


class Annotator(_AnnotatorView):
    """Review traces one at a time: pass/fail, a note on the first thing that went wrong, codes.

    Every change is written to the :class:`~evalkit.labels.LabelStore` first; the widget shows
    "saved" only after the store has committed it. Keys: ``1`` pass (and next), ``2`` fail
    (stay, to write a note), ``d`` defer (and next; a pass or fail is kept), ``D`` next deferred
    trace, ``u`` undo, ``j``/``k`` or the arrow keys for next/previous, ``n`` to write the note,
    Ctrl/Cmd+Enter to save the note (or add the code) and go next, Shift+1..9 to switch a
    failure mode, ``r`` to write a reference answer and ``R`` to switch it between high and
    borderline (:meth:`set_reference`), Space/Shift+Space, PgDn/PgUp, Home/End to scroll the
    trace, ``t`` for the queue table (:meth:`table`), ``?`` for help. Keys pressed in the
    widget never reach JupyterLab's own shortcuts; after a kernel restart a stale widget says
    so and refuses keys.

    Parameters
    ----------
    traces : pd.DataFrame
        Canonical trace frame (at least ``trace_id``; see :mod:`evalkit.traces.schema`), e.g. a
        sample from :func:`evalkit.sample`. Trace ids must be unique.
    store : LabelStore or path
        Where labels go. A path opens (or creates) a store file.
    annotator : str
        Who is labelling. Progress and resume are per annotator.
    queue : pd.DataFrame or sequence of str, optional
        The review queue: a frame with a ``trace_id`` column (such as a judge-disagreement queue)
        or a list of ids, in review order. Every id must be in ``traces``. Default: all traces.
    fields : sequence of {'verdict', 'note', 'open_codes', 'failure_modes', 'reference'}, optional
        What to collect. Default: verdict, note and open codes, plus failure modes when
        ``failure_modes`` is given, and reference answers (high / borderline).
    failure_modes : sequence of str, optional
        The taxonomy's failure modes, shown as toggles.
    order : {'as-is', 'random'}, default 'as-is'
        Review order. ``'random'`` shuffles with ``seed`` (use the same seed to resume).
    seed : int, np.random.Generator or None
        Seed for ``order='random'``.
    blind : bool, default True
        Hide other annotators' and judges' labels on a trace until you have passed or failed it.
    taxonomy : Taxonomy, optional
        Show its active modes as the failure-mode toggles (instead of ``failure_modes``); every
        ``failure_modes`` label also records the taxonomy version.
    mode : {'review', 'relabel'}, default 'review'
        ``'relabel'``: one yes/no question per (trace, mode) from ``taxonomy.relabel_queue``
        (``queue`` may be that frame; default: computed from ``store``). ``.questions`` holds it.

    Attributes
    ----------
    errors : list of str
        Tracebacks of errors raised while handling front-end messages (also shown in the widget).

    Notes
    -----
    Resuming: the widget opens at the store's ``progress(...)["next_index"]``, the first trace in
    the queue without a pass/fail from this annotator (deferred traces come back). Navigation does
    constant work whatever the queue size: one trace is rendered and one trace's history is read.
    Filters (:meth:`filter`) select by segment, judge verdict (labels whose ``source`` starts with
    ``'judge'``), check verdict (``'check:'``; ``source=`` narrows either to one source) or
    disagreement (the trace's current pass/fail labels, from anyone, differ).

    Examples
    --------
    >>> import tempfile, os
    >>> from evalkit.labels import LabelStore
    >>> from evalkit.traces.schema import to_canonical
    >>> traces = to_canonical([{"trace_id": f"t{i}", "input": "hi"} for i in range(3)])
    >>> store = LabelStore(os.path.join(tempfile.mkdtemp(), "labels.sqlite"))
    >>> ann = Annotator(traces, store, annotator="alice")
    >>> ann.press("1"); ann.press("2"); _ = ann.set_note("greeting ignores the question")
    >>> ann.current, ann.progress
    ('t1', {'done': 2, 'deferred': 0, 'left': 1})
    >>> store.labels()[["trace_id", "field", "value"]].values.tolist()
    [['t0', 'verdict', 'pass'], ['t1', 'verdict', 'fail'],
     ['t1', 'note', 'greeting ignores the question']]
    """

    # the files share their top-level functions (one module scope); see _ESM_FILES
    _esm = "\n".join((_STATIC / f).read_text("utf-8") for f in _ESM_FILES)
    _css = trace_css() + "\n" + (_STATIC / "annotator.css").read_text("utf-8")

    def __init__(
        self,
        traces: pd.DataFrame,
        store: LabelStore | str | os.PathLike[str],
        *,
        annotator: str,
        queue: pd.DataFrame | Sequence[str] | None = None,
        fields: Sequence[Field] | None = None,
        failure_modes: Sequence[str] | None = None,
        order: Order = "as-is",
        seed: int | np.random.Generator | None = None,
        blind: bool = True,
        taxonomy: Taxonomy | None = None,
        mode: AnnotatorMode = "review",
    ) -> None:
        # taxonomy hook (evalkit/widgets/_annotator_taxonomy.py): modes, relabel queue
        failure_modes, fields, queue, questions = taxonomy_args(
            taxonomy, mode, store, annotator=annotator, failure_modes=failure_modes,
            fields=fields, queue=queue,
        )  # fmt: skip
        # ---- validation first
        rows, chosen, modes, order_rows = _check_args(
            traces,
            annotator=annotator,
            queue=queue,
            fields=fields,
            failure_modes=failure_modes,
            order=order,
        )
        self._store = _open_store(store)

        super().__init__()
        self.annotator = annotator
        self.blind = bool(blind)
        self.fields = chosen
        self.failure_modes = modes
        self.errors = []
        self.taxonomy, self.questions = taxonomy, questions  # taxonomy hook
        self._rows = rows
        if order == "random":
            order_rows = np.random.default_rng(seed).permutation(order_rows)
        self._queue = order_rows
        self._ids = [str(t) for t in self._rows["trace_id"].to_numpy()[order_rows]]
        self._qpos = {t: i for i, t in enumerate(self._ids)}
        seg_col = self._rows["segment"] if "segment" in self._rows.columns else None
        self._segments_q = (
            seg_col.astype(object).to_numpy()[order_rows] if seg_col is not None else None
        )
        self._segment_names = (
            sorted({str(s) for s in seg_col.dropna().unique()}) if seg_col is not None else []
        )

        # ---- where this annotator stands (the only O(queue) work, done once)
        mine = self._store.labels(annotator=annotator, field="verdict")
        self._verdicts = {
            t: v for t, v in zip(mine["trace_id"], mine["value"], strict=True) if t in self._qpos
        }
        prog = self._store.progress(self._ids, annotator=annotator, field="verdict")
        self._counts = {k: int(prog[k] or 0) for k in ("done", "deferred", "left")}
        self._known_codes = self._store.codes(field="open_codes") if "open_codes" in chosen else []
        sources = self._store.labels(field="verdict")["source"].astype(str)
        self._has_judges = bool(sources.str.startswith("judge").any())
        self._view = np.arange(len(self._ids))
        self._filter = {
            "segment": None,
            "judge_verdict": None,
            "disagreement": False,
            "check_verdict": None,
            "source": None,
        }
        nxt = prog["next_index"]
        self._cursor = int(nxt) if nxt is not None else 0
        self._ack = {"view": None, "seq": 0}
        self._expected: dict[str, int] = {}
        self._waiting: dict[str, dict[int, dict[str, Any]]] = {}
        self._message = (
            f"Resuming at trace {self._cursor + 1}: {self._counts['done']} already done."
            if self._counts["done"] and nxt is not None
            else ("Every trace in this queue is labeled." if self._ids and nxt is None else "")
        )
        self._message_kind = "info"
        self._message_trace = None
        self._saved = None
        self._shown = None
        self._own = {}
        self._others = []
        self.on_msg(self._on_msg)
        self._refresh()

    # ------------------------------------------------------------------ actions
    def press(self, key: str) -> None:
        """Act on one key as the keyboard does: ``1 2 d D u j k ArrowRight ArrowLeft``."""
        action = _check_choice("key", key, tuple(KEYMAP))
        action = KEYMAP[key]
        if action in ("pass", "fail", "defer"):
            self.label(action)  # type: ignore[arg-type]
        elif action == "undo":
            self.undo()
        elif action == "next":
            self.next()
        elif action == "deferred":
            self.next_deferred()
        else:
            self.prev()

    def label(
        self, verdict: Literal["pass", "fail", "defer"], *, advance: bool | None = None
    ) -> LabelEvent | None:
        """Record a verdict on the current trace; pass and defer then go to the next trace.

        Deferring a trace you already passed or failed keeps that verdict (and goes on): ``d``
        means "not now", never "forget my fail". Press ``1``/``2`` to change it, ``u`` to undo.

        Parameters
        ----------
        verdict : {'pass', 'fail', 'defer'}
        advance : bool, optional
            Go to the next trace afterwards. Default: for pass and defer, not for fail (a fail
            usually gets a note).

        Returns
        -------
        LabelEvent or None
            The stored event; ``None`` when a defer kept an earlier pass/fail.
        """
        _check_choice("verdict", verdict, ("pass", "fail", "defer"))
        tid = self._require_current()
        kept = self._own_state(tid).get("verdict")
        if verdict == "defer" and kept in ("pass", "fail"):
            if advance if advance is not None else True:
                self._move(1, announce_end=False)
            self._note_message(
                f"Kept your {kept} on {tid}: d only defers traces without a verdict "
                "(1/2 change it, u undoes).",
                "info",
            )
            self._refresh()
            return None
        event = self._record(tid, "verdict", verdict)
        if advance if advance is not None else verdict != "fail":
            self._move(1, announce_end=True)
        if verdict != "defer" and self._counts["left"] == 0 and self._counts["deferred"] == 0:
            done = f"All done: all {len(self._ids)} traces in this queue have a verdict."
            end = self._message if self._message.startswith("This is the") else ""
            self._note_message(f"{end} {done}".strip(), "saved")
        self._refresh()
        return event

    def set_note(self, text: str, *, trace_id: str | None = None) -> LabelEvent | None:
        """Save the note (first thing that went wrong) of the current trace, or of ``trace_id``.

        Returns ``None`` (nothing written) when the note did not change.
        """
        if not isinstance(text, str):
            raise TypeError(f"`text` must be a string; got {type(text).__name__}.")
        tid = self._target(trace_id)
        if text.strip() == (self._own_state(tid).get("note") or "").strip():
            return None
        event = self._record(tid, "note", text.strip())
        self._refresh()
        return event

    def set_reference(
        self, text: str, *, quality: Quality = "high", trace_id: str | None = None
    ) -> LabelEvent | None:
        """Save a reference answer: ``quality`` 'high' (the bar) or 'borderline' (acceptable).

        An empty ``text`` clears it. Stored as text field ``reference_high`` or
        ``reference_borderline`` (registered on first use), read by :func:`evalkit.export_golden`
        with this annotator as the author; ``None`` when unchanged. In the widget: ``r`` writes,
        ``R`` (Alt+B in the box) switches. Example: :mod:`evalkit.widgets._annotator_reference`.
        """
        from evalkit.widgets._annotator_reference import save_reference

        event = save_reference(self, text, quality=quality, trace_id=trace_id)
        self._refresh()
        return event

    def add_mode(self, name: str, *, definition: str = "", why: str = "") -> Taxonomy:
        """Add a failure mode to the taxonomy (a new version, saved to the store) and show it."""
        self.taxonomy = add_mode(self._store, self.taxonomy, name, definition, self.annotator, why)
        self.failure_modes = [*self.failure_modes, name]
        self._refresh()
        return self.taxonomy

    def answer(self, answer: str, mode: str | None = None, *, trace_id: str | None = None) -> Any:
        """Relabel pass: answer 'yes' or 'no' to a mode question (default: the next open one)."""
        return answer_question(self, answer, mode, trace_id)  # taxonomy hook

    def add_code(self, code: str, *, trace_id: str | None = None) -> LabelEvent | None:
        """Add an open code to the current trace (or ``trace_id``); ``None`` if already there."""
        if not isinstance(code, str) or not code.strip():
            raise ValueError(f"`code` must be a non-empty string; got {code!r}.")
        tid = self._target(trace_id)
        codes = list(self._own_state(tid).get("open_codes") or [])
        if code.strip() in codes:
            return None
        event = self._record(tid, "open_codes", [*codes, code.strip()])
        if code.strip() not in self._known_codes:
            self._known_codes.append(code.strip())
        self._refresh()
        return event

    def remove_code(self, code: str, *, trace_id: str | None = None) -> LabelEvent | None:
        """Remove an open code from the current trace (or ``trace_id``); ``None`` if absent."""
        tid = self._target(trace_id)
        codes = list(self._own_state(tid).get("open_codes") or [])
        if code not in codes:
            return None
        event = self._record(tid, "open_codes", [c for c in codes if c != code])
        self._refresh()
        return event

    def toggle_mode(self, mode: str, *, trace_id: str | None = None) -> LabelEvent:
        """Switch a failure mode on or off for the current trace (or ``trace_id``)."""
        _check_choice("mode", mode, self.failure_modes)
        tid = self._target(trace_id)
        chosen = list(self._own_state(tid).get("failure_modes") or [])
        chosen = [m for m in chosen if m != mode] if mode in chosen else [*chosen, mode]
        event = self._record(tid, "failure_modes", chosen)
        self._refresh()
        return event

    def undo(self) -> LabelEvent | None:
        """Retract this annotator's latest label (any trace, any field) and show that trace."""
        event = self._store.undo(self.annotator)
        if event is None:
            self._note_message("Nothing to undo.", "info")
            self._refresh()
            return None
        if event.field == "verdict":
            self._set_verdict(event.trace_id, self._latest_own(event.trace_id).get("verdict"))
        pos = self._qpos.get(event.trace_id)
        if pos is not None:
            i = int(np.searchsorted(self._view, pos))
            if i < len(self._view) and self._view[i] == pos:
                self._cursor = i
        if event.trace_id == self._shown:
            self._shown = None  # reload its labels
        self._note_message(
            f"Undid {event.field} {_short(event.value)} on {event.trace_id}.", "saved"
        )
        self._refresh()
        return event

    # ------------------------------------------------------------------ the queue as a table
    def table(self, *, search: str | None = None) -> pd.DataFrame:
        """The queue as a table: one row per trace, in review order, optionally searched.

        Parameters
        ----------
        search : str, optional
            Keep rows whose input, output or your note contains this text (case-insensitive).

        Returns
        -------
        pd.DataFrame
            ``position`` (1-based in the queue), ``trace_id``, ``status`` (``'pass'``,
            ``'fail'``, ``'deferred'`` or ``'to do'``), ``segment``, ``others`` (other
            annotators' and judges' verdicts; ``'hidden (blind)'`` until you pass or fail the
            trace in blind mode), ``input``, ``output`` and ``note`` (yours).
            In the widget, ``t`` shows this table; click a row or press Enter to open it.

        Examples
        --------
        >>> import tempfile, os
        >>> from evalkit.labels import LabelStore
        >>> from evalkit.traces.schema import to_canonical
        >>> traces = to_canonical([{"trace_id": "a", "input": "refund please"},
        ...                        {"trace_id": "b", "input": "reset my password"}])
        >>> ann = Annotator(traces, os.path.join(tempfile.mkdtemp(), "l.sqlite"), annotator="me")
        >>> ann.press("1")
        >>> ann.table()[["trace_id", "status"]].values.tolist()
        [['a', 'pass'], ['b', 'to do']]
        >>> ann.table(search="REFUND")["trace_id"].tolist()
        ['a']
        """
        from evalkit.widgets._annotator_table import queue_table

        return queue_table(self, search)

    def open_trace(self, trace_id: str) -> None:
        """Show ``trace_id`` (clearing the filter when the trace is not in the current view)."""
        pos = self._qpos.get(trace_id) if isinstance(trace_id, str) else None
        if pos is None:
            raise ValueError(f"`trace_id` {trace_id!r} is not in this annotator's queue.")
        i = int(np.searchsorted(self._view, pos))
        if not (i < len(self._view) and self._view[i] == pos):
            self.filter()
            i = pos
        self._cursor = i
        self._note_message(f"Opened {trace_id} from the table.", "info")
        self._refresh()

    # ------------------------------------------------------------------ internals
    def _require_current(self) -> str:
        tid = self.current
        if tid is None:
            raise ValueError(
                "There is no trace to label: the current view is empty (clear the filter)."
            )
        return tid

    def _target(self, trace_id: str | None) -> str:
        if trace_id is None:
            return self._require_current()
        if trace_id not in self._qpos:
            raise ValueError(f"`trace_id` {trace_id!r} is not in this annotator's queue.")
        return trace_id

    def _record(self, trace_id: str, field: str, value: Any) -> LabelEvent:
        # The store commits (fsync) before returning: only then does the UI say "saved".
        if field == "failure_modes":  # taxonomy hook: current mode names (relabel: answers)
            value = current_modes(self.taxonomy, self.questions, trace_id, value)
        event = self._store.record(trace_id, annotator=self.annotator, field=field, value=value)
        if field == "failure_modes":  # taxonomy hook: the version the modes were chosen under
            record_version(self._store, self.taxonomy, trace_id, self.annotator)
        elif field == "verdict" and self.questions is not None:  # relabel: untoggled = "no"
            own = self._own_state(trace_id).get("failure_modes") or []
            self._record(trace_id, "failure_modes", list(own))
        if field == "verdict":
            self._set_verdict(trace_id, value)
        if trace_id == self._shown:
            self._own[field] = event.value
        self._saved = {"event_id": event.event_id, "field": field, "trace_id": trace_id}
        said = field.replace("_", " ")  # "open codes", not the store's "open_codes"
        self._note_message(f"✓ Saved {said} {_short(event.value)}", "saved", trace_id=trace_id)
        return event

    def _set_verdict(self, trace_id: str, verdict: str | None) -> None:
        if trace_id not in self._qpos:
            return
        old = self._verdicts.get(trace_id)
        if verdict is None:
            self._verdicts.pop(trace_id, None)
        else:
            self._verdicts[trace_id] = verdict
        self._counts[_category(old)] -= 1
        self._counts[_category(verdict)] += 1
        if trace_id == self._shown:
            self._own["verdict"] = verdict

    # ------------------------------------------------------------------ messages from the browser
    def _on_msg(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        """Handle front-end messages strictly in the order they were sent.

        Each view numbers its messages (``view``, ``seq``). ipykernel may dispatch comm messages
        that arrive while the kernel is busy out of order, so early arrivals wait here until the
        messages before them have been handled. Errors are kept in :attr:`errors` and shown.
        """
        view, seq = content.get("view"), content.get("seq")
        with self.hold_sync():
            if not isinstance(view, str) or not isinstance(seq, int):
                self._handle(content)
                return
            expected = self._expected.get(view, 1)
            if seq < expected:  # a duplicate: already handled
                return
            waiting = self._waiting.setdefault(view, {})
            waiting[seq] = content
            while expected in waiting:
                self._handle(waiting.pop(expected))
                expected += 1
            if len(waiting) > _MAX_WAITING:
                # A message never came: do not hold the others back forever.
                self.errors.append(
                    f"messages {expected}..{min(waiting) - 1} from the browser never arrived"
                )
                for k in sorted(waiting):
                    self._handle(waiting.pop(k))
                expected = k + 1
            self._expected[view] = expected

    def _handle(self, content: dict[str, Any]) -> None:
        try:
            kind = content.get("type")
            if kind == "key":
                self.press(content.get("key"))  # type: ignore[arg-type]
            elif kind == "note":
                self.set_note(content.get("text") or "", trace_id=content.get("trace_id"))
                if content.get("next"):
                    self.next()
            elif kind == "reference":
                self.set_reference(
                    content.get("text") or "",
                    quality=content.get("quality") or "high",
                    trace_id=content.get("trace_id"),
                )
                if content.get("next"):
                    self.next()
            elif kind == "code":
                if content.get("action") == "remove":
                    self.remove_code(content.get("code") or "", trace_id=content.get("trace_id"))
                else:
                    self.add_code(content.get("code") or "", trace_id=content.get("trace_id"))
            elif kind == "mode":
                self.toggle_mode(content.get("mode") or "", trace_id=content.get("trace_id"))
            elif kind == "answer":  # taxonomy hook: relabel yes / no
                self.answer(str(content.get("answer")), content.get("mode") or None)
            elif kind == "add_mode":  # taxonomy hook
                self.add_mode(str(content.get("name") or "").strip())
            elif kind == "table":
                from evalkit.widgets._annotator_table import table_page

                offset = content.get("offset")
                self.table_state = table_page(
                    self, content.get("search") or None, offset if isinstance(offset, int) else None
                )
            elif kind == "table_close":
                self.table_state = {}
            elif kind == "open":
                self.table_state = {}
                self.open_trace(content.get("target"))  # type: ignore[arg-type]
            elif kind == "filter":
                self.filter(
                    segment=content.get("segment"),
                    judge_verdict=content.get("judge_verdict"),
                    disagreement=bool(content.get("disagreement")),
                    check_verdict=content.get("check_verdict"),
                    source=content.get("source"),
                )
            else:
                raise ValueError(f"unknown message type {kind!r}")
        except Exception:
            self.errors.append(traceback.format_exc())
            _log.exception("evalkit Annotator: error while handling %r", content)
            self._note_message("Not saved: see the error above.", "error")
        finally:
            if isinstance(content.get("seq"), int):
                self._ack = {"view": content.get("view"), "seq": content["seq"]}
            self._refresh()


def _short(value: Any) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return repr(text if len(text) <= 40 else text[:39] + "…")


__all__ = ["FIELDS", "KEYMAP", "Annotator"]
