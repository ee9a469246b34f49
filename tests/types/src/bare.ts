// The declarations of every entry, compiled under lib es2022 alone (plus DOM, @types/node or
// @cloudflare/workers-types): no `using` here, which needs lib esnext.disposable (or @types/node).
import { McpPool, McpPoolError, type McpPoolErrorCode, type ListToolsResult } from "mcp-edge-pool";
import init, { initSync, McpPool as WebPool } from "mcp-edge-pool/web";
import { kvStore, type SnapshotStore } from "mcp-edge-pool/store";
import { mcpPoolClient, type DurableObjectNamespaceLike } from "mcp-edge-pool/durable-object";

export async function bare(store: SnapshotStore): Promise<McpPoolErrorCode | number> {
  await init();
  void initSync;
  const pool: McpPool = McpPool.restore(await store.load("pool"));
  const again: WebPool = pool;
  void kvStore;
  void ((ns: DurableObjectNamespaceLike) => mcpPoolClient(ns).callTool("docs", "search", { q: "x" }));
  try {
    const client = await again.get("docs");
    const listed: ListToolsResult = await client.listTools();
    client.release();
    return listed.tools.length;
  } catch (e) {
    if (e instanceof McpPoolError) return e.code;
    throw e;
  }
}
