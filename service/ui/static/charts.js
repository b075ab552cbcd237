// Plain SVG charts for the rlvr dashboard: a multi-series line chart, a histogram and a stacked bar.
// No library, no network: each function redraws its target from scratch.
"use strict";

const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#1f6feb", "#d2691e", "#2da44e", "#a371f7", "#cf222e", "#0598bc", "#bf8700", "#6e7781"];
  const STATUS_COLORS = { ok: "#2da44e", timeout: "#bf8700", sandbox_error: "#cf222e", bad_reference: "#a371f7",
    error: "#8250df", too_large: "#0598bc", bad_params: "#d2691e", unknown_verifier: "#6e7781" };

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (parent) parent.appendChild(node);
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function color(i) { return PALETTE[i % PALETTE.length]; }

  function statusColor(status, i) { return STATUS_COLORS[status] || color(i); }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function fmt(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    if (Math.abs(v) >= 1000) return (v / 1000).toFixed(1) + "k";
    if (Math.abs(v) >= 10) return v.toFixed(0);
    return Number(v.toPrecision(3)).toString();
  }

  // series: [{name, points: [[tSeconds, value], ...]}]; x spans [t0, t1].
  function line(svg, series, t0, t1) {
    clear(svg);
    const W = svg.clientWidth || 600, H = svg.clientHeight || 200;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const L = 44, R = 8, T = 8, B = 34;
    const ymax = niceMax(Math.max(0, ...series.flatMap((s) => s.points.map((p) => p[1]))));
    const x = (t) => L + ((t - t0) / Math.max(t1 - t0, 1e-9)) * (W - L - R);
    const y = (v) => T + (1 - v / ymax) * (H - T - B);
    for (let k = 0; k <= 4; k++) {
      const v = (ymax * k) / 4;
      el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }, svg);
      el("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end", class: "tick" }, svg).textContent = fmt(v);
    }
    const span = t1 - t0;
    for (let k = 0; k <= 4; k++) {
      const t = t0 + (span * k) / 4;
      const ago = Math.round(t1 - t);
      el("text", { x: x(t), y: H - B + 14, "text-anchor": "middle", class: "tick" }, svg).textContent =
        ago === 0 ? "now" : `-${ago}s`;
    }
    series.forEach((s, i) => {
      if (!s.points.length) return;
      const d = s.points.map((p, j) => `${j ? "L" : "M"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join("");
      // every other series dashed, so that equal rates (two rewards on every item) still show both lines
      el("path", { d, fill: "none", stroke: color(i), "stroke-width": 2, "stroke-dasharray": i % 2 ? "6 4" : "none",
        class: "series", "data-name": s.name }, svg);
    });
    let lx = L;
    series.forEach((s, i) => {
      el("rect", { x: lx, y: H - 12, width: 10, height: 10, fill: color(i) }, svg);
      const label = el("text", { x: lx + 14, y: H - 3, class: "legend" }, svg);
      label.textContent = s.name;
      lx += 24 + 7 * s.name.length;
    });
    if (!series.length) {
      el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, svg).textContent =
        "no items scored in this window";
    }
  }

  // bins: [{label, value}], each bar with its label as a tooltip; lo and hi label the two ends of the axis.
  function histogram(svg, bins, lo, hi) {
    clear(svg);
    const W = 160, H = 40, AXIS = 12;
    svg.setAttribute("viewBox", `0 0 ${W} ${H + AXIS}`);
    el("text", { x: 0, y: H + AXIS - 1, class: "tick" }, svg).textContent = lo;
    el("text", { x: W, y: H + AXIS - 1, "text-anchor": "end", class: "tick" }, svg).textContent = hi;
    const max = Math.max(1, ...bins.map((b) => b.value));
    const w = W / Math.max(bins.length, 1);
    bins.forEach((b, i) => {
      const h = (b.value / max) * (H - 2);
      const bar = el("rect", { x: i * w + 1, y: H - h, width: Math.max(w - 2, 1), height: h, class: "bar" }, svg);
      el("title", {}, bar).textContent = `${b.label}: ${b.value}`;
    });
    el("line", { x1: 0, x2: W, y1: H - 0.5, y2: H - 0.5, class: "axis" }, svg);
  }

  // parts: [{name, value}] → a 100%-stacked bar with a legend, as HTML (statuses are few).
  function stacked(container, parts) {
    container.textContent = "";
    const total = parts.reduce((a, p) => a + p.value, 0);
    const bar = document.createElement("div");
    bar.className = "stack";
    const legend = document.createElement("div");
    legend.className = "stack-legend";
    parts.forEach((p, i) => {
      if (!p.value) return;
      const seg = document.createElement("span");
      seg.style.width = `${(100 * p.value) / total}%`;
      seg.style.background = statusColor(p.name, i);
      seg.title = `${p.name}: ${p.value}`;
      bar.appendChild(seg);
      const item = document.createElement("span");
      item.className = "status-item";
      item.dataset.status = p.name;
      const dot = document.createElement("i");
      dot.style.background = statusColor(p.name, i);
      item.append(dot, `${p.name} ${((100 * p.value) / total).toFixed(p.value === total ? 0 : 1)}%`);
      legend.appendChild(item);
    });
    container.append(bar, legend);
  }

  return { line, histogram, stacked, fmt };
})();
