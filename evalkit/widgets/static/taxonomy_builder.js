// evalkit TaxonomyBuilder: a thin display layer. Every action is one `model.send` message; the
// kernel applies it as a taxonomy operation (a new version in the label store) and sends back
// the new state. All text is set with textContent, never innerHTML, so notes cannot inject markup.

const HELP = [
  ["j / k  ·  ↓ / ↑", "move between open codes and note clusters"],
  ["x  ·  Space", "select or unselect the highlighted item"],
  ["/", "type the mode name (Esc comes back here)"],
  ["g", "group the selected items into the mode named in the form"],
  ["u", "unmap the selected items"],
  ["Esc", "close this help, else clear the selection"],
  ["?", "show or hide this help"],
];

function h(tag, cls, text) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined && text !== null) el.textContent = String(text);
  return el;
}

function render({ model, el }) {
  const root = h("div", "ek-taxonomy");
  root.tabIndex = 0;
  const selected = new Set();
  let cursor = -1; // the highlighted item (keyboard), an index into state.items

  const head = h("div", "ek-tx-head");
  const title = h("div", "ek-tx-title");
  const cov = h("div", "ek-tx-coverage");
  const bar = h("div", "ek-tx-bar");
  const fill = h("div", "ek-tx-fill");
  bar.append(fill);
  head.append(title, cov, bar);

  const left = h("div", "ek-tx-items");
  const right = h("div", "ek-tx-side");
  const body = h("div", "ek-tx-body");
  body.append(left, right);

  const form = h("div", "ek-tx-form");
  const formTitle = h("div", "ek-tx-section", "Group selected into a mode");
  const name = h("input", "ek-tx-name");
  name.placeholder = "mode name (new or existing)";
  const def = h("input", "ek-tx-def");
  def.placeholder = "one-sentence definition";
  const sev = h("select", "ek-tx-sev");
  const parent = h("select", "ek-tx-parent");
  const group = h("button", "ek-tx-group", "Group into mode");
  const unmap = h("button", "ek-tx-unmap", "Unmap");
  const row = h("div", "ek-tx-row");
  row.append(sev, parent);
  const buttons = h("div", "ek-tx-row");
  buttons.append(group, unmap);
  form.append(formTitle, name, def, row, buttons);

  const modesTitle = h("div", "ek-tx-section", "Modes");
  const modes = h("div", "ek-tx-modes");
  const unmappedTitle = h("div", "ek-tx-section", "Not yet mapped");
  const unmapped = h("ul", "ek-tx-unmapped");
  const logTitle = h("div", "ek-tx-section", "Changes");
  const log = h("ol", "ek-tx-log");
  const status = h("div", "ek-tx-status");
  const relabelTitle = h("div", "ek-tx-section", "Relabel queue");
  const relabel = h("div", "ek-tx-relabel");
  right.append(form, modesTitle, modes, relabelTitle, relabel, unmappedTitle, unmapped, logTitle, log);
  const helpBtn = h("button", "ek-tx-help-btn", "?");
  helpBtn.title = "keyboard shortcuts (?)";
  head.prepend(helpBtn);
  const help = h("div", "ek-tx-help");
  const helpCard = h("div", "ek-tx-help-card");
  helpCard.append(h("div", "ek-tx-section", "Keyboard shortcuts"));
  const helpTable = h("table");
  for (const [k, d] of HELP) {
    const tr = h("tr");
    const td = h("td");
    td.append(h("kbd", null, k));
    tr.append(td, h("td", null, d));
    helpTable.append(tr);
  }
  helpCard.append(helpTable, h("div", "ek-tx-help-foot", "Keys work while the builder has focus (click it)."));
  help.append(helpCard);
  help.hidden = true;
  root.append(head, status, body, help);
  el.append(root);
  const toggleHelp = (show) => {
    help.hidden = show === undefined ? !help.hidden : !show;
  };
  helpBtn.addEventListener("click", () => toggleHelp());
  help.addEventListener("click", () => toggleHelp(false));

  const sendGroup = () => {
    model.send({
      type: "group", items: [...selected], name: name.value, definition: def.value,
      severity: Number(sev.value), parent: parent.value || null,
    });
    selected.clear();
  };
  const sendUnmap = () => {
    model.send({ type: "unmap", items: [...selected] });
    selected.clear();
  };
  group.addEventListener("click", sendGroup);
  unmap.addEventListener("click", sendUnmap);

  const cards = () => [...left.querySelectorAll(".ek-tx-item")];
  const showCursor = () => {
    cards().forEach((c, i) => { c.dataset.cursor = i === cursor ? "1" : "0"; });
    const card = cards()[cursor];
    if (card) card.scrollIntoView({ block: "nearest" });
  };
  root.addEventListener("keydown", (e) => {
    e.stopPropagation(); // keys typed in the widget never reach JupyterLab's command mode
    const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName || "");
    if (typing) {
      if (e.key === "Escape") {
        e.preventDefault();
        e.target.blur();
        root.focus({ preventScroll: true });
      }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const items = (model.get("state") || {}).items || [];
    let handled = true;
    if (e.key === "?") toggleHelp();
    else if (e.key === "Escape") {
      if (!help.hidden) toggleHelp(false);
      else { selected.clear(); renderState(); }
    } else if (e.key === "j" || e.key === "ArrowDown") {
      cursor = Math.min(items.length - 1, cursor + 1);
      showCursor();
    } else if (e.key === "k" || e.key === "ArrowUp") {
      cursor = Math.max(0, cursor - 1);
      showCursor();
    } else if ((e.key === "x" || e.key === " ") && items[cursor]) {
      const id = items[cursor].id;
      if (selected.has(id)) selected.delete(id); else selected.add(id);
      renderState();
    } else if (e.key === "/") name.focus();
    else if (e.key === "g") sendGroup();
    else if (e.key === "u") sendUnmap();
    else handled = false;
    if (handled) e.preventDefault();
  });

  function splitForm(m) {
    // split a mode into new modes, each of its codes assigned to one of them
    const box = h("div", "ek-tx-split");
    const into = h("input", "ek-tx-split-into");
    into.placeholder = "new modes, comma separated (at least two)";
    const rows = h("div", "ek-tx-split-codes");
    const selects = {};
    const names = () => into.value.split(",").map((x) => x.trim()).filter(Boolean);
    for (const code of m.codes || []) {
      const r = h("label", "ek-tx-split-code");
      const sel = h("select");
      sel.dataset.code = code;
      selects[code] = sel;
      r.append(h("span", "ek-tx-label", code), sel);
      rows.append(r);
    }
    const fillSelects = () => {
      for (const sel of Object.values(selects)) {
        const keep = sel.value;
        sel.replaceChildren(h("option", null, "unmapped"));
        sel.firstChild.value = "";
        for (const n of names()) {
          const o = h("option", null, `→ ${n}`);
          o.value = n;
          sel.append(o);
        }
        sel.value = names().includes(keep) ? keep : "";
      }
    };
    into.addEventListener("input", fillSelects);
    fillSelects();
    const go = h("button", "ek-tx-split-go", "Split");
    go.addEventListener("click", () => {
      const codes = {};
      for (const [code, sel] of Object.entries(selects)) if (sel.value) codes[code] = sel.value;
      model.send({ type: "split", mode: m.name, into: names(), codes });
    });
    box.append(into, rows, go);
    box.hidden = true;
    return box;
  }

  function renderState() {
    const s = model.get("state") || {};
    const c = s.coverage || {};
    title.textContent = `Taxonomy ${s.name} · v${s.version} · ${(s.modes || []).length} modes`;
    cov.textContent = `Coverage: ${c.covered ?? 0} of ${c.failing ?? 0} failing traces mapped to a mode (${Math.round(100 * (c.share || 0))}%)`;
    fill.style.width = `${Math.round(100 * (c.share || 0))}%`;
    root.dataset.version = String(s.version);
    status.textContent = s.message || "";
    status.dataset.kind = s.message_kind || "info";

    left.replaceChildren(h("div", "ek-tx-section", "Open codes and note clusters (j / k, x, ?)"));
    for (const it of s.items || []) {
      const card = h("label", "ek-tx-item");
      card.dataset.item = it.id;
      card.dataset.kind = it.kind;
      const box = h("input");
      box.type = "checkbox";
      box.checked = selected.has(it.id);
      box.addEventListener("change", () => {
        if (box.checked) selected.add(it.id); else selected.delete(it.id);
      });
      const top = h("div", "ek-tx-item-top");
      top.append(box, h("span", "ek-tx-kind", it.kind), h("span", "ek-tx-label", it.label),
                 h("span", "ek-tx-count", `${it.count}`));
      if (it.mode) top.append(h("span", "ek-tx-chip", `→ ${it.mode}`));
      card.append(top);
      const ex = h("ul", "ek-tx-examples");
      for (const n of it.examples || []) ex.append(h("li", null, n));
      card.append(ex);
      left.append(card);
    }
    if (cursor >= (s.items || []).length) cursor = (s.items || []).length - 1;
    showCursor();

    sev.replaceChildren();
    const [lo, hi] = s.scale || [1, 3];
    for (let v = lo; v <= hi; v++) {
      const o = h("option", null, `severity ${v}`);
      o.value = String(v);
      if (v === 2 || (lo > 2 && v === lo)) o.selected = true;
      sev.append(o);
    }
    parent.replaceChildren(h("option", null, "no parent"));
    parent.firstChild.value = "";
    for (const m of s.modes || []) {
      const o = h("option", null, `parent: ${m.name}`);
      o.value = m.name;
      parent.append(o);
    }

    modes.replaceChildren();
    for (const m of s.modes || []) {
      const card = h("div", "ek-tx-mode");
      card.dataset.mode = m.name;
      const top = h("div", "ek-tx-item-top");
      top.append(h("span", "ek-tx-label", m.name), h("span", "ek-tx-sevbadge", `sev ${m.severity}`),
                 h("span", "ek-tx-count", `${m.items}`));
      if (m.parent) top.append(h("span", "ek-tx-chip", `in ${m.parent}`));
      const retire = h("button", "ek-tx-retire", "Retire");
      retire.addEventListener("click", () => model.send({ type: "retire", mode: m.name }));
      const split = h("button", "ek-tx-split-btn", "Split…");
      const form = splitForm(m);
      split.addEventListener("click", () => { form.hidden = !form.hidden; });
      top.append(split, retire);
      const d = h("input", "ek-tx-mode-def");
      d.value = m.definition || "";
      d.placeholder = "definition";
      d.addEventListener("change", () => model.send({ type: "define", mode: m.name, definition: d.value }));
      card.append(top, d, form);
      modes.append(card);
    }

    const r = s.relabel || { n: 0, by_mode: [] };
    relabelTitle.textContent = `Relabel queue (${r.n || 0} questions on ${r.traces || 0} traces)`;
    relabel.replaceChildren();
    if (r.error) relabel.append(h("div", "ek-tx-relabel-error", r.error));
    for (const q of r.by_mode || []) {
      const line = h("div", "ek-tx-relabel-mode");
      line.dataset.mode = q.mode;
      line.append(h("span", "ek-tx-label", q.mode), h("span", "ek-tx-count", `${q.count}`),
                  h("span", "ek-tx-relabel-why", `${q.reason} · e.g. ${q.traces.join(", ")}`));
      relabel.append(line);
    }
    if (r.n) {
      relabel.append(h("code", "ek-tx-relabel-how",
        "evalkit.Annotator(traces, store, taxonomy=builder.taxonomy, mode='relabel')"));
    }

    unmapped.replaceChildren();
    for (const n of c.unmapped_notes || []) unmapped.append(h("li", null, n));
    unmappedTitle.textContent = `Not yet mapped (${c.n_unmapped ?? 0} traces)`;

    log.replaceChildren();
    for (const e of s.changelog || []) {
      const what = [e.op, (e.modes || []).join(", "), e.into && e.into.length ? `→ ${e.into.join(", ")}` : ""]
        .filter(Boolean).join(" ");
      log.append(h("li", null, `v${e.version} ${what} (${e.who}${e.why ? ": " + e.why : ""})`));
    }
  }

  model.on("change:state", renderState);
  renderState();
  return () => model.off("change:state", renderState);
}

export default { render };
