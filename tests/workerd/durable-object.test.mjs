// mcp-edge-pool/durable-object in real workerd: two Worker services (two isolates, "main" and
// "second", tests/workerd/do_worker.mjs) bound to one Durable Object namespace, whose object owns
// the pool; its storage is on disk, so it survives both an object reset and a workerd restart.
// - concurrent calls through both isolates share one pool: initializes <= the cap;
// - the pool's typed errors cross the hop with their code (and server, rpcCode);
// - a sharded client (one object per server) lists tools exactly as a local pool does;
// - an outage opens the circuit breaker once, for both isolates;
// - the object restarted (ctx.abort, then a workerd restart): sessions restored from its storage,
//   zero initialize; a server registered through RPC is registered again by the client; no secret
//   in the stored snapshot nor on disk.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import {
  buildWorker, forbiddenLines, freePort, getJson, here, root, startFixture, startWorkerd, stop, stopAll,
} from "./harness.mjs";

const TOKEN = "do-test-secret-7f3a";
const CAP = 2;
let server; // the TS SDK fixture
let down; // an HTTP server that answers 503 to everything: { url, requests }
let build;
let storageDir;
let main; // { base, out } of the current workerd
let second; // base URL of the second service

async function startDown() {
  const state = { requests: 0 };
  const srv = http.createServer((req, res) => {
    state.requests++;
    req.resume();
    req.on("end", () => res.writeHead(503, { "content-type": "text/plain" }).end("down for the test"));
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  state.close = () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); });
  state.url = `http://127.0.0.1:${srv.address().port}/mcp`;
  return state;
}

async function startBoth() {
  const w = await startWorkerd(build, build.port);
  return { ...w, second: `http://127.0.0.1:${build.secondPort}` };
}

const tsStats = async () => (await getJson(`${server.base}/__stats`)).body;

/** workerd's output, less the lines of the test's own ctx.abort(). */
const badLines = (text) => forbiddenLines(text).filter((l) => !/reset by the test|outputGateBroken/.test(l));

before(async () => {
  server = await startFixture(process.execPath, [path.join(root, "tests/servers/ts_server.mjs"), "--port", "0"]);
  down = await startDown();
  storageDir = fs.mkdtempSync(path.join(os.tmpdir(), "mcp-edge-pool-do-"));
  const port = await freePort();
  const secondPort = await freePort();
  build = buildWorker(port, [
    "--mcp-url", server.url, "--worker", path.join(here, "do_worker.mjs"), "--durable-object", "TestPool",
    "--storage-dir", storageDir, "--second-port", String(secondPort), "--scratch", "target/workerd-do",
    "--pool-options", JSON.stringify({ maxConnectionsPerServer: CAP, circuitBreakerCooldownMs: 600_000 }),
    "--binding", `MCP_TOKEN=${TOKEN}`, "--binding", `DOWN_URL=${down.url}`,
  ]);
  const w = await startBoth();
  main = w;
  second = w.second;
});

after(async () => {
  await stopAll();
  await down?.close();
  if (storageDir) fs.rmSync(storageDir, { recursive: true, force: true });
});

test("two isolates share the object's one pool: initializes across both <= the cap", { timeout: 60_000 }, async () => {
  const [a, b] = await Promise.all([getJson(`${main.base}/whoami`), getJson(`${second}/whoami`)]);
  assert.match(a.body.isolate, /^main-/);
  assert.match(b.body.isolate, /^second-/);
  const calls = [];
  for (let i = 0; i < 20; i++) {
    calls.push(getJson(`${main.base}/call?msg=a${i}`), getJson(`${second}/call?msg=b${i}`));
  }
  const answers = await Promise.all(calls);
  answers.forEach((r, i) => {
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.text, `${i % 2 ? "b" : "a"}${Math.floor(i / 2)}`);
  });
  const isolates = new Set(answers.map((r) => r.body.isolate));
  assert.deepEqual(isolates, new Set([a.body.isolate, b.body.isolate]), "both isolates called");
  const opened = (await tsStats()).initialize;
  assert.ok(opened >= 1 && opened <= CAP, `initialize ${opened} (cap ${CAP})`);
  // The same pool answers both: the same counters, seen from each isolate.
  const [sa, sb] = await Promise.all([getJson(`${main.base}/stats`), getJson(`${second}/stats`)]);
  assert.deepEqual(sa.body, sb.body);
  assert.equal(sa.body.servers.fixture.totalConnections, opened);
  // get(server) gives a client whose calls go to the object, and release() is harmless.
  const leased = await getJson(`${second}/lease-call?msg=lease`);
  assert.equal(leased.body.text, "lease");
  assert.equal((await tsStats()).initialize, opened);
  assert.deepEqual(badLines(main.out.text), []);
});

test("the pool's typed errors cross the hop: McpPoolError with code, server, rpcCode", { timeout: 30_000 }, async () => {
  const unknown = (await getJson(`${main.base}/error?case=unknown-server`)).body;
  assert.deepEqual(
    { thrown: unknown.thrown, name: unknown.name, code: unknown.code, isMcpPoolError: unknown.isMcpPoolError, isError: unknown.isError, server: unknown.server },
    { thrown: true, name: "McpPoolError", code: "UNKNOWN_SERVER", isMcpPoolError: true, isError: true, server: "nosuch" },
  );
  const rpc = (await getJson(`${second}/error?case=rpc`)).body;
  assert.equal(rpc.code, "RPC_ERROR");
  assert.equal(rpc.rpcCode, -32601);
  assert.equal(rpc.server, "fixture");
  assert.equal(rpc.isMcpPoolError, true);
  // (sharded: the one object's listAllTools() would open a session to every server, "down" included)
  const tool = (await getJson(`${second}/error?case=unknown-tool&sharded=1`)).body;
  assert.equal(tool.code, "UNKNOWN_TOOL");
  assert.equal(tool.isMcpPoolError, true);
});

test("a client sharded by server lists tools as a local pool does, and routes qualified names", { timeout: 30_000 }, async () => {
  const { status, body } = await getJson(`${second}/list?sharded=1`);
  assert.equal(status, 200, JSON.stringify(body));
  assert.ok(body.remote.tools.length >= 4, `${body.remote.tools.length} tools`);
  assert.deepEqual(body.remote, body.local, "same names, order, collisions and errors as McpPool.listAllTools()");
  assert.ok(body.remote.tools.some((t) => t.name === "fixture2__echo" && t.server === "fixture2"));
  assert.equal(body.routed, "routed", "callTool(qualifiedName) went to fixture2's object");
  // fixture2 was served by its own object: the unsharded object never opened a session for it.
  const one = (await getJson(`${main.base}/stats`)).body;
  assert.equal(one.servers.fixture2.totalConnections, 0);
});

test("an outage opens the circuit breaker once, for every isolate", { timeout: 60_000 }, async () => {
  const codes = [];
  for (let i = 0; i < 10 && codes.at(-1) !== "CIRCUIT_OPEN"; i++) {
    const r = (await getJson(`${main.base}/error?case=down`)).body;
    assert.equal(r.isMcpPoolError, true, JSON.stringify(r));
    assert.equal(r.server, "down");
    codes.push(r.code);
  }
  assert.deepEqual(codes, ["CONNECT_FAILED", "CONNECT_FAILED", "CONNECT_FAILED", "CIRCUIT_OPEN"], "threshold 3, then open");
  const seen = down.requests;
  assert.ok(seen >= 3, `${seen} requests reached the down server`);
  // Both isolates now fail fast, without one request to the server: the breaker is the object's.
  const burst = await Promise.all(
    Array.from({ length: 20 }, (_, i) => getJson(`${i % 2 ? second : main.base}/error?case=down`)),
  );
  for (const r of burst) assert.equal(r.body.code, "CIRCUIT_OPEN", JSON.stringify(r.body));
  assert.equal(down.requests, seen, "no request reached the server while the circuit is open");
  const st = (await getJson(`${second}/stats`)).body.servers.down;
  assert.equal(st.circuit, "open");
  assert.equal(st.circuitOpens, 1, "opened once");
});

test("the object restarted: sessions restored from its storage, zero initialize; no secret stored", { timeout: 90_000 }, async () => {
  assert.equal((await getJson(`${main.base}/rpc-call?msg=r0`)).body.text, "r0", "a server registered through RPC");
  const persisted = (await getJson(`${main.base}/persist`)).body;
  assert.ok(persisted.sessions >= 2, JSON.stringify(persisted));
  const stored = (await getJson(`${second}/stored`)).body;
  assert.ok(stored.servers.fixture.sessions.length >= 1 && stored.servers.viarpc.sessions.length >= 1, JSON.stringify(stored));
  const storedText = JSON.stringify(stored);
  assert.ok(!storedText.includes(TOKEN) && !/authorization|bearer/i.test(storedText), "no header or token in the snapshot");
  const opened = (await tsStats()).initialize;

  // 1. The object alone restarts (ctx.abort): the isolates keep running, a new instance starts.
  const reset = (await getJson(`${main.base}/reset-object`)).body;
  assert.equal(reset.reset, true, JSON.stringify(reset));
  assert.equal((await getJson(`${second}/restored`)).body.restored, persisted.sessions);
  const again = await Promise.all([
    ...Array.from({ length: 10 }, (_, i) => getJson(`${i % 2 ? second : main.base}/call?msg=c${i}`)),
    getJson(`${second}/rpc-call?msg=r1`), // the client registers viarpc again (UNKNOWN_SERVER), then calls
  ]);
  assert.deepEqual(again.map((r) => r.body.text), [...Array.from({ length: 10 }, (_, i) => `c${i}`), "r1"]);
  assert.equal((await tsStats()).initialize, opened, "no initialize after the object restarted");
  let st = (await getJson(`${main.base}/stats`)).body;
  assert.equal(st.totalConnections, 0, "every session used was resumed, none opened");
  assert.ok(st.servers.fixture.restoredConnections >= 1 && st.servers.viarpc.restoredConnections >= 1, JSON.stringify(st.servers));

  // 2. workerd itself restarts (new isolates, new object) on the same storage.
  const bad = badLines(main.out.text);
  await stop(main.child);
  assert.deepEqual(bad, []);
  const w = await startBoth();
  main = w;
  second = w.second;
  assert.ok((await getJson(`${main.base}/restored`)).body.restored >= 2);
  const third = await Promise.all(Array.from({ length: 6 }, (_, i) => getJson(`${i % 2 ? second : main.base}/call?msg=d${i}`)));
  assert.deepEqual(third.map((r) => r.body.text), Array.from({ length: 6 }, (_, i) => `d${i}`));
  st = (await getJson(`${second}/stats`)).body;
  assert.equal(st.totalConnections, 0, "after the workerd restart too, sessions were resumed");
  assert.equal((await tsStats()).initialize, opened, "no initialize after the workerd restart");
  // The storage on disk holds no token either.
  for (const f of fs.readdirSync(storageDir, { recursive: true })) {
    const file = path.join(storageDir, f);
    if (fs.statSync(file).isFile()) assert.ok(!fs.readFileSync(file).includes(TOKEN), `${f} holds no token`);
  }
  assert.deepEqual(badLines(main.out.text), []);
});

test("identities through the object: each its own sessions and token, from both isolates, never crossed", { timeout: 60_000 }, async () => {
  const before = (await tsStats()).openedBy;
  const calls = [];
  for (let i = 0; i < 8; i++) {
    calls.push(getJson(`${main.base}/as?user=alice&msg=a${i}`), getJson(`${second}/as?user=bob&msg=b${i}&get=1`));
  }
  const answers = await Promise.all(calls);
  answers.forEach((r, i) => {
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.text, `${i % 2 ? "b" : "a"}${Math.floor(i / 2)}`);
  });
  const stats = await tsStats();
  const opened = (credential) => (stats.openedBy[credential] ?? 0) - (before[credential] ?? 0);
  for (const who of ["alice", "bob"]) {
    const n = opened(`Bearer user-${who}`);
    assert.ok(n >= 1 && n <= CAP, `${who}: ${n} sessions opened with her token (cap ${CAP})`);
  }
  assert.equal(opened("Bearer user-none"), 0, "no session without an identity");
  assert.equal(stats.crossings, 0, "no request reached a session opened with another token");
  // Both identities share a cap of 2, so a burst may end with both sessions bob's: an idle
  // session of one identity is closed to open one for another at the cap, and an identity with
  // no session left loses its partition. One call each, one after the other, settles it: alice's
  // call keeps or takes one of the two, bob's then reuses his or takes the other.
  for (const [base, user] of [[main.base, "alice"], [second, "bob"]]) {
    const r = await getJson(`${base}/as?user=${user}&msg=settle`);
    assert.equal(r.body.text, "settle", JSON.stringify(r.body));
  }
  const peruser = (await getJson(`${second}/stats`)).body.servers.peruser;
  assert.equal(peruser.partitions, 2, "one partition per identity with a session");
  assert.equal((await tsStats()).crossings, 0, "no crossing after the settling calls either");
  assert.deepEqual(badLines(main.out.text), []);
});
