// Resumable SSE answers against the official TS SDK's Streamable HTTP server with an event store
// (tests/servers/ts_server.mjs --resumable): an answer that drops before its response is resumed
// with GET + Last-Event-ID after the server's retry delay; without event ids it fails typed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defer, poolFor, rejectsWith, startTsServer, unhandledRejections } from './helpers.mjs';
import { proxyFor } from './fault-support.mjs';

const RETRY_MS = 300;

async function tsServer(t, options) {
  const server = await startTsServer(options);
  defer(t, () => server.stop());
  return server;
}

test('resume: the server closes the answer stream (closeSSEStream); the call resumes after retry', async (t) => {
  const unhandled = unhandledRejections(t);
  const server = await tsServer(t, { resumable: true, retryMs: RETRY_MS });
  const proxy = await proxyFor(t, server.url);
  const pool = poolFor(t);
  pool.registerHttp('s', proxy.url);
  const c = await pool.get('s');
  const started = performance.now();
  const r = await c.callTool('interrupt', { ms: 50 });
  const elapsed = performance.now() - started;
  assert.deepEqual(r.content, [{ type: 'text', text: 'answered after the stream was closed' }]);
  assert.ok(elapsed >= RETRY_MS * 0.9, `waited the retry delay (${elapsed.toFixed(0)} ms)`);
  const gets = proxy.log.filter((e) => e.httpMethod === 'GET');
  assert.equal(gets.length, 1, 'one resuming GET');
  assert.equal(typeof gets[0].lastEventId, 'string');
  assert.ok(gets[0].lastEventId.length > 0, 'with Last-Event-ID');
  assert.equal(gets[0].session, true, 'with the session id');
  assert.equal(gets[0].status, 200);
  assert.equal(proxy.log.filter((e) => e.tool === 'interrupt').length, 1, 'the call is not sent again');
  assert.equal((await server.stats()).toolCalls.interrupt, 1);
  assert.equal((await c.callTool('echo', { message: 'after' })).content[0].text, 'after');
  c.release();
  assert.deepEqual(unhandled.seen, []);
});

test('resume: an answer cut by the network after its first event is resumed from that event id', async (t) => {
  const server = await tsServer(t, { resumable: true, retryMs: RETRY_MS });
  const proxy = await proxyFor(t, server.url);
  const pool = poolFor(t);
  pool.registerHttp('s', proxy.url);
  const c = await pool.get('s');
  for (const destroy of [false, true]) {
    proxy.setFault({ kind: 'cutSseAfter', events: 1, destroy, tool: 'progress' });
    const seen = [];
    const started = performance.now();
    // Progress at 130, 260 and 390 ms: two sent while the client waits the 300 ms retry (replayed
    // from the event store), one live after the reconnect; none at the reconnect instant itself.
    const r = await c.callTool('progress', { steps: 3, ms: 130 }, { onProgress: (p) => seen.push(p.progress) });
    const elapsed = performance.now() - started;
    assert.deepEqual(r.content, [{ type: 'text', text: 'done 3' }], `destroy=${destroy}`);
    assert.deepEqual(seen, [1, 2, 3], 'progress sent after the cut arrives on the resumed stream');
    assert.ok(elapsed >= RETRY_MS * 0.9, `waited the retry delay (${elapsed.toFixed(0)} ms)`);
    const cut = proxy.log.find((e) => e.fault === 'cutSseAfter' && e.tool === 'progress' && !e.checked);
    cut.checked = true;
    assert.equal(cut.sseIds.length, 1, 'one event (the priming one) went through');
    const get = proxy.log.filter((e) => e.httpMethod === 'GET').at(-1);
    assert.equal(get.lastEventId, cut.sseIds[0], 'Last-Event-ID is the id of the last event seen');
    assert.ok(get.seq > cut.seq);
  }
  assert.equal((await server.stats()).toolCalls.progress, 2, 'each call ran once');
  c.release();
});

test('resume: without event ids a cut answer fails typed and nothing is retried', async (t) => {
  const server = await tsServer(t, {}); // no event store: no ids, no priming event
  const proxy = await proxyFor(t, server.url);
  const pool = poolFor(t);
  pool.registerHttp('s', proxy.url);
  const c = await pool.get('s');
  proxy.setFault({ kind: 'cutSseAfter', events: 1, tool: 'progress' });
  const error = await rejectsWith(c.callTool('progress', { steps: 3, ms: 50 }, { onProgress: () => {} }), 'NETWORK_ERROR');
  assert.match(error.message, /ended before the response/);
  assert.equal(proxy.log.filter((e) => e.httpMethod === 'GET').length, 0, 'no GET without an event id');
  c.release();
});

test('resume: without event ids a broken connection fails the same way (NETWORK_ERROR), nothing retried', async (t) => {
  const server = await tsServer(t, {});
  const proxy = await proxyFor(t, server.url);
  const pool = poolFor(t);
  pool.registerHttp('s', proxy.url);
  const c = await pool.get('s');
  proxy.setFault({ kind: 'cutSseAfter', events: 1, destroy: true, tool: 'progress' });
  await rejectsWith(c.callTool('progress', { steps: 3, ms: 50 }, { onProgress: () => {} }), 'NETWORK_ERROR');
  assert.equal(proxy.log.filter((e) => e.httpMethod === 'GET').length, 0, 'no GET without an event id');
  c.release();
  proxy.clearFault();
  const next = await pool.get('s');
  assert.equal((await next.callTool('echo', { message: 'after' })).content[0].text, 'after');
  next.release();
});
