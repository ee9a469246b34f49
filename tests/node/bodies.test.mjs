// Response bodies of every shape the fetch transport reads differently (src/wasm/host.js): a
// JSON answer with a content-length (read with one arrayBuffer()), without one (read in the same
// call up to 1 MiB), longer than 1 MiB either way (the rest streamed through the reader), in many
// small writes; and the size limit and a cut connection on each path. Every case runs through
// both HTTP clients of the Node package: its Node client on undici's request API (js/node_undici.mjs, the
// default) and fetch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { poolFor, rejectsWith, sleep, defer, unhandledRejections } from './helpers.mjs';

const MiB = 1024 * 1024;

/**
 * A fake MCP server: initialize (JSON, with a session id), 202 for notifications, and
 * `answer(msg, res)` for every request. Returns { url, counts }.
 */
async function fakeServer(t, answer) {
  const counts = { initialize: 0 };
  const server = http.createServer(async (req, res) => {
    if (req.method === 'DELETE') { res.writeHead(200); return res.end(); }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (msg.method === 'initialize') {
      counts.initialize++;
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': `session-${counts.initialize}` });
      return res.end(JSON.stringify({
        jsonrpc: '2.0', id: msg.id,
        result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'fake', version: '0' } },
      }));
    }
    if (msg.id === undefined) { res.writeHead(202); return res.end(); }
    answer(msg, res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${server.address().port}/mcp`, counts };
}

/** The JSON-RPC answer to `msg` whose text is `size` characters long. */
const answerText = (msg, size) => Buffer.from(JSON.stringify({
  jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: 'x'.repeat(size) }] },
}));

/** Writes `body` in pieces of `piece` bytes, one per event-loop turn (chunked, no content-length). */
async function writeInPieces(res, body, piece) {
  res.writeHead(200, { 'content-type': 'application/json' });
  for (let i = 0; i < body.length; i += piece) {
    res.write(body.subarray(i, i + piece));
    await sleep(0);
  }
  res.end();
}

const SHAPES = [
  { name: 'with a content-length', size: 1000, send: (res, body) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) }); res.end(body); } },
  { name: 'chunked, in 97-byte pieces', size: 5000, send: (res, body) => writeInPieces(res, body, 97) },
  { name: 'chunked, longer than 1 MiB', size: 3 * MiB, send: (res, body) => writeInPieces(res, body, 256 * 1024) },
  { name: 'with a content-length above 1 MiB', size: 2 * MiB, send: (res, body) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) }); res.end(body); } },
];

for (const httpClient of ['node', 'fetch']) {
  for (const shape of SHAPES) {
    test(`[${httpClient}] a JSON answer ${shape.name} arrives whole`, async (t) => {
      const fake = await fakeServer(t, (msg, res) => shape.send(res, answerText(msg, shape.size)));
      const pool = poolFor(t, { httpClient, maxResponseBytes: 8 * MiB });
      assert.equal(pool.httpClient, httpClient);
      pool.registerHttp('s', fake.url);
      const c = await pool.get('s');
      for (let i = 0; i < 2; i++) {
        const result = await c.callTool('big', {});
        assert.equal(result.content[0].text.length, shape.size);
        assert.ok(/^x+$/.test(result.content[0].text), 'the text is intact');
      }
      c.release();
      assert.equal(fake.counts.initialize, 1, 'the session was kept');
    });
  }

  const LIMIT_SHAPES = [
    { name: 'with a content-length', send: (res, body) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) }); res.end(body); } },
    { name: 'chunked', send: (res, body) => writeInPieces(res, body, 1000) },
  ];

  for (const shape of LIMIT_SHAPES) {
    test(`[${httpClient}] a JSON answer ${shape.name} over maxResponseBytes -> RESPONSE_TOO_LARGE`, async (t) => {
      const unhandled = unhandledRejections(t);
      const fake = await fakeServer(t, (msg, res) => shape.send(res, answerText(msg, msg.params?.name === 'big' ? 4096 : 10)));
      const pool = poolFor(t, { httpClient, maxConnectionsPerServer: 1, maxResponseBytes: 2048 });
      pool.registerHttp('s', fake.url);
      const c = await pool.get('s');
      await rejectsWith(c.callTool('big', {}), 'RESPONSE_TOO_LARGE', { server: 's' });
      assert.equal((await c.callTool('small', {})).content[0].text, 'x'.repeat(10), 'the session still works');
      c.release();
      await sleep(50);
      assert.deepEqual(unhandled.describe(), [], 'no unhandled promise rejection');
    });
  }

  test(`[${httpClient}] a chunked JSON body cut short -> NETWORK_ERROR, and the next call works`, async (t) => {
    const unhandled = unhandledRejections(t);
    const fake = await fakeServer(t, (msg, res) => {
      if (msg.params?.name !== 'cut') return res.writeHead(200, { 'content-type': 'application/json' }), res.end(answerText(msg, 3));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"jsonrpc":"2.0",');
      setTimeout(() => res.socket.destroy(), 30);
    });
    const pool = poolFor(t, { httpClient, maxConnectionsPerServer: 1, requestTimeoutMs: 3000 });
    pool.registerHttp('s', fake.url);
    const c = await pool.get('s');
    await rejectsWith(c.callTool('cut', {}), 'NETWORK_ERROR', { server: 's' });
    c.release();
    const next = await pool.get('s');
    assert.equal((await next.callTool('fine', {})).content[0].text, 'xxx');
    next.release();
    await sleep(50);
    assert.deepEqual(unhandled.describe(), [], 'no unhandled promise rejection');
  });

  test(`[${httpClient}] an SSE answer whose stream stays open: the answer returns and the stream is closed`, async (t) => {
    let closed = 0;
    const fake = await fakeServer(t, (msg, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: message\ndata: ${answerText(msg, 3)}\n\n`); // and the stream stays open
      res.on('close', () => closed++);
    });
    const pool = poolFor(t, { httpClient, maxConnectionsPerServer: 1 });
    pool.registerHttp('s', fake.url);
    const c = await pool.get('s');
    for (let i = 1; i <= 2; i++) {
      assert.equal((await c.callTool('open', {})).content[0].text, 'xxx');
      for (let k = 0; k < 50 && closed < i; k++) await sleep(20);
      assert.equal(closed, i, 'the stream read to its answer was closed');
    }
    c.release();
  });

  test(`[${httpClient}] a JSON body that stalls is abandoned at the request timeout and its connection closed`, async (t) => {
    let closed = 0;
    const fake = await fakeServer(t, (msg, res) => {
      if (msg.params?.name !== 'stall') return res.writeHead(200, { 'content-type': 'application/json' }), res.end(answerText(msg, 3));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"jsonrpc":"2.0",'); // and nothing more
      res.on('close', () => closed++);
    });
    const pool = poolFor(t, { httpClient, maxConnectionsPerServer: 1, requestTimeoutMs: 300 });
    pool.registerHttp('s', fake.url);
    const c = await pool.get('s');
    await rejectsWith(c.callTool('stall', {}), 'REQUEST_TIMEOUT', { server: 's' });
    for (let i = 0; i < 50 && closed === 0; i++) await sleep(20);
    assert.equal(closed, 1, 'the stalled response was aborted');
    assert.equal((await c.callTool('fine', {})).content[0].text, 'xxx');
    c.release();
  });
}
