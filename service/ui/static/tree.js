// Render a JSON value (an explain trace) as a tree of <details>: every text goes through textContent,
// so a captured completion can never become markup.
"use strict";

const Tree = (() => {
  const KEY_FIELDS = ["extracted", "expected", "rule", "reason"];

  function leaf(key, value) {
    const row = document.createElement("div");
    row.className = "leaf";
    const k = document.createElement("span");
    k.className = "k";
    k.textContent = key === null ? "" : `${key}: `;
    const v = document.createElement("span");
    v.className = `v ${value === null ? "null" : typeof value}`;
    v.textContent = value === null ? "null" : typeof value === "string" ? value : JSON.stringify(value);
    row.append(k, v);
    return row;
  }

  function node(key, value, depth) {
    if (value === null || typeof value !== "object") return leaf(key, value);
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    const box = document.createElement("details");
    box.className = "node";
    if (depth < 2) box.open = true;
    const summary = document.createElement("summary");
    summary.textContent = `${key === null ? "" : key} ${Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`}`;
    box.appendChild(summary);
    for (const [k, v] of entries) box.appendChild(node(k, v, depth + 1));
    return box;
  }

  // A trace: the formula, then one branch per component headed by its verdict and key facts.
  function trace(container, t) {
    container.textContent = "";
    const head = document.createElement("p");
    head.className = "formula";
    head.textContent = t.formula;
    container.appendChild(head);
    for (const c of t.components) {
      const box = document.createElement("details");
      box.className = `component status-${c.status}`;
      box.open = true;
      const summary = document.createElement("summary");
      summary.textContent = `${c.name} — ${c.status}, score ${c.score === null ? "null" : c.score} × ${c.weight}`;
      box.appendChild(summary);
      for (const f of KEY_FIELDS) if (c[f] !== null && c[f] !== undefined) box.appendChild(node(f, c[f], 2));
      if (c.params) box.appendChild(node("params", c.params, 3));
      box.appendChild(node("details", c.details, 1));
      if (c.verifier) box.appendChild(node("verifier", c.verifier, 3));
      container.appendChild(box);
    }
    if (t.error) container.appendChild(leaf("error", t.error));
  }

  return { node, trace };
})();
