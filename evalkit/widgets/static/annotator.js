// evalkit Annotator: the keyboard layer and the view. All review logic lives in the kernel.
// Security: `html` and `labels_html` come from the kernel's sanitizer (nh3 + html.escape) and are
// the only strings ever assigned to innerHTML. Everything else (notes, codes, ids) is set as text.
// Keys: every key handled here is stopped (stopPropagation + preventDefault) so JupyterLab's own
// command-mode shortcuts never see it, and each one is sent to the kernel as exactly one
// `model.send` message, in order (trait sync would merge fast keypresses).

const KEY_ACTIONS = {
  "1": "1", "2": "2", d: "d", u: "u", j: "j", k: "k",
  ArrowRight: "j", ArrowLeft: "k", D: "D",
};
// Keys that scroll the trace pane (never the notebook): fraction of the pane per press.
const SCROLL_KEYS = { " ": 0.85, PageDown: 0.85, PageUp: -0.85 };
// After the kernel went idle on one of our messages, how long to wait for its acknowledgement.
const ACK_GRACE_MS = 2500;

const HELP = [
  ["1", "pass (and go to the next trace)"],
  ["2", "fail (stay here to write a note)"],
  ["d", "defer (and go to the next trace)"],
  ["u", "undo your last change"],
  ["D  (Shift+d)", "jump to the next deferred trace"],
  ["Shift + 1…9", "switch failure mode 1…9 on or off"],
  ["y / n", "relabel pass: yes / no to the next open question"],
  ["j / k  ·  → / ←", "next / previous trace"],
  ["n", "write a note: the first thing that went wrong"],
  ["r", "write a reference answer (what a good reply says)"],
  ["R  (Shift+r)", "switch the reference: high / borderline (Alt+B in the box)"],
  ["Ctrl/⌘ + Enter", "save the note, reference (or add the code) and go to the next trace"],
  ["Space / Shift+Space", "scroll the trace down / up (also PgDn / PgUp)"],
  ["Home / End", "first / last message of the trace"],
  ["Esc", "leave the note / close this help"],
  ["t", "the queue as a table: search, ↑/↓ and Enter (or click) to open"],
  ["?", "show or hide this help"],
];

function h(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function render({ model, el }) {
  // Messages are numbered per view; the kernel handles them in this order.
  const view = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  let seq = 0;
  let shownTrace = null;
  let noteBaseline = "";

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
    pending.textContent = "";
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
    pending.textContent = "saving…";
    pending.dataset.state = "pending";
  };

  // ---------------------------------------------------------------- layout
  const root = h("div", "ek-annotator");
  root.tabIndex = 0;
  root.setAttribute("role", "application");
  root.setAttribute("aria-label", "evalkit annotator: press ? for keyboard shortcuts");

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
  const helpBtn = h("button", "ek-btn ek-help-btn", "?");
  helpBtn.title = "Keyboard shortcuts (?)";
  top.append(title, progress, helpBtn);

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
  const traceBox = h("div", "ek-trace-box");
  const side = h("div", "ek-side");

  const noteLabel = h("label", "ek-side-title", "Note: first thing that went wrong");
  const note = h("textarea", "ek-note");
  note.rows = 4;
  note.placeholder = "n to write · Ctrl/⌘+Enter saves and goes next · Esc leaves";
  const codesTitle = h("div", "ek-side-title", "Open codes");
  const codeRow = h("div", "ek-code-row");
  const codeInput = h("input", "ek-code-input");
  codeInput.type = "text";
  codeInput.placeholder = "add a code, Enter";
  const listId = `ek-codes-${Math.random().toString(36).slice(2)}`;
  const datalist = h("datalist");
  datalist.id = listId;
  codeInput.setAttribute("list", listId);
  codeRow.append(codeInput, datalist);
  const chips = h("div", "ek-chips");
  const modesTitle = h("div", "ek-side-title", "Failure modes");
  const modes = h("div", "ek-modes");
  const othersTitle = h("div", "ek-side-title", "Other labels");
  const others = h("div", "ek-others");
  const status = h("div", "ek-status");
  const pending = h("span", "ek-pending");
  const saved = h("span", "ek-saved");
  status.append(pending, saved);
  const ref = referenceBox({ h, send, root }); // annotator_reference.js
  side.append(noteLabel, note, ref.el, codesTitle, codeRow, chips, modesTitle, modes, othersTitle, others, status);
  main.append(traceBox, side);
  // taxonomy hook: add a mode from the widget (a new taxonomy version), shown with taxonomy=
  const addMode = h("input", "ek-add-mode");
  addMode.type = "text";
  addMode.placeholder = "new failure mode, Enter";
  modes.after(addMode);
  // taxonomy hook: the relabel pass, one explicit yes / no question per mode (keys y / n)
  const questionBox = h("div", "ek-questions");
  addMode.after(questionBox);
  const renderQuestions = (qs) => {
    questionBox.hidden = !qs.length;
    questionBox.replaceChildren(...qs.map((q) => {
      const row = h("div", "ek-question");
      row.dataset.mode = q.mode;
      row.dataset.answer = q.answer || "";
      row.append(h("span", "ek-question-text", q.question));
      for (const [ans, label] of [["yes", "Yes"], ["no", "No"]]) {
        const b = h("button", "ek-mode ek-answer", label);
        b.dataset.answer = ans;
        b.dataset.on = q.answer === ans ? "1" : "0";
        b.addEventListener("click", (e) => {
          e.stopPropagation();
          send({ type: "answer", answer: ans, mode: q.mode });
          root.focus({ preventScroll: true });
        });
        row.append(b);
      }
      return row;
    }));
    if (qs.length) modesTitle.hidden = modes.hidden = addMode.hidden = true;
  };

  const errorBox = h("div", "ek-error");
  const deadBox = h("div", "ek-dead");
  deadBox.append(
    h("strong", null, "Kernel restarted: re-run this cell."),
    document.createTextNode(" This widget lost its kernel; keys are ignored until you re-run the cell (your saved labels are safe in the store)."),
  );
  deadBox.setAttribute("role", "alert");
  const doneBox = h("div", "ek-all-done");
  deadBox.hidden = doneBox.hidden = true;
  const help = h("div", "ek-help");
  const helpCard = h("div", "ek-help-card");
  helpCard.append(h("div", "ek-help-title", "Keyboard shortcuts"));
  const helpTable = h("table");
  for (const [k, d] of HELP) {
    const tr = h("tr");
    const tdk = h("td");
    tdk.append(h("kbd", null, k));
    tr.append(tdk, h("td", null, d));
    helpTable.append(tr);
  }
  helpCard.append(helpTable, h("div", "ek-help-foot", "Keys work while this widget has focus (click it)."));
  help.append(helpCard);
  help.hidden = true;

  // ---------------------------------------------------------------- queue table (t)
  const tablePane = h("div", "ek-table-pane");
  tablePane.hidden = true;
  const tableBar = h("div", "ek-table-bar");
  const search = h("input", "ek-table-search");
  search.type = "search";
  search.placeholder = "search input, output and notes  ( / )";
  const tableInfo = h("span", "ek-table-info");
  const [pagePrev, pageNext] = [["◀", "previous page"], ["▶", "next page"]].map(([t, tip]) => {
    const b = h("button", "ek-btn", t);
    b.title = tip;
    return b;
  });
  const tableClose = h("button", "ek-btn", "Back to the trace (t)");
  tableBar.append(search, tableInfo, pagePrev, pageNext, tableClose);
  const table = h("table", "ek-queue-table");
  const headRow = h("tr");
  for (const c of ["#", "trace", "status", "segment", "others", "input", "note"]) headRow.append(h("th", null, c));
  const tbody = h("tbody");
  table.append(h("thead"), tbody);
  table.firstChild.append(headRow);
  tablePane.append(tableBar, h("div", "ek-table-scroll"));
  tablePane.lastChild.append(table);
  let tableSel = 0;

  root.append(top, filters, actions, deadBox, errorBox, doneBox, main, tablePane, help);
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
    if (traceChanged && note.value !== noteBaseline) {
      // Text typed while the kernel moved on belongs to the trace it was typed on: save it there.
      saveNote(false);
    }
    ref.render(s, traceChanged);
    shownTrace = s.trace_id || null;
    if (traceChanged || document.activeElement !== note) {
      note.value = s.note || "";
      noteBaseline = note.value;
    }
    const fields = s.fields || [];
    noteLabel.hidden = note.hidden = !fields.includes("note");
    codesTitle.hidden = codeRow.hidden = chips.hidden = !fields.includes("open_codes");
    chips.replaceChildren();
    for (const code of s.codes || []) {
      const chip = h("span", "ek-chip", code);
      const x = h("button", "ek-chip-x", "×");
      x.title = `remove ${code}`;
      x.addEventListener("click", (e) => {
        e.stopPropagation();
        send({ type: "code", action: "remove", code });
      });
      chip.append(x);
      chips.append(chip);
    }
    datalist.replaceChildren();
    for (const code of s.known_codes || []) {
      const o = h("option");
      o.value = code;
      datalist.append(o);
    }
    const modeList = s.failure_modes || [];
    modesTitle.hidden = modes.hidden = !(fields.includes("failure_modes") && modeList.length);
    addMode.hidden = modes.hidden || !s.can_add_mode;
    modes.replaceChildren();
    const chosen = new Set(s.modes || []);
    modeList.forEach((m, i) => {
      const b = h("button", "ek-mode");
      if (i < 9) {
        b.append(h("kbd", null, `⇧${i + 1}`), document.createTextNode(" "));
        b.title = `Shift+${i + 1}`;
      }
      b.append(document.createTextNode(m));
      b.dataset.on = chosen.has(m) ? "1" : "0";
      b.addEventListener("click", (e) => {
        e.stopPropagation();
        send({ type: "mode", mode: m });
        root.focus({ preventScroll: true });
      });
      modes.append(b);
    });
    modeNames = modeList;
    renderQuestions(s.questions || []);
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

    if (seq === 0 || (ack.view === view && ack.seq >= seq)) {
      pending.textContent = "";
      pending.dataset.state = "idle";
    }
    doneBox.hidden = !s.all_done;
    doneBox.textContent = s.all_done
      ? `All done: every one of the ${s.queue_size} traces in this queue has a verdict.`
      : "";
    root.dataset.allDone = s.all_done ? "1" : "";
    saved.textContent = s.message || "";
    saved.dataset.kind = s.message_kind || "info";
    errorBox.replaceChildren();
    const errs = s.errors || [];
    errorBox.hidden = !errs.length;
    if (errs.length) {
      errorBox.append(h("strong", null, "Error (nothing was saved for this action): "));
      errorBox.append(document.createTextNode(errs[errs.length - 1]));
    }
  };
  const renderHtml = () => {
    traceBox.innerHTML = model.get("html"); // sanitized in the kernel
    traceBox.scrollTop = 0;
  };
  const tableOpen = () => !tablePane.hidden;
  const requestTable = (offset) => send({ type: "table", search: search.value, offset: offset ?? null });
  const selectRow = (i) => {
    const rows = tbody.querySelectorAll("tr");
    if (!rows.length) return;
    tableSel = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((r, k) => { r.dataset.sel = k === tableSel ? "1" : "0"; });
    rows[tableSel].scrollIntoView({ block: "nearest" });
  };
  const openRow = (i) => {
    const rows = tbody.querySelectorAll("tr");
    if (!rows[i]) return;
    send({ type: "open", target: rows[i].dataset.traceId });
    closeTable(false);
  };
  const closeTable = (tell) => {
    tablePane.hidden = true;
    main.hidden = false;
    root.dataset.table = "";
    if (tell) send({ type: "table_close" });
    root.focus({ preventScroll: true });
  };
  const showTable = () => {
    tablePane.hidden = false;
    main.hidden = true;
    root.dataset.table = "1";
    requestTable(null);
  };
  const renderTable = () => {
    const t = model.get("table_state") || {};
    if (!t.rows) return;
    tbody.replaceChildren();
    let current = 0;
    t.rows.forEach((r, k) => {
      const tr = h("tr");
      tr.dataset.traceId = r.trace_id;
      tr.dataset.status = r.status;
      if (r.current) current = k;
      const st = h("td", "ek-st", r.status);
      st.dataset.status = r.status;
      tr.append(h("td", "ek-num", r.n), h("td", "ek-tid", r.trace_id), st, h("td", null, r.segment),
        h("td", "ek-oth", r.others), h("td", "ek-txt", r.text), h("td", "ek-txt", r.note));
      tr.addEventListener("click", (e) => {
        e.stopPropagation();
        openRow(k);
      });
      tbody.append(tr);
    });
    const last = Math.min(t.offset + t.rows.length, t.matched);
    tableInfo.textContent = t.matched
      ? `${t.offset + 1}–${last} of ${t.matched}` + (t.search ? ` matching (of ${t.total})` : "")
      : `no trace matches (of ${t.total})`;
    pagePrev.disabled = t.offset <= 0;
    pageNext.disabled = last >= t.matched;
    tablePane.dataset.matched = t.matched;
    selectRow(t.search ? 0 : current);
  };
  let searchTimer = null;
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => requestTable(0), 150);
  });
  search.addEventListener("keydown", (e) => {
    e.stopPropagation();
    if (e.key === "Enter") {
      e.preventDefault();
      openRow(tableSel);
    } else if (e.key === "Escape") {
      e.preventDefault();
      root.focus({ preventScroll: true });
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      selectRow(tableSel + (e.key === "ArrowDown" ? 1 : -1));
    }
  });
  const turnPage = (dir) => {
    const t = model.get("table_state") || {};
    requestTable(Math.max(0, (t.offset || 0) + dir * (t.page || 50)));
  };
  for (const [b, act] of [[pagePrev, () => turnPage(-1)], [pageNext, () => turnPage(1)],
    [tableClose, () => closeTable(true)]]) {
    b.addEventListener("click", (e) => { e.stopPropagation(); act(); });
  }
  const tableKey = (e) => {
    // Keys while the table shows: move, open, search, page, close. Nothing labels here.
    const moves = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1 };
    if (e.key in moves) selectRow(tableSel + moves[e.key]);
    else if (e.key === "Enter") openRow(tableSel);
    else if (e.key === "/") search.focus();
    else if (e.key === "PageDown" || e.key === "ArrowRight") turnPage(1);
    else if (e.key === "PageUp" || e.key === "ArrowLeft") turnPage(-1);
    else if (e.key === "Escape" || e.key === "t") closeTable(true);
    else if (e.key === "?") toggleHelp();
    else return;
    e.preventDefault();
  };

  const renderOthers = () => {
    others.innerHTML = model.get("labels_html"); // sanitized in the kernel
  };

  // ---------------------------------------------------------------- keys
  let modeNames = [];
  const scrollTrace = (frac) => {
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
  const toggleHelp = (show) => {
    help.hidden = show === undefined ? !help.hidden : !show;
  };
  root.addEventListener("keydown", (e) => {
    // No key pressed inside the widget may reach JupyterLab's shortcut handler.
    e.stopPropagation();
    if (e.isComposing) return;
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault();
      send({ type: "key", key: "j" });
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return; // copy, paste, browser shortcuts
    if (dead) {
      e.preventDefault(); // refused: the kernel behind this widget is gone
      return;
    }
    if (tableOpen()) {
      tableKey(e);
      return;
    }
    if (e.key === "t") {
      e.preventDefault();
      showTable();
      return;
    }
    if (e.key in SCROLL_KEYS || e.key === "Home" || e.key === "End") {
      e.preventDefault();
      if (e.key in SCROLL_KEYS) scrollTrace(e.key === " " && e.shiftKey ? -SCROLL_KEYS[" "] : SCROLL_KEYS[e.key]);
      else jumpToMessage(e.key === "End");
      return;
    }
    const digit = /^Digit([1-9])$/.exec(e.code || "");
    if (e.shiftKey && digit) {
      e.preventDefault();
      // the model's state, not the last render: a mode added a moment ago counts already
      const names = (model.get("state") || {}).failure_modes || modeNames;
      const mode = names[Number(digit[1]) - 1];
      if (mode !== undefined) send({ type: "mode", mode });
      return;
    }
    if (e.key === "?") {
      e.preventDefault();
      toggleHelp();
      return;
    }
    if (e.key === "Escape") {
      e.preventDefault();
      toggleHelp(false);
      return;
    }
    if ((e.key === "y" || e.key === "n") && ((model.get("state") || {}).questions || []).length) {
      e.preventDefault(); // taxonomy hook: relabel yes / no
      send({ type: "answer", answer: e.key === "y" ? "yes" : "no" });
      return;
    }
    if (e.key === "n") {
      e.preventDefault();
      if (!note.hidden) note.focus();
      return;
    }
    if (e.key === "r" || e.key === "R") {
      e.preventDefault();
      if (e.key === "r") ref.focus();
      else ref.toggle();
      return;
    }
    const action = KEY_ACTIONS[e.key];
    if (action) {
      e.preventDefault();
      send({ type: "key", key: action });
    }
  });

  const saveNote = (next) => {
    if (note.value !== noteBaseline || next) {
      send({ type: "note", text: note.value, next: !!next });
      noteBaseline = note.value;
    }
  };
  note.addEventListener("keydown", (e) => {
    e.stopPropagation(); // typing "d" in the note is text, never a shortcut
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault();
      saveNote(true);
      root.focus({ preventScroll: true });
    } else if (e.key === "Escape") {
      e.preventDefault();
      saveNote(false);
      root.focus({ preventScroll: true });
    }
  });
  note.addEventListener("blur", () => saveNote(false));

  addMode.addEventListener("keydown", (e) => {
    e.stopPropagation();
    if (e.key === "Enter" && addMode.value.trim()) {
      e.preventDefault();
      send({ type: "add_mode", name: addMode.value.trim() });
      addMode.value = "";
    } else if (e.key === "Escape") {
      e.preventDefault();
      root.focus({ preventScroll: true });
    }
  });
  codeInput.addEventListener("keydown", (e) => {
    e.stopPropagation();
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault();
      if (codeInput.value.trim()) send({ type: "code", action: "add", code: codeInput.value.trim() });
      codeInput.value = "";
      send({ type: "key", key: "j" });
      root.focus({ preventScroll: true });
    } else if (e.key === "Enter" && codeInput.value.trim()) {
      e.preventDefault();
      send({ type: "code", action: "add", code: codeInput.value.trim() });
      codeInput.value = "";
    } else if (e.key === "Escape") {
      e.preventDefault();
      root.focus({ preventScroll: true });
    }
  });
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
  helpBtn.addEventListener("click", (e) => {
    e.stopPropagation();
    toggleHelp();
    root.focus({ preventScroll: true });
  });
  help.addEventListener("click", () => toggleHelp(false));
  // Clicking anywhere that is not a control gives the keyboard to the widget.
  root.addEventListener("mousedown", (e) => {
    const t = e.target;
    if (!(t instanceof Element) || !t.closest("textarea, input, select, button, a, summary, tr")) {
      setTimeout(() => root.focus({ preventScroll: true }), 0);
    }
  });

  renderHtml();
  renderOthers();
  renderState();
  model.on("change:html", renderHtml);
  model.on("change:labels_html", renderOthers);
  model.on("change:state", renderState);
  model.on("change:table_state", renderTable);
  model.on("comm:close", markDead);
  setTimeout(() => root.focus({ preventScroll: true }), 0);
  return () => {
    model.off("change:html", renderHtml);
    model.off("change:labels_html", renderOthers);
    model.off("change:state", renderState);
    model.off("change:table_state", renderTable);
    model.off("comm:close", markDead);
  };
}

export default { render };
