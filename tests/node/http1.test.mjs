// HTTP/1.1 at the wire, through both HTTP clients of the Node package (undici's request API, the
// default `httpClient: "node"`, and the global fetch): keep-alive reuse, connections the server
// closes, informational answers, chunk extensions and trailers, bodies read to the close, heads
// split byte by byte, responses that are not HTTP/1.1 (the call fails, the pool goes on), and a
// request never sent twice. The servers are real TCP servers on 127.0.0.1; the scripted ones
// (node:net) write the exact bytes under test. (What is left of the tests of the package's former
// HTTP/1.1 parser, js/node_http.mjs: undici parses now, and its error messages are its own.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { poolFor, rejectsWith, sleep, defer, unhandledRejections } from './helpers.mjs';

const CLIENTS = ['node', 'fetch'];

/** The JSON-RPC answer of a minimal MCP server to `msg`, or null for a notification (202). */
function mcpAnswer(msg, text) {
  if (msg.id === undefined) return null;
  const result = msg.method === 'initialize'
    ? { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'wire', version: '0' } }
    : msg.method === 'tools/list'
    ? { tools: [{ name: 'echo', inputSchema: { type: 'object' } }] }
    : { content: [{ type: 'text', text: text ?? `echo ${msg.params?.arguments?.message}` }] };
  return JSON.stringify({ jsonrpc: '2.0', id: msg.id, result });
}

/**
 * A node:http MCP server counting the TCP connections it accepted. `headers` go on every answer;
 * with `closeIdleAfterMs` it ends each connection that long after an answer (a short keep-alive).
 */
async function countingServer(t, { headers = {}, closeIdleAfterMs } = {}) {
  const stats = { connections: 0, requests: 0 };
  const server = http.createServer(async (req, res) => {
    stats.requests++;
    if (req.method === 'DELETE') { res.writeHead(200); return res.end(); }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const answer = mcpAnswer(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    if (answer === null) { res.writeHead(202); return res.end(); }
    res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'wire-1', ...headers });
    res.end(answer);
    // A short keep-alive: the server ends the connection soon after each answer (a FIN, no RST).
    if (closeIdleAfterMs !== undefined) {
      const socket = req.socket;
      setTimeout(() => { if (socket._httpMessage === null) socket.end(); }, closeIdleAfterMs);
    }
  });
  server.on('connection', () => stats.connections++);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${server.address().port}/mcp`, stats };
}

/**
 * A scripted MCP server over node:net: parses each request (head + content-length body) and
 * writes `respond(msg, answerJson, socket)` — a Buffer/string, or an array of pieces written one
 * per event-loop turn — as the whole raw response. Notifications get a 202. `socket.requests`
 * counts the requests read on that connection. Returns { url, stats: { connections } }.
 */
async function scriptedServer(t, respond) {
  const sockets = new Set();
  const stats = { connections: 0 };
  const server = net.createServer((socket) => {
    stats.connections++;
    socket.requests = 0;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    socket.on('data', async (d) => {
      buffered = Buffer.concat([buffered, d]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const body = buffered.subarray(end + 4, end + 4 + length).toString('utf8');
        buffered = buffered.subarray(end + 4 + length);
        socket.requests++;
        if (head.startsWith('DELETE')) { socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'); continue; }
        const msg = JSON.parse(body);
        const answer = mcpAnswer(msg);
        if (answer === null) { socket.write('HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n'); continue; }
        if (msg.method === 'initialize') {
          socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nmcp-session-id: s-1\r\ncontent-length: ${Buffer.byteLength(answer)}\r\n\r\n${answer}`);
          continue;
        }
        const out = respond(msg, answer, socket);
        for (const piece of Array.isArray(out) ? out : [out]) {
          if (socket.destroyed) break;
          socket.write(piece);
          if (Array.isArray(out)) await sleep(0);
        }
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${server.address().port}/mcp`, stats };
}

const json = (answer, extra = '') =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${extra}content-length: ${Buffer.byteLength(answer)}\r\n\r\n${answer}`;

for (const httpClient of CLIENTS) {
  test(`[${httpClient}] keep-alive: sequential calls reuse their connections, a burst opens one per call and then reuses them`, async (t) => {
    const server = await countingServer(t);
    const pool = poolFor(t, { httpClient, maxConnectionsPerServer: 1 });
    pool.registerHttp('s', server.url);
    const c = await pool.get('s');
    for (let i = 0; i < 20; i++) assert.equal((await c.callTool('echo', { message: i })).content[0].text, `echo ${i}`);
    // undici (both clients) waits one event-loop turn before it reuses a connection whose answer
    // just ended, so a request sent at once opens a second one; from then on the two take turns.
    const sequential = server.stats.connections;
    assert.ok(sequential <= 2, `initialize, its notification and 20 calls took ${sequential} connections`);
    await Promise.all(Array.from({ length: 4 }, (_, i) => c.callTool('echo', { message: i })));
    const afterBurst = server.stats.connections;
    assert.ok(afterBurst - sequential <= 4, `4 concurrent calls: at most one new connection each (${afterBurst - sequential})`);
    await Promise.all(Array.from({ length: 4 }, (_, i) => c.callTool('echo', { message: i })));
    assert.equal(server.stats.connections, afterBurst, 'the second burst reused the idle connections');
    c.release();
  });

  test(`[${httpClient}] a connection the server closes while idle is not reused, and the next call opens a new one`, async (t) => {
    const server = await countingServer(t, { closeIdleAfterMs: 30 });
    const pool = poolFor(t, { httpClient, maxConnectionsPerServer: 1 });
    pool.registerHttp('s', server.url);
    const c = await pool.get('s');
    for (let i = 0; i < 3; i++) {
      await sleep(150);
      assert.equal((await c.callTool('echo', { message: i })).content[0].text, `echo ${i}`);
    }
    assert.ok(server.stats.connections >= 4, `each call after an idle close had a new connection (${server.stats.connections})`);
    c.release();
  });

  test(`[${httpClient}] "Connection: close" answers are honoured: every request gets a fresh connection and succeeds`, async (t) => {
    const server = await countingServer(t, { headers: { connection: 'close' } });
    const pool = poolFor(t, { httpClient, maxConnectionsPerServer: 1 });
    pool.registerHttp('s', server.url);
    const c = await pool.get('s');
    for (let i = 0; i < 5; i++) assert.equal((await c.callTool('echo', { message: i })).content[0].text, `echo ${i}`);
    c.release();
    assert.ok(server.stats.connections >= 6, `one connection per closing answer (${server.stats.connections})`);
  });

  test(`[${httpClient}] wire shapes: an informational head, chunk extensions and trailers, a body read to the close, a head split byte by byte`, async (t) => {
    const unhandled = unhandledRejections(t);
    const { url } = await scriptedServer(t, (msg, answer, socket) => {
      const shape = msg.params?.arguments?.message;
      // 103 Early Hints. (An unasked-for 100 Continue is refused by undici as a bad response.)
      if (shape === 'informational') return `HTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n${json(answer)}`;
      if (shape === 'chunked') {
        const half = Math.floor(answer.length / 2);
        const a = answer.slice(0, half);
        const b = answer.slice(half);
        return [
          'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n',
          `${a.length.toString(16)};name=value\r\n${a}\r\n`,
          `${b.length.toString(16).toUpperCase()}\r\n${b}\r`,
          '\n0\r\nx-trailer: 1\r\n\r\n',
        ];
      }
      if (shape === 'to-close') {
        setTimeout(() => socket.end(), 20);
        return [`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n${answer.slice(0, 10)}`, answer.slice(10)];
      }
      if (shape === 'split') return [...json(answer)].map((ch) => ch);
      if (shape === 'sse') {
        const event = `event: message\ndata: ${answer}\n\n`;
        return [`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n`,
          `${Buffer.byteLength(event).toString(16)}\r\n${event}\r\n`, '0\r\n\r\n'];
      }
      return json(answer);
    });
    const pool = poolFor(t, { httpClient, maxConnectionsPerServer: 1, requestTimeoutMs: 5000 });
    pool.registerHttp('s', url);
    const c = await pool.get('s');
    for (const shape of ['informational', 'chunked', 'to-close', 'split', 'sse', 'plain']) {
      assert.equal((await c.callTool('echo', { message: shape })).content[0].text, `echo ${shape}`, shape);
    }
    c.release();
    await sleep(50);
    assert.deepEqual(unhandled.describe(), [], 'no unhandled promise rejection');
  });

  test(`[${httpClient}] responses that are not HTTP/1.1 fail the call, and the next call works`, async (t) => {
    const unhandled = unhandledRejections(t);
    const { url } = await scriptedServer(t, (msg, answer) => {
      switch (msg.params?.arguments?.message) {
        case 'garbage': return 'SSH-2.0-OpenSSH\r\n\r\n';
        case 'huge-head': return `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(70 * 1024)}\r\n`;
        case 'bad-chunk': return 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n';
        case 'bad-length': return 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: -1\r\n\r\n';
        case 'gzip-te': return 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n';
        case 'extra-bytes': return `${json(answer)}HTTP/1.1 200 OK\r\n\r\n`;
        default: return json(answer);
      }
    });
    const pool = poolFor(t, { httpClient, maxConnectionsPerServer: 1, requestTimeoutMs: 5000, circuitBreakerThreshold: 0 });
    pool.registerHttp('s', url);
    const c = await pool.get('s');
    // undici names the fault (the same words on both clients); a transfer coding it does not
    // decode (gzip under chunked) reaches the core as the body, which is then no JSON.
    const faults = {
      garbage: ['NETWORK_ERROR', /does not match the HTTP\/1\.1 protocol/],
      'huge-head': ['NETWORK_ERROR', /Headers Overflow/],
      'bad-chunk': ['NETWORK_ERROR', /does not match the HTTP\/1\.1 protocol \(Invalid character in chunk size\)/],
      'bad-length': ['NETWORK_ERROR', /does not match the HTTP\/1\.1 protocol \(Invalid character in Content-Length\)/],
      'gzip-te': ['PROTOCOL_ERROR', /malformed JSON-RPC message/],
    };
    for (const [shape, [code, why]] of Object.entries(faults)) {
      const e = await rejectsWith(c.callTool('echo', { message: shape }), code, { server: 's' });
      assert.match(e.message, why, `${shape}: ${e.message}`);
      assert.equal((await c.callTool('echo', { message: 'after' })).content[0].text, 'echo after', `the call after ${shape}`);
    }
    // Bytes after a complete response: the answer stands, the connection is dropped, and the next call works.
    assert.equal((await c.callTool('echo', { message: 'extra-bytes' })).content[0].text, 'echo extra-bytes');
    assert.equal((await c.callTool('echo', { message: 'after' })).content[0].text, 'echo after');
    c.release();
    await sleep(50);
    assert.deepEqual(unhandled.describe(), [], 'no unhandled promise rejection');
  });
}

test('headers that frame the message are refused at registration, in every runtime', (t) => {
  const pool = poolFor(t);
  for (const name of ['Content-Length', 'transfer-encoding', 'Connection', 'Keep-Alive', 'Upgrade', 'TE', 'Expect']) {
    assert.throws(() => pool.registerHttp('s', 'http://127.0.0.1:9/mcp', { headers: { [name]: 'x' } }),
      (e) => e.code === 'INVALID_CONFIG' && e.message.includes(name), name);
  }
  // Nothing was half-registered: the name is still free.
  pool.registerHttp('s', 'http://127.0.0.1:9/mcp', { headers: { 'x-fine': 'x' } });
});

for (const httpClient of CLIENTS) test(`[${httpClient}] a request whose kept-alive connection closes before any answer is not sent again: NETWORK_ERROR, sent once`, async (t) => {
  const unhandled = unhandledRejections(t);
  const attempts = {};
  const { url, stats } = await scriptedServer(t, (msg, answer, socket) => {
    const shape = msg.params?.arguments?.message;
    attempts[shape] = (attempts[shape] ?? 0) + 1;
    // The server read the request on a reused connection and closed it without an answer: it
    // may have run it, so the client must not replay it (a tools/call runs at most once).
    if (shape === 'stale' && socket.requests > 1) {
      socket.destroy();
      return [];
    }
    return json(answer);
  });
  const pool = poolFor(t, { httpClient, maxConnectionsPerServer: 1, requestTimeoutMs: 5000, circuitBreakerThreshold: 0 });
  pool.registerHttp('s', url);
  const c = await pool.get('s');
  assert.equal((await c.callTool('echo', { message: 'warm' })).content[0].text, 'echo warm');
  const before = stats.connections;
  const e = await rejectsWith(c.callTool('echo', { message: 'stale' }), 'NETWORK_ERROR', { server: 's' });
  assert.match(e.message, /other side closed|ECONNRESET|EPIPE/);
  assert.equal(attempts.stale, 1, 'sent once');
  assert.equal(stats.connections, before, 'no new connection for a replay');
  assert.equal((await c.callTool('echo', { message: 'after' })).content[0].text, 'echo after');
  c.release();
  await sleep(50);
  assert.deepEqual(unhandled.describe(), [], 'no unhandled promise rejection');
});
