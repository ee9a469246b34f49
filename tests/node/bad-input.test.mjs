// Bad input through the JS API: every case gets a typed McpPoolError with its expected code,
// nothing is half-applied, and the wasm instance stays alive (a real call succeeds after each).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { McpPool } from "mcp-edge-pool";
import { startTsServer } from "../js/servers.mjs";

const HUGE = "x".repeat(10 * 1024 * 1024);
let server;
let pool; // the pool every case runs against and that must keep working
before(async () => {
  server = await startTsServer();
  pool = new McpPool({ maxConnectionsPerServer: 2 });
  pool.registerHttp("s", server.url);
});
after(async () => {
  await pool.close();
  await server.stop();
});

const cyclic = { message: "x" };
cyclic.self = cyclic;

/** [case name, run(ctx) (may throw or reject), expected code] */
const CASES = [
  // new McpPool(options)
  ["options is a number", () => new McpPool(42), "INVALID_ARGUMENT"],
  ["options is a string", () => new McpPool("fast"), "INVALID_ARGUMENT"],
  ["options is an array", () => new McpPool([]), "INVALID_ARGUMENT"],
  ["options is a function", () => new McpPool(() => {}), "INVALID_ARGUMENT"],
  ["maxConnectionsPerServer 0", () => new McpPool({ maxConnectionsPerServer: 0 }), "INVALID_CONFIG"],
  ["maxConnectionsPerServer negative", () => new McpPool({ maxConnectionsPerServer: -1 }), "INVALID_CONFIG"],
  ["maxConnectionsPerServer NaN", () => new McpPool({ maxConnectionsPerServer: NaN }), "INVALID_CONFIG"],
  ["maxConnectionsPerServer Infinity", () => new McpPool({ maxConnectionsPerServer: Infinity }), "INVALID_CONFIG"],
  ["maxConnectionsPerServer fractional", () => new McpPool({ maxConnectionsPerServer: 1.5 }), "INVALID_CONFIG"],
  ["maxConnectionsPerServer a string", () => new McpPool({ maxConnectionsPerServer: "5" }), "INVALID_CONFIG"],
  ["maxConnectionsPerServer huge", () => new McpPool({ maxConnectionsPerServer: 1e12 }), "INVALID_CONFIG"],
  ["maxLeasesPerConnection 0", () => new McpPool({ maxLeasesPerConnection: 0 }), "INVALID_CONFIG"],
  ["healthCheckIntervalMs below the floor", () => new McpPool({ healthCheckIntervalMs: 50 }), "INVALID_CONFIG"],
  ["requestTimeoutMs 0", () => new McpPool({ requestTimeoutMs: 0 }), "INVALID_CONFIG"],
  ["idleTimeoutMs beyond setTimeout", () => new McpPool({ idleTimeoutMs: 2 ** 31 }), "INVALID_CONFIG"],
  ["acquireTimeoutMs negative", () => new McpPool({ acquireTimeoutMs: -5 }), "INVALID_CONFIG"],
  ["acquireTimeoutMs 0 (a get could never succeed)", () => new McpPool({ acquireTimeoutMs: 0 }), "INVALID_CONFIG"],
  ["maxResponseBytes tiny", () => new McpPool({ maxResponseBytes: 10 }), "INVALID_CONFIG"],
  ["maxResponseBytes over 256 MiB (a JS string and wasm memory must hold it)", () => new McpPool({ maxResponseBytes: 256 * 1024 * 1024 + 1 }), "INVALID_CONFIG"],
  ["clientInfo not an object", () => new McpPool({ clientInfo: "me" }), "INVALID_ARGUMENT"],
  ["clientInfo without a name", () => new McpPool({ clientInfo: { version: "1" } }), "INVALID_CONFIG"],
  ["clientInfo name empty", () => new McpPool({ clientInfo: { name: "", version: "1" } }), "INVALID_CONFIG"],
  ["an unknown option (typo)", () => new McpPool({ maxConnection: 3 }), "INVALID_CONFIG"],
  // registerHttp(name, url, options)
  ["name null", () => pool.registerHttp(null, server.url), "INVALID_ARGUMENT"],
  ["name a number", () => pool.registerHttp(42, server.url), "INVALID_ARGUMENT"],
  ["name empty", () => pool.registerHttp("", server.url), "INVALID_SERVER_NAME"],
  ["name with a space", () => pool.registerHttp("a b", server.url), "INVALID_SERVER_NAME"],
  ["name of 65 characters", () => pool.registerHttp("x".repeat(65), server.url), "INVALID_SERVER_NAME"],
  ["name of 10 MB", () => pool.registerHttp(HUGE, server.url), "INVALID_SERVER_NAME"],
  ["url undefined", () => pool.registerHttp("t"), "INVALID_URL"],
  ["url a number", () => pool.registerHttp("t", 8080), "INVALID_URL"],
  ["url ftp", () => pool.registerHttp("t", "ftp://127.0.0.1/mcp"), "INVALID_URL"],
  ["url javascript:", () => pool.registerHttp("t", "javascript:alert(1)"), "INVALID_URL"],
  ["url relative", () => pool.registerHttp("t", "/mcp"), "INVALID_URL"],
  ["url with credentials", () => pool.registerHttp("t", "http://user:hunter2@127.0.0.1/mcp"), "INVALID_URL"],
  ["url with whitespace", () => pool.registerHttp("t", " http://127.0.0.1/mcp"), "INVALID_URL"],
  ["url of 10 MB", () => pool.registerHttp("t", `http://${HUGE}`), "INVALID_URL"],
  ["headers a string", () => pool.registerHttp("t", server.url, { headers: "Authorization: x" }), "INVALID_CONFIG"],
  ["header value a number", () => pool.registerHttp("t", server.url, { headers: { "X-N": 5 } }), "INVALID_CONFIG"],
  ["header name invalid", () => pool.registerHttp("t", server.url, { headers: { "Bad Name": "v" } }), "INVALID_CONFIG"],
  ["header value with CRLF", () => pool.registerHttp("t", server.url, { headers: { X: "a\r\nInjected: 1" } }), "INVALID_CONFIG"],
  ["header value with a control character", () => pool.registerHttp("t", server.url, { headers: { X: "a\u0001b" } }), "INVALID_CONFIG"],
  ["header value above U+00FF", () => pool.registerHttp("t", server.url, { headers: { X: "a\u20acb" } }), "INVALID_CONFIG"],
  ["header reserved", () => pool.registerHttp("t", server.url, { headers: { "Mcp-Session-Id": "forged" } }), "INVALID_CONFIG"],
  ["maxConnections negative", () => pool.registerHttp("t", server.url, { maxConnections: -1 }), "INVALID_CONFIG"],
  ["server options an array", () => pool.registerHttp("t", server.url, []), "INVALID_ARGUMENT"],
  ["duplicate server name", () => pool.registerHttp("s", server.url), "DUPLICATE_SERVER"],
  ["registerStdio", () => pool.registerStdio("fs", "npx", ["-y", "server"]), "STDIO_UNSUPPORTED"],
  // get(name, options)
  ["get an unknown server", () => pool.get("nope"), "UNKNOWN_SERVER"],
  ["get with name null", () => pool.get(null), "INVALID_ARGUMENT"],
  ["get with a negative timeout", () => pool.get("s", { timeoutMs: -1 }), "INVALID_CONFIG"],
  ["get with timeoutMs 0", () => pool.get("s", { timeoutMs: 0 }), "INVALID_CONFIG"],
  ["get with a signal that is not one", () => pool.get("s", { signal: "stop" }), "INVALID_ARGUMENT"],
  ["get with options a number", () => pool.get("s", 5), "INVALID_ARGUMENT"],
  ["get with an aborted signal", () => pool.get("s", { signal: AbortSignal.abort() }), "ABORTED"],
  // client calls
  ["callTool name a number", (c) => c.callTool(42, {}), "INVALID_ARGUMENT"],
  ["callTool arguments an array", (c) => c.callTool("echo", [1, 2]), "INVALID_ARGUMENT"],
  ["callTool arguments a string", (c) => c.callTool("echo", "hi"), "INVALID_ARGUMENT"],
  ["callTool arguments with a cycle", (c) => c.callTool("echo", cyclic), "INVALID_ARGUMENT"],
  ["callTool arguments with a BigInt", (c) => c.callTool("echo", { message: 1n }), "INVALID_ARGUMENT"],
  ["callTool arguments with a function", (c) => c.callTool("echo", { message: "x", f() {} }), "INVALID_ARGUMENT"],
  // Flat objects of primitives take JSON.stringify's fast path (src/wasm/host.js): the rest still checks.
  ["callTool arguments with a symbol", (c) => c.callTool("echo", { message: "x", s: Symbol("s") }), "INVALID_ARGUMENT"],
  ["callTool arguments with a nested function", (c) => c.callTool("echo", { message: "x", o: { f() {} } }), "INVALID_ARGUMENT"],
  ["callTool with timeoutMs 0", (c) => c.callTool("echo", { message: "x" }, { timeoutMs: 0 }), "INVALID_CONFIG"],
  ["request with method null", (c) => c.request(null), "INVALID_ARGUMENT"],
  ["request with params a number", (c) => c.request("tools/list", 3), "INVALID_ARGUMENT"],
  ["readResource uri a number", (c) => c.readResource(5), "INVALID_ARGUMENT"],
  ["getPrompt name empty", (c) => c.getPrompt(""), "INVALID_ARGUMENT"],
  // release
  ["release a plain object", () => pool.release("s", {}), "INVALID_ARGUMENT"],
  ["release null", () => pool.release("s", null), "INVALID_ARGUMENT"],
  ["release a look-alike of a client", (c) => pool.release("s", { leaseId: c.leaseId }), "FOREIGN_LEASE"],
  ["release to the wrong server name", (c) => pool.release("other", c), "FOREIGN_LEASE"],
  ["release a client of another pool", async () => {
    const other = new McpPool();
    other.registerHttp("s", server.url);
    const c = await other.get("s");
    try { pool.release("s", c); } finally { c.release(); await other.close(); }
  }, "FOREIGN_LEASE"],
  ["release twice", (c) => { c.release(); pool.release("s", c); }, "LEASE_RELEASED"],
  ["call a released client", async (c) => { c.release(); await c.ping(); }, "LEASE_RELEASED"],
  // use after close
  ["get after close", async () => { const p = closedPool(); await p.close(); await p.get("s"); }, "POOL_CLOSED"],
  ["register after close", async () => { const p = closedPool(); await p.close(); p.registerHttp("u", server.url); }, "POOL_CLOSED"],
  ["unregister after close", async () => { const p = closedPool(); await p.close(); await p.unregister("s"); }, "POOL_CLOSED"],
];

function closedPool() {
  const p = new McpPool();
  p.registerHttp("s", server.url);
  return p;
}

/** The instance is alive and the shared pool works: stats, then a real call. */
async function assertAlive() {
  const stats = pool.stats();
  assert.equal(stats.registeredServers, 1, "nothing half-registered");
  const client = await pool.get("s");
  try {
    const result = await client.callTool("echo", { message: "alive" });
    assert.equal(result.content[0].text, "alive");
  } finally {
    if (!client.released) client.release();
  }
}

test(`${CASES.length} bad inputs each get their typed error and the pool keeps working`, async (t) => {
  assert.ok(CASES.length >= 40);
  for (const [name, run, code] of CASES) {
    await t.test(name, async () => {
      const client = await pool.get("s");
      let error;
      try {
        await run(client);
      } catch (e) {
        error = e;
      } finally {
        if (!client.released) client.release();
      }
      assert.ok(error, `${name}: no error`);
      assert.ok(error instanceof Error, `${name}: an Error instance`);
      assert.equal(error.name, "McpPoolError", `${name}: ${error}`);
      assert.equal(error.code, code, `${name}: ${error.message}`);
      assert.ok(error.message.length < 2000, `${name}: the message stays short`);
      assert.ok(!error.message.includes("hunter2"), `${name}: no credentials in the message`);
      await assertAlive();
    });
  }
  assert.equal(pool.stats().leases, 0);
  assert.equal(pool.stats().waiting, 0);
});
