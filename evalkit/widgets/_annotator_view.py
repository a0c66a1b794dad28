"""What the :class:`~evalkit.widgets.annotator.Annotator` shows and how a reviewer moves through it.

The queue view (the whole queue or a filter of it), the cursor in it, the trace on display with
the other labels on it, and the state pushed to the browser. Recording labels lives in
:mod:`evalkit.widgets.annotator`.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, Final, Literal

import anywidget
import numpy as np
import traitlets

from evalkit.widgets._annotator_args import _check_choice
from evalkit.widgets._annotator_reference import reference_state
from evalkit.widgets._annotator_taxonomy import question_state
from evalkit.widgets._render import render_trace

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.labels import LabelStore

JudgeVerdict = Literal["pass", "fail"]

_MAX_ERRORS_SHOWN: Final[int] = 3
_EMPTY_VIEW: Final[str] = (
    '<div class="ek-trace"><div class="ek-empty">No traces in this view.</div></div>'
)


class _AnnotatorView(anywidget.AnyWidget):
    """The display side of the Annotator: view, cursor, navigation, rendering, front-end state.

    Attributes below are set by ``Annotator.__init__``; this class never records a label.
    """

    html = traitlets.Unicode("").tag(sync=True)
    labels_html = traitlets.Unicode("").tag(sync=True)
    state = traitlets.Dict().tag(sync=True)
    table_state = traitlets.Dict().tag(sync=True)

    annotator: str
    blind: bool
    fields: list[str]
    failure_modes: list[str]
    errors: list[str]
    _store: LabelStore
    _rows: pd.DataFrame
    _queue: np.ndarray
    _ids: list[str]
    _qpos: dict[str, int]
    _segments_q: np.ndarray | None
    _segment_names: list[str]
    _verdicts: dict[str, str]
    _counts: dict[str, int]
    _known_codes: list[str]
    _has_judges: bool
    _view: np.ndarray
    _filter: dict[str, Any]
    _cursor: int
    _ack: dict[str, Any]
    _message: str
    _message_kind: str
    _message_trace: str | None
    _saved: dict[str, Any] | None
    _shown: str | None
    _rendered_blind: bool | None
    _own: dict[str, Any]
    _others: list[dict[str, Any]]

    # ------------------------------------------------------------------ public read-only state
    @property
    def store(self) -> LabelStore:
        """The label store this widget writes to."""
        return self._store

    @property
    def current(self) -> str | None:
        """Trace id on display (``None`` when the current view is empty)."""
        if not len(self._view):
            return None
        return self._ids[int(self._view[self._cursor])]

    @property
    def index(self) -> int:
        """Position of the current trace in the current view (0-based)."""
        return self._cursor

    @property
    def queue(self) -> list[str]:
        """Trace ids in review order (the whole queue, ignoring filters)."""
        return list(self._ids)

    @property
    def view(self) -> list[str]:
        """Trace ids in the current (filtered) view, in review order."""
        return [self._ids[int(i)] for i in self._view]

    @property
    def progress(self) -> dict[str, int]:
        """The annotator's progress over the whole queue: ``done``, ``deferred``, ``left``."""
        return dict(self._counts)

    @property
    def verdict(self) -> str | None:
        """The annotator's current verdict on the trace on display."""
        return self._own.get("verdict")

    # ------------------------------------------------------------------ navigation
    def next(self) -> None:
        """Go to the next trace in the view."""
        self._move(1, announce_end=True)
        self._refresh()

    def prev(self) -> None:
        """Go to the previous trace in the view."""
        self._move(-1, announce_end=True)
        self._refresh()

    def next_deferred(self) -> str | None:
        """Go to the next deferred trace of the view (wrapping around); return its id or None."""
        deferred = sorted(self._qpos[t] for t, v in self._verdicts.items() if v == "defer")
        at = np.searchsorted(self._view, np.asarray(deferred, dtype=np.int64))
        found = [
            int(i) for i, q in zip(at, deferred, strict=True)
            if i < len(self._view) and self._view[i] == q
        ]  # fmt: skip
        if not found:
            self._note_message("No deferred traces in this view.", "info")
            self._refresh()
            return None
        after = [i for i in found if i > self._cursor]
        self._cursor = after[0] if after else found[0]
        n = len(found)
        self._note_message(f"Deferred trace ({n} deferred in this view).", "info")
        self._refresh()
        return self.current

    def go(self, index: int) -> None:
        """Go to position ``index`` (0-based) of the current view."""
        if not isinstance(index, (int, np.integer)) or not 0 <= index < len(self._view):
            raise IndexError(
                f"`index` must be an integer from 0 to {len(self._view) - 1}; got {index!r}."
            )
        self._cursor = int(index)
        self._refresh()

    def filter(
        self,
        *,
        segment: str | None = None,
        judge_verdict: JudgeVerdict | None = None,
        disagreement: bool = False,
        check_verdict: JudgeVerdict | None = None,
        source: str | None = None,
    ) -> int:
        """Show only some traces of the queue; call with no arguments to show all again.

        Parameters
        ----------
        segment : str, optional
            Keep traces of this segment.
        judge_verdict : {'pass', 'fail'}, optional
            ``'fail'``: at least one judge failed the trace; ``'pass'``: judges labeled it and
            none failed it. Judges are labels whose ``source`` starts with ``'judge'``.
        disagreement : bool, default False
            Keep traces whose current pass/fail labels (annotators and judges) are not unanimous.
        check_verdict : {'pass', 'fail'}, optional
            The same over code checks: labels whose ``source`` starts with ``'check:'``
            (``CheckResult.to_store``).
        source : str, optional
            Narrow ``judge_verdict`` or ``check_verdict`` to the labels of this one source, e.g.
            ``'check:no_invented_ids'`` or ``'judge:gpt-4o'`` (one of the store's sources).

        Returns
        -------
        int
            Number of traces in the new view. The view opens at its first trace without a
            pass/fail from this annotator.
        """
        if segment is not None:
            _check_choice("segment", segment, self._segment_names)
        if judge_verdict is not None:
            _check_choice("judge_verdict", judge_verdict, ("pass", "fail"))
        if check_verdict is not None:
            _check_choice("check_verdict", check_verdict, ("pass", "fail"))
        keep = np.ones(len(self._ids), dtype=bool)
        if segment is not None and self._segments_q is not None:
            keep &= self._segments_q == segment
        if source is not None and (judge_verdict is None) == (check_verdict is None):
            raise ValueError("`source` narrows `judge_verdict` or `check_verdict`: pass exactly "
                             f"one of them with it; got source={source!r}.")
        votes = [("judge", judge_verdict), ("check:", check_verdict)]
        if any(v is not None for _, v in votes) or disagreement:
            labels = self._store.current_verdicts()  # cached until the store changes
            labels = labels[labels["value"].isin(["pass", "fail"])]
            import pandas as pd

            # Hash lookups (pandas isin): np.isin on object arrays compares every pair.
            ids = pd.Series(self._ids, dtype=object)
            for prefix, verdict in votes:
                if verdict is None:
                    continue
                judged = labels[labels["source"].astype(str).str.startswith(prefix)]
                if source is not None:
                    known = sorted(set(judged["source"].astype(str)))
                    _check_choice("source", source, known or ["(none with that prefix)"])
                    judged = judged[judged["source"] == source]
                failed = set(judged.loc[judged["value"] == "fail", "trace_id"])
                if verdict == "fail":
                    keep &= ids.isin(failed).to_numpy()
                else:
                    keep &= ids.isin(set(judged["trace_id"]) - failed).to_numpy()
            if disagreement:
                n_values = labels.groupby("trace_id")["value"].nunique()
                keep &= ids.isin(set(n_values.index[n_values > 1])).to_numpy()
        self._view = np.flatnonzero(keep)
        self._filter = {
            "segment": segment,
            "judge_verdict": judge_verdict,
            "disagreement": bool(disagreement),
            "check_verdict": check_verdict,
            "source": source,
        }
        done = {self._qpos[t] for t, v in self._verdicts.items() if v in ("pass", "fail")}
        todo = np.flatnonzero(~np.isin(self._view, np.fromiter(done, np.int64, len(done))))
        self._cursor = int(todo[0]) if len(todo) else 0
        self._note_message(
            f"{len(self._view)} of {len(self._ids)} traces match the filter.", "info"
        )
        self._refresh()
        return len(self._view)

    # ------------------------------------------------------------------ internals
    def _move(self, step: int, *, announce_end: bool) -> None:
        target = self._cursor + step
        if 0 <= target < len(self._view):
            self._cursor = target
        elif announce_end and len(self._view):
            left = self._counts["left"] + self._counts["deferred"]
            where = "last" if step > 0 else "first"
            self._note_message(
                f"This is the {where} trace of the view ({left} not done in the queue).", "info"
            )

    def _note_message(self, text: str, kind: str, *, trace_id: str | None = None) -> None:
        """Set the status line; ``trace_id``: the trace it speaks of (a save on that trace)."""
        self._message, self._message_kind, self._message_trace = text, kind, trace_id

    def _status(self, shown: str | None) -> tuple[str, str]:
        """The status line as shown with ``shown`` on display: (text, kind).

        A save confirmation speaks of the trace it was made on. Shown on another trace (pass and
        defer move on), a bare "✓ Saved verdict 'pass'" would read as "this trace is saved": it
        names its trace and says where this one stands, in the dim "info" style.
        """
        about = self._message_trace
        if about is None or about == shown:
            return self._message, self._message_kind
        if shown is None:
            return f"{self._message} on {about}", "info"
        verdict = self._own.get("verdict")
        here = {None: "this trace has no verdict yet", "defer": "this trace: deferred"}.get(
            verdict, f"this trace: {verdict}"
        )
        return f"{self._message} on {about} · {here}", "info"

    def _history(self, trace_id: str) -> list[dict[Any, Any]]:
        hist = self._store.history(trace_id)
        return [r for r in hist.to_dict("records") if r["kind"] == "label" and not r["undone"]]

    def _latest_own(self, trace_id: str) -> dict[str, Any]:
        own: dict[str, Any] = {}
        for r in self._history(trace_id):
            if r["annotator"] == self.annotator:
                own[r["field"]] = r["value"]
        return own

    def _own_state(self, trace_id: str) -> dict[str, Any]:
        return self._own if trace_id == self._shown else self._latest_own(trace_id)

    def _load_current(self, trace_id: str) -> None:
        own: dict[str, Any] = {}
        others: dict[tuple[str, str], dict[str, Any]] = {}
        for r in self._history(trace_id):
            if r["annotator"] == self.annotator:
                own[r["field"]] = r["value"]
            else:
                entry = others.setdefault(
                    (r["annotator"], r["source"]), {"who": r["annotator"], "source": r["source"]}
                )
                entry[r["field"]] = r["value"]
        self._own = own
        self._others = list(others.values())

    def _others_html(self) -> str:
        if not self._others:
            return '<div class="ek-hidden-note">No other labels on this trace.</div>'
        if self.blind and self._own.get("verdict") not in ("pass", "fail"):
            n = len(self._others)
            return (
                '<div class="ek-hidden-note">Hidden until you pass or fail this trace '
                "(blind mode): "
                f"{n} other {'label' if n == 1 else 'labels'}.</div>"
            )
        rows = []
        for o in sorted(self._others, key=lambda o: (o["source"] != "human", o["who"])):
            v = o.get("verdict")
            who = html.escape(str(o["who"]))
            src = (
                ""
                if o["source"] == "human"
                else f' <span class="ek-src">({html.escape(str(o["source"]))})</span>'
            )
            note = o.get("note")
            note_html = f'<div class="ek-other-note">{html.escape(str(note))}</div>' if note else ""
            vcls = f"ek-v-{v}" if v in ("pass", "fail") else ""
            rows.append(
                f'<tr><td class="ek-who">{who}{src}</td>'
                f'<td class="{vcls}">{html.escape(str(v or "–"))}{note_html}</td></tr>'
            )
        return f'<table class="ek-others-table">{"".join(rows)}</table>'

    def _refresh(self) -> None:
        """Push the current trace and state to the front end (constant work per call)."""
        tid = self.current
        with self.hold_sync():
            if tid != self._shown:
                if tid is None:
                    self.html = _EMPTY_VIEW
                    self._own, self._others = {}, []
                else:
                    self._load_current(tid)
                self._shown = tid
                self._rendered_blind = None
            # blind review: label-like metadata stays hidden until this reviewer has labeled
            hide = self.blind and self._own.get("verdict") not in ("pass", "fail")
            if tid is not None and hide != getattr(self, "_rendered_blind", None):
                self.html = render_trace(
                    self._rows.iloc[int(self._queue[int(self._view[self._cursor])])],
                    hide_labels=hide,
                )
                self._rendered_blind = hide
            self.labels_html = self._others_html()
            message, message_kind = self._status(tid)
            self.state = {
                "trace_id": tid,
                "index": self._cursor,
                "total": len(self._view),
                "queue_size": len(self._ids),
                "filtered": len(self._view) != len(self._ids) or any(self._filter.values()),
                "filter": dict(self._filter),
                "verdict": self._own.get("verdict"),
                "note": self._own.get("note") or "",
                "codes": list(self._own.get("open_codes") or []),
                "modes": list(self._own.get("failure_modes") or []),
                **reference_state(self._own),
                "fields": list(self.fields),
                "failure_modes": list(self.failure_modes),
                "can_add_mode": getattr(self, "taxonomy", None) is not None,  # taxonomy hook
                "questions": question_state(self, tid),  # taxonomy hook: relabel yes / no
                "known_codes": list(self._known_codes),
                "segments": list(self._segment_names),
                "has_judges": self._has_judges,
                "progress": dict(self._counts),
                "all_done": bool(self._ids)
                and self._counts["left"] == 0
                and self._counts["deferred"] == 0,
                "blind": self.blind,
                "ack": dict(self._ack),
                "message": message,
                "message_kind": message_kind,
                "message_trace": self._message_trace,
                "saved": self._saved,
                "errors": [e.strip().splitlines()[-1] for e in self.errors[-_MAX_ERRORS_SHOWN:]],
            }
