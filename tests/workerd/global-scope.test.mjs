// A pool called in a Worker's global scope: workerd throws on setTimeout and refuses fetch there.
// The pool's timer (src/wasm/timers.rs) then never fires instead of throwing through the Rust
// frames, so the call fails with CONNECT_FAILED (the refused fetch) and the pool is left intact.
// With gloo-timers' TimeoutFuture the same call rejected with a plain Error ("called
// `Result::unwrap_throw()` on an `Err` value") and a lease stayed counted forever.
//
// Run: node --test tests/workerd/global-scope.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { buildWorker, forbiddenLines, freePort, getJson, here, root, startFixture, startWorkerd, stopAll } from "./harness.mjs";

describe("a pool called in global scope", { timeout: 120_000 }, () => {
  let mcp;
  let workerd;

  before(async () => {
    mcp = await startFixture(process.execPath, [path.join(root, "tests/servers/ts_server.mjs"), "--port", "0"]);
    const port = await freePort();
    const build = buildWorker(port, [
      "--mcp-url", mcp.url,
      "--scratch", path.join(root, "target/workerd-scratch-global"),
      "--worker", path.join(here, "global_scope_worker.mjs"),
    ]);
    workerd = await startWorkerd(build, port);
  });

  after(stopAll);

  test("the module-scope get fails with the pool's typed error", async () => {
    const { status, body } = await getJson(`${workerd.base}/early`);
    assert.equal(status, 200);
    assert.deepEqual({ name: body.name, code: body.code }, { name: "McpPoolError", code: "CONNECT_FAILED" }, JSON.stringify(body));
  });

  test("later requests use the same pool, and nothing of the failed get stays counted", async () => {
    const { status, body } = await getJson(`${workerd.base}/call`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.text, "after");
    const stats = (await getJson(`${workerd.base}/stats`)).body;
    assert.deepEqual(
      { leases: stats.leases, activeConnections: stats.activeConnections, idleConnections: stats.idleConnections },
      { leases: 0, activeConnections: 0, idleConnections: 1 },
      JSON.stringify(stats),
    );
    assert.deepEqual(forbiddenLines(workerd.out.text), [], "workerd reported no broken Workers rule");
  });
});
