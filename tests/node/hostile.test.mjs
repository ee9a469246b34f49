// Hostile servers (RELIABILITY.md, "Hostile servers"): what a server can send to trap, balloon or
// leak through the pool, each case on both HTTP clients of the Node package (its Node client on
// undici's request API, and fetch, which browsers and Workers use). Each test ends with the pool answering
// a normal call. Answers that need byte-exact control are written straight to the socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { McpPool } from 'mcp-edge-pool';
import { defer, poolFor, rejectsWith, sleep, unhandledRejections } from './helpers.mjs';

const CLIENTS = ['node', 'fetch'];
const MiB = 1024 * 1024;

/**
 * A small MCP server (session era, JSON answers) on 127.0.0.1. `hostile(msg, req, res)` sees every
 * JSON-RPC message first and returns true when it answered; otherwise the server answers:
 * initialize (session id `session-N`), 202 for notifications, `tools/call` echo, `tools/list`
 * (one tool), DELETE 200. Records every request's headers in `requests`.
 */
async function mcpServer(t, hostile = () => false, { sessionId = (n) => `session-${n}` } = {}) {
  const state = { initialize: 0, requests: [] };
  const server = http.createServer(async (req, res) => {
    state.requests.push({ method: req.method, url: req.url, headers: req.headers });
    if (req.method === 'DELETE') { res.writeHead(200); return res.end(); }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    let msg;
    try { msg = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { res.writeHead(400); return res.end(); }
    state.requests.at(-1).rpc = msg.method;
    if (await hostile(msg, req, res)) return;
    if (msg.method === 'initialize') {
      state.initialize++;
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': sessionId(state.initialize) });
      return res.end(JSON.stringify({
        jsonrpc: '2.0', id: msg.id,
        result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'hostile', version: '0' } },
      }));
    }
    if (msg.id === undefined) { res.writeHead(202); return res.end(); }
    const result = msg.method === 'tools/list'
      ? { tools: [{ name: 'echo', inputSchema: { type: 'object' } }] }
      : msg.method === 'tools/call'
        ? { content: [{ type: 'text', text: String(msg.params?.arguments?.message ?? 'fine') }] }
        : {};
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${server.address().port}/mcp`, state };
}

/** Writes `bytes` to the request's socket as the whole answer (no HTTP framing by node:http). */
function raw(req, bytes, { destroy = false } = {}) {
  req.socket.write(bytes);
  if (destroy) req.socket.destroy(); else req.socket.end();
  return true;
}

/** Asserts that a fresh lease answers a normal call. */
async function answersNormally(pool, server = 's') {
  const c = await pool.get(server);
  try {
    assert.equal((await c.callTool('echo', { message: 'after' })).content[0].text, 'after');
  } finally {
    c.release();
  }
}

const rssMiB = () => Math.round(process.memoryUsage().rss / MiB);

// --- A stream that stops short: a clean end and a cut connection are the same class ---------------

for (const httpClient of CLIENTS) {
  for (const destroy of [false, true]) {
    const how = destroy ? 'the connection breaks' : 'it ends cleanly';
    test(`[${httpClient}] an SSE answer that stops before its response (${how}) is NETWORK_ERROR; the session is replaced`, async (t) => {
      const unhandled = unhandledRejections(t);
      const server = await mcpServer(t, (msg, req) => {
        if (msg.method !== 'tools/call' || msg.params.name !== 'stop') return false;
        const event = 'data: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}}\n\n';
        // Chunked framing written by hand, so that "ends cleanly" is the last empty chunk.
        const chunk = `${event.length.toString(16)}\r\n${event}\r\n`;
        const head = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n';
        return raw(req, head + chunk + (destroy ? '' : '0\r\n\r\n'), { destroy });
      });
      const pool = poolFor(t, { httpClient });
      pool.registerHttp('s', server.url);
      const c = await pool.get('s');
      const error = await rejectsWith(c.callTool('stop', {}), 'NETWORK_ERROR', { server: 's' });
      if (!destroy) assert.match(error.message, /ended before the response/);
      c.release();
      await answersNormally(pool);
      assert.equal(server.state.initialize, 2, 'the session was replaced, as after a dropped connection');
      await sleep(50);
      assert.deepEqual(unhandled.describe(), []);
    });
  }
}

// --- D1: a paginated list bounded as a whole, by bytes and by items --------------------------------

for (const httpClient of CLIENTS) {
  test(`[${httpClient}] a list whose pages each fit but whose sum does not is RESPONSE_TOO_LARGE`, async (t) => {
    let pages = 0;
    const server = await mcpServer(t, (msg, req, res) => {
      if (msg.method !== 'tools/list') return false;
      pages++;
      const n = Number(msg.params?.cursor ?? 0);
      // ~40 KB a page, under the 64 KiB limit; the server would go on for 1,000 pages.
      const tools = Array.from({ length: 40 }, (_, i) => ({ name: `t${n}_${i}`, description: 'd'.repeat(1000), inputSchema: { type: 'object' } }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { tools, nextCursor: String(n + 1) } }));
      return true;
    });
    const pool = poolFor(t, { httpClient, maxResponseBytes: 64 * 1024 });
    pool.registerHttp('s', server.url);
    const c = await pool.get('s');
    const error = await rejectsWith(c.listTools(), 'RESPONSE_TOO_LARGE', { server: 's' });
    assert.match(error.message, /65536 bytes/);
    assert.ok(pages <= 2, `stopped at the page that passed the limit (${pages} pages asked)`);
    const catalog = await pool.listAllTools();
    assert.equal(catalog.errors.s.code, 'RESPONSE_TOO_LARGE', 'listAllTools reports it per server');
    c.release();
    await answersNormally(pool);
  });

  test(`[${httpClient}] a list of more than 100,000 tiny items is RESPONSE_TOO_LARGE`, async (t) => {
    const server = await mcpServer(t, (msg, req, res) => {
      if (msg.method !== 'resources/list') return false;
      const n = Number(msg.params?.cursor ?? 0);
      const resources = Array.from({ length: 25_000 }, () => ({}));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { resources, nextCursor: String(n + 1) } }));
      return true;
    });
    const pool = poolFor(t, { httpClient });
    pool.registerHttp('s', server.url);
    const c = await pool.get('s');
    const error = await rejectsWith(c.listResources(), 'RESPONSE_TOO_LARGE', { server: 's' });
    assert.match(error.message, /100000 items/);
    c.release();
    await answersNormally(pool);
  });
}

// --- D2: a result JS cannot take is a typed error, never a value -----------------------------------

test('a result that JSON.parse refuses rejects typed (never null); snapshot() throws typed, never traps', async (t) => {
  const MARK = 'unparseable-by-this-engine';
  const server = await mcpServer(t, (msg, req, res) => {
    if (msg.method !== 'tools/list') return false;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { tools: [{ name: 'echo', description: MARK, inputSchema: { type: 'object' } }] } }));
    return true;
  });
  const pool = poolFor(t);
  pool.registerHttp('s', server.url);
  const c = await pool.get('s');
  // What V8 does with a text past its longest string (~512 MB), without sending 512 MB: JSON.parse
  // throws. The fault is injected for texts holding the mark only.
  const parse = JSON.parse;
  JSON.parse = function (text, ...rest) {
    if (typeof text === 'string' && text.includes(MARK)) throw new RangeError('Invalid string length');
    return parse.call(this, text, ...rest);
  };
  let listed, snapshotError;
  try {
    listed = await c.listTools().then((v) => ({ value: v }), (e) => ({ error: e }));
    try { pool.snapshot(); } catch (e) { snapshotError = e; }
  } finally {
    JSON.parse = parse;
  }
  assert.ok(listed.error, `listTools must reject, it resolved ${JSON.stringify(listed.value)}`);
  await rejectsWith(Promise.reject(listed.error), 'PROTOCOL_ERROR', { server: 's' });
  assert.match(listed.error.message, /could not be handed to JavaScript/);
  assert.ok(snapshotError, 'snapshot() threw while the cached list could not be parsed');
  await rejectsWith(Promise.reject(snapshotError), 'PROTOCOL_ERROR');
  // Unpatched, the same cached list comes through, and the pool goes on.
  assert.equal((await c.listTools()).tools[0].description, MARK);
  assert.equal(pool.snapshot().servers.s.tools.result.tools[0].description, MARK);
  c.release();
  await answersNormally(pool);
});

// --- D3: a gzip bomb is bounded by maxResponseBytes on every path ----------------------------------

/** gzip members of 64 MiB of 'A' each: ~64 KB compressed apiece (multi-member gzip is valid). */
const BOMB_MEMBER = zlib.gzipSync(Buffer.alloc(64 * MiB, 'A'), { level: 9 });

/** A JSON-RPC answer to `id` that decodes to ~`members` x 64 MiB; `stacked`: gzip, gzip. */
function bomb(id, members, stacked) {
  const start = zlib.gzipSync(`{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"`);
  let body = Buffer.concat([start, ...Array(members).fill(BOMB_MEMBER)]);
  if (stacked) body = zlib.gzipSync(body, { level: 9 });
  return body;
}

for (const httpClient of CLIENTS) {
  for (const stacked of [false, true]) {
    const encoding = stacked ? 'gzip, gzip' : 'gzip';
    test(`[${httpClient}] a ${encoding} bomb under 1 MiB on the wire (~1 GB decoded) fails fast with bounded memory`, async (t) => {
      const server = await mcpServer(t, (msg, req, res) => {
        if (msg.method !== 'tools/call' || msg.params.name !== 'bomb') return false;
        const body = bomb(msg.id, 15, stacked);
        assert.ok(body.length <= MiB, `the bomb is ${body.length} bytes on the wire`);
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding, 'content-length': String(body.length) });
        res.end(body);
        return true;
      });
      const pool = poolFor(t, { httpClient });
      pool.registerHttp('s', server.url);
      const c = await pool.get('s');
      const before = rssMiB();
      // Both clients undo stacked codings too (at most 5), each decoder inflating only as far as the core reads.
      await rejectsWith(c.callTool('bomb', {}), 'RESPONSE_TOO_LARGE', { server: 's' });
      const grown = rssMiB() - before;
      t.diagnostic(`RSS grew ${grown} MiB`);
      assert.ok(grown < 256, `memory stayed bounded (RSS grew ${grown} MiB; unbounded it is ~1 GB or more)`);
      c.release();
      await answersNormally(pool);
    });
  }
}

for (const httpClient of CLIENTS) {
  test(`[${httpClient}] an unknown coding passes the bomb on undecoded, and more than 5 codings are refused; memory stays bounded`, async (t) => {
    const server = await mcpServer(t, (msg, req, res) => {
      if (msg.method !== 'tools/call') return false;
      const { name } = msg.params;
      if (name === 'unknown') {
        // A coding neither client knows, over gzip: nothing is decoded, the core gets the gzip bytes.
        const body = bomb(msg.id, 15, false);
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip, x-mystery' });
        res.end(body);
        return true;
      }
      if (name === 'six') {
        let body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { content: [] } }));
        for (let i = 0; i < 6; i++) body = zlib.gzipSync(body);
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': Array(6).fill('gzip').join(', ') });
        res.end(body);
        return true;
      }
      return false;
    });
    const pool = poolFor(t, { httpClient, circuitBreakerThreshold: 0 });
    pool.registerHttp('s', server.url);
    const c = await pool.get('s');
    const before = rssMiB();
    const unknown = await rejectsWith(c.callTool('unknown', {}), 'PROTOCOL_ERROR', { server: 's' });
    assert.match(unknown.message, /not valid UTF-8/, "the gzip bytes themselves reached the core");
    const six = await rejectsWith(c.callTool('six', {}), 'NETWORK_ERROR', { server: 's' });
    assert.match(six.message, /too many content-encodings/);
    const grown = rssMiB() - before;
    t.diagnostic(`RSS grew ${grown} MiB`);
    assert.ok(grown < 256, `memory stayed bounded (RSS grew ${grown} MiB)`);
    c.release();
    await answersNormally(pool);
  });
}

test('[node] the Node client decodes no further ahead of its reader than one decoder chunk, stacked codings too', async (t) => {
  // The client itself (the file the package's Node entry installs), driven as the wasm side does:
  // read the head, then a few chunks, then stop reading; count what each gunzip stage produced.
  const { fetch, Abort } = await import(new URL('./node_modules/mcp-edge-pool/node_undici.mjs', import.meta.url));
  const stacked = zlib.gzipSync(bomb(1, 15, false), { level: 9 });
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip, gzip', 'content-length': String(stacked.length) });
    res.end(stacked);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const produced = [];
  const push = zlib.Gunzip.prototype.push;
  zlib.Gunzip.prototype.push = function (chunk) {
    if (this.stage === undefined) this.stage = produced.push(0) - 1;
    if (chunk) produced[this.stage] += chunk.length;
    return push.call(this, chunk);
  };
  defer(t, () => { zlib.Gunzip.prototype.push = push; });
  const head = await fetch(`http://127.0.0.1:${server.address().port}/mcp`, 'POST', '', '{}', new Abort(), MiB);
  assert.equal(head[0], 200);
  let read = head[5].reduce((n, c) => n + c.length, 0);
  assert.ok(read > MiB && read <= MiB + 64 * 1024, `read ahead before the head: ${read} bytes (maxBuffered 1 MiB, plus one chunk)`);
  for (let i = 0; i < 16; i++) read += (await head[6].read()).value.length;
  // Time for anything unbounded to run ahead (none must).
  await sleep(300);
  const decoded = Math.max(...produced);
  t.diagnostic(`read ${read} bytes; the stages produced ${produced.join(' and ')} bytes`);
  assert.equal(produced.length, 2, 'two gunzip stages');
  assert.ok(decoded - read <= 64 * 1024, `decoded ${decoded - read} bytes ahead of the reader`);
  await head[6].cancel();
});

// --- D4: secrets a server echoes back are redacted ------------------------------------------------

for (const httpClient of CLIENTS) {
  test(`[${httpClient}] a server that echoes the request's credentials in its errors gets them redacted`, async (t) => {
    const KEY = 'key-SECRET-71c2e9';
    const TOKEN = 'tok-SECRET-5d8a0b';
    const echo = (req) => Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`).join('; ');
    const server = await mcpServer(t, (msg, req, res) => {
      if (msg.method !== 'tools/call') return false;
      if (msg.params.name === 'http') {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`refused: ${echo(req)}`);
        return true;
      }
      if (msg.params.name === 'rpc') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32000, message: `bad: ${echo(req)}`, data: { sent: req.headers } } }));
        return true;
      }
      return false;
    });
    const pool = poolFor(t, { httpClient });
    pool.registerHttp('s', server.url, { headers: { 'X-Api-Key': KEY }, tokenProvider: async () => TOKEN });
    const c = await pool.get('s');
    const errors = [
      await rejectsWith(c.callTool('http', {}), 'HTTP_ERROR', { status: 500 }),
      await rejectsWith(c.callTool('rpc', {}), 'RPC_ERROR', { rpcCode: -32000 }),
    ];
    const sid = server.state.requests.find((r) => r.headers['mcp-session-id'])?.headers['mcp-session-id'];
    assert.ok(sid, 'the session has an id');
    assert.ok(server.state.requests.some((r) => r.headers.authorization === `Bearer ${TOKEN}`), 'the token was sent');
    for (const e of errors) {
      const text = `${e.message} ${JSON.stringify(e.data ?? null)}`;
      for (const secret of [KEY, TOKEN, sid]) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
      assert.match(text, /\[redacted\]/);
    }
    c.release();
    await answersNormally(pool);
  });
}

// --- Smaller ones ----------------------------------------------------------------------------------

for (const httpClient of CLIENTS) {
  test(`[${httpClient}] a cross-origin redirect (allowed) does not carry the Authorization header`, async (t) => {
    const target = await mcpServer(t);
    const origin = await mcpServer(t, (msg, req, res) => {
      res.writeHead(307, { location: target.url });
      res.end();
      return true;
    });
    assert.notEqual(new URL(origin.url).origin, new URL(target.url).origin);
    const pool = poolFor(t, { httpClient });
    pool.registerHttp('s', origin.url, {
      allowCrossOriginRedirects: true,
      headers: { Authorization: 'Bearer tok-SECRET-redirect', 'X-Other': 'kept' },
    });
    await answersNormally(pool);
    assert.ok(origin.state.requests.every((r) => r.headers.authorization === 'Bearer tok-SECRET-redirect'));
    assert.ok(target.state.requests.length > 0, 'the redirects were followed');
    assert.ok(target.state.requests.every((r) => r.headers.authorization === undefined), 'no Authorization at the other origin');
    assert.ok(target.state.requests.every((r) => r.headers['x-other'] === 'kept'), 'other registered headers follow, as with fetch');
  });

  test(`[${httpClient}] a 100 KB response head whose end arrives after the limit was passed is refused; the pool goes on`, async (t) => {
    const server = await mcpServer(t, (msg, req) => {
      if (msg.method !== 'tools/call' || msg.params.name !== 'heads') return false;
      // ~7,000 small headers (100 KB, over the 64 KiB head limit), in two writes: 60 KB without
      // the head's end, then the rest with it. A limit checked only while the end is still to
      // come lets this through.
      const body = JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { content: [] } });
      const head = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n${'x-h: 0123456789\r\n'.repeat(6000)}\r\n${body}`);
      req.socket.write(head.subarray(0, 60_000));
      setTimeout(() => req.socket.end(head.subarray(60_000)), 50);
      return true;
    });
    const pool = poolFor(t, { httpClient });
    pool.registerHttp('s', server.url);
    const c = await pool.get('s');
    const error = await rejectsWith(c.callTool('heads', {}), 'NETWORK_ERROR', { server: 's' });
    // undici's limit: 64 KiB on the Node client, Node's 16 KiB on fetch.
    assert.match(error.message, /Headers Overflow/);
    c.release();
    await answersNormally(pool);
  });

  test(`[${httpClient}] a failing tokenProvider is AUTH_FAILED, and nothing was sent`, async (t) => {
    const server = await mcpServer(t);
    const pool = poolFor(t, { httpClient, circuitBreakerThreshold: 0 });
    let fail = true;
    pool.registerHttp('s', server.url, {
      tokenProvider: async () => { if (fail) throw new Error('vault unreachable'); return 'tok-ok'; },
    });
    const error = await rejectsWith(pool.get('s'), 'AUTH_FAILED', { server: 's' });
    assert.match(error.message, /vault unreachable/);
    assert.doesNotMatch(error.message, /answered HTTP/);
    assert.equal(error.status, undefined);
    assert.equal(server.state.requests.length, 0, 'nothing reached the server');
    fail = false;
    await answersNormally(pool);
  });

  test(`[${httpClient}] an over-long session id is refused for its length`, async (t) => {
    const server = await mcpServer(t, () => false, { sessionId: (n) => (n === 1 ? 'a'.repeat(2000) : `session-${n}`) });
    const pool = poolFor(t, { httpClient, circuitBreakerThreshold: 0 });
    pool.registerHttp('s', server.url);
    const error = await rejectsWith(pool.get('s'), 'CONNECT_FAILED', { server: 's' });
    assert.match(error.message, /2000 bytes long/);
    assert.doesNotMatch(error.message, /visible ASCII/);
    await answersNormally(pool);
  });
}

test('maxResponseBytes is at most 256 MiB', () => {
  assert.throws(() => new McpPool({ maxResponseBytes: 256 * MiB + 1 }), (e) => e.code === 'INVALID_CONFIG');
  new McpPool({ maxResponseBytes: 256 * MiB }).close();
});
