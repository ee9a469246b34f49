// The Worker of tests/workerd/durable-object.test.mjs and bench/workerd-hop.mjs: mcp-edge-pool's
// Durable Object pool (mcp-edge-pool/durable-object) as an app uses it. The same code runs as two
// Worker services (two isolates, "main" and "second", env.SERVICE says which); both call the one
// object class TestPool, bound as MCP_POOL. Servers come from the object's own env bindings:
// "fixture" (MCP_URL, with MCP_TOKEN as a bearer header), "fixture2" (the same URL), and "down"
// (DOWN_URL, when set). Routes answer JSON:
//   /call?msg=[&server=]      callTool(server, "echo") through the object   -> { text, isolate }
//   /whoami                   this isolate's id (made on its first request)
//   /stats                    the object's pool stats (also workerd's readiness probe)
//   /persist, /restored       the object's snapshot written now; sessions restored at its start
//   /stored                   the snapshot in the object's storage, as stored
//   /reset-object             the object aborts itself (a new instance starts on the next call)
//   /error?case=              an error across the hop: { name, code, isMcpPoolError, server, rpcCode }
//   /rpc-call?msg=            callTool on "viarpc", a server the client registers through RPC
//   /as?user=&msg=[&get=1]    callTool("peruser", "echo") for identity `user` (direct, or through get())
//   /list?sharded=1           listAllTools() through the client, and from a local pool, side by side
//   /local?n=&c=, /remote?n=&c=  N echo calls at concurrency C: a local pool vs the object (the hop's cost)
import { McpPool, McpPoolError } from "mcp-edge-pool";
import { mcpPoolObject, mcpPoolClient, shardByServer, SNAPSHOT_KEY } from "mcp-edge-pool/durable-object";

export class TestPool extends mcpPoolObject({
  options: (env) => (env.POOL_OPTIONS ? JSON.parse(env.POOL_OPTIONS) : { maxConnectionsPerServer: 2 }),
  register(pool, env) {
    const headers = { Authorization: `Bearer ${env.MCP_TOKEN}` };
    pool.registerHttp("fixture", env.MCP_URL, { headers, era: "legacy" });
    pool.registerHttp("fixture2", env.MCP_URL, { headers, era: "legacy" });
    if (env.DOWN_URL) pool.registerHttp("down", env.DOWN_URL, { era: "legacy", transport: "streamable-http" });
    // Sessions per identity, each with its own token.
    pool.registerHttp("peruser", env.MCP_URL, { era: "legacy", tokenProvider: (_challenge, ctx) => `user-${ctx?.identity ?? "none"}` });
  },
}) {
  // Test-only RPC methods of the subclass.
  async storedSnapshot() {
    return (await this.ctx.storage.get(SNAPSHOT_KEY)) ?? null;
  }
  async resetObject() {
    this.ctx.abort("reset by the test");
  }
}

let isolate = null;
let local = null;
const clients = new Map();

function client(env, sharded) {
  const key = sharded ? "sharded" : "one";
  if (!clients.has(key)) {
    clients.set(key, sharded
      ? mcpPoolClient(env.MCP_POOL, { shard: shardByServer(), servers: ["fixture", "fixture2"] })
      : mcpPoolClient(env.MCP_POOL, {
          registrations: { viarpc: { url: env.MCP_URL, options: { headers: { Authorization: `Bearer ${env.MCP_TOKEN}` }, era: "legacy" } } },
        }));
  }
  return clients.get(key);
}

function localPool(env) {
  if (!local) {
    local = new McpPool(env.POOL_OPTIONS ? JSON.parse(env.POOL_OPTIONS) : { maxConnectionsPerServer: 2 });
    local.registerHttp("fixture", env.MCP_URL, { era: "legacy" });
    local.registerHttp("fixture2", env.MCP_URL, { era: "legacy" });
  }
  return local;
}

const text = (result) => (result?.content ?? []).filter((c) => c?.type === "text").map((c) => c.text).join("");

async function lanes(n, c, call) {
  let started = 0;
  const lane = async () => {
    while (started < n) {
      const i = started++;
      const got = await call(`m${i}`);
      if (got !== `m${i}`) throw new Error(`wrong answer: ${got}`);
    }
  };
  await Promise.all(Array.from({ length: c }, lane));
}

function describeError(e) {
  return {
    name: e?.name,
    message: String(e?.message ?? e),
    code: e?.code,
    isMcpPoolError: e instanceof McpPoolError,
    isError: e instanceof Error,
    server: e?.server,
    status: e?.status,
    rpcCode: e?.rpcCode,
  };
}

export default {
  async fetch(request, env) {
    isolate ??= `${env.SERVICE}-${crypto.randomUUID()}`;
    const url = new URL(request.url);
    const q = (k, d) => url.searchParams.get(k) ?? d;
    const pool = client(env, q("sharded", "") === "1");
    try {
      switch (url.pathname) {
        case "/whoami":
          return Response.json({ isolate });
        case "/call":
          return Response.json({ text: text(await pool.callTool(q("server", "fixture"), "echo", { message: q("msg", "") })), isolate });
        case "/lease-call": {
          const server = await pool.get(q("server", "fixture"));
          try {
            return Response.json({ text: text(await server.callTool("echo", { message: q("msg", "") })), isolate });
          } finally {
            server.release();
          }
        }
        case "/as": {
          const identity = q("user", "");
          if (q("get", "") === "1") {
            const server = await pool.get("peruser", { identity });
            return Response.json({ text: text(await server.callTool("echo", { message: q("msg", "") })), isolate });
          }
          return Response.json({ text: text(await pool.callTool("peruser", "echo", { message: q("msg", "") }, { identity })), isolate });
        }
        case "/rpc-call":
          return Response.json({ text: text(await pool.callTool("viarpc", "echo", { message: q("msg", "") })), isolate });
        case "/stats":
          return Response.json(await pool.stats());
        case "/persist":
          return Response.json(await pool.persist());
        case "/restored":
          return Response.json({ restored: await pool.restored() });
        case "/stored":
          return Response.json(await env.MCP_POOL.get(env.MCP_POOL.idFromName(pool.objectName(""))).storedSnapshot());
        case "/reset-object":
          try {
            await env.MCP_POOL.get(env.MCP_POOL.idFromName(pool.objectName(""))).resetObject();
          } catch (e) {
            return Response.json({ reset: true, message: String(e?.message ?? e) });
          }
          return Response.json({ reset: false });
        case "/error": {
          try {
            const which = q("case", "");
            if (which === "unknown-server") await pool.callTool("nosuch", "echo", {});
            else if (which === "rpc") await (await pool.get("fixture")).request("bogus/method", {});
            else if (which === "down") await pool.callTool("down", "echo", { message: "x" });
            else if (which === "unknown-tool") await pool.callTool("fixture__nosuch", {});
            else return Response.json({ error: "no such case" }, { status: 400 });
            return Response.json({ thrown: false });
          } catch (e) {
            return Response.json({ thrown: true, ...describeError(e), isolate });
          }
        }
        case "/list": {
          const remote = await pool.listAllTools();
          const mine = await localPool(env).listAllTools();
          const routed = text(await pool.callTool("fixture2__echo", { message: "routed" }));
          return Response.json({ remote, local: mine, routed });
        }
        case "/local":
        case "/remote": {
          const n = Math.min(10_000, Number(q("n", 100)) || 100);
          const c = Math.min(64, Number(q("c", 1)) || 1);
          const t0 = performance.now();
          if (url.pathname === "/local") {
            const lp = localPool(env);
            await lanes(n, c, async (message) => {
              const lease = await lp.get("fixture");
              try {
                return text(await lease.callTool("echo", { message }));
              } finally {
                lease.release();
              }
            });
          } else {
            await lanes(n, c, async (message) => text(await pool.callTool("fixture", "echo", { message })));
          }
          return Response.json({ n, c, ms: performance.now() - t0 });
        }
        default:
          return Response.json({ error: "not found" }, { status: 404 });
      }
    } catch (e) {
      return Response.json({ error: describeError(e), stack: e?.stack }, { status: 500 });
    }
  },
};
