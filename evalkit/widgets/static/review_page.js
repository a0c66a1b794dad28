// evalkit review page: runs the notebook widget's front end (annotator.js) against the review
// server. A small model with anywidget's interface (get / on / off / send) stands in for the
// Jupyter comm: `send` goes over a WebSocket, and the server answers with the traits that changed.
import widget from "./annotator.js";

const params = new URLSearchParams(location.search);
const app = document.getElementById("app");

function makeModel(ws) {
  const data = {};
  const handlers = {};
  let idle = [];
  const trigger = (name, ...args) => (handlers[name] || []).slice().forEach((cb) => cb(...args));
  const model = {
    get: (k) => data[k],
    set: (k, v) => { data[k] = v; },
    save_changes: () => {},
    on: (name, cb) => { (handlers[name] = handlers[name] || []).push(cb); },
    off: (name, cb) => { handlers[name] = (handlers[name] || []).filter((f) => f !== cb); },
    send: (content, callbacks) => {
      if (ws.readyState !== WebSocket.OPEN) throw new Error("the review server is gone");
      ws.send(JSON.stringify(content));
      const status = callbacks?.iopub?.status;
      if (status) idle.push(status);
    },
    _apply: (changed) => {
      Object.assign(data, changed);
      for (const k of Object.keys(changed)) trigger(`change:${k}`);
      const done = idle;
      idle = [];
      // like a kernel going idle after handling a message
      done.forEach((cb) => cb({ content: { execution_state: "idle" } }));
    },
    _trigger: trigger,
  };
  return model;
}

function askName() {
  const form = document.createElement("form");
  form.className = "ek-who";
  const input = document.createElement("input");
  input.placeholder = "your name (as you label)";
  input.required = true;
  input.autofocus = true;
  const go = document.createElement("button");
  go.textContent = "Start reviewing";
  form.append(input, go);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    params.set("annotator", input.value.trim());
    location.search = params.toString();
  });
  app.replaceChildren(form);
  input.focus();
}

function connect() {
  const url = new URL("ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  for (const k of ["annotator", "token"]) if (params.get(k)) url.searchParams.set(k, params.get(k));
  const ws = new WebSocket(url);
  const model = makeModel(ws);
  let started = false;
  ws.addEventListener("message", (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === "need_name") {
      askName();
    } else if (msg.type === "error") {
      app.textContent = `Could not open the review: ${msg.message}`;
    } else if (msg.type === "init" && !started) {
      started = true;
      model._apply(msg.state);
      document.getElementById("who").textContent = `labelling as ${msg.annotator}`;
      document.title = `evalkit review · ${msg.annotator}`;
      widget.render({ model, el: app });
    } else {
      model._apply(msg.state || {});
    }
  });
  ws.addEventListener("close", () => {
    model.set("dead_message", "Lost the connection to the review server: reload the page. Your saved labels are safe.");
    model._trigger("comm:close");
  });
}

connect();
