// CPU profile of the pool inside workerd (issue #19: profile in the runtime itself): N tools/call
// per Worker request through /pool (or /raw) of bench/workerd_calls_worker.mjs, V8's sampling
// profiler over workerd's inspector (--inspector-addr on 127.0.0.1). Prints self time by function
// (top 45); --out writes the .cpuprofile (Chrome DevTools opens it). For wasm function names, build
// the package with wasm-opt's -g (names kept) and pass it with --pkg.
//   node --experimental-websocket bench/workerd-prof.mjs [--sse] [--c 32] [--n 2000] [--route pool|raw] [--pkg DIR] [--out F]
// (Node 20 needs --experimental-websocket for the inspector's WebSocket; Node 22 has it.)
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildWorker, freePort, start, stopAll, waitFor } from "../tests/workerd/harness.mjs";
import { startFastServer } from "./fast_server_start.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const SSE = args.includes("--sse");
const C = Number(arg("--c", 32)), N = Number(arg("--n", 2000)), ROUTE = arg("--route", "pool");
const PKG = arg("--pkg", null), OUT = arg("--out", null);
const WORKERD = path.join(here, "../tests/js/node_modules/workerd/bin/workerd");

const server = await startFastServer(SSE ? ["--sse"] : []);
try {
  const port = await freePort();
  const iport = await freePort();
  const build = buildWorker(port, ["--mcp-url", server.url, "--worker", path.join(here, "workerd_calls_worker.mjs"), "--scratch", "target/bench-workerd-prof", ...(PKG ? ["--pkg", path.resolve(PKG)] : [])]);
  const { out } = start(WORKERD, ["serve", path.basename(build.configPath), `--inspector-addr=127.0.0.1:${iport}`], { cwd: build.distDir, env: { ...process.env, PWD: build.distDir } });
  const base = `http://127.0.0.1:${port}`;
  await waitFor("workerd", async () => { try { const r = await fetch(`${base}/stats`); await r.text(); return r.ok; } catch { return false; } }, 20000, out);
  const list = await (await fetch(`http://127.0.0.1:${iport}/json/list`)).json();
  const ws = new WebSocket(list[0].webSocketDebuggerUrl);
  await new Promise((r) => ws.addEventListener("open", r));
  let id = 0; const pending = new Map();
  ws.addEventListener("message", (e) => { const m = JSON.parse(e.data); if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); } });
  const send = (method, params = {}) => new Promise((r) => { const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
  for (let i = 0; i < 3; i++) await (await fetch(`${base}/${ROUTE}?n=200&c=${C}`)).text();
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 50 });
  await send("Profiler.start");
  const t = performance.now();
  const r = await fetch(`${base}/${ROUTE}?n=${N}&c=${C}`); await r.text();
  const ms = performance.now() - t;
  const { result } = await send("Profiler.stop");
  ws.close();
  const prof = result.profile;
  if (OUT) fs.writeFileSync(OUT, JSON.stringify(prof));
  const self = new Map(); const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const dt = new Map(); for (let i = 0; i < prof.samples.length; i++) dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
  let total = 0;
  for (const [nid, us] of dt) { const n = byId.get(nid); const f = n.callFrame; const k = `${f.functionName || "(anon)"} ${path.basename(f.url || "")}:${f.lineNumber}`; self.set(k, (self.get(k) ?? 0) + us); total += us; }
  console.log(`${ROUTE} ${SSE ? "SSE" : "JSON"} c=${C} n=${N}: ${ms.toFixed(0)} ms, ${(1000 * ms / N).toFixed(1)} us/call; profile ${(total / 1000).toFixed(0)} ms`);
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log(`${(us / 1000).toFixed(1).padStart(8)} ms ${(100 * us / total).toFixed(1).padStart(5)}%  ${k}`);
} finally { server.child.kill(); await stopAll(); }
