// Soak: N get → callTool → release cycles (default 20,000) through the built package, against
// the official TS SDK server behind the fault proxy, with a random fault on 5% of tool calls.
// Checks that wasm memory stays flat after warm-up, that stats balance (active 0, waiting 0,
// leases 0), and that no promise rejection goes unhandled. Writes target/soak.json.
// The pool sends through the global fetch, or with `--http-client node` through the package's
// Node client on undici (pkg/node.mjs installs it; undici comes from pkg/node_modules, which
// scripts/build-pkg.sh fills).
//   node tests/soak/soak.mjs [cycles] [--http-client fetch|node]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { initSync, McpPool } from "../../pkg/mcp_edge_pool.js";

const flag = process.argv.indexOf("--http-client");
const HTTP_CLIENT = flag >= 0 ? process.argv[flag + 1] : "fetch";
if (HTTP_CLIENT === "node") await import("../../pkg/node.mjs");
import { startFaultProxy } from "../faults/proxy.mjs";
import { startTsServer } from "../js/servers.mjs";

const CYCLES = Number(process.argv[2]?.startsWith("--") ? 20_000 : (process.argv[2] ?? 20_000));
const AGENTS = 20;
const FAULT_RATE = 0.05;
const KINDS = [
  { kind: "dropMidBody" },
  { kind: "status", status: 503 },
  { kind: "malformedJson" },
  { kind: "notFoundSession" },
  { kind: "mismatchedId" },
  { kind: "sseEndsEarly" },
  { kind: "stallBeforeHeaders", ms: 20 },
  { kind: "refuse" },
];
const DEADLINE_MS = 10 * 60 * 1000;
// The allocator reaches its high-water mark within ~10k cycles (measured: flat from 10k to 40k).
const WARM_UP = Math.min(10_000, Math.floor(CYCLES / 2));

// The raw glue, so the soak can read the instance's memory.
const wasm = initSync({ module: readFileSync(new URL("../../pkg/mcp_edge_pool_bg.wasm", import.meta.url)) });
const pages = () => wasm.memory.buffer.byteLength / 65536;

const unhandled = [];
process.on("unhandledRejection", (reason) => unhandled.push(String(reason)));

const server = await startTsServer();
const proxy = await startFaultProxy(server.url);
const pool = new McpPool({ httpClient: HTTP_CLIENT, maxConnectionsPerServer: 4, requestTimeoutMs: 2_000, maxConcurrentRequests: 32, circuitBreakerCooldownMs: 100 });
pool.registerHttp("s", proxy.url);

let done = 0;
let ok = 0;
const failures = {};
const memory = [];
const started = Date.now();
let kindIndex = 0;
const setKind = () => {
  const spec = KINDS[kindIndex++ % KINDS.length];
  proxy.setFault({ ...spec, method: "tools/call", always: true, match: () => Math.random() < FAULT_RATE });
};
setKind();

async function agent(id) {
  while (done < CYCLES && Date.now() - started < DEADLINE_MS) {
    const n = done++;
    if (n > 0 && n % 250 === 0) setKind();
    if (n % 2_500 === 0 || n === CYCLES - AGENTS) memory.push({ cycle: n, pages: pages() });
    let client;
    try {
      client = await pool.get("s");
      const r = await client.callTool("echo", { message: `${id}:${n}` });
      if (r.content?.[0]?.text !== `${id}:${n}`) throw new Error(`wrong answer ${JSON.stringify(r)}`);
      ok++;
    } catch (e) {
      const key = e.code ?? `untyped: ${e.message}`;
      failures[key] = (failures[key] ?? 0) + 1;
    } finally {
      client?.release();
      // Free the JS wrapper now rather than whenever the GC gets to it, so that wasm memory
      // measures the pool, not the garbage collector's timing.
      client?.free();
    }
  }
}

await Promise.all(Array.from({ length: AGENTS }, (_, i) => agent(i)));
proxy.clearFault();
const stats = pool.stats();
// Open TCP sockets of this process (the servers run in their own): the HTTP client's
// kept-alive connections plus the proxy's two ends of each; a leak would show thousands.
const sockets = process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
const summary = {
  cycles: done,
  ok,
  failures,
  seconds: (Date.now() - started) / 1000,
  memoryPages: memory,
  stats: { active: stats.activeConnections, idle: stats.idleConnections, waiting: stats.waiting, leases: stats.leases, opened: stats.totalConnections, connectionErrors: stats.connectionErrors },
  unhandledRejections: unhandled.length,
  httpClient: HTTP_CLIENT,
  openSockets: sockets,
  faultsInjected: proxy.log.filter((e) => e.fault).length,
};
await pool.close();
await proxy.stop();
await server.stop();
mkdirSync(new URL("../../target/", import.meta.url), { recursive: true });
writeFileSync(new URL("../../target/soak.json", import.meta.url), JSON.stringify(summary, null, 2));
console.log(JSON.stringify(summary, null, 2));

const problems = [];
const after = memory.filter((m) => m.cycle >= WARM_UP);
const warm = after[0]?.pages;
if (after.some((m) => m.pages !== warm)) problems.push(`wasm memory grew after warm-up: ${JSON.stringify(memory)}`);
if (stats.activeConnections || stats.waiting || stats.leases) problems.push("stats do not balance");
if (unhandled.length) problems.push(`unhandled rejections: ${unhandled.slice(0, 3).join("; ")}`);
if (Object.keys(failures).some((k) => k.startsWith("untyped"))) problems.push("untyped failures");
if (done < CYCLES) problems.push(`only ${done} cycles within the deadline`);
if (sockets > 3 * 64) problems.push(`${sockets} TCP sockets open at the end: connections leak`);
if (problems.length) {
  console.error(`soak FAILED:\n- ${problems.join("\n- ")}`);
  process.exit(1);
}
console.log("soak passed");
