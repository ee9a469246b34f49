// The Worker of bench/workerd-calls.mjs: N `tools/call` echo calls inside ONE Worker request, at
// concurrency C, through the pool (defaults: `get` -> callTool -> `release` per call) or raw
// (`fetch` POSTing the same JSON-RPC with the session headers, reading the answer's text and
// parsing it: the floor). Both run in the same isolate against the same server, so their ratio is
// the pool's own cost. Routes: /pool?n=&c=, /raw?n=&c=, /stats (readiness).
import { McpPool } from "mcp-edge-pool";

const pool = new McpPool();
let registered = false;
/** The raw client's session (opened on its first request: no fetch at module scope). */
let raw = null;

const HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

async function post(url, body, sid) {
  const headers = sid ? { ...HEADERS, "mcp-session-id": sid, "mcp-protocol-version": "2025-11-25" } : HEADERS;
  const r = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await r.text();
  const type = r.headers.get("content-type") ?? "";
  // An SSE answer: the one `message` event's data.
  const json = type.startsWith("text/event-stream") ? text.split("\n").find((l) => l.startsWith("data: "))?.slice(6) : text;
  return { sid: r.headers.get("mcp-session-id"), message: json ? JSON.parse(json) : null };
}

async function rawSession(url) {
  raw ??= (async () => {
    const init = await post(url, {
      jsonrpc: "2.0", id: 0, method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench-raw", version: "1" } },
    });
    await post(url, { jsonrpc: "2.0", method: "notifications/initialized" }, init.sid);
    return { sid: init.sid, next: 1 };
  })();
  return raw;
}

/** `call` with at most `cap` running at once, the rest waiting in order (0: no cap). */
function capped(cap, call) {
  if (!cap) return call;
  let running = 0;
  const waiting = [];
  return async (...args) => {
    if (running >= cap) await new Promise((resolve) => waiting.push(resolve));
    running++;
    try {
      return await call(...args);
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

async function lanes(n, c, call) {
  let started = 0;
  const lane = async () => {
    while (started < n) {
      const i = started++;
      const text = await call(`m${i}`);
      if (text !== `m${i}`) throw new Error(`wrong answer: ${text}`);
    }
  };
  await Promise.all(Array.from({ length: c }, lane));
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const n = Math.min(10_000, Number(url.searchParams.get("n")) || 400);
    const c = Math.min(64, Number(url.searchParams.get("c")) || 1);
    if (url.pathname === "/stats") return new Response("{}");
    if (url.pathname === "/pool") {
      if (!registered) {
        pool.registerHttp("s", env.MCP_URL, { era: "legacy" });
        registered = true;
      }
      await lanes(n, c, async (message) => {
        const client = await pool.get("s");
        try {
          return (await client.callTool("echo", { message })).content[0].text;
        } finally {
          client.release();
        }
      });
      return new Response(JSON.stringify({ n, c, connections: pool.stats().totalConnections }));
    }
    if (url.pathname === "/raw") {
      const session = await rawSession(env.MCP_URL);
      // cap=K: at most K fetches in flight, as production Workers allow 6 open connections per request
      // (local workerd caps none; the pool's default maxConcurrentRequests is 6).
      const cap = Math.min(64, Number(url.searchParams.get("cap")) || 0);
      await lanes(n, c, capped(cap, async (message) => {
        const id = session.next++;
        const { message: answer } = await post(env.MCP_URL, {
          jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { message } },
        }, session.sid);
        return answer.result.content[0].text;
      }));
      return new Response(JSON.stringify({ n, c, cap }));
    }
    return new Response("not found", { status: 404 });
  },
};
