"""``evalkit review``: the Annotator as a standalone web page, for reviewers who never open Jupyter.

The page runs the same anywidget front end (``static/annotator.js``) against the same Python
:class:`~evalkit.widgets.annotator.Annotator`; only the transport differs. In a notebook the
widget talks to the kernel over a Jupyter comm; here it talks to this small Tornado app (the web
server Jupyter itself runs on) over a WebSocket. Each browser connection gets its own Annotator,
and every Annotator writes to the same SQLite :class:`~evalkit.labels.LabelStore` file, so several
experts can label at once. Messages keep anywidget's shape: the browser sends the widget's
``model.send`` payloads, the server answers with the synced traits (``html``, ``labels_html``,
``state``, ``table_state``) that changed.

The server binds to 127.0.0.1 unless told otherwise, and an optional access token (``?token=``)
guards the page and the WebSocket.
"""

from __future__ import annotations

import hmac
import html
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import tornado.web
import tornado.websocket

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.widgets.annotator import Annotator

_STATIC = Path(__file__).parent / "static"
_TRAITS: Final[tuple[str, ...]] = ("html", "labels_html", "state", "table_state")
_log = logging.getLogger(__name__)



def _check_token(handler: tornado.web.RequestHandler, token: str | None) -> None:
    if not token:
        return
    given = handler.get_argument("token", None) or handler.get_cookie("evalkit_review_token") or ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise tornado.web.HTTPError(403, reason="a valid ?token= is required")


class _App:
    """What every handler shares: the traces, the store path and the Annotator options."""

    def __init__(
        self,
        traces: pd.DataFrame,
        store: str | os.PathLike[str],
        *,
        annotator: str | None,
        token: str | None,
        options: dict[str, Any],
    ) -> None:
        self.traces = traces
        self.store = Path(store)
        self.annotator = annotator
        self.token = token
        self.options = options

    def open_annotator(self, name: str) -> Annotator:
        from evalkit.widgets.annotator import Annotator

        return Annotator(self.traces, self.store, annotator=name, **self.options)


class _PageHandler(tornado.web.RequestHandler):
    def initialize(self, app: _App) -> None:
        self.app = app

    def get(self) -> None:
        _check_token(self, self.app.token)
        if self.app.token:
            self.set_cookie(
                "evalkit_review_token", self.app.token, httponly=True, samesite="Strict"
            )
        name = self.app.annotator or self.get_argument("annotator", "")
        who = f"labelling as {html.escape(name)}" if name else "who is labelling?"
        nonce = os.urandom(12).hex()
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("X-Content-Type-Options", "nosniff")
        title = f" · {html.escape(name)}" if name else ""
        page = (_STATIC / "review_page.html").read_text("utf-8")
        self.finish(page.format(nonce=nonce, who=who, title=title))


class _StaticHandler(tornado.web.RequestHandler):
    def initialize(self, app: _App, kind: str) -> None:
        self.app = app
        self.kind = kind

    def get(self) -> None:
        _check_token(self, self.app.token)
        if self.kind == "css":
            from evalkit.widgets.annotator import Annotator

            self.set_header("Content-Type", "text/css; charset=utf-8")
            self.finish(str(Annotator._css))
        elif self.kind == "esm":  # the widget's module: annotator.js and the files it needs
            from evalkit.widgets.annotator import Annotator

            self.set_header("Content-Type", "text/javascript; charset=utf-8")
            self.finish(str(Annotator._esm))
        else:
            self.set_header("Content-Type", "text/javascript; charset=utf-8")
            self.finish((_STATIC / "review_page.js").read_text("utf-8"))


class _SocketHandler(tornado.websocket.WebSocketHandler):
    """One reviewer's connection: its own Annotator, the traits it last sent."""

    def initialize(self, app: _App) -> None:
        self.app = app
        self.ann: Annotator | None = None
        self.sent: dict[str, Any] = {}

    def check_origin(self, origin: str) -> bool:
        # Only pages served by this server (same host:port) may connect.
        host = self.request.headers.get("Host", "")
        return origin.split("://", 1)[-1] == host

    def prepare(self) -> None:
        _check_token(self, self.app.token)  # before the upgrade: a 403, not a closed socket

    def open(self, *args: Any, **kwargs: Any) -> None:
        name = self.app.annotator or self.get_argument("annotator", "").strip()
        if not name:
            self.write_message(json.dumps({"type": "need_name"}))
            return
        self._start(name)

    def _start(self, name: str) -> None:
        try:
            self.ann = self.app.open_annotator(name)
        except Exception as e:  # a bad name: tell the page, keep serving others
            self.write_message(json.dumps({"type": "error", "message": str(e)}))
            return
        self._push(first=True)

    def _push(self, *, first: bool = False) -> None:
        assert self.ann is not None
        changed = {}
        for k in _TRAITS:
            v = getattr(self.ann, k)
            if first or self.sent.get(k) != v:
                changed[k] = v
                self.sent[k] = v
        msg = {"type": "init" if first else "update", "state": changed}
        if first:
            msg["annotator"] = self.ann.annotator
        self.write_message(json.dumps(msg, default=str))

    def on_message(self, message: str | bytes) -> None:
        try:
            content = json.loads(message)
        except ValueError:
            return
        if not isinstance(content, dict):
            return
        if content.get("type") == "hello" and self.ann is None:
            name = str(content.get("annotator") or "").strip()
            if not self.app.annotator and name:
                self._start(name)
            return
        if self.ann is None:
            return
        self.ann._on_msg(None, content, None)  # the same handler as the notebook widget
        self._push()

    def on_close(self) -> None:
        if self.ann is not None:
            self.ann.store.close()
            self.ann.close()
            self.ann = None


def make_app(
    traces: pd.DataFrame,
    store: str | os.PathLike[str],
    *,
    annotator: str | None = None,
    token: str | None = None,
    failure_modes: Sequence[str] | None = None,
    blind: bool = True,
) -> tornado.web.Application:
    """The review web app (a Tornado application) for ``traces``, writing to ``store``.

    Parameters
    ----------
    traces : pd.DataFrame
        Canonical trace frame (the review queue, in order).
    store : path
        The SQLite label store every reviewer writes to.
    annotator : str, optional
        Label as this name. Default: each reviewer names themself (``?annotator=NAME`` in
        the link, or a prompt on the page).
    token : str, optional
        Require ``?token=TOKEN`` on the page and the WebSocket.
    failure_modes : sequence of str, optional
        Failure-mode toggles, as in the notebook widget.
    blind : bool, default True
        Hide other reviewers' and judges' labels until a trace is passed or failed.
    """
    from evalkit.widgets._annotator_args import _check_args

    _check_args(traces, annotator=annotator or "check", queue=None, fields=None,
                failure_modes=failure_modes, order="as-is")  # fmt: skip
    app = _App(
        traces, store, annotator=annotator, token=token,
        options={"failure_modes": list(failure_modes) if failure_modes else None, "blind": blind},
    )  # fmt: skip
    return tornado.web.Application(
        [
            (r"/", _PageHandler, {"app": app}),
            (r"/annotator\.css", _StaticHandler, {"app": app, "kind": "css"}),
            (r"/annotator\.js", _StaticHandler, {"app": app, "kind": "esm"}),
            (r"/review\.js", _StaticHandler, {"app": app, "kind": "page"}),
            (r"/ws", _SocketHandler, {"app": app}),
        ],
        websocket_max_message_size=1 << 20,
    )


def serve(
    traces: pd.DataFrame,
    store: str | os.PathLike[str],
    *,
    host: str = "127.0.0.1",
    port: int = 8866,
    annotator: str | None = None,
    token: str | None = None,
    failure_modes: Sequence[str] | None = None,
    blind: bool = True,
    announce: Any = print,
) -> None:
    """Serve the review page until interrupted (``port=0`` picks a free port)."""
    import asyncio

    import tornado.httpserver
    import tornado.netutil

    app = make_app(traces, store, annotator=annotator, token=token,
                   failure_modes=failure_modes, blind=blind)  # fmt: skip

    async def run() -> None:
        sockets = tornado.netutil.bind_sockets(port, address=host)
        server = tornado.httpserver.HTTPServer(app)
        server.add_sockets(sockets)
        bound = sockets[0].getsockname()[1]
        query = f"?token={token}" if token else ""
        announce(f"evalkit review: {len(traces)} traces, labels to {store}")
        announce(f"evalkit review: serving on http://{host}:{bound}/{query}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(run())


__all__ = ["make_app", "serve"]
