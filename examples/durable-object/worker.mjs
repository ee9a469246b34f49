// One pool for every isolate of a Worker: mcp-edge-pool/durable-object. Every isolate that runs this
// Worker calls the same Durable Object (by name), which owns ONE McpPool: one set of sessions, one
// in-flight cap and one circuit breaker per server for all of them. The object restores its pool from
// the snapshot in its storage when it starts (no `initialize` for the sessions the server still holds)
// and maintains and persists it from alarm() every 30 s.
//
// wrangler.toml:
//   [[durable_objects.bindings]]
//   name = "MCP_POOL"
//   class_name = "McpPools"
//   [[migrations]]
//   tag = "v1"
//   new_classes = ["McpPools"]
// and the MCP_URL variable, the MCP_TOKEN secret (`wrangler secret put MCP_TOKEN`).
import { mcpPoolObject, mcpPoolClient } from "mcp-edge-pool/durable-object";

// The object's class. Servers are registered from the OBJECT's env: the token stays in its memory and
// its requests, never in its storage (the stored snapshot has no headers).
export const McpPools = mcpPoolObject({
  options: { maxConnectionsPerServer: 4 },
  register(pool, env) {
    pool.registerHttp("tools", env.MCP_URL, {
      headers: env.MCP_TOKEN ? { Authorization: `Bearer ${env.MCP_TOKEN}` } : {},
    });
  },
});

export default {
  async fetch(request, env) {
    // The client has the local pool's methods; each call is one RPC to the object, which takes a
    // lease, calls, and releases it there.
    const pool = mcpPoolClient(env.MCP_POOL);
    const url = new URL(request.url);
    if (url.pathname === "/stats") return Response.json(await pool.stats());
    if (url.pathname === "/persist") return Response.json({ ok: true, ...(await pool.persist()) });
    try {
      const result = await pool.callTool("tools", "echo", { message: url.searchParams.get("msg") ?? "" });
      return Response.json(result);
    } catch (e) {
      // An McpPoolError, rebuilt on this side of the hop: `code` (and server, status) survive.
      return Response.json({ error: { code: e.code, message: e.message } }, { status: 502 });
    }
  },
};
