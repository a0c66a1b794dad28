// evalkit Annotator: the side panel (concatenated with the other annotator_*.js files and
// annotator.js by annotator.py). The note, the reference answer (annotator_reference.js), open
// codes, failure modes (with the relabel pass's yes / no questions), other people's labels and
// the status line. Notes, codes and mode names are set as text; only `labels_html`, sanitized in
// the kernel, is assigned to innerHTML.

function sidePanel({ model, send, root }) {
  let noteBaseline = "";
  let modeNames = [];
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

  // ---------------------------------------------------------------- state -> view
  // Call before the caller forgets the trace on display (`traceChanged`): unsaved text is sent
  // for the trace it was typed on.
  const render = (s, traceChanged) => {
    if (traceChanged && note.value !== noteBaseline) {
      // Text typed while the kernel moved on belongs to the trace it was typed on: save it there.
      saveNote(false);
    }
    ref.render(s, traceChanged);
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
    saved.textContent = s.message || "";
    saved.dataset.kind = s.message_kind || "info";
  };
  const renderOthers = () => {
    others.innerHTML = model.get("labels_html"); // sanitized in the kernel
  };
  // The "saving…" mark: shown from a message's send until the kernel acknowledges it.
  const setPending = (busy) => {
    pending.textContent = busy ? "saving…" : "";
    pending.dataset.state = busy ? "pending" : "idle";
  };
  const clearPending = () => {
    pending.textContent = "";
  };

  // ---------------------------------------------------------------- inputs
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

  const focusNote = () => {
    if (!note.hidden) note.focus();
  };
  return {
    el: side, render, renderOthers, setPending, clearPending, focusNote,
    reference: ref, modeNames: () => modeNames,
  };
}
