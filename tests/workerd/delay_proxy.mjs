// Repro helper (not a test): an HTTP proxy in front of an MCP server that delays chosen
// `initialize` POSTs and logs every exchange, including requests whose client (workerd) hung up
// before the answer was complete.
// Usage: node tests/workerd/delay_proxy.mjs <upstream port> [<ms for 1st initialize>,<ms for 2nd>,...]
// Prints "LISTENING <port>"; GET /__log returns the log as JSON.
import http from "node:http";

const upstream = Number(process.argv[2]);
const delays = (process.argv[3] ?? "").split(",").filter(Boolean).map(Number);
let initializes = 0;
const log = [];
const t0 = Date.now();

const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = Buffer.concat(chunks);
  if (req.url === "/__log") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify(log));
  }
  const text = body.toString("utf8");
  const method = text.match(/"method"\s*:\s*"([^"]+)"/)?.[1] ?? null;
  const delay = method === "initialize" ? (delays[initializes++] ?? 0) : 0;
  const entry = { atMs: Date.now() - t0, http: req.method, method, delay, status: null, clientHungUp: false };
  log.push(entry);
  res.on("close", () => {
    if (!res.writableFinished) entry.clientHungUp = true;
  });
  if (delay) await new Promise((r) => setTimeout(r, delay));
  const headers = { ...req.headers, "content-length": body.length };
  const up = http.request({ host: "127.0.0.1", port: upstream, path: req.url, method: req.method, headers }, (r) => {
    entry.status = r.statusCode;
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on("error", (e) => {
    entry.error = String(e);
    res.destroy();
  });
  up.end(body);
});
server.listen({ port: 0, host: "127.0.0.1", backlog: 511 }, () => console.log(`LISTENING ${server.address().port}`));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
