// evalkit Annotator: the keyboard map, the help overlay (?) and the widget's key handler
// (concatenated with the other annotator_*.js files and annotator.js by annotator.py).
// Every key handled here is stopped (stopPropagation + preventDefault) so JupyterLab's own
// command-mode shortcuts never see it, and each one is sent to the kernel as exactly one
// `model.send` message, in order (trait sync would merge fast keypresses).

const KEY_ACTIONS = {
  "1": "1", "2": "2", d: "d", u: "u", j: "j", k: "k",
  ArrowRight: "j", ArrowLeft: "k", D: "D",
};
// Keys that scroll the trace pane (never the notebook): fraction of the pane per press.
const SCROLL_KEYS = { " ": 0.85, PageDown: 0.85, PageUp: -0.85 };

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

// The help overlay and the "?" button that opens it. `toggle()` flips it, `toggle(bool)` sets it.
function helpOverlay({ root }) {
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
  const button = h("button", "ek-btn ek-help-btn", "?");
  button.title = "Keyboard shortcuts (?)";

  const toggle = (show) => {
    help.hidden = show === undefined ? !help.hidden : !show;
  };
  button.addEventListener("click", (e) => {
    e.stopPropagation();
    toggle();
    root.focus({ preventScroll: true });
  });
  help.addEventListener("click", () => toggle(false));
  return { el: help, button, toggle };
}

// The widget's key handler: one message per key for the kernel, the rest handled here.
function bindKeys({ root, model, send, isDead, help, table, side, trace }) {
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
    if (isDead()) {
      e.preventDefault(); // refused: the kernel behind this widget is gone
      return;
    }
    if (table.isOpen()) {
      table.key(e);
      return;
    }
    if (e.key === "t") {
      e.preventDefault();
      table.show();
      return;
    }
    if (e.key in SCROLL_KEYS || e.key === "Home" || e.key === "End") {
      e.preventDefault();
      if (e.key in SCROLL_KEYS) trace.scroll(e.key === " " && e.shiftKey ? -SCROLL_KEYS[" "] : SCROLL_KEYS[e.key]);
      else trace.jumpToMessage(e.key === "End");
      return;
    }
    const digit = /^Digit([1-9])$/.exec(e.code || "");
    if (e.shiftKey && digit) {
      e.preventDefault();
      // the model's state, not the last render: a mode added a moment ago counts already
      const names = (model.get("state") || {}).failure_modes || side.modeNames();
      const mode = names[Number(digit[1]) - 1];
      if (mode !== undefined) send({ type: "mode", mode });
      return;
    }
    if (e.key === "?") {
      e.preventDefault();
      help.toggle();
      return;
    }
    if (e.key === "Escape") {
      e.preventDefault();
      help.toggle(false);
      return;
    }
    if ((e.key === "y" || e.key === "n") && ((model.get("state") || {}).questions || []).length) {
      e.preventDefault(); // taxonomy hook: relabel yes / no
      send({ type: "answer", answer: e.key === "y" ? "yes" : "no" });
      return;
    }
    if (e.key === "n") {
      e.preventDefault();
      side.focusNote();
      return;
    }
    if (e.key === "r" || e.key === "R") {
      e.preventDefault();
      if (e.key === "r") side.reference.focus();
      else side.reference.toggle();
      return;
    }
    const action = KEY_ACTIONS[e.key];
    if (action) {
      e.preventDefault();
      send({ type: "key", key: action });
    }
  });
}
