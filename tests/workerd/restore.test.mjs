// Cold starts without handshakes, and maintenance after the response, in real workerd:
// - an isolate saves pool.snapshot() to a KV-shaped store; after a forced isolate restart (a new
//   workerd process) the worker restores from it and calls tools with ZERO new initializes while
//   the server still holds the sessions;
// - pool.maintain() handed to ctx.waitUntil() evicts an idle session after the response was sent.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const require = createRequire(path.join(root, "tests/js/package.json"));
const WORKERD = process.env.WORKERD_BIN ?? path.join(path.dirname(require.resolve("workerd/package.json")), "bin/workerd");
const BAD_OUTPUT = [/Cannot perform I\/O on behalf of a different request/i, /has since ended/i, /Disallowed operation/i, /uncaught/i];

const children = new Set();
const kill = (c) => new Promise((resolve) => {
  if (c.exitCode !== null || c.signalCode !== null) return resolve();
  c.once("exit", resolve);
  c.kill("SIGTERM");
  setTimeout(() => c.kill("SIGKILL"), 2000).unref();
});
after(async () => { await Promise.all([...children].map(kill)); });
process.on("exit", () => { for (const c of children) try { c.kill("SIGKILL"); } catch {} });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
function start(cmd, args, options = {}) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  children.add(child);
  child.on("exit", () => children.delete(child));
  const out = { text: "" };
  child.stdout.setEncoding("utf8").on("data", (d) => (out.text += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (out.text += d));
  return { child, out };
}
async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}
async function get(url) {
  const r = await fetch(url, { signal: AbortSignal.timeout(15000) });
  return { status: r.status, body: await r.json() };
}

async function tsServer() {
  const s = start(process.execPath, [path.join(root, "tests/servers/ts_server.mjs"), "--port", "0"]);
  const port = await until("ts_server", async () => s.out.text.match(/LISTENING (\d+)/)?.[1]);
  return { url: `http://127.0.0.1:${port}/mcp`, stats: async () => (await get(`http://127.0.0.1:${port}/__stats`)).body };
}

/** A KV-shaped store over loopback HTTP (GET/PUT /<key>). */
async function kvServer() {
  const map = new Map();
  const server = http.createServer(async (req, res) => {
    const key = decodeURIComponent(req.url.slice(1));
    if (req.method === "PUT") {
      let body = "";
      for await (const c of req) body += c;
      map.set(key, body);
      res.writeHead(204).end();
    } else if (map.has(key)) {
      res.writeHead(200, { "content-type": "application/json" }).end(map.get(key));
    } else res.writeHead(404).end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  after(() => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${server.address().port}`, map };
}

function build(args) {
  const r = spawnSync(process.execPath, [path.join(here, "build.mjs"), ...args], { cwd: root, encoding: "utf8", timeout: 300_000 });
  assert.equal(r.status, 0, `build.mjs failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1));
}

async function startWorkerd(built, port) {
  const w = start(WORKERD, ["serve", path.basename(built.configPath), "--verbose"], { cwd: built.distDir, env: { ...process.env, PWD: built.distDir } });
  await until("workerd", async () => (await fetch(`http://127.0.0.1:${port}/stats`, { signal: AbortSignal.timeout(1000) })).ok);
  return w;
}

function assertCleanOutput(w) {
  for (const bad of BAD_OUTPUT) assert.doesNotMatch(w.out.text, bad);
}

test("a restarted isolate restores its sessions from the KV store: zero initializes", { timeout: 120_000 }, async () => {
  const server = await tsServer();
  const kv = await kvServer();
  const port = await freePort();
  const built = build(["--port", String(port), "--mcp-url", server.url, "--kv-url", kv.url, "--scratch", "target/workerd-restore"]);
  const base = `http://127.0.0.1:${port}`;

  let w = await startWorkerd(built, port);
  const first = await Promise.all(Array.from({ length: 20 }, (_, i) => get(`${base}/call?msg=a${i}`)));
  assert.ok(first.every((r) => r.status === 200 && r.body.text.startsWith("a")));
  const opened = (await server.stats()).initialize;
  assert.ok(opened >= 1 && opened <= 2, `initialize ${opened}`);
  const saved = await get(`${base}/save`);
  assert.equal(saved.status, 200);
  assert.equal(saved.body.sessions, opened);
  await until("snapshot stored", async () => kv.map.has("pool-snapshot"));
  assert.doesNotMatch(kv.map.get("pool-snapshot"), /authorization|bearer/i, "no header in the snapshot");
  assertCleanOutput(w);

  // Forced isolate restart: a new workerd process, fresh module scope.
  await kill(w.child);
  w = await startWorkerd(built, port);
  const second = await Promise.all(Array.from({ length: 10 }, (_, i) => get(`${base}/call?msg=b${i}`)));
  assert.deepEqual(second.map((r) => r.status), Array(10).fill(200));
  assert.ok(second.every((r, i) => r.body.text === `b${i}`));
  assert.equal((await server.stats()).initialize, opened, "no initialize after the restart");
  const stats = (await get(`${base}/stats`)).body;
  assert.equal(stats.servers.fixture.restoredConnections, opened);
  assert.equal(stats.totalConnections, 0, "no session was opened, all were resumed");
  assertCleanOutput(w);
});

test("maintain() under ctx.waitUntil evicts an idle session after the response", { timeout: 120_000 }, async () => {
  const server = await tsServer();
  const port = await freePort();
  const options = JSON.stringify({ maxConnectionsPerServer: 2, idleTimeoutMs: 200, healthCheckIntervalMs: 0 });
  const built = build(["--port", String(port), "--mcp-url", server.url, "--pool-options", options, "--scratch", "target/workerd-maintain"]);
  const base = `http://127.0.0.1:${port}`;
  const w = await startWorkerd(built, port);
  assert.equal((await get(`${base}/call?msg=x`)).body.text, "x");
  assert.equal((await get(`${base}/stats`)).body.idleConnections, 1);
  await sleep(300);
  const answered = await get(`${base}/maintain`);
  assert.equal(answered.status, 200);
  // The pass starts at once (its bookkeeping may already show in the answer); its DELETE is
  // finished under waitUntil, after the response.
  await until("DELETE reached the server", async () => (await server.stats()).deleted >= 1, 5000);
  assert.equal((await get(`${base}/stats`)).body.idleConnections, 0);
  assertCleanOutput(w);
});

test("the Durable Object example (mcp-edge-pool/durable-object) keeps one pool and persists its snapshot", { timeout: 120_000 }, async () => {
  const server = await tsServer();
  const port = await freePort();
  const built = build([
    "--port", String(port), "--mcp-url", server.url, "--scratch", "target/workerd-object",
    "--worker", path.join(root, "examples/durable-object/worker.mjs"), "--durable-object", "McpPools",
  ]);
  const base = `http://127.0.0.1:${port}`;
  const w = await startWorkerd(built, port);
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => get(`${base}/call?msg=o${i}`)));
  assert.ok(results.every((r, i) => r.status === 200 && r.body.content[0].text === `o${i}`));
  const stats = (await get(`${base}/stats`)).body;
  assert.ok(stats.totalConnections >= 1 && stats.totalConnections <= 4, JSON.stringify(stats));
  assert.equal((await server.stats()).initialize, stats.totalConnections, "every request used the object's one pool");
  const persisted = (await get(`${base}/persist`)).body;
  assert.equal(persisted.ok, true, "alarm()'s work: maintain + save the snapshot");
  assert.equal(persisted.sessions, stats.totalConnections, "every session is in the stored snapshot");
  assertCleanOutput(w);
});
