// A Cloudflare Worker using mcp-edge-pool the way a Worker author would: ONE pool at module
// scope, shared by every request this isolate serves; the server is registered lazily (the URL
// comes from the MCP_URL text binding, which only exists inside a request).
import { McpPool } from "mcp-edge-pool";
import { kvStore } from "mcp-edge-pool/store";

// Module scope: the constructor must do no timer, fetch or random (workerd throws
// "Disallowed operation called within global scope" for those).
let pool = new McpPool({ maxConnectionsPerServer: 2 });

const SERVER = "fixture";
const SNAPSHOT_KEY = "pool-snapshot";
let ready = null;

/**
 * A KV namespace look-alike over a loopback HTTP store (the test's stand-in for a Workers KV
 * binding, with the same get/put shape).
 */
function kvOverHttp(base) {
  return {
    async get(key, { type } = {}) {
      const r = await fetch(`${base}/${encodeURIComponent(key)}`);
      if (r.status === 404) return null;
      return type === "json" ? r.json() : r.text();
    },
    async put(key, value) {
      const r = await fetch(`${base}/${encodeURIComponent(key)}`, { method: "PUT", body: value });
      await r.arrayBuffer();
    },
  };
}

/** First request of the isolate: with KV_URL, start from the stored snapshot; then register. */
function ensureReady(env) {
  ready ??= (async () => {
    if (!env.MCP_URL) throw new Error("the MCP_URL binding is missing");
    const options = env.POOL_OPTIONS ? JSON.parse(env.POOL_OPTIONS) : { maxConnectionsPerServer: 2 };
    if (env.KV_URL || env.POOL_OPTIONS) {
      const snapshot = env.KV_URL ? await kvStore(kvOverHttp(env.KV_URL)).load(SNAPSHOT_KEY) : null;
      pool = McpPool.restore(snapshot, options);
    }
    pool.registerHttp(SERVER, env.MCP_URL, { headers: {} });
  })();
  return ready;
}

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });

function errorBody(e) {
  return {
    error: {
      name: e?.name,
      code: e?.code,
      message: String(e?.message ?? e),
      stack: e?.stack,
    },
  };
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    try {
      await ensureReady(env);
      switch (url.pathname) {
        case "/call": {
          const message = url.searchParams.get("msg") ?? "";
          const client = await pool.get(SERVER);
          let result;
          try {
            result = await client.callTool("echo", { message });
          } finally {
            client.release();
          }
          const text = (result?.content ?? [])
            .filter((c) => c?.type === "text")
            .map((c) => c.text)
            .join("");
          return json({ text, stats: pool.stats() });
        }
        case "/stats":
          return json(pool.stats());
        case "/save": {
          const snapshot = pool.snapshot();
          ctx.waitUntil(kvStore(kvOverHttp(env.KV_URL)).save(SNAPSHOT_KEY, snapshot));
          return json({ ok: true, sessions: snapshot.servers[SERVER]?.sessions.length ?? 0 });
        }
        case "/maintain":
          ctx.waitUntil(pool.maintain());
          return json({ ok: true, stats: pool.stats() });
        default:
          return json({ error: "not found" }, 404);
      }
    } catch (e) {
      console.error(`worker error on ${url.pathname}${url.search}:`, e?.code ?? "", e?.message ?? e);
      return json(errorBody(e), 500);
    }
  },
};
