// A Durable Object that keeps one McpPool per object: every request for the same object id (here
// "global") reaches the same instance, so its sessions are shared by all of them. The pool's
// snapshot is persisted by alarm() every 30 s, so that a new instance (after eviction or a deploy)
// starts warm: no initialize for the sessions the server still holds.
import { McpPool } from "mcp-edge-pool";
import { durableObjectStore } from "mcp-edge-pool/store";

const SNAPSHOT_KEY = "mcp-pool-snapshot";
const PERSIST_EVERY_MS = 30_000;

export class McpPoolObject {
  constructor(state, env) {
    this.state = state;
    this.store = durableObjectStore(state.storage);
    // Nothing else runs until the pool is restored and registered.
    this.ready = state.blockConcurrencyWhile(async () => {
      const snapshot = await this.store.load(SNAPSHOT_KEY);
      this.pool = McpPool.restore(snapshot, { maxConnectionsPerServer: 4 });
      this.pool.registerHttp("tools", env.MCP_URL, {
        headers: env.MCP_TOKEN ? { Authorization: `Bearer ${env.MCP_TOKEN}` } : {},
      });
    });
  }

  async fetch(request) {
    await this.ready;
    if ((await this.state.storage.getAlarm()) === null) {
      await this.state.storage.setAlarm(Date.now() + PERSIST_EVERY_MS);
    }
    const url = new URL(request.url);
    if (url.pathname === "/stats") return Response.json(this.pool.stats());
    if (url.pathname === "/persist") {
      await this.alarm();
      return Response.json({ ok: true });
    }
    const client = await this.pool.get("tools");
    try {
      const result = await client.callTool("echo", { message: url.searchParams.get("msg") ?? "" });
      return Response.json(result);
    } finally {
      client.release();
    }
  }

  // One health/eviction pass, then persist what a new instance needs. Runs without a request.
  async alarm() {
    await this.ready;
    await this.pool.maintain();
    await this.store.save(SNAPSHOT_KEY, this.pool.snapshot());
    await this.state.storage.setAlarm(Date.now() + PERSIST_EVERY_MS);
  }
}

export default {
  fetch(request, env) {
    const id = env.MCP_POOL.idFromName("global");
    return env.MCP_POOL.get(id).fetch(request);
  },
};
