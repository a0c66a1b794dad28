// evalkit Annotator: the queue as a table, opened with "t" (concatenated with the other
// annotator_*.js files and annotator.js by annotator.py). Search, pages, ↑/↓ and Enter (or a
// click) to open a trace. The kernel sends one page at a time (`table_state`); cells are text.

function queueTable({ model, send, root, main, toggleHelp }) {
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

  const isOpen = () => !tablePane.hidden;
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
    close(false);
  };
  const close = (tell) => {
    tablePane.hidden = true;
    main.hidden = false;
    root.dataset.table = "";
    if (tell) send({ type: "table_close" });
    root.focus({ preventScroll: true });
  };
  const show = () => {
    tablePane.hidden = false;
    main.hidden = true;
    root.dataset.table = "1";
    requestTable(null);
  };
  const render = () => {
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
    [tableClose, () => close(true)]]) {
    b.addEventListener("click", (e) => { e.stopPropagation(); act(); });
  }
  const key = (e) => {
    // Keys while the table shows: move, open, search, page, close. Nothing labels here.
    const moves = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1 };
    if (e.key in moves) selectRow(tableSel + moves[e.key]);
    else if (e.key === "Enter") openRow(tableSel);
    else if (e.key === "/") search.focus();
    else if (e.key === "PageDown" || e.key === "ArrowRight") turnPage(1);
    else if (e.key === "PageUp" || e.key === "ArrowLeft") turnPage(-1);
    else if (e.key === "Escape" || e.key === "t") close(true);
    else if (e.key === "?") toggleHelp();
    else return;
    e.preventDefault();
  };
  return { el: tablePane, isOpen, show, render, key };
}
