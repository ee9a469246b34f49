// The stateless era (2026-07-28) in real workerd: the worker of worker.mjs (one pool at module
// scope), pointed at the Python SDK server serving only that era (py_server.py --modern-only).
// Concurrent Worker requests share the pool; there is no initialize and no session, so nothing
// belongs to one request that another would need; the probe (one refused handshake, then
// server/discover) happens once per isolate.
//
// Run: node --test tests/workerd/modern.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { buildWorker, forbiddenLines, freePort, getJson, root, startFixture, startWorkerd, stopAll } from "./harness.mjs";

const PYTHON = process.env.PYTHON || path.join(root, ".venv/bin/python");
const REQUESTS = 60;
const CONCURRENCY = 12;

describe("2026-07-28 in workerd", { timeout: 120_000 }, () => {
  let mcp;
  let workerd;

  before(async () => {
    mcp = await startFixture(PYTHON, [path.join(root, "tests/servers/py_server.py"), "--port", "0", "--modern-only"]);
    const port = await freePort();
    const build = buildWorker(port, [
      "--mcp-url", mcp.url,
      "--scratch", path.join(root, "target/workerd-scratch-modern"),
      "--pool-options", JSON.stringify({ maxConnectionsPerServer: 2, requestTimeoutMs: 10000 }),
    ]);
    workerd = await startWorkerd(build, port);
  });

  after(stopAll);

  test(`${REQUESTS} Worker requests at concurrency ${CONCURRENCY}: all answered, no initialize, one era probe`, async () => {
    const results = [];
    let next = 0;
    const lane = async () => {
      while (next < REQUESTS) {
        const msg = `modern ${next++}`;
        const { status, body } = await getJson(`${workerd.base}/call?msg=${encodeURIComponent(msg)}`);
        results.push({ ok: status === 200 && body.text === msg, code: body.error?.code, message: body.error?.message });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const failed = results.filter((r) => !r.ok);
    assert.deepEqual(failed, [], "every call answered with its own text");
    const stats = (await getJson(`${mcp.base}/__stats`)).body;
    assert.equal(stats.initialize, 0, "no initialize in the stateless era");
    assert.equal(stats.refused, 1, "one refused handshake (the era probe), shared by the concurrent first opens");
    assert.equal(stats.toolCalls.echo, REQUESTS, "each call ran once");
    // The refused handshake, one discovery per pooled session at most (ttlMs 0 on this server),
    // never one per call.
    assert.ok(stats.posts <= REQUESTS + 2 + 2, `posts: ${stats.posts}`);
    const pool = (await getJson(`${workerd.base}/stats`)).body;
    assert.ok(pool.totalConnections <= 2, `at most the cap: ${pool.totalConnections}`);
    assert.deepEqual(forbiddenLines(workerd.out.text), [], "workerd reported no broken Workers rule");
  });
});
