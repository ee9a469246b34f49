// Response bodies in real workerd, of every shape the fetch transport reads differently there
// (src/wasm/host.js): without a content-length (as Node servers send JSON, chunked), a body of up to
// 64 KiB comes in ONE `readAtLeast` of a byte reader; a longer one goes on through a default reader;
// past 1 MiB the rest is streamed to the core. The size limit and a cut connection on each path.
// The server is node:http in this process, writing its pieces exactly as asked.
//
// Run: node --test tests/workerd/bodies.test.mjs
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { buildWorker, forbiddenLines, freePort, getJson, root, sleep, startWorkerd, stopAll } from "./harness.mjs";

const KiB = 1024;
const MiB = 1024 * KiB;

/** The JSON-RPC answer to `msg` whose text is `size` "x"s. */
const answerText = (msg, size) =>
  Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: msg.id, result: { content: [{ type: "text", text: "x".repeat(size) }] } }));

/** Writes `body` chunked (no content-length) in pieces of `piece` bytes, one per turn; `cutAt`: destroys the socket there. */
async function writeInPieces(res, body, piece, cutAt = Infinity) {
  res.writeHead(200, { "content-type": "application/json" });
  for (let i = 0; i < body.length; i += piece) {
    if (i >= cutAt) {
      await sleep(20);
      res.socket.destroy();
      return;
    }
    res.write(body.subarray(i, i + piece));
    await sleep(0);
  }
  res.end();
}

// Tool name -> how the server answers it.
const TOOLS = {
  small: (msg, res) => { res.writeHead(200, { "content-type": "application/json" }); res.end(answerText(msg, 10)); },
  pieces97: (msg, res) => writeInPieces(res, answerText(msg, 5000), 97),
  over64k: (msg, res) => writeInPieces(res, answerText(msg, 200 * KiB), 16 * KiB),
  over1m: (msg, res) => writeInPieces(res, answerText(msg, 3 * MiB), 256 * KiB),
  sized: (msg, res) => { const b = answerText(msg, 300 * KiB); res.writeHead(200, { "content-type": "application/json", "content-length": String(b.length) }); res.end(b); },
  big4k: (msg, res) => writeInPieces(res, answerText(msg, 4096), 1000),
  big300k: (msg, res) => writeInPieces(res, answerText(msg, 300 * KiB), 16 * KiB),
  cutEarly: (msg, res) => writeInPieces(res, answerText(msg, 5000), 1000, 2000),
  cutLate: (msg, res) => writeInPieces(res, answerText(msg, 200 * KiB), 16 * KiB, 100 * KiB),
  // An SSE answer whose stream stays open: the pool reads to the answer and drops the rest.
  sseOpen: (msg, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(`event: message\ndata: ${answerText(msg, 3)}\n\n`);
    sseOpen.streams++;
    res.on("close", () => {
      sseOpen.closed++;
      sseOpen.closedAt = performance.now();
    });
  },
};
const sseOpen = { streams: 0, closed: 0, closedAt: 0 };

describe("response bodies in workerd", { timeout: 120_000 }, () => {
  let server;
  let workerd;
  const counts = { initialize: 0 };

  before(async () => {
    server = http.createServer(async (req, res) => {
      if (req.method === "DELETE") { res.writeHead(200); return res.end(); }
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const msg = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      if (msg.method === "initialize") {
        counts.initialize++;
        res.writeHead(200, { "content-type": "application/json", "mcp-session-id": `session-${counts.initialize}` });
        return res.end(JSON.stringify({
          jsonrpc: "2.0", id: msg.id,
          result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "bodies", version: "0" } },
        }));
      }
      if (msg.id === undefined) { res.writeHead(202); return res.end(); }
      const answer = TOOLS[msg.params?.name];
      if (!answer) { res.writeHead(400); return res.end(); }
      answer(msg, res);
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const port = await freePort();
    const build = buildWorker(port, [
      "--mcp-url", `http://127.0.0.1:${server.address().port}/mcp`,
      "--worker", path.join(root, "tests/workerd/bodies_worker.mjs"),
      "--scratch", path.join(root, "target/workerd-scratch-bodies"),
    ]);
    workerd = await startWorkerd(build, port);
  });

  after(async () => {
    await stopAll();
    server?.closeAllConnections();
    server?.close();
  });

  const call = async (tool, limit = 0) => (await getJson(`${workerd.base}/call?tool=${tool}${limit ? `&limit=${limit}` : ""}`, 30_000)).body;

  for (const [tool, size, what] of [
    ["small", 10, "one small write (one readAtLeast)"],
    ["pieces97", 5000, "in 97-byte pieces"],
    ["over64k", 200 * KiB, "longer than 64 KiB (then a default reader)"],
    ["over1m", 3 * MiB, "longer than 1 MiB (then streamed to the core)"],
    ["sized", 300 * KiB, "with a content-length (one arrayBuffer())"],
  ]) {
    test(`a JSON answer ${what} arrives whole, twice`, async () => {
      for (let i = 0; i < 2; i++) assert.deepEqual(await call(tool), { length: size, intact: true });
    });
  }

  test("over maxResponseBytes, within the first read and after it -> RESPONSE_TOO_LARGE, then the session works", async () => {
    assert.equal((await call("big4k", 2048)).code, "RESPONSE_TOO_LARGE");
    assert.deepEqual(await call("small", 2048), { length: 10, intact: true });
    assert.equal((await call("big300k", 100 * KiB)).code, "RESPONSE_TOO_LARGE");
    assert.deepEqual(await call("small", 100 * KiB), { length: 10, intact: true });
  });

  test("a body cut within the first read and after it -> NETWORK_ERROR, then the next call works", async () => {
    for (const tool of ["cutEarly", "cutLate"]) {
      const r = await call(tool);
      assert.equal(r.code, "NETWORK_ERROR", `${tool}: ${JSON.stringify(r)}`);
      assert.deepEqual(await call("small"), { length: 10, intact: true });
    }
  });

  test("an SSE answer whose stream stays open: the answer returns and the pool closes the stream", async () => {
    // The Worker holds its request 1 s after the call: a stream closed only when the request ends
    // (workerd cancels what a request left open) would close 1 s after the answer, not at once.
    const HOLD = 1000;
    for (let i = 1; i <= 2; i++) {
      const { status, body } = await getJson(`${workerd.base}/call?tool=sseOpen&hold=${HOLD}`, 30_000);
      const answered = performance.now();
      assert.equal(status, 200);
      assert.deepEqual(body, { length: 3, intact: true });
      assert.equal(sseOpen.streams, i);
      assert.equal(sseOpen.closed, i, "the stream read to its answer was closed");
      assert.ok(answered - sseOpen.closedAt > HOLD / 2, `closed ${(answered - sseOpen.closedAt).toFixed(0)} ms before the Worker answered`);
    }
  });

  test("workerd reported no broken Workers rule", () => {
    assert.deepEqual(forbiddenLines(workerd.out.text), []);
  });
});
