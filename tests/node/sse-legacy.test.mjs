// The older HTTP+SSE transport (protocol 2024-11-05) against the official TS SDK's
// SSEServerTransport (tests/servers/ts_server.mjs --sse-legacy): POST /mcp is 405, so the pool
// falls back to GET /mcp, POSTs to the endpoint the stream names and reads every answer from the
// stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertPoolError, defer, poolFor, rejectsWith, startTsServer, until, unhandledRejections } from './helpers.mjs';

async function legacyServer(t, options = {}) {
  const server = await startTsServer({ sseLegacy: true, ...options });
  defer(t, () => server.stop());
  return server;
}

test('HTTP+SSE: falls back on 405 and calls tools, with progress and an elicitation handler', async (t) => {
  const unhandled = unhandledRejections(t);
  const server = await legacyServer(t);
  const pool = poolFor(t);
  const asked = [];
  pool.registerHttp('old', server.url, {
    handlers: {
      elicitation: async (params) => { asked.push(params.message); return { action: 'accept', content: { name: 'Ada' } }; },
    },
  });
  const c = await pool.get('old');
  let stats = await server.stats();
  assert.equal(stats.posts, 2, 'Streamable HTTP was tried first: one initialize POST to /mcp (refused), then the era probe (server/discover, refused)');
  assert.equal(stats.sseStreams, 1, 'then one GET stream');
  assert.deepEqual(stats.offeredVersions, ['2024-11-05'], 'initialize over HTTP+SSE offers 2024-11-05');

  const echo = await c.callTool('echo', { message: 'over the old transport' });
  assert.deepEqual(echo.content, [{ type: 'text', text: 'over the old transport' }]);
  const sum = await c.callTool('add', { a: 2, b: 3 });
  assert.deepEqual(sum.structuredContent, { sum: 5 });

  const seen = [];
  const progress = await c.callTool('progress', { steps: 3, ms: 10 }, { onProgress: (p) => seen.push(p.progress) });
  assert.deepEqual(progress.content, [{ type: 'text', text: 'done 3' }]);
  assert.deepEqual(seen, [1, 2, 3]);

  const elicited = JSON.parse((await c.callTool('elicit', {})).content[0].text);
  assert.deepEqual(elicited, { action: 'accept', content: { name: 'Ada' } });
  assert.deepEqual(asked, ['Your name?']);

  const tools = await c.listTools();
  assert.ok(tools.tools.some((tool) => tool.name === 'echo'));
  await c.ping();
  c.release();

  stats = await server.stats();
  assert.equal(stats.sseStreams, 1, 'one stream for the whole session');
  assert.equal(stats.initialize, 1);
  assert.equal(stats.sessions, 1);
  await pool.close();
  await until(async () => (await server.stats()).sessions === 0, { what: 'closing aborts the stream' });
  assert.deepEqual(unhandled.seen, []);
});

test('HTTP+SSE: concurrent leases share sessions and get their own answers (matched by id)', async (t) => {
  const server = await legacyServer(t);
  const pool = poolFor(t, { maxConnectionsPerServer: 2 });
  pool.registerHttp('old', server.url);
  const clients = await Promise.all(Array.from({ length: 8 }, () => pool.get('old')));
  const results = await Promise.all(clients.map(async (c, i) => {
    // Uneven delays, so answers come back in another order than the requests went out.
    const slow = c.callTool('slow', { ms: (8 - i) * 15 });
    const echo = await c.callTool('echo', { message: `agent ${i}` });
    return [echo.content[0].text, (await slow).content[0].text];
  }));
  results.forEach(([echo, slow], i) => {
    assert.equal(echo, `agent ${i}`);
    assert.equal(slow, 'done');
  });
  for (const c of clients) c.release();
  const stats = await server.stats();
  assert.equal(stats.sseStreams, 2, 'two sessions, one stream each');
  assert.equal(stats.toolCalls.echo, 8);
  assert.equal(pool.stats().totalConnections, 2);
});

test('HTTP+SSE: a timeout cancels on the endpoint; a stream that ends fails typed and the pool reopens', async (t) => {
  const server = await legacyServer(t);
  const pool = poolFor(t, { maxConnectionsPerServer: 1 });
  pool.registerHttp('old', server.url);
  const c = await pool.get('old');
  await rejectsWith(c.callTool('slow', { ms: 5_000 }, { timeoutMs: 150 }), 'REQUEST_TIMEOUT');
  await until(async () => (await server.stats()).cancelled === 1, { what: 'notifications/cancelled' });
  await until(async () => (await server.stats()).aborted === 1, { what: 'the tool saw the cancel' });
  assert.equal((await c.callTool('echo', { message: 'still fine' })).content[0].text, 'still fine');

  // The server drops every stream while a call is in flight.
  const inFlight = c.callTool('slow', { ms: 5_000 }).then(() => null, (e) => e);
  await until(async () => (await server.stats()).toolCalls.slow === 2, { what: 'the call reached the tool' });
  await server.expire();
  assertPoolError(await inFlight, 'NETWORK_ERROR', { server: 'old' });
  await rejectsWith(c.callTool('echo', { message: 'x' }), 'SESSION_CLOSED');
  c.release();

  const d = await pool.get('old');
  assert.equal((await d.callTool('echo', { message: 'new session' })).content[0].text, 'new session');
  d.release();
  assert.equal((await server.stats()).sseStreams, 2, 'a new session, with a new stream');
});

test('HTTP+SSE: an endpoint on another origin is refused with CROSS_ORIGIN_ENDPOINT', async (t) => {
  const server = await legacyServer(t, { sseCrossOrigin: true });
  const pool = poolFor(t, { circuitBreakerThreshold: 0 });
  pool.registerHttp('old', server.url);
  const error = await rejectsWith(pool.get('old'), 'CROSS_ORIGIN_ENDPOINT', { server: 'old' });
  assert.match(error.message, /localhost/);
  const stats = await server.stats();
  assert.equal(stats.sseStreams, 1);
  assert.equal(stats.ssePosts, 0, 'nothing was posted to the other origin');
});

test('HTTP+SSE: transport "streamable-http" does not fall back; "sse" skips the probe', async (t) => {
  const server = await legacyServer(t);
  const pool = poolFor(t, { circuitBreakerThreshold: 0 });
  pool.registerHttp('strict', server.url, { transport: 'streamable-http' });
  pool.registerHttp('pinned', server.url, { transport: 'sse' });
  await rejectsWith(pool.get('strict'), 'CONNECT_FAILED', { status: 405 });
  assert.equal((await server.stats()).sseStreams, 0);
  const c = await pool.get('pinned');
  assert.equal((await c.callTool('echo', { message: 'pinned' })).content[0].text, 'pinned');
  c.release();
  const stats = await server.stats();
  assert.equal(stats.posts, 2, 'only the strict one POSTed to /mcp (initialize, then the era probe)');
  assert.equal(stats.sseStreams, 1);
  assert.throws(() => pool.registerHttp('bad', server.url, { transport: 'websocket' }), (e) => e.code === 'INVALID_CONFIG');
});
