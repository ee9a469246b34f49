// Sessions that age well (issue #20): maxSessionLifetimeMs (an old session takes no new lease and is
// DELETEd when its last lease returns), the probe on acquire (probeIdleAfterMs: a quiet idle session is
// pinged before get() hands it out; a dead one is evicted and the getter gets a fresh session), and the
// acquisition stats (hits, misses, waits, waitTimeMs), against the real server fixtures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { McpPool } from 'mcp-edge-pool';
import { FLAVOURS, serverFor, poolFor, until, sleep, throwsWith } from './helpers.mjs';
import { proxyFor } from './fault-support.mjs';

const TS = FLAVOURS[0];
const echo = async (client, message) => (await client.callTool('echo', { message })).content[0].text;

test('the lifetime and probe options are read and checked, per pool and per server', () => {
  throwsWith(() => new McpPool({ maxSessionLifetimeMs: 999 }), 'INVALID_CONFIG');
  throwsWith(() => new McpPool({ maxSessionLifetimeMs: 2 ** 31 }), 'INVALID_CONFIG');
  throwsWith(() => new McpPool({ probeIdleAfterMs: -1 }), 'INVALID_CONFIG');
  throwsWith(() => new McpPool({ probeIdleAfterMs: '1s' }), 'INVALID_CONFIG');
  const pool = new McpPool({ maxSessionLifetimeMs: 0, probeIdleAfterMs: null });
  const e = throwsWith(() => pool.registerHttp('s', 'http://127.0.0.1:1/mcp', { maxSessionLifetimeMs: 10 }), 'INVALID_CONFIG');
  assert.match(e.message, /maxSessionLifetimeMs/);
  pool.registerHttp('t', 'http://127.0.0.1:1/mcp', { maxSessionLifetimeMs: 3_600_000, probeIdleAfterMs: 0 });
  const stats = pool.stats();
  for (const k of ['hits', 'misses', 'waits', 'waitTimeMs', 'retiredConnections']) {
    assert.equal(stats[k], 0, `stats.${k}`);
    assert.equal(stats.servers.t[k], 0, `stats.servers.t.${k}`);
  }
  pool.close();
});

test('TS SDK: a session past maxSessionLifetimeMs is not leased again, and is DELETEd when its lease returns', async (t) => {
  const server = await serverFor(t, TS);
  const pool = poolFor(t, { healthCheckIntervalMs: 0, maxConnectionsPerServer: 2 });
  pool.registerHttp('s', server.url, { maxSessionLifetimeMs: 1_000 });
  const old = await pool.get('s');
  assert.equal(await echo(old, 'old'), 'old');
  await sleep(1_100);
  const young = await pool.get('s'); // the cap would let it share the old session, its age does not
  assert.equal(await echo(young, 'young'), 'young');
  let seen = await server.stats();
  assert.equal(seen.initialize, 2, 'a second session was opened rather than the old one shared');
  assert.equal(seen.deleted, 0, 'the old session is not closed under its lease');
  assert.equal(await echo(old, 'still'), 'still', 'the lease still out keeps working');
  old.release();
  await until(async () => (await server.stats()).deleted === 1, { timeout: 3000, what: 'the DELETE of the old session' });
  seen = await server.stats();
  assert.equal(seen.sessions, 1, 'the server holds only the young session');
  let stats = pool.stats();
  assert.equal(stats.retiredConnections, 1);
  assert.equal(stats.servers.s.retiredConnections, 1);
  assert.equal(stats.activeConnections + stats.idleConnections, 1);
  young.release();
  const again = await pool.get('s');
  assert.equal(await echo(again, 'again'), 'again');
  again.release();
  assert.equal((await server.stats()).initialize, 2, 'the young session is reused');
});

for (const flavour of FLAVOURS) {
  test(`${flavour.name}: a quiet idle session whose server restarted is probed on acquire, and get() still works`, async (t) => {
    const server = await serverFor(t, flavour);
    const pool = poolFor(t, { healthCheckIntervalMs: 0, probeIdleAfterMs: 300 });
    pool.registerHttp('s', server.url);
    const c = await pool.get('s');
    assert.equal(await echo(c, 'before'), 'before');
    c.release();
    await server.restart(); // same port; every session forgotten
    await sleep(350);
    assert.equal((await server.stats()).posts, 0, 'a restarted server has seen nothing yet');
    const again = await pool.get('s');
    assert.ok((await server.stats()).posts > 0, 'the probe reached the server before get() resolved');
    assert.equal(await echo(again, 'after'), 'after');
    again.release();
    const stats = pool.stats();
    assert.equal(stats.healthChecksPassed + stats.healthChecksFailed, 1, 'one probe, counted as a health check');
    assert.equal(stats.leases, 0);
    if (flavour.stateful) {
      assert.equal((await server.stats()).initialize, 1, 'one handshake on the restarted server');
    }
  });
}

test('TS SDK: a quiet idle session that fails its probe is evicted (DELETE) and the getter gets a fresh session', async (t) => {
  const server = await serverFor(t, TS);
  const proxy = await proxyFor(t, server.url);
  const pool = poolFor(t, { healthCheckIntervalMs: 0, probeIdleAfterMs: 200 });
  pool.registerHttp('s', proxy.url);
  const c = await pool.get('s');
  assert.equal(await echo(c, 'one'), 'one');
  c.release();
  await sleep(250);
  proxy.setFault({ kind: 'refuse', method: 'ping' }); // the connection dies under the probe
  const fresh = await pool.get('s');
  assert.equal(await echo(fresh, 'two'), 'two');
  assert.ok(proxy.log.some((e) => e.rpc === 'ping' && e.fault === 'refuse'), 'the probe was sent and refused');
  let stats = pool.stats();
  assert.equal(stats.healthChecksFailed, 1);
  assert.equal(stats.totalConnections, 2, 'a new session replaced the evicted one');
  assert.equal(stats.activeConnections, 1);
  assert.equal(stats.idleConnections, 0, 'the evicted session is gone');
  await until(async () => (await server.stats()).deleted === 1, { timeout: 3000, what: 'the DELETE of the evicted session' });
  assert.equal((await server.stats()).initialize, 2);
  fresh.release();
  stats = pool.stats();
  assert.deepEqual([stats.hits, stats.misses, stats.waits], [0, 2, 0], 'both gets were served by a new session');
});

test('TS SDK: stats() count hits, misses and waits, with the time the waits spent', async (t) => {
  const server = await serverFor(t, TS);
  const pool = poolFor(t, { healthCheckIntervalMs: 0, maxConnectionsPerServer: 1, maxLeasesPerConnection: 1 });
  pool.registerHttp('s', server.url);
  const a = await pool.get('s'); // miss: a session opened for it
  const queued = pool.get('s'); // wait: queued behind a
  await sleep(150);
  a.release();
  const b = await queued;
  assert.equal(await echo(b, 'b'), 'b');
  b.release();
  const c = await pool.get('s'); // hit: the idle session
  c.release();
  const stats = pool.stats();
  assert.deepEqual([stats.hits, stats.misses, stats.waits], [1, 1, 1]);
  assert.ok(stats.waitTimeMs >= 140 && stats.waitTimeMs < 5_000, `waitTimeMs ${stats.waitTimeMs} is the ~150 ms b waited`);
  const s = stats.servers.s;
  assert.deepEqual([s.hits, s.misses, s.waits, s.waitTimeMs], [1, 1, 1, stats.waitTimeMs]);
  assert.equal((await server.stats()).initialize, 1);
});
