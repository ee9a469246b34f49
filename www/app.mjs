// Browser demo of mcp-edge-pool: N simulated agents share one pool of MCP sessions, on one or more
// servers (`?server=a&server=b`, or a comma-separated list in the URL field).
// Machine-readable state for tests lives in `window.__demo`.
import { McpPool } from "/pkg/browser.mjs";

const SERVER_PREFIX = "server";   // servers are registered as server1, server2, ...
const SAMPLE_MS = 100;            // stats sampling period
const RATE_WINDOW_MS = 1000;      // calls/s is measured over this sliding window
const LOG_SIZE = 20;

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("form"), server: $("server"), agents: $("agents"), calls: $("calls"),
  maxConn: $("maxConn"), maxLeases: $("maxLeases"), run: $("run"), close: $("close"),
  hint: $("hint"), status: $("status"), callCount: $("callCount"), errorCount: $("errorCount"), elapsed: $("elapsed"),
  chart: $("chart"), statsBody: $("statsTable").querySelector("tbody"), log: $("log"),
};

/** The server URLs in a text: separated by commas or white space. */
const splitUrls = (text) => text.split(/[\s,]+/).filter((u) => u !== "");

const params = new URLSearchParams(location.search);
ui.server.value = params.getAll("server").flatMap(splitUrls).join(", ");

/** State of the current run; also what the test reads. */
const demo = (window.__demo = {
  ready: false, running: false, done: false,
  calls: 0, errors: 0, samples: [], servers: [], serverStats: null,
  config: null, errorMessages: [],
});

let pool = null;
let sampler = null;
let run = null; // { t0, rateHistory: [[t, calls]], maxConn }

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const randInt = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo + 1));

function setStatus(text, kind = "") {
  ui.status.textContent = text;
  ui.status.className = `status ${kind}`;
}

// ---------------------------------------------------------------- results log

function logLine(text, isError, ms) {
  const li = document.createElement("li");
  if (isError) li.className = "err";
  li.textContent = text;
  if (ms !== undefined) {
    const span = document.createElement("span");
    span.className = "ms";
    span.textContent = `  ${ms.toFixed(1)} ms`;
    li.append(span);
  }
  li.title = li.textContent;
  ui.log.querySelector(".empty")?.remove();
  ui.log.prepend(li);
  while (ui.log.children.length > LOG_SIZE) ui.log.lastElementChild.remove();
}

function clearLog() {
  ui.log.replaceChildren();
  const li = document.createElement("li");
  li.className = "empty";
  li.textContent = "No calls yet.";
  ui.log.append(li);
}

function updateCounters() {
  ui.callCount.textContent = String(demo.calls);
  ui.errorCount.textContent = String(demo.errors);
  ui.errorCount.classList.toggle("bad", demo.errors > 0);
  if (run) ui.elapsed.textContent = `${((performance.now() - run.t0) / 1000).toFixed(1)} s`;
}

// ---------------------------------------------------------------- stats table

const ROWS = [
  "registeredServers", "activeConnections", "idleConnections", "openingConnections",
  "totalConnections", "leases", "waiting", "connectionErrors", "healthChecksPassed", "healthChecksFailed",
];

function renderTable(stats) {
  const rows = ROWS.map((k) => [k, stats?.[k] ?? "–"]);
  demo.servers.forEach(({ name }, i) => {
    const srv = stats?.servers?.[name];
    if (srv) {
      rows.push([`${name}: sessions / max`, `${srv.totalConnections} / ${srv.maxConnections}`]);
      rows.push([`${name}: leases, waiting`, `${srv.leases}, ${srv.waiting}`]);
    }
    const seen = demo.serverStats?.[i];
    if (seen) {
      rows.push([`${name} saw: initialize`, seen.initialize]);
      if (seen.sessions !== undefined) rows.push([`${name} saw: open sessions`, seen.sessions]);
    }
  });
  ui.statsBody.replaceChildren(...rows.map(([k, v]) => {
    const tr = document.createElement("tr");
    const a = document.createElement("td");
    a.className = "key";
    a.textContent = k;
    const b = document.createElement("td");
    b.className = "num";
    b.textContent = String(v);
    tr.append(a, b);
    return tr;
  }));
}

// ---------------------------------------------------------------- sampling

function takeSample() {
  if (!pool || !run) return null;
  const now = performance.now();
  const t = now - run.t0;
  // calls/s over a sliding window (shorter at the very start of the run).
  const h = run.rateHistory;
  h.push([t, demo.calls]);
  while (h.length > 1 && h[1][0] <= t - RATE_WINDOW_MS) h.shift();
  const [t1, c1] = h[0];
  const span = Math.max(t - t1, SAMPLE_MS);
  const callsPerSec = t > 0 ? ((demo.calls - c1) * 1000) / span : 0;

  const stats = pool.stats();
  const sample = { t: Math.round(t), calls: demo.calls, errors: demo.errors, callsPerSec, ...stats };
  demo.samples.push(sample);
  renderTable(stats);
  updateCounters();
  drawChart();
  return sample;
}

// ---------------------------------------------------------------- chart

const COLORS = { active: "#2563eb", idle: "#16a34a", waiting: "#d97706", rate: "#9333ea", grid: "#e8ebef", axis: "#6a737d" };

/** The smallest whole "round" number ≥ v (1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 25, 30, ...). */
function niceStep(v) {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return Math.ceil(m * p);
  return 10 * p;
}

function drawChart() {
  const canvas = ui.chart;
  const dpr = window.devicePixelRatio || 1;
  const cssW = canvas.clientWidth, cssH = canvas.clientHeight;
  if (!cssW || !cssH) return;
  if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, cssW, cssH);

  const pad = { l: 38, r: 52, t: 10, b: 24 };
  const W = cssW - pad.l - pad.r, H = cssH - pad.t - pad.b;
  const s = demo.samples;
  const ticks = 4;
  // a little room on the right so the last step (e.g. active → 0 at the end) stays visible
  const tMax = Math.max(500, s.length ? s[s.length - 1].t * 1.03 : 0);
  // Whole-number ticks on the left (session and getter counts are integers).
  const countPeak = Math.max(run?.maxConn ?? 1, ...s.map((x) => Math.max(x.activeConnections, x.idleConnections, x.waiting)));
  const countMax = ticks * niceStep(countPeak / ticks);
  const rateMax = ticks * niceStep(Math.max(10, ...s.map((x) => x.callsPerSec)) / ticks);
  const X = (t) => pad.l + (t / tMax) * W;
  const Yc = (v) => pad.t + H - (v / countMax) * H;
  const Yr = (v) => pad.t + H - (v / rateMax) * H;

  // grid + axes labels
  ctx.font = "11px system-ui, sans-serif";
  ctx.lineWidth = 1;
  for (let i = 0; i <= ticks; i++) {
    const y = Math.round(pad.t + (H * i) / ticks) + 0.5;
    ctx.strokeStyle = COLORS.grid;
    ctx.beginPath(); ctx.moveTo(pad.l, y); ctx.lineTo(pad.l + W, y); ctx.stroke();
    ctx.fillStyle = COLORS.axis;
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    ctx.fillText(String(Math.round(countMax * (1 - i / ticks))), pad.l - 6, y);
    ctx.fillStyle = COLORS.rate;
    ctx.textAlign = "left";
    ctx.fillText(String(Math.round(rateMax * (1 - i / ticks))), pad.l + W + 6, y);
  }
  ctx.fillStyle = COLORS.axis;
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  const secStep = [0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300].find((x) => x >= tMax / 1000 / 6) ?? 600;
  for (let sec = 0; sec * 1000 <= tMax + 1; sec += secStep) {
    ctx.fillText(`${+sec.toFixed(2)} s`, X(sec * 1000), pad.t + H + 6);
  }
  ctx.save();
  ctx.translate(pad.l + W + 40, pad.t + H / 2);
  ctx.rotate(Math.PI / 2);
  ctx.fillStyle = COLORS.rate; ctx.textAlign = "center"; ctx.textBaseline = "middle";
  ctx.fillText("calls/s", 0, 0);
  ctx.restore();

  if (s.length === 0) {
    ctx.fillStyle = COLORS.axis;
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    ctx.font = "13px system-ui, sans-serif";
    ctx.fillText("Press Run to start the agents", pad.l + W / 2, pad.t + H / 2);
    return;
  }

  ctx.save();
  ctx.beginPath(); ctx.rect(pad.l, pad.t - 2, W, H + 4); ctx.clip();

  // calls/s: translucent area on the right axis
  ctx.beginPath();
  ctx.moveTo(X(s[0].t), Yr(0));
  for (const x of s) ctx.lineTo(X(x.t), Yr(x.callsPerSec));
  ctx.lineTo(X(s[s.length - 1].t), Yr(0));
  ctx.closePath();
  ctx.fillStyle = "rgba(147, 51, 234, 0.12)";
  ctx.fill();
  ctx.beginPath();
  s.forEach((x, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, X(x.t), Yr(x.callsPerSec)));
  ctx.strokeStyle = "rgba(147, 51, 234, 0.7)";
  ctx.lineWidth = 1.5;
  ctx.stroke();

  // integer counters as step lines on the left axis
  const step = (key, color, offset) => {
    ctx.beginPath();
    s.forEach((x, i) => {
      const y = Yc(x[key]) + offset;
      if (i === 0) ctx.moveTo(X(x.t), y);
      else { ctx.lineTo(X(x.t), Yc(s[i - 1][key]) + offset); ctx.lineTo(X(x.t), y); }
    });
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.stroke();
  };
  // tiny vertical offsets keep equal values from hiding each other
  step("waiting", COLORS.waiting, 2);
  step("idleConnections", COLORS.idle, 0);
  step("activeConnections", COLORS.active, -2);
  ctx.restore();

  // plot frame
  ctx.strokeStyle = "#cfd4da";
  ctx.lineWidth = 1;
  ctx.strokeRect(pad.l + 0.5, pad.t + 0.5, W - 1, H);
}

new ResizeObserver(() => drawChart()).observe(ui.chart);

// ---------------------------------------------------------------- agents

function describeError(e) {
  const code = e?.code ? `[${e.code}] ` : "";
  return `${code}${e?.message ?? String(e)}`;
}

function recordError(text) {
  demo.errors++;
  demo.errorMessages.push(text);
  if (demo.errorMessages.length > 50) demo.errorMessages.shift();
}

async function agent(id, callsPerAgent, thisRun) {
  const tag = `agent ${String(id).padStart(2, "0")}`;
  const names = thisRun.names;
  for (let j = 1; j <= callsPerAgent; j++) {
    if (thisRun.stopped) return;
    await sleep(randInt(5, 25)); // think time
    // The servers in turn; a slow call now and then keeps a session leased a while.
    const server = names[(id + j) % names.length];
    const useSlow = Math.random() < 0.3;
    const tool = useSlow ? "slow" : "echo";
    const args = useSlow ? { ms: randInt(20, 60) } : { message: `${tag} call ${j}` };
    const t0 = performance.now();
    let client;
    try {
      client = await thisRun.pool.get(server);
      const result = await client.callTool(tool, args);
      const ms = performance.now() - t0;
      if (thisRun !== run) return;
      const text = result?.content?.map((c) => c.text ?? "").join("") ?? "";
      if (result?.isError) {
        recordError(`${tag} #${j} ${server}.${tool}: isError ${text}`);
        logLine(`${tag} #${j} ${server}.${tool} → isError: ${text}`, true, ms);
      } else {
        demo.calls++;
        const argText = useSlow ? `${args.ms} ms` : "";
        logLine(`${tag} #${j} ${server}.${tool}(${argText}) → "${text}" · lease ${client.leaseId}`, false, ms);
      }
    } catch (e) {
      if (thisRun !== run) return;
      const msg = describeError(e);
      recordError(`${tag} #${j} ${server}.${tool}: ${msg}`);
      logLine(`${tag} #${j} ${server}.${tool} ✗ ${msg}`, true, performance.now() - t0);
    } finally {
      if (client && !client.released) {
        try { client.release(); } catch (e) { if (thisRun === run) recordError(`${tag} release: ${describeError(e)}`); }
      }
    }
  }
}

async function fetchServerStats(url) {
  // `/__stats` is a hook of the test fixture server; a real server will not have it.
  try {
    const res = await fetch(new URL("/__stats", url), { cache: "no-store" });
    return res.ok ? await res.json() : null;
  } catch {
    return null;
  }
}

function readInt(input, { optional = false } = {}) {
  const raw = input.value.trim();
  if (raw === "" && optional) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${input.previousElementSibling.textContent}: expected a whole number ≥ 1`);
  return n;
}

async function closePool() {
  const p = pool;
  pool = null;
  if (p && !p.closed) await p.close();
  return p;
}

/** Every server's `/__stats` (the fixtures' hook), in the order of `demo.servers`. */
function fetchAllServerStats() {
  return Promise.all(demo.servers.map(({ url }) => fetchServerStats(url)));
}

function showHint() {
  const none = splitUrls(ui.server.value).length === 0;
  ui.hint.hidden = !none;
  return none;
}

async function start() {
  let urls, n, callsPerAgent, maxConn, maxLeases;
  try {
    urls = splitUrls(ui.server.value);
    if (urls.length === 0) {
      showHint();
      setStatus("Enter an MCP server URL first (see the note above).", "bad");
      return;
    }
    urls = urls.map((u) => {
      try {
        return new URL(u).href;
      } catch {
        throw new Error(`Not a URL: ${u} (an absolute http:// or https:// URL, e.g. http://127.0.0.1:3000/mcp)`);
      }
    });
    n = readInt(ui.agents);
    callsPerAgent = readInt(ui.calls);
    maxConn = readInt(ui.maxConn);
    maxLeases = readInt(ui.maxLeases, { optional: true });
  } catch (e) {
    setStatus(e.message, "bad");
    return;
  }
  ui.hint.hidden = true;

  ui.run.disabled = true;
  demo.done = false; // synchronously, so a watcher never sees the previous run's `done`
  demo.running = true;
  if (run) run.stopped = true;
  await closePool(); // a fresh pool per run

  const options = {
    maxConnectionsPerServer: maxConn,
    healthCheckIntervalMs: 5000,
    idleTimeoutMs: 60000,
    acquireTimeoutMs: 15000,
    requestTimeoutMs: 15000,
  };
  if (maxLeases !== undefined) options.maxLeasesPerConnection = maxLeases;

  const servers = urls.map((url, i) => ({ name: `${SERVER_PREFIX}${i + 1}`, url }));
  Object.assign(demo, {
    running: true, done: false, calls: 0, errors: 0, samples: [], servers, serverStats: null,
    errorMessages: [], config: { urls, agents: n, callsPerAgent, ...options },
  });
  clearLog();

  let thisRun;
  try {
    pool = new McpPool(options);
    for (const { name, url } of servers) pool.registerHttp(name, url, { headers: {} });
    thisRun = run = { pool, names: servers.map((s) => s.name), t0: performance.now(), rateHistory: [], maxConn, stopped: false };
  } catch (e) {
    demo.running = false;
    demo.done = true;
    recordError(describeError(e));
    setStatus(`Could not create the pool: ${describeError(e)}`, "bad");
    ui.run.disabled = false;
    return;
  }

  ui.close.disabled = false;
  setStatus(`Running ${n} agents × ${callsPerAgent} calls on ${servers.length} server${servers.length > 1 ? "s" : ""}…`);
  takeSample();
  clearInterval(sampler);
  sampler = setInterval(takeSample, SAMPLE_MS);

  await Promise.all(Array.from({ length: n }, (_, i) => agent(i + 1, callsPerAgent, thisRun)));
  if (thisRun !== run) return; // superseded by a newer run

  clearInterval(sampler);
  sampler = null;
  if (pool) takeSample(); // final snapshot: every lease is back
  demo.serverStats = await fetchAllServerStats();
  if (demo.samples.length) renderTable(demo.samples[demo.samples.length - 1]);
  updateCounters();
  const secs = ((performance.now() - run.t0) / 1000).toFixed(2);
  const seen = demo.serverStats.filter(Boolean).map((s) => s.initialize);
  setStatus(
    `Done: ${demo.calls} calls, ${demo.errors} errors in ${secs} s` +
      (seen.length ? ` · servers saw ${seen.join(" + ")} initialize` : ""),
    demo.errors ? "bad" : "ok",
  );
  demo.running = false;
  demo.done = true;
  ui.run.disabled = false;
}

ui.form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  start().catch((e) => {
    setStatus(`Unexpected failure: ${describeError(e)}`, "bad");
    console.error(e);
    ui.run.disabled = false;
  });
});

ui.close.addEventListener("click", async () => {
  ui.close.disabled = true;
  try {
    if (run) run.stopped = true;
    const p = await closePool();
    clearInterval(sampler);
    sampler = null;
    if (run) demo.serverStats = await fetchAllServerStats();
    if (p) renderTable(p.stats());
    setStatus("Pool closed: every session was ended.", "ok");
  } catch (e) {
    setStatus(`close() failed: ${describeError(e)}`, "bad");
  }
});

clearLog();
renderTable(null);
drawChart();
ui.server.addEventListener("input", () => { if (!ui.hint.hidden) showHint(); });
ui.run.disabled = false;
demo.ready = true;
if (showHint()) setStatus("No MCP server yet: enter its URL (see the note above), then press Run.", "bad");
else setStatus("Ready. Set the options and press Run.");
