// Secrets stay put: a server's Authorization header and its session id never appear in stats(),
// in any error's message or fields, or in a snapshot's headers, whatever goes wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultProxy } from '../faults/proxy.mjs';
import { defer, poolFor, startTsServer } from './helpers.mjs';

const TOKEN = 'tok-SECRET-9f3a';

test('no error, stats or snapshot reveals a header value or a session id', async (t) => {
  const server = await startTsServer();
  defer(t, () => server.stop());
  const proxy = await startFaultProxy(server.url);
  defer(t, () => proxy.stop());
  // 2 s: short enough for the stalled-server fault, long enough for a first handshake on a busy machine.
  const pool = poolFor(t, { requestTimeoutMs: 2000, circuitBreakerThreshold: 0 });
  pool.registerHttp('s', proxy.url, { headers: { Authorization: `Bearer ${TOKEN}` } });

  const client = await pool.get('s');
  await client.callTool('echo', { message: 'hi' });
  const sessionIds = proxy.log.filter((e) => e.session).length;
  assert.ok(sessionIds > 0, 'the session carried an id');
  const snapshot = pool.snapshot();
  const sid = snapshot.servers.s.sessions[0].sessionId;
  assert.ok(sid && sid.length > 8);

  const errors = [];
  const faults = [
    { kind: 'status', status: 401 },
    { kind: 'status', status: 500 },
    { kind: 'malformedJson' },
    { kind: 'mismatchedId' },
    { kind: 'dropMidBody' },
    { kind: 'stallBeforeHeaders', ms: Infinity },
    { kind: 'notFoundSession', times: Infinity },
  ];
  for (const fault of faults) {
    proxy.setFault({ ...fault, method: ['tools/call', 'initialize', 'notifications/initialized'] });
    const c = await pool.get('s').catch((e) => { errors.push(e); return null; });
    if (c) {
      await c.callTool('echo', { message: 'x' }).catch((e) => errors.push(e));
      c.release();
    }
    proxy.clearFault();
  }
  await client.request('no/such/method').catch((e) => errors.push(e));
  client.release();
  assert.ok(errors.length >= faults.length, `errors seen: ${errors.map((e) => e.code)}`);

  const texts = [
    ...errors.map((e) => `${e.message} ${JSON.stringify({ ...e })} ${e.stack}`),
    JSON.stringify(pool.stats()),
  ];
  for (const text of texts) {
    assert.ok(!text.includes(TOKEN), `a token leaked: ${text.slice(0, 300)}`);
    assert.ok(!text.includes(sid), `a session id leaked: ${text.slice(0, 300)}`);
  }
  assert.ok(!JSON.stringify(snapshot).includes(TOKEN), 'no header in the snapshot');
});
