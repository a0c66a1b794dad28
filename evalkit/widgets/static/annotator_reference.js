// evalkit Annotator: the reference-answer box (concatenated before annotator.js by annotator.py).
// One text box and a high / borderline switch. The switch says which of this annotator's two
// references the box edits; text typed and not yet saved moves with the switch, so "type it, then
// decide it is only borderline, then save" saves a borderline reference. Text only: the box and
// the saved references are set with `value` / `textContent`, never as HTML.

const REF_QUALITIES = ["high", "borderline"];

function referenceBox({ h, send, root }) {
  let quality = "high";
  let baseline = ""; // the saved text of the reference on display
  let saved = { high: "", borderline: "" };
  const wrap = h("div", "ek-reference");
  const head = h("div", "ek-ref-head");
  const title = h("label", "ek-side-title", "Reference answer");
  const sw = h("div", "ek-ref-switch");
  sw.setAttribute("role", "radiogroup");
  sw.setAttribute("aria-label", "reference quality (R, or Alt+B in the box)");
  const buttons = {};
  for (const q of REF_QUALITIES) {
    const b = h("button", "ek-ref-q", q);
    b.type = "button";
    b.dataset.quality = q;
    b.setAttribute("role", "radio");
    b.title = "R (Alt+B in the box): switch high / borderline";
    // keep the focus (and unsaved text) in the box: a blur would save it under the old quality
    b.addEventListener("mousedown", (e) => e.preventDefault());
    b.addEventListener("click", (e) => {
      e.stopPropagation();
      setQuality(q);
    });
    buttons[q] = b;
    sw.append(b);
  }
  head.append(title, sw);
  const box = h("textarea", "ek-reference-text");
  box.rows = 3;
  box.setAttribute("aria-label", "reference answer");
  box.placeholder = "r to write · Alt+B high/borderline · Ctrl/⌘+Enter saves, next · Esc leaves";
  const marks = h("div", "ek-ref-marks");
  wrap.append(head, box, marks);

  const dirty = () => box.value !== baseline;
  const paint = () => {
    for (const q of REF_QUALITIES) {
      buttons[q].dataset.on = q === quality ? "1" : "0";
      buttons[q].setAttribute("aria-checked", q === quality ? "true" : "false");
    }
    wrap.dataset.quality = quality;
    marks.textContent = REF_QUALITIES.map((q) => `${q} ${saved[q] ? "✓ saved" : "–"}`).join(" · ");
  };
  const setQuality = (q) => {
    if (q === quality) return;
    const carry = dirty(); // unsaved text now belongs to the other quality
    quality = q;
    baseline = saved[q];
    if (!carry) box.value = saved[q];
    paint();
  };
  const toggle = () => setQuality(quality === "high" ? "borderline" : "high");
  const save = (next) => {
    if (dirty() || next) {
      send({ type: "reference", quality, text: box.value, next: !!next });
      baseline = box.value;
    }
  };
  box.addEventListener("keydown", (e) => {
    e.stopPropagation(); // typing "d" here is text, never a shortcut
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault();
      save(true);
      root.focus({ preventScroll: true });
    } else if (e.altKey && e.code === "KeyB") {
      e.preventDefault();
      toggle();
    } else if (e.key === "Escape") {
      e.preventDefault();
      save(false);
      root.focus({ preventScroll: true });
    }
  });
  box.addEventListener("blur", () => save(false));

  // state -> view; call before the caller forgets the trace on display (`traceChanged`)
  const render = (s, traceChanged) => {
    if (traceChanged && dirty()) save(false); // text belongs to the trace it was typed on
    wrap.hidden = !(s.fields || []).includes("reference");
    saved = { high: s.reference_high || "", borderline: s.reference_borderline || "" };
    if (traceChanged || document.activeElement !== box) {
      box.value = saved[quality];
      baseline = box.value;
    }
    paint();
  };
  const focus = () => {
    if (!wrap.hidden) box.focus();
  };
  paint();
  return { el: wrap, render, focus, toggle };
}
