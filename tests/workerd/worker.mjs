// A Cloudflare Worker using mcp-edge-pool the way a Worker author would: ONE pool at module
// scope, shared by every request this isolate serves; the server is registered lazily (the URL
// comes from the MCP_URL text binding, which only exists inside a request).
import { McpPool } from "mcp-edge-pool";

// Module scope: the constructor must do no timer, fetch or random (workerd throws
// "Disallowed operation called within global scope" for those).
const pool = new McpPool({ maxConnectionsPerServer: 2 });

const SERVER = "fixture";
let registered = false;

function ensureRegistered(env) {
  if (registered) return;
  if (!env.MCP_URL) throw new Error("the MCP_URL binding is missing");
  pool.registerHttp(SERVER, env.MCP_URL, { headers: {} });
  registered = true;
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
      ensureRegistered(env);
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
