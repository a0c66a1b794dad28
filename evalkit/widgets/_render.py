"""Render one canonical trace as sanitized HTML.

Trace content is hostile by default. Every piece of text from a trace is either escaped with
:func:`html.escape` or, for Markdown in model output, rendered by markdown-it with raw HTML
disabled and then cleaned by nh3 (ammonia) with a strict allowlist. The only markup that is not
escaped is the markup this module writes itself.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any, Final

#: Longest text rendered per field; the rest is summarised so one huge document cannot stall the UI.
MAX_CHARS: Final[int] = 20_000
#: Most messages (and tool calls, documents) rendered per trace: the first ``MAX_ITEMS - KEEP_LAST``
#: and the last ``KEEP_LAST``, with a note of how many are left out in between.
MAX_ITEMS: Final[int] = 150
KEEP_LAST: Final[int] = 50
#: Keys that mark a dict as a retrieved document (with one of the text keys).
_DOC_ID_KEYS: Final[tuple[str, ...]] = ("id", "doc_id", "document_id", "title", "source", "url")
_DOC_TEXT_KEYS: Final[tuple[str, ...]] = ("text", "content", "page_content", "snippet")

_ALLOWED_TAGS: Final[set[str]] = {
    "a", "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ALLOWED_ATTRIBUTES: Final[dict[str, set[str]]] = {"a": {"href", "title"}, "ol": {"start"}}
_URL_SCHEMES: Final[set[str]] = {"http", "https", "mailto"}
_URL_PREFIXES: Final[tuple[str, ...]] = ("http://", "https://", "mailto:")
_LINK_REL: Final[str] = "noopener noreferrer nofollow"
_ROLE_LABELS: Final[dict[str, str]] = {
    "system": "System",
    "developer": "Developer",
    "user": "User",
    "assistant": "Assistant",
    "tool": "Tool",
    "function": "Tool",
}


def _href_filter(tag: str, attr: str, value: str) -> str | None:
    # Absolute http(s)/mailto links only: relative URLs would point into the Jupyter server.
    if tag == "a" and attr == "href":
        return value if value.strip().lower().startswith(_URL_PREFIXES) else None
    return value


@cache
def _cleaner() -> Any:
    import nh3

    return nh3.Cleaner(
        tags=_ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_href_filter,
        url_schemes=_URL_SCHEMES,
        link_rel=_LINK_REL,
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


@cache
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    md.enable("strikethrough")

    def image_as_link(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        # Images would load remote content (tracking pixels); show them as a link instead.
        token = tokens[idx]
        src = token.attrGet("src") or ""
        alt = "".join(child.content for child in token.children or []) or "image"
        return f'<a href="{html.escape(str(src))}">[image: {html.escape(alt)}]</a>'

    md.add_render_rule("image", image_as_link)
    return md


def sanitize_html(fragment: str) -> str:
    """Clean an HTML fragment with evalkit's strict allowlist (no scripts, styles, handlers).

    Examples
    --------
    >>> sanitize_html('<a href="javascript:alert(1)" onclick="x()">hi</a><script>bad()</script>')
    '<a target="_blank" rel="noopener noreferrer nofollow">hi</a>'
    """
    return str(_cleaner().clean(fragment))


def render_markdown(text: str) -> str:
    r"""Render untrusted Markdown to sanitized HTML (raw HTML in the Markdown is shown as text).

    Examples
    --------
    >>> render_markdown("**bold** <b>raw</b>")
    '<p><strong>bold</strong> &lt;b&gt;raw&lt;/b&gt;</p>\n'
    """
    return sanitize_html(_markdown().render(_clip(text)))


def _clip(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    return f"{text[:MAX_CHARS]}\n\n… ({len(text) - MAX_CHARS:,} more characters not shown)"


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        return value is pd.NA or value is pd.NaT
    except ImportError:  # pragma: no cover
        return False


def _get(trace: Any, key: str) -> Any:
    try:
        value = trace[key]
    except (KeyError, IndexError, TypeError):
        return None
    if isinstance(value, (list, tuple, dict, Mapping)):
        return value
    if type(value).__name__ == "ndarray":  # lists read back from parquet
        return value.tolist()
    return None if _missing(value) else value


def _text(value: Any) -> str:
    """Escape any value as text; lists of content parts (OpenAI style) are joined."""
    if _missing(value):
        return ""
    if isinstance(value, str):
        return html.escape(_clip(value))
    if isinstance(value, Sequence) and all(isinstance(p, Mapping) for p in value):
        texts = [str(p.get("text", "")) for p in value if p.get("type", "text") == "text"]
        if len(texts) == len(value):
            return html.escape(_clip("\n".join(texts)))
    return _json_block(value)


def _content_str(value: Any) -> str:
    if _missing(value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence) and all(isinstance(p, Mapping) for p in value):
        return "\n".join(str(p.get("text", "")) for p in value if "text" in p)
    return json.dumps(value, default=str)


def _json_block(value: Any) -> str:
    """Pretty-print JSON (or a JSON string) escaped inside <pre>."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return f'<pre class="ek-pre">{html.escape(_clip(value))}</pre>'
    try:
        # Short values stay on one line; longer ones are indented.
        text = json.dumps(value, ensure_ascii=False, default=str)
        if len(text) > 72:
            text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return f'<pre class="ek-pre ek-json">{html.escape(_clip(text))}</pre>'


def _fmt_number(value: Any, fmt: str) -> str | None:
    if _missing(value):
        return None
    try:
        return fmt.format(float(value))
    except (TypeError, ValueError, OverflowError):
        return None


def _as_finite(value: Any) -> float | None:
    """A finite float, or ``None`` for 'n/a', 'free', inf, NaN and other non-numbers."""
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return v if math.isfinite(v) else None


def _fmt_count(value: Any) -> str:
    v = _as_finite(value)
    return f"{int(v):,}" if v is not None else str(value)[:40]


def _meta_strip(trace: Any) -> str:
    items: list[tuple[str, str]] = []
    if (model := _get(trace, "model")) is not None:
        items.append(("model", str(model)))
    # Numbers come from hostile files: 'n/a', 'free' or inf are shown as text, never parsed.
    latency = _get(trace, "latency_ms")
    if latency is not None:
        ms = _as_finite(latency)
        if ms is None:
            items.append(("latency", str(latency)[:40]))
        else:
            items.append(("latency", f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:,.0f} ms"))
    tin, tout = _get(trace, "input_tokens"), _get(trace, "output_tokens")
    if tin is not None or tout is not None:
        fin = _fmt_count(tin) if tin is not None else "?"
        fout = _fmt_count(tout) if tout is not None else "?"
        items.append(("tokens", f"{fin} in · {fout} out"))
    if (cost := _get(trace, "cost_usd")) is not None:
        c = _as_finite(cost)
        if c is None:
            items.append(("cost", str(cost)[:40]))
        else:
            items.append(("cost", f"${c:.4f}" if abs(c) < 1 else f"${c:,.2f}"))
    if (segment := _get(trace, "segment")) is not None:
        items.append(("segment", str(segment)))
    ts = _get(trace, "timestamp")
    if ts is not None:
        items.append(("time", str(ts)[:19].replace("T", " ")))
    source = _get(trace, "source")
    if isinstance(source, Mapping) and source.get("format"):
        items.append(("format", str(source["format"])))
    cells = "".join(
        f'<span class="ek-meta-item"><span class="ek-meta-key">{html.escape(k)}</span>'
        f'<span class="ek-meta-val">{html.escape(v)}</span></span>'
        for k, v in items
    )
    return f'<div class="ek-meta">{cells}</div>' if cells else ""


def _tool_call(call: Any) -> str:
    if not isinstance(call, Mapping):
        return f'<div class="ek-tool">{_json_block(call)}</div>'
    fn: Mapping[str, Any] = call["function"] if isinstance(call.get("function"), Mapping) else {}
    name = call.get("name") or fn.get("name") or "tool"
    args = call.get("arguments", fn.get("arguments"))
    parts = [
        '<div class="ek-tool">',
        f'<div class="ek-tool-head"><span class="ek-tool-icon">ƒ</span>'
        f'<code class="ek-tool-name">{html.escape(str(name))}</code></div>',
        '<div class="ek-sub">arguments</div>',
        _json_block(args if args is not None else {}),
    ]
    if "result" in call and not _missing(call.get("result")):
        parts += ['<div class="ek-sub">result</div>', _json_block(call["result"])]
    parts.append("</div>")
    return "".join(parts)


def _role_class(role: str) -> str:
    return role if role in _ROLE_LABELS else "other"


def _turn(role: str, body: str, *, extra: str = "", label: str | None = None) -> str:
    label = label or _ROLE_LABELS.get(role, role or "message")
    return (
        f'<div class="ek-turn ek-role-{_role_class(role)}">'
        f'<div class="ek-role">{html.escape(label)}{extra}</div>'
        f'<div class="ek-body">{body}</div></div>'
    )


def _as_document(item: Any) -> Mapping[str, Any] | None:
    """A dict shaped like a retrieved document (an id/title/source and a text), else ``None``."""
    if not isinstance(item, Mapping) or item.get("type") in ("text", "image_url", "input_text"):
        return None
    text = next((item[k] for k in _DOC_TEXT_KEYS if isinstance(item.get(k), str)), None)
    if text is None or not any(k in item for k in _DOC_ID_KEYS):
        return None
    doc_id = next((item[k] for k in _DOC_ID_KEYS if not _missing(item.get(k))), None)
    return {"id": doc_id, "text": text, "score": item.get("score")}


def _documents_in(content: Any) -> list[Mapping[str, Any]] | None:
    """Retrieved documents when the content has a structure for them, else ``None``.

    Recognised: a list of document dicts or ``{"type": "document", ...}`` content parts, and the
    same as a JSON string, or an object with a ``documents``/``results``/``context`` list (as
    retrieval tools and RAG frameworks write it).
    """
    if isinstance(content, str):
        text = content.strip()
        if not text.startswith(("[", "{")) or len(text) > 50 * MAX_CHARS:
            return None
        try:
            content = json.loads(text)
        except ValueError:
            return None
    if isinstance(content, Mapping):
        inner = next(
            (content[k] for k in ("documents", "results", "context", "docs")
             if isinstance(content.get(k), list)),
            None,
        )  # fmt: skip
        if inner is None:
            return None
        content = inner
    if isinstance(content, Sequence) and not isinstance(content, str) and content:
        docs = [_as_document(p) for p in content]
        if all(d is not None for d in docs):
            return [d for d in docs if d is not None]
    return None


def _context(msg: Mapping[str, Any]) -> str:
    """A system message after the first: context (documents when structured), not a prompt."""
    docs = _documents_in(msg.get("content"))
    if docs is not None:
        return _retrieved(docs, title="Context documents (system message)")
    return _turn(
        "context",
        f'<div class="ek-plain">{_text(msg.get("content"))}</div>',
        label="Context (system message)",
    )


def _message(msg: Any) -> str:
    if not isinstance(msg, Mapping):
        return _turn("other", _json_block(msg))
    role = str(msg.get("role") or "message").lower()
    content = msg.get("content")
    name = msg.get("name")
    extra = f' <span class="ek-role-name">{html.escape(str(name))}</span>' if name else ""
    if role in ("system", "developer") and msg.get("_ek_context"):
        return _context(msg)
    if role in ("system", "developer"):
        text = _content_str(content)
        return (
            f'<details class="ek-turn ek-role-system"><summary class="ek-role">'
            f"{html.escape(_ROLE_LABELS[role])} prompt"
            f'<span class="ek-summary-hint">{len(text):,} chars</span></summary>'
            f'<div class="ek-body ek-plain">{_text(content)}</div></details>'
        )
    if role in ("tool", "function"):
        if msg.get("tool_call_id"):
            extra += f' <span class="ek-role-name">{html.escape(str(msg["tool_call_id"]))}</span>'
        docs = _documents_in(content)
        if docs is not None:  # a retrieval tool's result: show its documents as documents
            return _turn("tool", _retrieved(docs, title="Retrieved documents"), extra=extra,
                         label="Tool result")
        return _turn("tool", _json_block(_content_str(content)), extra=extra, label="Tool result")
    if role == "assistant":
        body = render_markdown(_content_str(content)) if not _missing(content) else ""
        calls = msg.get("tool_calls") or []
        if isinstance(calls, Sequence) and not isinstance(calls, str):
            body += "".join(_tool_call(c) for c in calls)
        return _turn("assistant", f'<div class="ek-md">{body}</div>', extra=extra)
    return _turn(role, f'<div class="ek-plain">{_text(content)}</div>', extra=extra)


def _retrieved(docs: Sequence[Any], *, title: str = "Retrieved documents") -> str:
    heading = html.escape(title)
    items = []
    shown, skipped = _cap(list(docs))
    for i, doc in enumerate(shown):
        if doc is _GAP:
            items.append(_gap_note(skipped, "documents"))
            continue
        if not isinstance(doc, Mapping):
            doc = {"text": doc}
        doc_id = doc.get("id")
        score = doc.get("score")
        score_txt = _fmt_number(score, "{:.3f}")
        bar = ""
        if (sv := _as_finite(score)) is not None and 0 <= sv <= 1:
            width = f"{sv * 100:.0f}%"
            bar = f'<span class="ek-score-bar"><span style="width:{width}"></span></span>'
        title = html.escape(str(doc_id)) if not _missing(doc_id) else f"document {i + 1}"
        text = _content_str(doc.get("text"))
        items.append(
            f'<details class="ek-doc"><summary><span class="ek-doc-id">{title}</span>'
            + (f'<span class="ek-score">{bar}score {score_txt}</span>' if score_txt else "")
            + f'<span class="ek-doc-preview">{html.escape(text[:120])}</span></summary>'
            f'<div class="ek-plain ek-doc-text">{html.escape(_clip(text))}</div></details>'
        )
    return (
        f'<div class="ek-section"><div class="ek-section-title">{heading} '
        f'<span class="ek-count">{len(docs)}</span></div>{"".join(items)}</div>'
    )


_GAP: Final[object] = object()


def _cap(items: list[Any]) -> tuple[list[Any], int]:
    """At most ``MAX_ITEMS``: the first ones and the last ``KEEP_LAST``, a gap marker between."""
    if len(items) <= MAX_ITEMS:
        return items, 0
    head = MAX_ITEMS - KEEP_LAST
    return [*items[:head], _GAP, *items[-KEEP_LAST:]], len(items) - MAX_ITEMS


def _gap_note(n: int, what: str) -> str:
    return f'<div class="ek-gap">… {n:,} more {what} not shown …</div>'


def _mark_context(messages: list[Any]) -> list[Any]:
    """Every system/developer message after the first is context, not a second prompt."""
    seen = False
    out = []
    for m in messages:
        if isinstance(m, Mapping) and str(m.get("role") or "").lower() in ("system", "developer"):
            if seen:
                m = {**m, "_ek_context": True}
            seen = True
        out.append(m)
    return out


def _has_inline_tools(messages: Sequence[Any]) -> bool:
    return any(
        isinstance(m, Mapping) and (m.get("tool_calls") or m.get("role") in ("tool", "function"))
        for m in messages
    )


def render_trace(trace: Any, *, hide_labels: bool = False) -> str:
    """Render one canonical trace (a row: ``pd.Series`` or mapping) as a sanitized HTML fragment.

    The fragment is a ``<div class="ek-trace">`` that needs the CSS from :func:`trace_css`.
    Chat turns are shown by role with the system prompt collapsed, tool calls with pretty JSON
    arguments and results, retrieved documents collapsed with their scores, and a metadata strip.
    With ``hide_labels=True`` (blind review before the reviewer has labeled) metadata keys that
    look like a label (:func:`evalkit.traces.labels_found.is_label_like`: ``label``, ``Notes``,
    ``reasoning``...) are left out and counted in a note.

    Examples
    --------
    >>> out = render_trace({"trace_id": "t1", "input": "<b>hi</b>", "output": "**ok**"})
    >>> "&lt;b&gt;hi&lt;/b&gt;" in out, "<strong>ok</strong>" in out
    (True, True)
    >>> blind = render_trace({"trace_id": "t1", "metadata": {"label": "fail", "region": "eu"}},
    ...                      hide_labels=True)
    >>> "fail" in blind, "region" in blind, "1 label-like metadata key hidden" in blind
    (False, True, True)
    """
    raw_messages = _get(trace, "messages")
    messages: list[Any] = list(raw_messages) if isinstance(raw_messages, Sequence) else []
    output = _get(trace, "output")
    inp = _get(trace, "input")
    if not messages and inp is not None:
        messages = [{"role": "user", "content": inp}]
    last_is_answer = (
        bool(messages)
        and isinstance(messages[-1], Mapping)
        and (messages[-1].get("role") == "assistant" and not messages[-1].get("tool_calls"))
    )
    final: Any = None
    if last_is_answer:
        final = messages.pop()
    elif output is not None:
        final = {"role": "assistant", "content": output}

    shown, skipped = _cap(_mark_context(messages))
    parts = [_gap_note(skipped, "messages") if m is _GAP else _message(m) for m in shown]
    tool_calls = _get(trace, "tool_calls")
    if isinstance(tool_calls, Sequence) and tool_calls and not _has_inline_tools(messages):
        calls, skipped_calls = _cap(list(tool_calls))
        parts.append(
            f'<div class="ek-section"><div class="ek-section-title">Tool calls '
            f'<span class="ek-count">{len(tool_calls)}</span></div>'
            + "".join(
                _gap_note(skipped_calls, "tool calls") if c is _GAP else _tool_call(c)
                for c in calls
            )
            + "</div>"
        )
    docs = _get(trace, "retrieved")
    if isinstance(docs, Sequence) and docs:
        parts.append(_retrieved(docs))
    if final is not None:
        parts.append(_message(final))
    if not parts:
        parts.append('<div class="ek-empty">This trace has no messages.</div>')

    metadata = _get(trace, "metadata")
    if hide_labels and isinstance(metadata, Mapping):
        from evalkit.traces.labels_found import hide_label_like

        shown_meta = hide_label_like(metadata)
        hidden = len(metadata) - len(shown_meta)
        metadata = shown_meta
        if hidden:
            parts.append(
                f'<div class="ek-hidden-note">{hidden} label-like metadata '
                f"{'key' if hidden == 1 else 'keys'} hidden until you label this trace "
                "(blind mode).</div>"
            )
    if isinstance(metadata, Mapping) and metadata:
        parts.append(
            f'<details class="ek-doc ek-metadata"><summary><span class="ek-doc-id">Metadata</span>'
            f'<span class="ek-doc-preview">{len(metadata)} keys</span></summary>'
            f"{_json_block(dict(metadata))}</details>"
        )
    trace_id = _get(trace, "trace_id")
    head = (
        f'<div class="ek-head"><span class="ek-trace-id" title="trace id">'
        f"{html.escape(str(trace_id) if trace_id is not None else '(no trace id)')}</span>"
        f"{_meta_strip(trace)}</div>"
    )
    return f'<div class="ek-trace">{head}<div class="ek-turns">{"".join(parts)}</div></div>'


@cache
def trace_css() -> str:
    """The stylesheet for rendered traces (scoped to ``.ek-trace``; light and dark themes)."""
    return resources.files("evalkit.widgets").joinpath("static/trace.css").read_text("utf-8")


def trace_document(trace: Any) -> str:
    """The rendered trace with its stylesheet inlined, for ``_repr_html_`` and static export."""
    return f"<style>{trace_css()}</style>{render_trace(trace)}"
