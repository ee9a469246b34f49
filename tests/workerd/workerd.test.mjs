// End-to-end: the packed npm package, bundled into a Cloudflare Worker, running in real workerd
// against a real MCP server (the TS SDK fixture, SSE answers), with ONE pool at module scope
// shared by every request of the isolate.
//
// Run: node --test tests/workerd/
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import {
  FORBIDDEN, WORKERD, freePort, getJson, here, root, sleep, start, startWorkerd, stopAll, waitFor,
} from "./harness.mjs";

const REQUESTS = 200;
const CONCURRENCY = 20;
const MAX_CONNECTIONS = 2; // the worker's `maxConnectionsPerServer`

describe("mcp-edge-pool in workerd", { timeout: 120_000 }, () => {
  let server; // { out, port, url }
  let workerd; // { out, base, startupMs }
  let build; // build.mjs summary

  before(async () => {
    assert.ok(WORKERD, "workerd binary not found under tests/js/node_modules");

    // 1. The MCP server (SSE answers: no --json).
    const s = start(process.execPath, [path.join(root, "tests/servers/ts_server.mjs"), "--port", "0"], { cwd: root });
    const mcpPort = await waitFor("ts_server", () => s.out.stdout.match(/LISTENING (\d+)/)?.[1], 15000, s.out);
    server = { out: s.out, port: Number(mcpPort), url: `http://127.0.0.1:${mcpPort}/mcp` };

    // 2. Build: pack, install into a scratch project, bundle, write config.capnp.
    const port = await freePort();
    const t0 = performance.now();
    const built = spawnSync(
      process.execPath,
      [path.join(here, "build.mjs"), "--port", String(port), "--mcp-url", server.url],
      { cwd: root, encoding: "utf8", timeout: 300_000 },
    );
    const buildMs = performance.now() - t0;
    assert.equal(built.status, 0, `build.mjs failed:\n${built.stdout}\n${built.stderr}`);
    build = JSON.parse(built.stdout.trim().split("\n").at(-1));
    if (built.stderr.trim()) console.log(`build.mjs stderr:\n${built.stderr}`);
    console.log(
      `build: ${buildMs.toFixed(0)} ms (${JSON.stringify(build.timings)}); bundle ${build.bundleBytes} B, ` +
        `wasm ${build.wasmBytes} B imported as "${build.wasmSpecifier}" via ${build.packageEntry}`,
    );

    // 3. workerd, timed from spawn to its first successful answer.
    workerd = await startWorkerd(build, port);
    console.log(`workerd startup (spawn -> first successful response): ${workerd.startupMs.toFixed(1)} ms`);
  });

  after(async () => {
    if (workerd) {
      const lines = `${workerd.out.stdout}${workerd.out.stderr}`.split("\n").filter((l) => l.trim());
      console.log(`workerd output: ${lines.length} line(s)`);
      for (const l of lines) console.log(`  workerd| ${l}`);
    }
    await stopAll();
  });

  test(`${REQUESTS} /call requests at concurrency ${CONCURRENCY} all succeed with the right echo`, async () => {
    let next = 0;
    const results = [];
    const latencies = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          const k = next++;
          const msg = `hello ${k} ✓`;
          const started = performance.now();
          try {
            const r = await getJson(`${workerd.base}/call?msg=${encodeURIComponent(msg)}`);
            results.push({ k, msg, ...r });
          } catch (e) {
            results.push({ k, msg, status: 0, body: String(e) });
          }
          latencies.push(performance.now() - started);
        }
      }),
    );
    const totalMs = performance.now() - t0;
    latencies.sort((a, b) => a - b);
    const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1);
    console.log(
      `${REQUESTS} calls in ${totalMs.toFixed(0)} ms (${((REQUESTS * 1000) / totalMs).toFixed(0)}/s); ` +
        `latency p50 ${pct(50)} ms, p95 ${pct(95)} ms, max ${latencies.at(-1).toFixed(1)} ms`,
    );
    const bad = results.filter((r) => r.status !== 200 || r.body?.text !== r.msg);
    assert.equal(results.length, REQUESTS);
    assert.deepEqual(
      bad.slice(0, 5).map((r) => ({ k: r.k, status: r.status, body: r.body })),
      [],
      `${bad.length} of ${REQUESTS} calls failed`,
    );
    const maxSeen = Math.max(...results.map((r) => r.body.stats.totalConnections));
    assert.ok(maxSeen <= MAX_CONNECTIONS, `a response reported totalConnections ${maxSeen}`);
  });

  test("the server saw at most maxConnectionsPerServer initializes: sessions were reused", async () => {
    const { status, body } = await getJson(`http://127.0.0.1:${server.port}/__stats`);
    assert.equal(status, 200);
    console.log(`server /__stats: ${JSON.stringify(body)}`);
    assert.ok(body.initialize >= 1 && body.initialize <= MAX_CONNECTIONS, `initialize = ${body.initialize}`);
    assert.equal(body.toolCalls.echo, REQUESTS, "one tools/call per /call request");
    assert.equal(body.deleted, 0, "no session was closed");
  });

  test("the worker's pool stats: at most 2 connections, none active, nothing leaked", async () => {
    const { status, body } = await getJson(`${workerd.base}/stats`);
    assert.equal(status, 200);
    console.log(`worker /stats: ${JSON.stringify(body)}`);
    assert.equal(body.registeredServers, 1);
    assert.ok(body.totalConnections >= 1 && body.totalConnections <= MAX_CONNECTIONS, `totalConnections = ${body.totalConnections}`);
    assert.equal(body.activeConnections, 0);
    assert.equal(body.leases, 0);
    assert.equal(body.waiting, 0);
    assert.equal(body.connectionErrors, 0);
    if ("openingConnections" in body) assert.equal(body.openingConnections, 0);
  });

  test("/maintain runs under ctx.waitUntil and leaves the pool intact", async () => {
    const m = await getJson(`${workerd.base}/maintain`);
    assert.equal(m.status, 200, JSON.stringify(m.body));
    await sleep(200); // let the waitUntil'd pass finish
    const { body } = await getJson(`${workerd.base}/stats`);
    assert.equal(body.activeConnections, 0);
    assert.ok(body.totalConnections <= MAX_CONNECTIONS);
    // The pool still works after the maintenance request ended.
    const c = await getJson(`${workerd.base}/call?msg=after-maintain`);
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.text, "after-maintain");
  });

  test("workerd logged no cross-request I/O, global-scope or uncaught errors", async () => {
    await sleep(300); // let late warnings land
    const output = `${workerd.out.stdout}\n${workerd.out.stderr}`;
    const hits = output.split("\n").filter((line) => FORBIDDEN.some((re) => re.test(line)));
    assert.deepEqual(hits, [], "workerd reported errors");
    assert.equal(workerd.out.exited, null, "workerd is still running");
  });

  // When the server forgets its sessions, the requests that share the single-flight
  // re-initialize must all recover. This once hung: the retried POSTs ran in the I/O context of
  // the request that drove the re-initialize, and workerd cancelled them when it ended. Every task
  // now resumes in its own context (src/wasm/task.rs).
  test(
    "after the server expires its sessions, concurrent calls all recover (re-initialize)",
    async () => {
      const expired = await fetch(`http://127.0.0.1:${server.port}/__expire`, { method: "POST" });
      assert.equal(expired.status, 200);
      await expired.arrayBuffer();
      const results = await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, k) => {
          const msg = `after-expire ${k}`;
          try {
            const r = await getJson(`${workerd.base}/call?msg=${encodeURIComponent(msg)}`, 5000);
            return { msg, ...r };
          } catch (e) {
            return { msg, status: 0, body: String(e?.name === "TimeoutError" ? "no answer within 5 s" : e) };
          }
        }),
      );
      const bad = results.filter((r) => r.status !== 200 || r.body?.text !== r.msg);
      const stats = await getJson(`http://127.0.0.1:${server.port}/__stats`);
      console.log(`after expire: ${CONCURRENCY - bad.length}/${CONCURRENCY} ok; server /__stats ${JSON.stringify(stats.body)}`);
      assert.deepEqual(bad.map((r) => `${r.status} ${typeof r.body === "string" ? r.body : JSON.stringify(r.body)}`), []);
      assert.ok(stats.body.initialize <= 2 * 2, "one re-initialize per session, not one per caller");
    },
  );
});
