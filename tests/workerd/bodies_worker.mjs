// The Worker of bodies.test.mjs: one pool per `maxResponseBytes` (made on first use, module state),
// and one route, /call?tool=&limit=&hold=, which calls `tool` on the server of MCP_URL and answers
// { length, intact } (the text's length, whether it is all "x") or { code } (the McpPoolError's),
// `hold` ms after the call (what the call left open stays open until the Worker request ends).
import { McpPool } from "mcp-edge-pool";

const pools = new Map();

function poolFor(limit, url) {
  let pool = pools.get(limit);
  if (!pool) {
    pool = new McpPool({ maxConnectionsPerServer: 1, maxResponseBytes: limit, requestTimeoutMs: 10_000 });
    pool.registerHttp("s", url, { era: "legacy" });
    pools.set(limit, pool);
  }
  return pool;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/stats") return new Response("{}");
    const tool = url.searchParams.get("tool") ?? "small";
    const limit = Number(url.searchParams.get("limit")) || 8 * 1024 * 1024;
    const client = await poolFor(limit, env.MCP_URL).get("s");
    try {
      const text = (await client.callTool(tool, {})).content[0].text;
      const hold = Number(url.searchParams.get("hold")) || 0;
      if (hold > 0) await new Promise((resolve) => setTimeout(resolve, hold));
      return Response.json({ length: text.length, intact: /^x*$/.test(text) });
    } catch (e) {
      return Response.json({ code: e?.code ?? null, message: String(e?.message ?? e) });
    } finally {
      client.release();
    }
  },
};
