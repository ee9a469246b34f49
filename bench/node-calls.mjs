// Per-call cost of the pool in Node against the floor, raw `undici.request` on a keep-alive Agent
// (issue #19's Node anchor), and with --baseline against an earlier build of the package (issue
// #17's perf gate), all in one process and one run: N `tools/call` echo calls at concurrency C,
// through the pool (get → callTool → release per call, default options) and through the raw
// client, in rotating order, several runs; ratios are taken inside each run.
// Servers: bench/fast_server.mjs in a child process, answering JSON, and with --sse one SSE event.
//
//   node bench/node-calls.mjs [--runs 7] [--n 2000] [--pkg DIR] [--baseline DIR] [--only json|sse] [--c 1,32]
//
// --pkg: the package to measure (default pkg/, `make pkg`); --baseline: an unpacked earlier tarball.
// Both are imported by their Node entry (node.mjs), so each brings its own HTTP client (and undici).
// Prints a Markdown table: medians (min–max) of per-run ratios.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startFastServer } from "./fast_server_start.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const RUNS = Math.min(50, Math.max(1, Number(opt("--runs", 7))));
const N = Math.min(100_000, Math.max(10, Number(opt("--n", 2000))));
const PKG = path.resolve(opt("--pkg", path.join(here, "..", "pkg")));
const BASELINE = opt("--baseline", null);
const ONLY = opt("--only", null);
const CS = String(opt("--c", "1,32")).split(",").map(Number).filter((c) => c >= 1 && c <= 256);

/** The raw floor: the package's own undici, `request()` on a keep-alive Agent, the session headers by hand. */
async function rawClient(url, pkgDir) {
  const undici = createRequire(path.join(pkgDir, "package.json"))("undici");
  const agent = new undici.Agent({ keepAliveTimeout: 60_000, connections: 64 });
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25" };
  let id = 0;
  const rpc = async (method, params) => {
    const n = ++id;
    const res = await undici.request(url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: n, method, params }), dispatcher: agent });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`raw: HTTP ${res.statusCode} ${text}`);
    if (method === "initialize") headers["mcp-session-id"] = res.headers["mcp-session-id"];
    const type = String(res.headers["content-type"] || "");
    const msg = type.startsWith("text/event-stream") ? JSON.parse(/^data: (.*)$/m.exec(text)[1]) : JSON.parse(text);
    if (msg.error) throw new Error(`raw: ${msg.error.message}`);
    return msg.result;
  };
  await rpc("initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "0" } });
  const init = { jsonrpc: "2.0", method: "notifications/initialized" };
  await (await undici.request(url, { method: "POST", headers, body: JSON.stringify(init), dispatcher: agent })).body.text();
  return { call: (message) => rpc("tools/call", { name: "echo", arguments: { message } }), close: () => agent.close() };
}

/** A package's pool: get → callTool → release around every call, default options. */
async function poolClient(url, pkgDir) {
  const P = await import(pathToFileURL(path.join(pkgDir, "node.mjs")).href);
  const pool = new P.McpPool();
  pool.registerHttp("s", url);
  const call = async (message) => {
    const c = await pool.get("s");
    try {
      return await c.callTool("echo", { message });
    } finally {
      c.release();
    }
  };
  await call("warm");
  return { call, close: () => pool.close() };
}

/** n calls at concurrency c; checks every answer; ms. */
async function drive(client, n, c) {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < n) {
        const i = next++;
        const r = await client.call(`m${i}`);
        if (r?.content?.[0]?.text !== `m${i}`) throw new Error(`wrong answer for m${i}: ${JSON.stringify(r)}`);
      }
    }),
  );
  return performance.now() - t;
}

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)];
const fmt = (xs) => `${median(xs).toFixed(2)} (${sorted(xs)[0].toFixed(2)}–${sorted(xs).at(-1).toFixed(2)})`;

const rows = [];
for (const [label, flags] of [["JSON", []], ["SSE", ["--sse"]]]) {
  if (ONLY && ONLY.toLowerCase() !== label.toLowerCase()) continue;
  const server = await startFastServer(flags);
  try {
    const clients = [["raw", await rawClient(server.url, PKG)], ["pool", await poolClient(server.url, PKG)]];
    if (BASELINE) clients.push(["base", await poolClient(server.url, path.resolve(BASELINE))]);
    for (const c of CS) {
      for (const [, client] of clients) await drive(client, Math.min(N, 500), c); // warm-up: optimised code, connections open
      const ms = Object.fromEntries(clients.map(([name]) => [name, []]));
      for (let run = 0; run < RUNS; run++) {
        // Rotating order, so that no client always runs first (or right after another).
        for (let k = 0; k < clients.length; k++) {
          const [name, client] = clients[(run + k) % clients.length];
          ms[name].push(await drive(client, N, c));
        }
      }
      const per = (a, b) => ms[a].map((x, i) => x / ms[b][i]);
      rows.push({ label, c, rawUs: median(ms.raw) * 1000 / N, poolRaw: per("pool", "raw"), baseRaw: BASELINE ? per("base", "raw") : null, poolBase: BASELINE ? per("pool", "base") : null });
      process.stderr.write(`${label} c${c}: pool÷raw ${fmt(rows.at(-1).poolRaw)}${BASELINE ? `, pool÷baseline ${fmt(rows.at(-1).poolBase)}` : ""}\n`);
    }
    for (const [, client] of clients) await client.close();
  } finally {
    server.child.kill();
  }
}

console.log(`Node ${process.version}, ${RUNS} runs × ${N} calls, medians (min–max) of per-run ratios`);
console.log("");
console.log(`| server | c | raw undici µs/call | pool ÷ raw |${BASELINE ? " baseline ÷ raw | pool ÷ baseline |" : ""}`);
console.log(`|---|---|---|---|${BASELINE ? "---|---|" : ""}`);
for (const r of rows) {
  console.log(`| ${r.label} | ${r.c} | ${r.rawUs.toFixed(1)} | ${fmt(r.poolRaw)} |${BASELINE ? ` ${fmt(r.baseRaw)} | ${fmt(r.poolBase)} |` : ""}`);
}
process.exit(0);
