// Progress against the official TS SDK server's `progress` tool (notifications/progress on the
// request's SSE stream): onProgress per request, resetTimeoutOnProgress with a hard
// maxTotalTimeoutMs, and the pool-wide onNotification hook.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertPoolError, defer, poolFor, startTsServer } from './helpers.mjs';

async function setup(t) {
  const server = await startTsServer();
  defer(t, () => server.stop());
  const pool = poolFor(t);
  pool.registerHttp('s', server.url);
  const client = await pool.get('s');
  defer(t, () => { if (!client.released) client.release(); });
  return { server, pool, client };
}

test('onProgress receives every progress notification of its request, in order', async (t) => {
  const { pool, client } = await setup(t);
  const seen = [];
  const global = [];
  pool.onNotification((server, n) => global.push([server, n.method, n.params?.progress]));
  const result = await client.callTool('progress', { steps: 4, ms: 20 }, { onProgress: (p) => seen.push(p) });
  assert.equal(result.isError, undefined);
  assert.deepEqual(seen.map((p) => [p.progress, p.total, p.message]), [[1, 4, 'step 1'], [2, 4, 'step 2'], [3, 4, 'step 3'], [4, 4, 'step 4']]);
  assert.ok(seen.every((p) => typeof p.progressToken === 'number'), 'the token the pool set');
  assert.deepEqual(global.filter(([, m]) => m === 'notifications/progress').map(([s, , p]) => [s, p]), [['s', 1], ['s', 2], ['s', 3], ['s', 4]]);
  pool.onNotification(null);
  await client.callTool('progress', { steps: 2, ms: 5 }, { onProgress: () => {} });
  assert.equal(global.length, 4, 'the hook was removed');
  assert.throws(() => pool.onNotification(42), (e) => e.code === 'INVALID_ARGUMENT');
});

test('resetTimeoutOnProgress keeps a long tool alive; without it, or past the cap, it times out', async (t) => {
  const { client } = await setup(t);
  // 6 steps 100 ms apart: 600 ms in all, never 250 ms without progress.
  const args = { steps: 6, ms: 100 };
  const kept = await client.callTool('progress', args, { timeoutMs: 250, resetTimeoutOnProgress: true, onProgress: () => {} });
  assert.ok(Array.isArray(kept.content));

  let started = performance.now();
  const plain = await client.callTool('progress', args, { timeoutMs: 250, onProgress: () => {} }).catch((e) => e);
  assertPoolError(plain, 'REQUEST_TIMEOUT');
  let waited = performance.now() - started;
  // With the reset it would have ended well at ~600 ms: the timeout itself shows there was none.
  // The ceilings leave a loaded machine room.
  assert.ok(waited >= 240 && waited < 1500, `no reset: timed out after ${waited.toFixed(0)} ms`);

  started = performance.now();
  const capped = await client
    .callTool('progress', args, { timeoutMs: 250, resetTimeoutOnProgress: true, maxTotalTimeoutMs: 400, onProgress: () => {} })
    .catch((e) => e);
  assertPoolError(capped, 'REQUEST_TIMEOUT');
  waited = performance.now() - started;
  assert.ok(waited >= 390 && waited < 1500, `capped: timed out after ${waited.toFixed(0)} ms`);

  // The session is still fine.
  const echo = await client.callTool('echo', { message: 'after' });
  assert.equal(echo.content[0].text, 'after');
});

test('a progress request with params that are not an object is refused before sending', async (t) => {
  const { client } = await setup(t);
  await assert.rejects(client.request('tools/call', { name: 'echo', arguments: { message: 'x' }, _meta: 'no' }, { onProgress: () => {} }), (e) => e.code === 'INVALID_ARGUMENT');
  await assert.rejects(client.callTool('echo', { message: 'x' }, { onProgress: 'no' }), (e) => e.code === 'INVALID_ARGUMENT');
});
