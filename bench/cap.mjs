// Chooses the default of `maxConcurrentRequests` where the pool sends through the Node client
// (undici: no per-origin connection limit, unlike Workers and browsers, which keep 6).
// 50 agents x 10 `tools/call` echo calls each, every agent with its own lease (get, 10 calls,
// release), against bench/fast_server.mjs answering every POST 40 ms after it arrived (a server
// 40 ms away). For each cap: calls per second and the sessions opened. Baseline: the same 500 calls, each agent with its own keep-alive undici
// `request` (no pool, no cap): what 50 independent clients make.
//
//   node bench/cap.mjs [--runs 3] [--delay-ms 40] [--caps 6,16,32,64,128,256]
//
// Needs pkg/ (make pkg). Prints a Markdown table; the median of the runs per row. The figures
// behind the chosen default are beside it (NODE_CLIENT_MAX_CONCURRENT_REQUESTS, src/wasm/options.rs).
import { fileURLToPath } from "node:url";
import path from "node:path";
import { count, median, option } from "./cli.mjs";
import { startFastServer } from "./fast_server_start.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const RUNS = count("--runs", 3, 1, 9);
const DELAY = count("--delay-ms", 40, 1, Infinity);
const CAPS = String(option("--caps", "6,16,32,64,128,256")).split(",").map(Number).filter((n) => n > 0);
const AGENTS = 50;
const CALLS = 10;

const { McpPool } = await import(path.join(here, "../pkg/node.mjs"));
const undici = await import(path.join(here, "../pkg/node_modules/undici/index.js"));

async function pooled(url, cap) {
  const options = cap === null ? {} : { maxConcurrentRequests: cap };
  const pool = new McpPool({ ...options, healthCheckIntervalMs: 0 });
  pool.registerHttp("s", url, { era: "legacy" });
  const agent = async (i) => {
    const c = await pool.get("s");
    try {
      for (let k = 0; k < CALLS; k++) {
        const r = await c.callTool("echo", { message: `a${i}-${k}` });
        if (r.content[0].text !== `a${i}-${k}`) throw new Error("wrong answer");
      }
    } finally {
      c.release();
    }
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: AGENTS }, (_, i) => agent(i)));
  const ms = performance.now() - t;
  const sessions = pool.stats().totalConnections;
  await pool.close();
  return { perSecond: (AGENTS * CALLS * 1000) / ms, sessions };
}

async function independent(url) {
  const agent = async (i) => {
    const dispatcher = new undici.Agent({ keepAliveTimeout: 4000 });
    const post = async (body, sid) => {
      const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
      if (sid) headers["mcp-session-id"] = sid;
      const r = await undici.request(url, { method: "POST", headers, body: JSON.stringify(body), dispatcher });
      const text = await r.body.text();
      return { sid: r.headers["mcp-session-id"], json: text ? JSON.parse(text) : null };
    };
    const init = await post({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "cap", version: "1" } } });
    await post({ jsonrpc: "2.0", method: "notifications/initialized" }, init.sid);
    for (let k = 0; k < CALLS; k++) {
      const call = { jsonrpc: "2.0", id: k + 1, method: "tools/call", params: { name: "echo", arguments: { message: `a${i}-${k}` } } };
      const r = await post(call, init.sid);
      if (r.json.result.content[0].text !== `a${i}-${k}`) throw new Error("wrong answer");
    }
    await dispatcher.close();
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: AGENTS }, (_, i) => agent(i)));
  const ms = performance.now() - t;
  return { perSecond: (AGENTS * CALLS * 1000) / ms, sessions: AGENTS };
}

const server = await startFastServer(["--delay-ms", String(DELAY)]);
try {
  const rows = [["50 independent undici clients (no pool)", () => independent(server.url)]];
  for (const cap of CAPS) rows.push([`pool, maxConcurrentRequests ${cap}`, () => pooled(server.url, cap)]);
  rows.push(["pool, this build's default", () => pooled(server.url, null)]);
  const results = rows.map(() => []);
  for (let run = 0; run < RUNS; run++) {
    for (let i = 0; i < rows.length; i++) results[i].push(await rows[i][1]());
  }
  console.log(`${AGENTS} agents x ${CALLS} tools/call, server answering after ${DELAY} ms, Node ${process.version}, ${RUNS} runs (medians)\n`);
  console.log("| client | calls/s | sessions |");
  console.log("|---|---|---|");
  for (let i = 0; i < rows.length; i++) {
    const r = results[i];
    console.log(`| ${rows[i][0]} | ${median(r.map((x) => x.perSecond)).toFixed(0)} | ${median(r.map((x) => x.sessions))} |`);
  }
} finally {
  server.child.kill();
}
