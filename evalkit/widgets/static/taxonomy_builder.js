// evalkit TaxonomyBuilder: a thin display layer. Every action is one `model.send` message; the
// kernel applies it as a taxonomy operation (a new version in the label store) and sends back
// the new state. All text is set with textContent, never innerHTML, so notes cannot inject markup.

function h(tag, cls, text) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined && text !== null) el.textContent = String(text);
  return el;
}

function render({ model, el }) {
  const root = h("div", "ek-taxonomy");
  root.tabIndex = 0;
  // keys typed in the widget never reach JupyterLab's command-mode shortcuts
  root.addEventListener("keydown", (e) => e.stopPropagation());
  const selected = new Set();

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
  right.append(form, modesTitle, modes, unmappedTitle, unmapped, logTitle, log);
  root.append(head, status, body);
  el.append(root);

  group.addEventListener("click", () => {
    model.send({
      type: "group", items: [...selected], name: name.value, definition: def.value,
      severity: Number(sev.value), parent: parent.value || null,
    });
    selected.clear();
  });
  unmap.addEventListener("click", () => {
    model.send({ type: "unmap", items: [...selected] });
    selected.clear();
  });

  function renderState() {
    const s = model.get("state") || {};
    const c = s.coverage || {};
    title.textContent = `Taxonomy ${s.name} · v${s.version} · ${(s.modes || []).length} modes`;
    cov.textContent = `Coverage: ${c.covered ?? 0} of ${c.failing ?? 0} failing traces mapped to a mode (${Math.round(100 * (c.share || 0))}%)`;
    fill.style.width = `${Math.round(100 * (c.share || 0))}%`;
    root.dataset.version = String(s.version);
    status.textContent = s.message || "";
    status.dataset.kind = s.message_kind || "info";

    left.replaceChildren(h("div", "ek-tx-section", "Open codes and note clusters"));
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
      top.append(retire);
      const d = h("input", "ek-tx-mode-def");
      d.value = m.definition || "";
      d.placeholder = "definition";
      d.addEventListener("change", () => model.send({ type: "define", mode: m.name, definition: d.value }));
      card.append(top, d);
      modes.append(card);
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
