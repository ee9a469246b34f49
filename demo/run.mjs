// The demo: two real MCP servers on 127.0.0.1 (official TS SDK and Python SDK), many simulated
// agents sharing one McpPool, live progress, a final table, then the browser page served locally.
//   node demo/run.mjs [--agents 40] [--calls 10] [--exit]
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { McpPool } from "../pkg/node.mjs";
import { startPyServer, startTsServer } from "../tests/js/servers.mjs";

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const AGENTS = opt("agents", 40);
const CALLS = opt("calls", 10);
const MAX_SESSIONS = 3;
const exitAfter = argv.includes("--exit") || !process.stdout.isTTY || process.env.CI;

console.log("Starting two MCP servers on 127.0.0.1 (TS SDK, Python SDK)...");
const servers = { ts: await startTsServer(), py: await startPyServer() };
for (const [name, s] of Object.entries(servers)) console.log(`  ${name}: ${s.url}`);

const pool = new McpPool({ maxConnectionsPerServer: MAX_SESSIONS, clientInfo: { name: "edge-pool-demo", version: "1.0.0" } });
for (const [name, s] of Object.entries(servers)) pool.registerHttp(name, s.url, { headers: { Authorization: "Bearer demo-token" } });

let done = 0;
let failed = 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function agent(id) {
  for (let i = 0; i < CALLS; i++) {
    const server = (id + i) % 2 === 0 ? "ts" : "py";
    const client = await pool.get(server);
    try {
      const result = await client.callTool("add", { a: id, b: i });
      if (result.structuredContent?.sum !== id + i && !String(result.content?.[0]?.text).includes(String(id + i))) {
        throw new Error(`wrong sum from ${server}: ${JSON.stringify(result)}`);
      }
      done++;
    } catch (e) {
      failed++;
      console.error(`agent ${id}: ${e.code ?? ""} ${e.message}`);
    } finally {
      client.release();
    }
    await sleep(Math.random() * 5);
  }
}

const started = performance.now();
const progress = setInterval(() => {
  const s = pool.stats();
  process.stdout.write(`\r  calls ${String(done).padStart(4)}/${AGENTS * CALLS}  active ${s.activeConnections}  idle ${s.idleConnections}  waiting ${String(s.waiting).padStart(3)}  `);
}, 100);
console.log(`Running ${AGENTS} agents x ${CALLS} calls through one pool (max ${MAX_SESSIONS} sessions per server)...`);
await Promise.all(Array.from({ length: AGENTS }, (_, i) => agent(i)));
clearInterval(progress);
const seconds = (performance.now() - started) / 1000;
console.log(`\r  calls ${done}/${AGENTS * CALLS} done, ${failed} failed, in ${seconds.toFixed(2)} s (${Math.round(done / seconds)} calls/s)          `);

const stats = pool.stats();
const rows = [];
for (const [name, s] of Object.entries(servers)) {
  const seen = await s.stats();
  const per = stats.servers[name];
  rows.push({ server: name, "initialize (server saw)": seen.initialize, "sessions opened": per.totalConnections, idle: per.idleConnections, active: per.activeConnections, "connection errors": per.connectionErrors });
}
console.table(rows);
console.log(`Without a pool every agent would open its own session: ${AGENTS} initialize handshakes or more.`);

await pool.close();
if (failed > 0) process.exitCode = 1;

if (exitAfter) {
  for (const s of Object.values(servers)) await s.stop();
} else {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const www = spawn(process.execPath, [`${root}scripts/serve-www.mjs`, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  www.stdout.setEncoding("utf8").on("data", (line) => {
    const m = /SERVING (\S+)/.exec(line);
    if (m) {
      const query = Object.values(servers).map((s) => `server=${encodeURIComponent(s.url)}`).join("&");
      console.log(`\nThe browser demo, on both servers: ${m[1]}?${query}`);
      console.log("(both servers send CORS headers; Ctrl-C stops everything)");
    }
  });
  process.on("SIGINT", async () => {
    www.kill();
    for (const s of Object.values(servers)) await s.stop();
    process.exit(0);
  });
}
