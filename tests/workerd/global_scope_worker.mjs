// A Worker that calls the pool in global (module) scope, where workerd refuses timers and fetch
// ("Disallowed operation called within global scope"). That call must fail with the pool's own
// typed error, and leave the pool intact for the requests that follow.
// Routes: /early (how the module-scope get ended), /call (get, callTool("echo"), release), /stats.
import { env } from "cloudflare:workers";
import { McpPool } from "mcp-edge-pool";

const pool = new McpPool({ maxConnectionsPerServer: 1 });
pool.registerHttp("s", env.MCP_URL);

let early;
try {
  early = pool.get("s").then(
    (client) => {
      client.release();
      return { ok: true };
    },
    (e) => ({ name: e?.name, code: e?.code, message: String(e?.message ?? e) }),
  );
} catch (e) {
  early = Promise.resolve({ threw: String(e?.message ?? e) });
}

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    try {
      switch (pathname) {
        case "/early": {
          const pending = new Promise((resolve) => setTimeout(() => resolve({ pending: true }), 1000));
          return json(await Promise.race([early, pending]));
        }
        case "/call": {
          const client = await pool.get("s");
          try {
            const result = await client.callTool("echo", { message: "after" });
            return json({ text: result.content[0].text });
          } finally {
            client.release();
          }
        }
        case "/stats":
          return json(pool.stats());
        default:
          return json({ error: "not found" }, 404);
      }
    } catch (e) {
      return json({ error: { name: e?.name, code: e?.code, message: String(e?.message ?? e) } }, 500);
    }
  },
};
