// A minimal, fast MCP responder for benchmarks (node:http only, no SDK), so that the client's own
// cost is what a benchmark sees. Streamable HTTP, stateful:
//   POST /mcp  initialize            -> result + a new Mcp-Session-Id (counted)
//              notifications / responses (no id) -> 202, empty body
//              ping                  -> {}
//              tools/list            -> echo, big
//              tools/call echo       -> { content: [{ type: "text", text: arguments.message }] }
//              tools/call big        -> a text result of --big-bytes bytes (default 1 MiB)
//              anything else         -> JSON-RPC error -32601
//   Answers are application/json, or text/event-stream (one `message` event) with --sse.
//   Every request but initialize needs a known Mcp-Session-Id (400 without one, 404 if unknown).
//   DELETE /mcp ends the session (200); GET /mcp -> 405 (no standalone stream).
//   GET /__stats -> { initialize, deleted, posts, preflights, connections (TCP, accepted), sessions }; POST /__reset zeroes the counters.
//   --delay-ms N: every POST is answered N ms after it arrived (a server N ms away, for the
//   in-flight cap measurement in bench/cap.mjs).
//   CORS (for a page on another origin, bench/run.mjs's browser-calls section): a request with an
//   Origin header gets Access-Control-Allow-Origin (that origin) and Access-Control-Expose-Headers:
//   Mcp-Session-Id; OPTIONS /mcp (a preflight) -> 204 allowing POST, GET, DELETE and the MCP headers,
//   cached 600 s. Requests without Origin (Node clients) get none of these headers.
//   --www PKGDIR: also serves a benchmark page from this origin (so that it calls /mcp same-origin):
//   GET /pkg/<file> from PKGDIR (the built package), GET /bench/<file> from bench/ (.mjs only),
//   GET /page.html: a page whose import map points `mcp-edge-pool` at /pkg/browser.mjs.
//   --www-base PKGDIR: also a second build of the package (an earlier one, the baseline of a perf gate)
//   under /base/, and the benchmark's Worker module again under /base-bench/, which the import map's
//   scope points at /base/browser.mjs: the page has both as window.benchWorker and window.baseWorker.
// Usage: node bench/fast_server.mjs [--port 0] [--sse] [--big-bytes N] [--delay-ms N] [--www PKGDIR]
// Binds 127.0.0.1 only; prints exactly one line "LISTENING <port>" on stdout when ready.
import http from "node:http";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import nodePath from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const port = Number(arg("--port", 0)) || 0;
const sse = args.includes("--sse");
const bigBytes = Math.max(1, Number(arg("--big-bytes", 1024 * 1024)) || 1024 * 1024);
const delayMs = Math.max(0, Number(arg("--delay-ms", 0)) || 0);
const wwwPkg = arg("--www", null);
const benchDir = nodePath.dirname(fileURLToPath(import.meta.url));

const VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];
const TOOLS = JSON.stringify({
  tools: [
    {
      name: "echo",
      description: "Echo a message",
      inputSchema: { type: "object", properties: { message: { type: "string" } }, required: ["message"] },
    },
    {
      name: "big",
      description: `A ${bigBytes}-byte text result`,
      inputSchema: { type: "object", properties: {} },
    },
  ],
});

// The big result, serialised once: printable ASCII in lines of 64, each ending in "\n" (an escape
// in the JSON text, as real tool output has), exactly bigBytes characters of text.
const BIG_RESULT = (() => {
  const line = "The quick brown fox jumps over the lazy dog; 0123456789 ABCDEFG\n"; // 64 chars
  const text = line.repeat(Math.ceil(bigBytes / line.length)).slice(0, bigBytes);
  return JSON.stringify({ content: [{ type: "text", text }] });
})();

let stats = { initialize: 0, deleted: 0, posts: 0, preflights: 0, connections: 0 };
const sessions = new Set();

function send(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body);
}

/** One JSON-RPC answer (already-serialised `result` text, or an error object). */
function answer(res, id, resultText, error, headers = {}) {
  const body =
    error === undefined
      ? `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${resultText}}`
      : JSON.stringify({ jsonrpc: "2.0", id, error });
  if (sse) {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...headers });
    res.end(`event: message\ndata: ${body}\n\n`);
  } else {
    res.writeHead(200, { "content-type": "application/json", ...headers });
    res.end(body);
  }
}

function handlePost(req, res, text) {
  stats.posts++;
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return send(res, 400, '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
  }
  if (Array.isArray(msg)) msg = msg[0]; // batches are not used by the benchmarks
  if (msg?.method === "initialize") {
    stats.initialize++;
    const sid = randomBytes(16).toString("hex");
    sessions.add(sid);
    const requested = msg.params?.protocolVersion;
    const protocolVersion = VERSIONS.includes(requested) ? requested : VERSIONS[0];
    const result = JSON.stringify({
      protocolVersion,
      capabilities: { tools: {} },
      serverInfo: { name: "bench-fast-server", version: "1.0.0" },
    });
    return answer(res, msg.id, result, undefined, { "mcp-session-id": sid });
  }
  const sid = req.headers["mcp-session-id"];
  if (!sid) return send(res, 400, '{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Mcp-Session-Id header is required"}}');
  if (!sessions.has(sid)) return send(res, 404, '{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}');
  if (msg?.id === undefined || msg.id === null || msg.method === undefined) {
    res.writeHead(202);
    return res.end();
  }
  switch (msg.method) {
    case "ping":
      return answer(res, msg.id, "{}");
    case "tools/list":
      return answer(res, msg.id, TOOLS);
    case "tools/call": {
      const name = msg.params?.name;
      if (name === "echo") {
        const text = String(msg.params?.arguments?.message ?? "");
        return answer(res, msg.id, JSON.stringify({ content: [{ type: "text", text }] }));
      }
      if (name === "big") return answer(res, msg.id, BIG_RESULT);
      return answer(res, msg.id, undefined, { code: -32602, message: `unknown tool ${name}` });
    }
    default:
      return answer(res, msg.id, undefined, { code: -32601, message: "Method not found" });
  }
}

const wwwBase = arg("--www-base", null);
const PAGE = `<!doctype html><meta charset="utf-8"><title>bench</title>
<script type="importmap">{"imports":{"mcp-edge-pool":"/pkg/browser.mjs"},"scopes":{"/base-bench/":{"mcp-edge-pool":"/base/browser.mjs"}}}</script>
<script type="module">window.benchReady = Promise.all([import("/bench/workerd_calls_worker.mjs"), ${wwwBase ? 'import("/base-bench/workerd_calls_worker.mjs")' : "null"}]).then(([m, b]) => { window.baseWorker = b?.default ?? null; window.benchWorker = m.default; }, (e) => { window.benchError = String(e?.stack ?? e); });</script>
`;
const MIME = { ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html; charset=utf-8" };

/** The page and its modules (--www): a file directly under `dir` or its snippets/, never outside. */
function serveStatic(res, dir, rel) {
  if (!/^[A-Za-z0-9_.\/-]+$/.test(rel) || rel.split("/").some((seg) => seg === ".." || seg === "")) return send(res, 404, '{"error":"not found"}');
  const file = nodePath.join(dir, rel);
  fs.readFile(file, (err, body) => {
    if (err) return send(res, 404, '{"error":"not found"}');
    res.writeHead(200, { "content-type": MIME[nodePath.extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    res.end(body);
  });
}

const server = http.createServer((req, res) => {
  const path = req.url.split("?")[0];
  const origin = req.headers.origin;
  if (origin) {
    res.setHeader("access-control-allow-origin", origin);
    res.setHeader("access-control-expose-headers", "mcp-session-id");
    res.setHeader("vary", "origin");
  }
  if (path === "/mcp" && req.method === "OPTIONS") {
    stats.preflights++;
    res.writeHead(204, {
      "access-control-allow-methods": "POST, GET, DELETE",
      "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "content-type, accept, mcp-session-id, mcp-protocol-version, last-event-id",
      "access-control-max-age": "600",
    });
    return res.end();
  }
  if (wwwPkg && req.method === "GET") {
    if (path === "/page.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      return res.end(PAGE);
    }
    if (path.startsWith("/pkg/")) return serveStatic(res, wwwPkg, path.slice(5));
    if (wwwBase && path.startsWith("/base/")) return serveStatic(res, wwwBase, path.slice(6));
    if (wwwBase && path.startsWith("/base-bench/") && path.endsWith(".mjs") && !path.slice(12).includes("/")) return serveStatic(res, benchDir, path.slice(12));
    if (path.startsWith("/bench/") && path.endsWith(".mjs") && !path.slice(7).includes("/")) return serveStatic(res, benchDir, path.slice(7));
  }
  if (path === "/mcp") {
    if (req.method === "POST") {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const body = chunks.length === 1 ? chunks[0].toString() : Buffer.concat(chunks).toString();
        if (delayMs > 0) setTimeout(() => handlePost(req, res, body), delayMs);
        else handlePost(req, res, body);
      });
      return;
    }
    if (req.method === "DELETE") {
      const sid = req.headers["mcp-session-id"];
      if (sid && sessions.delete(sid)) stats.deleted++;
      res.writeHead(200);
      return res.end();
    }
    res.writeHead(405, { allow: "POST, DELETE" });
    return res.end();
  }
  if (path === "/__stats" && req.method === "GET") {
    return send(res, 200, JSON.stringify({ ...stats, sessions: sessions.size }));
  }
  if (path === "/__reset" && req.method === "POST") {
    stats = { initialize: 0, deleted: 0, posts: 0, preflights: 0, connections: 0 };
    return send(res, 200, '{"ok":true}');
  }
  send(res, 404, '{"error":"not found"}');
});
server.on("connection", () => stats.connections++);
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.listen({ port, host: "127.0.0.1", backlog: 1024 }, () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
