// evalkit Annotator: the widget's frame. The message channel to the kernel (numbered sends,
// acknowledgements, a dead kernel), the top bar (position, progress, help), filters, the verdict
// buttons, the trace pane, and state -> view. All review logic lives in the kernel.
// annotator.py concatenates annotator_reference.js, annotator_keys.js, annotator_side.js,
// annotator_table.js and this file into one module: they share top-level functions such as `h`,
// and this file holds the module's default export.
// Security: `html` and `labels_html` come from the kernel's sanitizer (nh3 + html.escape) and are
// the only strings ever assigned to innerHTML. Everything else (notes, codes, ids) is set as text.

// After the kernel went idle on one of our messages, how long to wait for its acknowledgement.
const ACK_GRACE_MS = 2500;

function h(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// The trace pane: the kernel's sanitized HTML, scrolled by keys (annotator_keys.js).
function tracePane() {
  const traceBox = h("div", "ek-trace-box");
  const render = (html) => {
    traceBox.innerHTML = html; // sanitized in the kernel
    traceBox.scrollTop = 0;
  };
  const scroll = (frac) => {
    traceBox.scrollBy({ top: frac * traceBox.clientHeight, behavior: "instant" });
  };
  const jumpToMessage = (last) => {
    const turns = traceBox.querySelectorAll(".ek-turns > *");
    if (!turns.length) return;
    const target = last ? turns[turns.length - 1] : null;
    traceBox.scrollTop = target
      ? target.getBoundingClientRect().top - traceBox.getBoundingClientRect().top + traceBox.scrollTop
      : 0;
  };
  return { el: traceBox, render, scroll, jumpToMessage };
}

function render({ model, el }) {
  // Messages are numbered per view; the kernel handles them in this order.
  const view = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  let seq = 0;
  let shownTrace = null;

  // A dead comm (the kernel restarted, or the page lost its server) must not look live.
  let dead = false;
  const acked = (n) => {
    const ack = (model.get("state") || {}).ack || {};
    return ack.view === view && ack.seq >= n;
  };
  const markDead = () => {
    if (dead) return;
    dead = true;
    root.dataset.dead = "1";
    const why = model.get("dead_message"); // set by the standalone review page
    if (why) deadBox.replaceChildren(h("strong", null, why));
    deadBox.hidden = false;
    side.clearPending();
  };
  const checkAck = (n) => {
    // The kernel handled our message (it went idle) without acknowledging it: no live widget
    // there any more. Allow for late or reordered updates before calling it dead.
    const deadline = Date.now() + ACK_GRACE_MS;
    const poll = () => {
      if (dead || acked(n)) return;
      if (Date.now() > deadline) markDead();
      else setTimeout(poll, 100);
    };
    setTimeout(poll, 100);
  };
  const send = (msg) => {
    if (dead) return;
    seq += 1;
    const n = seq;
    const callbacks = {
      iopub: {
        status: (m) => {
          if (m?.content?.execution_state === "idle") checkAck(n);
        },
      },
    };
    try {
      model.send({ ...msg, view, seq: n, trace_id: shownTrace }, callbacks);
    } catch (err) {
      markDead();
      return;
    }
    side.setPending(true);
  };

  // ---------------------------------------------------------------- layout
  const root = h("div", "ek-annotator");
  root.tabIndex = 0;
  root.setAttribute("role", "application");
  root.setAttribute("aria-label", "evalkit annotator: press ? for keyboard shortcuts");
  const help = helpOverlay({ root }); // annotator_keys.js

  const top = h("div", "ek-top");
  const title = h("div", "ek-title");
  const position = h("span", "ek-position");
  const traceId = h("span", "ek-current-id");
  title.append(position, traceId);
  const progress = h("div", "ek-progress");
  const bar = h("div", "ek-bar");
  const barDone = h("span", "ek-bar-done");
  const barDeferred = h("span", "ek-bar-deferred");
  bar.append(barDone, barDeferred);
  const counts = h("div", "ek-counts");
  progress.append(bar, counts);
  top.append(title, progress, help.button);

  const filters = h("div", "ek-filters");
  const segSel = h("select", "ek-select ek-filter-segment");
  const judgeSel = h("select", "ek-select ek-filter-judge");
  for (const [v, t] of [["", "any judge verdict"], ["pass", "judge: pass"], ["fail", "judge: fail"]]) {
    const o = h("option", null, t);
    o.value = v;
    judgeSel.append(o);
  }
  const disLabel = h("label", "ek-check");
  const disBox = h("input");
  disBox.type = "checkbox";
  disLabel.append(disBox, document.createTextNode(" disagreements only"));
  const viewInfo = h("span", "ek-view-info");
  filters.append(h("span", "ek-filter-label", "Filter"), segSel, judgeSel, disLabel, viewInfo);

  const actions = h("div", "ek-actions");
  const verdictChip = h("span", "ek-verdict");
  const mkBtn = (label, key, cls) => {
    const b = h("button", `ek-btn ${cls || ""}`);
    b.append(h("kbd", null, key), document.createTextNode(` ${label}`));
    b.addEventListener("click", (e) => {
      e.stopPropagation();
      send({ type: "key", key });
      root.focus({ preventScroll: true });
    });
    return b;
  };
  actions.append(
    verdictChip,
    mkBtn("Pass", "1", "ek-btn-pass"),
    mkBtn("Fail", "2", "ek-btn-fail"),
    mkBtn("Defer", "d", "ek-btn-defer"),
    mkBtn("Undo", "u", ""),
    h("span", "ek-spacer"),
    mkBtn("Prev", "k", ""),
    mkBtn("Next", "j", ""),
  );

  const main = h("div", "ek-main");
  const trace = tracePane();
  const side = sidePanel({ model, send, root }); // annotator_side.js
  main.append(trace.el, side.el);

  const errorBox = h("div", "ek-error");
  const deadBox = h("div", "ek-dead");
  deadBox.append(
    h("strong", null, "Kernel restarted: re-run this cell."),
    document.createTextNode(" This widget lost its kernel; keys are ignored until you re-run the cell (your saved labels are safe in the store)."),
  );
  deadBox.setAttribute("role", "alert");
  const doneBox = h("div", "ek-all-done");
  deadBox.hidden = doneBox.hidden = true;
  const table = queueTable({ model, send, root, main, toggleHelp: help.toggle }); // annotator_table.js

  root.append(top, filters, actions, deadBox, errorBox, doneBox, main, table.el, help.el);
  el.append(root);

  // ---------------------------------------------------------------- state -> view
  const renderState = () => {
    const s = model.get("state") || {};
    const p = s.progress || { done: 0, deferred: 0, left: 0 };
    const total = Math.max(1, (p.done || 0) + (p.deferred || 0) + (p.left || 0));
    barDone.style.width = `${(100 * p.done) / total}%`;
    barDeferred.style.width = `${(100 * p.deferred) / total}%`;
    counts.textContent = `${p.done} done · ${p.deferred} deferred · ${p.left} left`;
    root.dataset.traceId = s.trace_id || "";
    root.dataset.index = s.index ?? "";
    const ack = s.ack || {};
    root.dataset.ack = ack.view === view ? ack.seq : "";
    position.textContent = s.total ? `Trace ${s.index + 1} of ${s.total}` : "No traces in this view";
    traceId.textContent = s.trace_id || "";
    viewInfo.textContent = s.filtered ? `${s.total} of ${s.queue_size} traces match` : "";

    const v = s.verdict || "unlabeled";
    verdictChip.textContent = { pass: "✓ Pass", fail: "✗ Fail", defer: "⏸ Deferred" }[v] || "Unlabeled";
    verdictChip.dataset.verdict = v;

    const traceChanged = s.trace_id !== shownTrace;
    side.render(s, traceChanged); // first: it saves unsaved text for the trace it was typed on
    shownTrace = s.trace_id || null;
    if (segSel.options.length !== (s.segments || []).length + 1) {
      segSel.replaceChildren();
      for (const seg of ["", ...(s.segments || [])]) {
        const o = h("option", null, seg || "all segments");
        o.value = seg;
        segSel.append(o);
      }
    }
    const f = s.filter || {};
    segSel.value = f.segment || "";
    judgeSel.value = f.judge_verdict || "";
    disBox.checked = !!f.disagreement;
    filters.hidden = !(s.segments || []).length && !s.has_judges;

    if (seq === 0 || (ack.view === view && ack.seq >= seq)) side.setPending(false);
    doneBox.hidden = !s.all_done;
    doneBox.textContent = s.all_done
      ? `All done: every one of the ${s.queue_size} traces in this queue has a verdict.`
      : "";
    root.dataset.allDone = s.all_done ? "1" : "";
    errorBox.replaceChildren();
    const errs = s.errors || [];
    errorBox.hidden = !errs.length;
    if (errs.length) {
      errorBox.append(h("strong", null, "Error (nothing was saved for this action): "));
      errorBox.append(document.createTextNode(errs[errs.length - 1]));
    }
  };
  const renderHtml = () => trace.render(model.get("html"));

  // ---------------------------------------------------------------- input
  bindKeys({ root, model, send, isDead: () => dead, help, table, side, trace }); // annotator_keys.js
  for (const sel of [segSel, judgeSel, disBox]) {
    sel.addEventListener("keydown", (e) => e.stopPropagation());
    sel.addEventListener("change", () => {
      send({
        type: "filter",
        segment: segSel.value || null,
        judge_verdict: judgeSel.value || null,
        disagreement: disBox.checked,
      });
      root.focus({ preventScroll: true });
    });
  }
  // Clicking anywhere that is not a control gives the keyboard to the widget.
  root.addEventListener("mousedown", (e) => {
    const t = e.target;
    if (!(t instanceof Element) || !t.closest("textarea, input, select, button, a, summary, tr")) {
      setTimeout(() => root.focus({ preventScroll: true }), 0);
    }
  });

  renderHtml();
  side.renderOthers();
  renderState();
  model.on("change:html", renderHtml);
  model.on("change:labels_html", side.renderOthers);
  model.on("change:state", renderState);
  model.on("change:table_state", table.render);
  model.on("comm:close", markDead);
  setTimeout(() => root.focus({ preventScroll: true }), 0);
  return () => {
    model.off("change:html", renderHtml);
    model.off("change:labels_html", side.renderOthers);
    model.off("change:state", renderState);
    model.off("change:table_state", table.render);
    model.off("comm:close", markDead);
  };
}

export default { render };
