// The rlvr dashboard: polls the service's own /metrics (live view), /ui/api/samples (sample browser)
// and POSTs /v1/score?explain=true (playground). Nothing else is fetched; the API key stays in this tab.
"use strict";

const POLL_MS = 5000;
const SAMPLE_POLL_MS = 5000;
const KEEP_S = 900;
const MIN_CHART_S = 30;
const state = { snaps: [], tab: "live", key: sessionStorage.getItem("rlvr-key") || "", seenStatuses: new Set() };
const $ = (id) => document.getElementById(id);

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (state.key) h.Authorization = `Bearer ${state.key}`;
  return h;
}

async function getJSON(url) {
  const r = await fetch(url, { headers: headers(), cache: "no-store" });
  if (!r.ok) throw new Error(`${url}: ${r.status} ${(await r.text()).slice(0, 200)}`);
  return r.json();
}

function setConn(ok, text) {
  const c = $("conn");
  c.textContent = text;
  c.className = `pill ${ok ? "ok" : "bad"}`;
}

// ---- Prometheus text → one snapshot of the numbers the page draws
function parseLabels(s) {
  const out = {};
  const re = /(\w+)="((?:[^"\\]|\\.)*)"/g;
  let m;
  while ((m = re.exec(s))) out[m[1]] = m[2].replace(/\\"/g, '"').replace(/\\n/g, "\n").replace(/\\\\/g, "\\");
  return out;
}

function parseMetrics(text) {
  const snap = { t: Date.now() / 1000, items: {}, lat: {}, score: {}, scorePos: {}, scoreNeg: {}, scoreCount: {}, rejected: {},
    inflight: 0, limit: 0, hits: 0, misses: 0, health: {} };
  for (const line of text.split("\n")) {
    if (!line || line[0] === "#") continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, name, rawLabels, rawValue] = m;
    const v = Number(rawValue);
    const l = rawLabels ? parseLabels(rawLabels) : {};
    const le = l.le === "+Inf" ? Infinity : Number(l.le);
    switch (name) {
      case "rlvr_items_total": (snap.items[l.verifier] ||= {})[l.status] = v; break;
      case "rlvr_verifier_seconds_bucket": (snap.lat[l.verifier] ||= []).push([le, v]); break;
      case "rlvr_component_score_bucket": (snap.score[l.verifier] ||= []).push([le, v]); break;
      case "rlvr_component_score_positive_total": snap.scorePos[l.verifier] = v; break;
      case "rlvr_component_score_negative_total": snap.scoreNeg[l.verifier] = v; break;
      case "rlvr_component_score_count": snap.scoreCount[l.verifier] = v; break;
      case "rlvr_rejected_requests_total": snap.rejected[l.reason] = v; break;
      case "rlvr_inflight_items": snap.inflight = v; break;
      case "rlvr_inflight_limit": snap.limit = v; break;
      case "rlvr_cache_hits_total": snap.hits = v; break;
      case "rlvr_cache_misses_total": snap.misses = v; break;
      case "rlvr_component_healthy": snap.health[l.component] = v; break;
      default: break;
    }
  }
  return snap;
}

// counters since start → increase over [a, b] (a restart resets: then the new value is the increase)
const inc = (b, a) => (b === undefined ? 0 : a === undefined || b < a ? b : b - a);
const sum = (o) => Object.values(o || {}).reduce((x, y) => x + y, 0);

function bucketDelta(b, a) {
  const prev = new Map((a || []).map(([le, c]) => [le, c]));
  return (b || []).map(([le, c]) => [le, inc(c, prev.get(le))]).sort((x, y) => x[0] - y[0]);
}

function quantile(buckets, q) {
  const total = buckets.length ? buckets[buckets.length - 1][1] : 0;
  if (!total) return null;
  const rank = q * total;
  let lo = 0, below = 0;
  for (const [le, c] of buckets) {
    if (c >= rank) {
      if (le === Infinity) return lo;
      return lo + (le - lo) * ((rank - below) / Math.max(c - below, 1e-9));
    }
    lo = le; below = c;
  }
  return lo;
}

function seconds(v) {
  if (v === null) return "–";
  return v < 1 ? `${(v * 1000).toPrecision(3)} ms` : `${v.toPrecision(3)} s`;
}

// ---- live view
async function pollMetrics() {
  if (document.hidden || state.tab !== "live") return;
  try {
    const r = await fetch("/metrics", { cache: "no-store" });
    if (!r.ok) throw new Error(`/metrics: ${r.status}`);
    const snap = parseMetrics(await r.text());
    state.snaps.push(snap);
    while (state.snaps.length && snap.t - state.snaps[0].t > KEEP_S) state.snaps.shift();
    setConn(true, "live");
    renderLive();
  } catch (e) {
    setConn(false, String(e.message || e));
  }
}

function renderLive() {
  const win = Number($("window").value);
  const snaps = state.snaps;
  const last = snaps[snaps.length - 1];
  const inWindow = snaps.filter((s) => last.t - s.t <= win);
  const first = inWindow[0];
  const span = last.t - first.t;
  $("window-note").textContent = span > 0 ? `over the last ${Math.round(span)} s` : "collecting…";
  const verifiers = Object.keys(last.items).sort();

  const itemsIn = (v) => sum(last.items[v]) - sum(first.items[v]);
  const total = verifiers.reduce((a, v) => a + Math.max(itemsIn(v), 0), 0);
  $("c-rate").textContent = span > 0 ? Charts.fmt(total / span) : "–";
  $("c-inflight").textContent = `${last.inflight} / ${last.limit}`;
  const hits = inc(last.hits, first.hits), misses = inc(last.misses, first.misses);
  $("c-cache").textContent = hits + misses ? `${((100 * hits) / (hits + misses)).toFixed(1)}%` : "–";
  const rej = Object.keys(last.rejected).map((k) => `${k} ${inc(last.rejected[k], first.rejected[k])}`);
  $("c-rejected").textContent = rej.length ? rej.join(", ") : "0";
  const health = $("c-health");
  health.textContent = "";
  for (const [name, ok] of Object.entries(last.health)) {
    const b = document.createElement("span");
    b.className = `pill ${ok ? "ok" : "bad"}`;
    b.dataset.component = name;
    b.textContent = `${name} ${ok ? "up" : "down"}`;
    health.appendChild(b);
  }

  // items/s per verifier between consecutive snapshots
  const series = verifiers.map((v) => ({ name: v, points: [] }));
  for (let i = 1; i < inWindow.length; i++) {
    const a = inWindow[i - 1], b = inWindow[i], dt = b.t - a.t;
    if (dt <= 0) continue;
    verifiers.forEach((v, j) => series[j].points.push([b.t, inc(sum(b.items[v]), sum(a.items[v])) / dt]));
  }
  Charts.line($("rate-chart"), series, last.t - Math.min(win, Math.max(span, MIN_CHART_S)), last.t);

  const body = $("verifiers").tBodies[0];
  body.textContent = "";
  for (const v of verifiers) {
    const statuses = Object.keys(last.items[v] || {}).map((s) => ({
      name: s, value: inc(last.items[v][s], (first.items[v] || {})[s]) }));
    statuses.forEach((s) => state.seenStatuses.add(s.name));
    const lat = bucketDelta(last.lat[v], first.lat[v]);
    const sc = bucketDelta(last.score[v], first.score[v]);
    const n = inc(last.scoreCount[v], first.scoreCount[v]);
    const net = inc(last.scorePos[v], first.scorePos[v]) - inc(last.scoreNeg[v], first.scoreNeg[v]);
    const mean = n ? net / n : null;
    const tr = body.insertRow();
    tr.dataset.verifier = v;
    tr.insertCell().textContent = v;
    tr.insertCell().textContent = span > 0 ? Charts.fmt(Math.max(itemsIn(v), 0) / span) : "–";
    tr.insertCell().textContent = mean === null ? "–" : mean.toFixed(3);
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "hist");
    const bins = histogramBins(sc);
    Charts.histogram(svg, bins, bins.length ? bins[0].lo : "", bins.length ? bins[bins.length - 1].hi : "");
    tr.insertCell().appendChild(svg);
    Charts.stacked(tr.insertCell(), statuses);
    tr.insertCell().textContent = seconds(quantile(lat, 0.5));
    tr.insertCell().textContent = seconds(quantile(lat, 0.99));
  }
  refreshFilterOptions(verifiers);
  const live = $("live");
  live.dataset.updates = String(Number(live.dataset.updates) + 1);
}

// cumulative le-buckets → per-bin counts, trimmed to the bins in use
function histogramBins(cum) {
  const bins = [];
  let prevLe = -Infinity, prev = 0;
  for (const [le, c] of cum) {
    bins.push({ label: le === Infinity ? `> ${prevLe}` : prevLe === -Infinity ? `≤ ${le}` : `(${prevLe}, ${le}]`,
      value: c - prev, lo: prevLe === -Infinity ? "" : String(prevLe), hi: le === Infinity ? "" : String(le) });
    prevLe = le; prev = c;
  }
  const used = bins.map((b, i) => (b.value ? i : -1)).filter((i) => i >= 0);
  if (!used.length) return bins.slice(3, 15);
  return bins.slice(Math.min(used[0], 3), Math.max(used[used.length - 1], 14) + 1);
}

// ---- sample browser
function refreshFilterOptions(verifiers) {
  fillSelect($("f-verifier"), verifiers);
  fillSelect($("f-status"), [...state.seenStatuses].sort());
}

function fillSelect(select, values) {
  const have = new Set([...select.options].map((o) => o.value));
  for (const v of values) if (!have.has(v)) select.add(new Option(v, v));
}

async function loadSamples() {
  const q = new URLSearchParams({ limit: "200" });
  for (const [id, key] of [["f-verifier", "verifier"], ["f-status", "status"], ["f-min", "min_reward"],
    ["f-max", "max_reward"]]) if ($(id).value !== "") q.set(key, $(id).value);
  try {
    const data = await getJSON(`/ui/api/samples?${q}`);
    $("capture-note").textContent = data.enabled
      ? `${data.samples.length} shown · ${data.kept} kept of the last ${data.size} · ${data.recorded} captured` +
        (data.drop_prompts ? " · prompts dropped" : "")
      : "Sample capture is off: start the service with RLVR_UI_CAPTURE=true to browse scored items.";
    const rows = $("sample-rows");
    rows.textContent = "";
    for (const s of data.samples) {
      s.verifiers.forEach((v) => fillSelect($("f-verifier"), [v]));
      state.seenStatuses.add(s.status);
      const tr = rows.insertRow();
      tr.dataset.seq = s.seq;
      tr.dataset.status = s.status;
      tr.dataset.reward = s.reward === null ? "" : s.reward;
      tr.tabIndex = 0;
      for (const text of [s.seq, s.id ?? "", s.reward === null ? "null" : Charts.fmt(s.reward), s.status,
        s.verifiers.join(", "), s.completion]) tr.insertCell().textContent = String(text);
      tr.addEventListener("click", () => openSample(s.seq));
      tr.addEventListener("keydown", (e) => { if (e.key === "Enter") openSample(s.seq); });
    }
    fillSelect($("f-status"), [...state.seenStatuses].sort());
    setConn(true, "live");
  } catch (e) {
    setConn(false, String(e.message || e));
  }
}

async function openSample(seq) {
  const pane = $("sample-detail");
  try {
    const s = await getJSON(`/ui/api/samples/${seq}`);
    pane.textContent = "";
    const h = document.createElement("h3");
    h.textContent = `Sample #${s.seq} · reward ${s.result.reward === null ? "null" : s.result.reward} · ${s.result.status}`;
    const again = document.createElement("button");
    again.type = "button";
    again.id = "to-playground";
    again.textContent = "Open in playground";
    again.addEventListener("click", () => {
      $("pg-completion").value = s.completion;
      const ref = s.reference;
      $("pg-reference").value = ref === null ? "" : typeof ref === "string" && !"{[\"".includes(ref.trim()[0])
        ? ref : JSON.stringify(ref);
      $("pg-rewards").value = JSON.stringify(s.rewards);
      location.hash = "#playground";
      updateCurl();
    });
    const trace = document.createElement("div");
    trace.id = "trace";
    Tree.trace(trace, s.trace);
    pane.append(h, again, trace, Tree.node("item", { prompt: s.prompt, completion: s.completion,
      reference: s.reference }, 1));
  } catch (e) {
    pane.textContent = String(e.message || e);
  }
}

// ---- playground
function playgroundBody() {
  // text as is (a math answer such as 4 stays the string "4"); JSON when it is an object, a list or a quoted string
  const refText = $("pg-reference").value;
  const start = refText.trim()[0];
  let reference = refText;
  if (start === undefined) reference = null;
  else if ("{[\"".includes(start)) reference = JSON.parse(refText);
  const rewards = JSON.parse($("pg-rewards").value);
  return { items: [{ completion: $("pg-completion").value, reference }], rewards };
}

function shellQuote(s) { return `'${s.replace(/'/g, "'\\''")}'`; }

function updateCurl() {
  let body;
  try { body = playgroundBody(); } catch (e) { $("pg-curl").textContent = `not JSON: ${e.message}`; return; }
  $("pg-curl").textContent = `curl -sS ${shellQuote(`${location.origin}/v1/score?explain=true`)} ` +
    `-H "Authorization: Bearer $RLVR_API_KEY" -H 'Content-Type: application/json' -d ${shellQuote(JSON.stringify(body))}`;
}

async function scorePlayground(ev) {
  ev.preventDefault();
  $("pg-error").textContent = "";
  const out = $("pg-result");
  let body;
  try { body = playgroundBody(); } catch (e) { $("pg-error").textContent = `not JSON: ${e.message}`; return; }
  updateCurl();
  try {
    const r = await fetch("/v1/score?explain=true", { method: "POST", body: JSON.stringify(body),
      headers: headers({ "Content-Type": "application/json" }) });
    const data = await r.json();
    if (!r.ok) { $("pg-error").textContent = `${r.status}: ${data.error || JSON.stringify(data.detail)}`; return; }
    const res = data.results[0];
    out.textContent = "";
    const h = document.createElement("h3");
    h.id = "pg-reward";
    h.textContent = `reward ${res.reward === null ? "null" : res.reward} · ${res.status}`;
    const trace = document.createElement("div");
    Tree.trace(trace, data.explanations[0]);
    out.append(h, trace);
  } catch (e) {
    $("pg-error").textContent = String(e.message || e);
  }
}

// ---- tabs and start-up
function showTab() {
  state.tab = (location.hash || "#live").slice(1);
  if (!["live", "samples", "playground"].includes(state.tab)) state.tab = "live";
  for (const id of ["live", "samples", "playground"]) $(id).hidden = id !== state.tab;
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.tab === state.tab);
  if (state.tab === "samples") loadSamples();
  if (state.tab === "live") pollMetrics();
  if (state.tab === "playground") updateCurl();
}

document.addEventListener("DOMContentLoaded", () => {
  $("key").value = state.key;
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.key = $("key").value.trim();
    sessionStorage.setItem("rlvr-key", state.key);
    showTab();
  });
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); loadSamples(); });
  for (const id of ["f-verifier", "f-status"]) $(id).addEventListener("change", loadSamples);
  $("window").addEventListener("change", () => state.snaps.length && renderLive());
  $("pg-form").addEventListener("submit", scorePlayground);
  for (const id of ["pg-completion", "pg-reference", "pg-rewards"]) $(id).addEventListener("input", updateCurl);
  $("pg-copy").addEventListener("click", async () => {
    const text = $("pg-curl").textContent;
    try { await navigator.clipboard.writeText(text); $("pg-copy").textContent = "Copied"; } catch {
      const range = document.createRange();
      range.selectNodeContents($("pg-curl"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      $("pg-copy").textContent = "Selected: press Ctrl+C";
    }
  });
  window.addEventListener("hashchange", showTab);
  document.addEventListener("visibilitychange", () => !document.hidden && showTab());
  showTab();
  setInterval(pollMetrics, POLL_MS);
  setInterval(() => { if (!document.hidden && state.tab === "samples") loadSamples(); }, SAMPLE_POLL_MS);
});
