// Identity partitions against the official TS SDK server, which records the credential that
// opened each session and every request that reached a session with another credential.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defer, poolFor, startTsServer } from './helpers.mjs';

test('20 identities, 200 calls at concurrency 40: no session crosses identities, initializes within the caps', async (t) => {
  const server = await startTsServer({ json: true });
  defer(t, () => server.stop());
  const pool = poolFor(t, { maxConnectionsPerServer: 40 });
  const asked = [];
  pool.registerHttp('s', server.url, {
    maxConnectionsPerIdentity: 2,
    tokenProvider: async (_challenge, context) => {
      asked.push(context?.identity);
      return `token-of-${context?.identity ?? 'nobody'}`;
    },
    identityHeaders: (identity) => ({ 'x-user': identity }),
  });
  const identities = Array.from({ length: 20 }, (_, i) => `user-${i}`);
  let next = 0;
  const lane = async () => {
    while (next < 200) {
      const i = next++;
      const identity = identities[i % identities.length];
      const client = await pool.get('s', { identity });
      try {
        const result = await client.callTool('echo', { message: `${identity}:${i}` });
        assert.equal(result.content[0].text, `${identity}:${i}`);
      } finally {
        client.release();
      }
    }
  };
  await Promise.all(Array.from({ length: 40 }, lane));
  const stats = await server.stats();
  assert.equal(stats.crossings, 0, 'no request reached a session opened with another credential');
  const opened = Object.entries(stats.openedBy);
  assert.ok(opened.every(([credential]) => /^Bearer token-of-user-\d+$/.test(credential)), JSON.stringify(opened));
  assert.ok(opened.every(([, n]) => n <= 2), `initializes per identity within its cap: ${JSON.stringify(stats.openedBy)}`);
  assert.ok(stats.initialize <= 40, `initializes within the server's cap: ${stats.initialize}`);
  const calls = Object.values(stats.callsBy).reduce((a, b) => a + b, 0);
  assert.equal(calls, 200);
  for (const identity of identities) assert.equal(stats.callsBy[`Bearer token-of-${identity}`], 10, identity);
  const poolStats = pool.stats();
  assert.ok(poolStats.servers.s.activeConnections + poolStats.servers.s.idleConnections <= 40, 'the server cap is the total');
  assert.ok(poolStats.servers.s.partitions <= 20);
  assert.equal(new Set(asked).size, 20, 'one token provider context per identity');
});

test('a get with an identity and one without never share a session; snapshots keep the identity', async (t) => {
  const server = await startTsServer({ json: true });
  defer(t, () => server.stop());
  const pool = poolFor(t, { maxConnectionsPerServer: 4 });
  pool.registerHttp('s', server.url, { headers: { authorization: 'Bearer shared' }, identityHeaders: (identity) => ({ authorization: `Bearer ${identity}` }) });
  const alice = await pool.get('s', { identity: 'alice' });
  const shared = await pool.get('s');
  await alice.callTool('echo', { message: 'a' });
  await shared.callTool('echo', { message: 's' });
  alice.release();
  shared.release();
  const stats = await server.stats();
  assert.deepEqual(stats.openedBy, { 'Bearer alice': 1, 'Bearer shared': 1 });
  assert.equal(stats.crossings, 0);
  const snapshot = pool.snapshot();
  assert.deepEqual(snapshot.servers.s.sessions.map((s) => s.identity ?? null).sort(), ['alice', null]);
  await assert.rejects(pool.get('s', { identity: '' }), { code: 'INVALID_CONFIG' });
  assert.throws(() => pool.registerHttp('t', server.url, { identityHeaders: 'nope' }), { code: 'INVALID_CONFIG' });
});

test('more identities than sessions: idle sessions of others are evicted to make room, never crossed', async (t) => {
  const server = await startTsServer({ json: true });
  defer(t, () => server.stop());
  const pool = poolFor(t, { maxConnectionsPerServer: 6 });
  pool.registerHttp('s', server.url, { tokenProvider: async (_c, context) => `token-of-${context?.identity}` });
  let next = 0;
  const lane = async () => {
    while (next < 120) {
      const i = next++;
      const identity = `user-${i % 15}`;
      const client = await pool.get('s', { identity });
      try {
        assert.equal((await client.callTool('echo', { message: `${i}` })).content[0].text, `${i}`);
      } finally {
        client.release();
      }
    }
  };
  await Promise.all(Array.from({ length: 20 }, lane));
  const stats = await server.stats();
  assert.equal(stats.crossings, 0);
  assert.ok(stats.initialize > 6, 'sessions were evicted and reopened');
  const s = pool.stats().servers.s;
  assert.ok(s.activeConnections + s.idleConnections + s.openingConnections <= 6, JSON.stringify(s));
  assert.ok(stats.deleted > 0, 'evicted sessions were closed with DELETE');
});

test('the pool notification handler learns the identity of the session a notification came on', async (t) => {
  const server = await startTsServer();
  defer(t, () => server.stop());
  const pool = poolFor(t, { maxConnectionsPerServer: 4 });
  pool.registerHttp('s', server.url, { serverStream: false });
  const heard = [];
  pool.onNotification((name, n, context) => {
    if (n.method === 'notifications/progress') heard.push([name, context?.identity ?? null]);
  });
  for (const identity of ['alice', undefined]) {
    const client = await pool.get('s', identity ? { identity } : undefined);
    const steps = [];
    await client.callTool('progress', { steps: 2, ms: 1 }, { onProgress: (p) => steps.push(p.progress) });
    assert.deepEqual(steps, [1, 2]);
    client.release();
  }
  assert.deepEqual(heard, [['s', 'alice'], ['s', 'alice'], ['s', null], ['s', null]]);
});
