// The Worker of bench/workerd-cpu.mjs: the pool's own CPU per call inside workerd, without the
// network. For the time of one measured Worker request, `fetch` is replaced by an in-memory MCP
// responder (initialize, notifications -> 202, tools/call echo; a JSON or an SSE answer, without
// Content-Length, as Node servers send them chunked), so the network's time and noise are gone and
// what is left is the client's work: the pool's (`get` -> callTool -> `release` per call, default
// options) or a raw client's (`fetch` + `text()` + `JSON.parse`, the floor). Routes:
// /pool?n=&c=&sse=1, /raw?n=&c=&sse=1, /stats (readiness).
import { McpPool } from "mcp-edge-pool";

const pool = new McpPool();
const URL_JSON = "http://mcp.invalid/json";
const URL_SSE = "http://mcp.invalid/sse";
let registered = false;
const SID = "in-memory-session";

/** The responder that stands in for `fetch` while a request measures. */
async function answer(url, init) {
  const request = JSON.parse(init.body);
  if (request.id === undefined) return new Response(null, { status: 202 });
  const result =
    request.method === "initialize"
      ? { protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "in-memory", version: "1" } }
      : { content: [{ type: "text", text: request.params.arguments.message }] };
  const body = JSON.stringify({ jsonrpc: "2.0", id: request.id, result });
  const sse = String(url) === URL_SSE;
  return new Response(sse ? `event: message\ndata: ${body}\n\n` : body, {
    headers: { "content-type": sse ? "text/event-stream" : "application/json", "mcp-session-id": SID },
  });
}

const HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": SID, "mcp-protocol-version": "2025-11-25" };

/** The raw client: one POST, the answer's text, its JSON (an SSE answer's one `data:` line). */
async function raw(url, id, message) {
  const r = await fetch(url, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { message } } }),
  });
  const text = await r.text();
  const type = r.headers.get("content-type") ?? "";
  const json = type.startsWith("text/event-stream") ? text.split("\n").find((l) => l.startsWith("data: "))?.slice(6) : text;
  return JSON.parse(json).result.content[0].text;
}

async function lanes(n, c, call) {
  let started = 0;
  const lane = async () => {
    while (started < n) {
      const i = started++;
      const text = await call(i, `m${i}`);
      if (text !== `m${i}`) throw new Error(`wrong answer: ${text}`);
    }
  };
  await Promise.all(Array.from({ length: c }, lane));
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/stats") return new Response("{}");
    const n = Math.min(100_000, Number(url.searchParams.get("n")) || 2000);
    const c = Math.min(64, Number(url.searchParams.get("c")) || 1);
    const server = url.searchParams.get("sse") ? "sse" : "json";
    const real = globalThis.fetch;
    globalThis.fetch = answer;
    try {
      if (url.pathname === "/pool") {
        if (!registered) {
          pool.registerHttp("json", URL_JSON, { era: "legacy" });
          pool.registerHttp("sse", URL_SSE, { era: "legacy" });
          registered = true;
        }
        await lanes(n, c, async (_, message) => {
          const client = await pool.get(server);
          try {
            return (await client.callTool("echo", { message })).content[0].text;
          } finally {
            client.release();
          }
        });
      } else if (url.pathname === "/raw") {
        await lanes(n, c, (i, message) => raw(server === "sse" ? URL_SSE : URL_JSON, i + 1, message));
      } else {
        return new Response("not found", { status: 404 });
      }
    } finally {
      globalThis.fetch = real;
    }
    return new Response(JSON.stringify({ n, c, server }));
  },
};
