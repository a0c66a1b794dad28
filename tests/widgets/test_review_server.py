"""`evalkit review` server without a browser: token, names, the Annotator over a WebSocket."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import tornado.httpclient
import tornado.httpserver
import tornado.netutil
import tornado.websocket

from evalkit.cli import build_parser
from evalkit.store import LabelStore
from evalkit.traces.schema import to_canonical
from evalkit.widgets.review_server import make_app


def _traces(n: int = 5) -> pd.DataFrame:
    return to_canonical([{"trace_id": f"t{i}", "input": f"q{i} <b>x</b>"} for i in range(n)])


async def _serve(app: Any) -> tuple[tornado.httpserver.HTTPServer, int]:
    sockets = tornado.netutil.bind_sockets(0, address="127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    return server, sockets[0].getsockname()[1]


async def _recv(ws: Any) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.read_message(), 10))  # type: ignore[no-any-return]


def test_review_over_websocket(tmp_path: Path) -> None:
    store_path = tmp_path / "labels.sqlite"

    async def scenario() -> None:
        server, port = await _serve(make_app(_traces(), store_path, token="s3cret"))
        base = f"http://127.0.0.1:{port}"
        client = tornado.httpclient.AsyncHTTPClient()
        try:
            denied = await client.fetch(f"{base}/", raise_error=False)
            assert denied.code == 403
            page = await client.fetch(f"{base}/?token=s3cret&annotator=%3Cb%3Eann")
            body = page.body.decode()
            assert "labelling as &lt;b&gt;ann" in body and "<b>ann" not in body
            js = await client.fetch(f"{base}/annotator.js?token=s3cret")
            assert b"export default" in js.body
            assert b"function referenceBox" in js.body  # the module is whole (both files)
            with pytest.raises(tornado.httpclient.HTTPClientError):
                await tornado.websocket.websocket_connect(f"ws://127.0.0.1:{port}/ws?annotator=x")
            req = tornado.httpclient.HTTPRequest(
                f"ws://127.0.0.1:{port}/ws?annotator=alice&token=s3cret",
                headers={"Origin": base},
            )
            ws = await tornado.websocket.websocket_connect(req)
            init = await _recv(ws)
            assert init["type"] == "init" and init["annotator"] == "alice"
            assert init["state"]["state"]["trace_id"] == "t0"
            assert "&lt;b&gt;x&lt;/b&gt;" in init["state"]["html"]
            for seq, key in enumerate(["1", "2"], start=1):
                await ws.write_message(json.dumps({"type": "key", "key": key, "view": "v",
                                                   "seq": seq}))
                upd = await _recv(ws)
                assert upd["state"]["state"]["ack"] == {"view": "v", "seq": seq}
            ws.close()
        finally:
            server.stop()

    asyncio.run(scenario())
    with LabelStore(store_path) as store:
        df = store.labels(annotator="alice", field="verdict")
    assert dict(zip(df["trace_id"], df["value"], strict=True)) == {"t0": "pass", "t1": "fail"}


def test_fixed_annotator_and_cross_origin_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        server, port = await _serve(make_app(_traces(), tmp_path / "s.sqlite", annotator="bob"))
        try:
            url = f"ws://127.0.0.1:{port}/ws?annotator=mallory"
            req = tornado.httpclient.HTTPRequest(url, headers={"Origin": "http://evil.invalid"})
            with pytest.raises(tornado.httpclient.HTTPClientError):
                await tornado.websocket.websocket_connect(req)
            req = tornado.httpclient.HTTPRequest(
                url, headers={"Origin": f"http://127.0.0.1:{port}"}
            )
            ws = await tornado.websocket.websocket_connect(req)
            assert (await _recv(ws))["annotator"] == "bob"  # the server's --annotator wins
            ws.close()
        finally:
            server.stop()

    asyncio.run(scenario())


def test_cli_parses_review() -> None:
    args = build_parser().parse_args(
        ["review", "traces.jsonl", "--store", "l.sqlite", "--annotator", "ann", "--token", "t",
         "--failure-mode", "a", "--failure-mode", "b"]
    )  # fmt: skip
    assert (args.store, args.annotator, args.host, args.token) == (
        "l.sqlite", "ann", "127.0.0.1", "t"
    )  # fmt: skip
    assert args.failure_modes == ["a", "b"] and not args.no_blind


def test_cli_review_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from evalkit.cli import main

    code = main(["review", str(tmp_path / "missing.jsonl"), "--store", str(tmp_path / "s.sqlite")])
    assert code == 2
    assert "missing.jsonl" in capsys.readouterr().err


def test_fuzz_browser_messages_never_escape(tmp_path: Path) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from evalkit.widgets.annotator import Annotator

    values = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
    messages = st.fixed_dictionaries(
        {"type": st.sampled_from(["key", "note", "code", "mode", "filter", "table", "open",
                                  "table_close", "bogus"])},
        optional=dict.fromkeys(
            ("key", "text", "code", "action", "mode", "segment", "search", "offset", "target",
             "trace_id", "seq", "view"),
            values,
        ),
    )  # fmt: skip
    with LabelStore(tmp_path / "fuzz.sqlite") as store:
        ann = Annotator(_traces(), store, annotator="a")

        @settings(max_examples=80, deadline=None)
        @given(messages)
        def check(msg: dict[str, Any]) -> None:
            ann._on_msg(None, msg, None)  # errors are kept and shown, never raised
            assert ann.state["trace_id"] in ann.queue

        check()
