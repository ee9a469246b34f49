// A misbehaving server, made deterministic with a tiny loopback fake (the real SDK servers never
// do these things on purpose): connections cut mid-response, HTTP errors, wrong content types,
// oversized answers. Every fault is a typed McpPoolError, no promise rejection is left unhandled
// (Node would exit on one), and the pool recovers for the next getter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { poolFor, rejectsWith, sleep, defer, unhandledRejections } from './helpers.mjs';

/**
 * A fake MCP server: answers initialize (JSON, with a session id), accepts notifications and
 * DELETE, and hands every other request to `onRequest(msg, res)`. Returns { url, counts }.
 */
async function fakeServer(t, onRequest) {
  const counts = { initialize: 0, deleted: 0, requests: 0, notifications: [] };
  const server = http.createServer(async (req, res) => {
    if (req.method === 'DELETE') { counts.deleted++; res.writeHead(200); return res.end(); }
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
    if (msg.id === undefined) { counts.notifications.push(msg); res.writeHead(202); return res.end(); }
    counts.requests++;
    onRequest(msg, res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${server.address().port}/mcp`, counts };
}

const ok = (msg, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: 'fine' }] } }));
};

/** The fault for calls of tool `fault`, a normal answer for everything else. */
function faulty(fault) {
  return (msg, res) => (msg.params?.name === 'fault' ? fault(msg, res) : ok(msg, res));
}

const FAULTS = [
  {
    name: 'SSE stream cut after the headers',
    code: 'NETWORK_ERROR',
    evicts: true,
    fault: (msg, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': keep-alive\n\n');
      setTimeout(() => res.socket.destroy(), 30);
    },
  },
  {
    name: 'SSE stream cut in the middle of an event',
    code: 'NETWORK_ERROR',
    evicts: true,
    fault: (msg, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: message\ndata: {"jsonrpc":"2.0","id":${msg.id},"res`);
      setTimeout(() => res.socket.destroy(), 30);
    },
  },
  {
    name: 'JSON body cut short',
    code: 'NETWORK_ERROR',
    evicts: true,
    fault: (msg, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"jsonrpc":"2.0",');
      setTimeout(() => res.socket.destroy(), 30);
    },
  },
  {
    name: 'connection closed before any response',
    code: 'NETWORK_ERROR',
    evicts: true,
    fault: (msg, res) => res.socket.destroy(),
  },
  // A stream that ends cleanly before its response (a server restart, a proxy's idle cut) and
  // one whose connection breaks are the same class for a caller: NETWORK_ERROR, session replaced.
  {
    name: 'SSE stream that ends cleanly without the response',
    code: 'NETWORK_ERROR',
    evicts: true,
    fault: (msg, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}}\n\n');
    },
  },
  {
    name: 'SSE stream whose connection breaks before the response',
    code: 'NETWORK_ERROR',
    evicts: true,
    fault: (msg, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}}\n\n');
      setTimeout(() => res.socket.destroy(), 20);
    },
  },
  {
    name: 'HTTP 500',
    code: 'HTTP_ERROR',
    fields: { status: 500 },
    fault: (msg, res) => { res.writeHead(500, { 'content-type': 'text/plain' }); res.end('boom'); },
  },
  {
    name: 'text/html instead of JSON or SSE',
    code: 'PROTOCOL_ERROR',
    fault: (msg, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html></html>'); },
  },
  {
    name: 'malformed JSON',
    code: 'PROTOCOL_ERROR',
    fault: (msg, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"jsonrpc":'); },
  },
  {
    name: 'a response with another id',
    code: 'PROTOCOL_ERROR',
    fault: (msg, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: 987654, result: {} }));
    },
  },
  {
    name: 'a JSON-RPC error with data',
    code: 'RPC_ERROR',
    fields: { rpcCode: -32042, data: { why: ['because', 1] } },
    fault: (msg, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32042, message: 'nope', data: { why: ['because', 1] } } }));
    },
  },
  {
    name: 'an answer larger than maxResponseBytes',
    code: 'RESPONSE_TOO_LARGE',
    fault: (msg, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: 'x'.repeat(4096) }] } }));
    },
  },
];

for (const f of FAULTS) {
  test(`fault: ${f.name} -> ${f.code}`, async (t) => {
    const unhandled = unhandledRejections(t);
    const fake = await fakeServer(t, faulty(f.fault));
    const pool = poolFor(t, { maxConnectionsPerServer: 1, maxResponseBytes: 2048, requestTimeoutMs: 3000 });
    pool.registerHttp('s', fake.url);
    const c = await pool.get('s');
    assert.equal((await c.callTool('echo', {})).content[0].text, 'fine');
    const err = await rejectsWith(c.callTool('fault', {}), f.code, { server: 's', ...(f.fields ?? {}) });
    t.diagnostic(err.message);
    c.release();
    await sleep(100); // an unhandled rejection would surface by now
    assert.deepEqual(unhandled.describe(), [], 'no unhandled promise rejection');

    // The next getter gets a working session: the same one, or a new one if this one was broken.
    const next = await pool.get('s');
    assert.equal((await next.callTool('echo', {})).content[0].text, 'fine');
    next.release();
    const expected = f.evicts ? 2 : 1;
    assert.equal(fake.counts.initialize, expected, f.evicts ? 'the broken session was replaced' : 'the session was kept');
    assert.equal(pool.stats().totalConnections, expected);
  });
}

test('fault: a server that never answers -> REQUEST_TIMEOUT, and notifications/cancelled is sent', async (t) => {
  const ids = [];
  const fake = await fakeServer(t, faulty((msg) => ids.push(msg.id))); // never answers `fault`
  const pool = poolFor(t, { requestTimeoutMs: 150 });
  pool.registerHttp('s', fake.url);
  const c = await pool.get('s');
  const t0 = Date.now();
  await rejectsWith(c.callTool('fault', {}), 'REQUEST_TIMEOUT', { server: 's' });
  assert.ok(Date.now() - t0 < 1000);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  await rejectsWith(c.callTool('fault', {}, { signal: ac.signal, timeoutMs: 5000 }), 'ABORTED');
  assert.equal((await c.callTool('echo', {})).content[0].text, 'fine');
  c.release();
  const cancelled = fake.counts.notifications.filter((n) => n.method === 'notifications/cancelled');
  assert.deepEqual(cancelled.map((n) => n.params.requestId), ids, 'one notifications/cancelled per abandoned request, with its id');
  assert.equal(ids.length, 2);
  for (const n of cancelled) assert.equal(typeof n.params.reason, 'string');
  assert.equal(fake.counts.initialize, 1, 'a timeout or an abort keeps the session');
});
