// mcp-edge-pool/durable-object as a Worker author writes it, with @cloudflare/workers-types: the
// configured object class, a subclass, and the client over a real DurableObjectNamespace binding.
import { McpPoolError, type CallToolResult } from "mcp-edge-pool";
import {
  McpPoolObject, mcpPoolObject, mcpPoolClient, shardByServer, SNAPSHOT_KEY, type McpPoolClient, type RemoteServerClient,
} from "mcp-edge-pool/durable-object";

interface Env {
  MCP_POOL: DurableObjectNamespace;
  GITHUB_URL: string;
  GITHUB_TOKEN: string;
}

export const McpPools = mcpPoolObject<Env>({
  options: (env) => ({ maxConnectionsPerServer: env.GITHUB_TOKEN ? 4 : 2 }),
  register(pool, env) {
    pool.registerHttp("github", env.GITHUB_URL, { headers: { Authorization: `Bearer ${env.GITHUB_TOKEN}` } });
  },
  persistEveryMs: 60_000,
});

export class MyPools extends McpPoolObject<Env> {
  override registerServers(pool: import("mcp-edge-pool").McpPool, env: Env): void {
    pool.registerHttp("docs", env.GITHUB_URL);
  }
}

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    const pool: McpPoolClient = mcpPoolClient(env.MCP_POOL, { shard: shardByServer(4), servers: ["github", "docs"] });
    void SNAPSHOT_KEY;
    try {
      const direct: CallToolResult = await pool.callTool("github", "search", { q: "wasm" });
      const first = direct.content[0];
      const all = await pool.listAllTools();
      const routed: CallToolResult = await pool.callTool(all.tools[0]?.name ?? "github__search", { q: "x" }, { timeoutMs: 5_000 });
      const github: RemoteServerClient = await pool.get("github");
      const { tools } = await github.listTools();
      github.release();
      // @ts-expect-error a tool's arguments are an object
      await pool.callTool("github", 42);
      const stats = await pool.stats();
      return new Response(`${first?.type === "text" ? first.text : ""} ${routed.isError ?? false} ${tools.length} ${stats.registeredServers}`);
    } catch (e) {
      if (e instanceof McpPoolError) return new Response(e.code, { status: 502 });
      throw e;
    }
  },
};
