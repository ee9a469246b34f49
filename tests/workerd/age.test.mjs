// Sessions that age well, in workerd, where the health loop's timer dies with each request: a
// session quiet past `probeIdleAfterMs` is probed by the `get` of a later request before it is
// handed out, and one past `maxSessionLifetimeMs` is retired for a new one; hits and misses are
// counted. The packed package in a Worker (tests/workerd/worker.mjs), the TS SDK server.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { buildWorker, forbiddenLines, freePort, getJson, root, sleep, startFixture, startWorkerd, stopAll } from "./harness.mjs";

let server;
let workerd;

before(async () => {
  server = await startFixture(process.execPath, [path.join(root, "tests/servers/ts_server.mjs"), "--port", "0"]);
  const port = await freePort();
  const options = { maxConnectionsPerServer: 1, probeIdleAfterMs: 300, maxSessionLifetimeMs: 1_500, healthCheckIntervalMs: 60_000 };
  const build = buildWorker(port, ["--mcp-url", server.url, "--pool-options", JSON.stringify(options), "--scratch", "target/workerd-age"]);
  workerd = await startWorkerd(build, port);
});

after(() => stopAll());

const serverStats = async () => (await getJson(`${server.base}/__stats`)).body;

test("a quiet session is probed by a later request's get, a session past its lifetime is retired", { timeout: 60_000 }, async () => {
  const first = await getJson(`${workerd.base}/call?msg=one`);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.text, "one");
  let s = first.body.stats.servers.fixture;
  assert.deepEqual([s.misses, s.hits, s.healthChecksPassed], [1, 0, 0]);
  const posts = (await serverStats()).posts;

  // At once: no probe.
  const second = await getJson(`${workerd.base}/call?msg=two`);
  s = second.body.stats.servers.fixture;
  assert.deepEqual([s.hits, s.healthChecksPassed], [1, 0]);
  assert.equal((await serverStats()).posts, posts + 1, "the call alone");

  // Quiet past probeIdleAfterMs: the next request's get pings it first (no timer of the isolate's
  // health loop survives between requests here).
  await sleep(500);
  const third = await getJson(`${workerd.base}/call?msg=three`);
  assert.equal(third.body.text, "three");
  s = third.body.stats.servers.fixture;
  assert.deepEqual([s.hits, s.healthChecksPassed], [2, 1]);
  assert.equal((await serverStats()).posts, posts + 3, "a ping, then the call");
  assert.equal((await serverStats()).initialize, 1);

  // Past maxSessionLifetimeMs: retired, a new session for the next get.
  await sleep(1_200);
  const fourth = await getJson(`${workerd.base}/call?msg=four`);
  assert.equal(fourth.status, 200, JSON.stringify(fourth.body));
  assert.equal(fourth.body.text, "four");
  s = fourth.body.stats.servers.fixture;
  assert.equal(s.retiredConnections, 1);
  assert.equal((await serverStats()).initialize, 2);
  assert.deepEqual(forbiddenLines(`${workerd.out.stdout}${workerd.out.stderr}`), []);
});
