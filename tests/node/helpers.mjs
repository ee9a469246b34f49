// Shared helpers of the Node tests (not a test file itself: node --test only picks *.test.mjs).
// The package under test is imported by name, as a user would: scripts/test-node.sh installs
// the packed tarball into tests/node/node_modules.
import assert from 'node:assert/strict';
import http from 'node:http';
import { McpPool, McpPoolError } from 'mcp-edge-pool';
import { startTsServer, startPyServer } from '../js/servers.mjs';

export { startTsServer, startPyServer };

/** The three real-server flavours every applicable scenario runs against. */
export const FLAVOURS = [
  { name: 'TS SDK (stateful, SSE)', stateful: true, ts: true, start: () => startTsServer() },
  { name: 'Python SDK (stateful, SSE)', stateful: true, ts: false, start: () => startPyServer() },
  { name: 'Python SDK (stateless, JSON)', stateful: false, ts: false, start: () => startPyServer({ stateless: true }) },
];

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const cleanups = new WeakMap();

/**
 * Runs `fn` when the test ends, last registered first (so pools close before their servers
 * stop); every cleanup runs even if one fails.
 */
export function defer(t, fn) {
  let stack = cleanups.get(t);
  if (!stack) {
    stack = [];
    cleanups.set(t, stack);
    t.after(async () => {
      const errors = [];
      while (stack.length) {
        try { await stack.pop()(); } catch (e) { errors.push(e); }
      }
      if (errors.length) throw errors[0];
    });
  }
  stack.push(fn);
}

/** Starts a server of `flavour` and stops it when the test ends. */
export async function serverFor(t, flavour) {
  const server = await flavour.start();
  defer(t, () => server.stop());
  return server;
}

/** A pool closed when the test ends (close is idempotent, so tests may close it themselves). */
export function poolFor(t, options = {}) {
  const pool = new McpPool(options);
  defer(t, () => pool.close());
  return pool;
}

/**
 * Asserts that `what` (a promise, or a function that throws or returns one) fails with an
 * McpPoolError of `code`; checks `instanceof Error`, name, message, and any `fields` given.
 * Returns the error.
 */
export async function rejectsWith(what, code, fields = {}) {
  let error;
  try {
    await (typeof what === 'function' ? what() : what);
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `expected an McpPoolError with code ${code}, but nothing was thrown`);
  assertPoolError(error, code, fields);
  return error;
}

/** Synchronous variant of rejectsWith, for methods that throw. */
export function throwsWith(fn, code, fields = {}) {
  let error;
  try {
    const r = fn();
    assert.ok(!(r instanceof Promise), 'expected a synchronous throw, got a promise');
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `expected an McpPoolError with code ${code}, but nothing was thrown`);
  assertPoolError(error, code, fields);
  return error;
}

export function assertPoolError(error, code, fields = {}) {
  assert.ok(error instanceof Error, `expected an Error instance, got ${Object.prototype.toString.call(error)}: ${error}`);
  assert.ok(error instanceof McpPoolError, `expected an McpPoolError instance: ${error}`);
  assert.equal(error.name, 'McpPoolError', `error name (message: ${error.message})`);
  assert.equal(error.code, code, `error code (message: ${error.message})`);
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0, 'error has a message');
  for (const [k, v] of Object.entries(fields)) assert.deepEqual(error[k], v, `error.${k} (message: ${error.message})`);
}

/** Waits until `predicate()` is truthy, polling every `step` ms, for at most `timeout` ms. */
export async function until(predicate, { timeout = 5000, step = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(step);
  }
}

// ---------- a raw MCP client (plain fetch), to know exactly what a server sends ----------

const VERSION = '2025-11-25';

function parseReply(text, contentType, id) {
  if (!text) return null;
  if (!contentType?.startsWith('text/event-stream')) return JSON.parse(text);
  const messages = text.split(/\r?\n\r?\n/).map((ev) =>
    ev.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n'))
    .filter(Boolean).map((d) => JSON.parse(d));
  return messages.find((m) => m.id === id) ?? null;
}

/** Opens a session with plain fetch; `request(method, params)` resolves to the raw JSON-RPC message. */
export async function rawSession(url) {
  let sid = null;
  let nextId = 1;
  const post = async (msg) => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (sid) Object.assign(headers, { 'mcp-session-id': sid, 'mcp-protocol-version': VERSION });
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(msg) });
    const text = await res.text();
    return { res, body: parseReply(text, res.headers.get('content-type'), msg.id) };
  };
  const init = await post({
    jsonrpc: '2.0', id: nextId++, method: 'initialize',
    params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
  });
  assert.equal(init.res.status, 200);
  sid = init.res.headers.get('mcp-session-id');
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return {
    async request(method, params) {
      const { body } = await post({ jsonrpc: '2.0', id: nextId++, method, ...(params ? { params } : {}) });
      return body;
    },
    async close() {
      if (sid) await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': sid, 'mcp-protocol-version': VERSION } });
    },
  };
}

// ---------- a recording reverse proxy (loopback), to see the requests the pool makes ----------

/**
 * A loopback HTTP proxy in front of `target` (an http://127.0.0.1:port/... URL) that records
 * every request's method, headers and body. Returns { url, requests, close() }.
 */
export async function recordingProxy(target) {
  const upstream = new URL(target);
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    requests.push({ method: req.method, headers: { ...req.headers }, body: body.toString('utf8') });
    const headers = { ...req.headers, host: upstream.host };
    const up = http.request({
      host: upstream.hostname, port: upstream.port, path: upstream.pathname, method: req.method, headers,
    }, (upRes) => {
      res.writeHead(upRes.statusCode, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    up.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/mcp`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * Records the process's unhandled promise rejections during a test (a library that leaves one
 * behind would crash a Node app, whose default is --unhandled-rejections=throw). With a listener
 * installed the test process survives, so the test can assert on the list instead.
 */
export function unhandledRejections(t) {
  const seen = [];
  const listener = (reason) => seen.push(reason);
  process.on('unhandledRejection', listener);
  t.after(() => process.off('unhandledRejection', listener));
  return {
    seen,
    describe: () => seen.map((r) => `${r?.name}: ${r?.message}${r?.cause?.code ? ` (${r.cause.code})` : ''}`),
  };
}
