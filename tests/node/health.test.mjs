// The health loop and maintain(): pings of quiet idle sessions, eviction of dead and idle ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, serverFor, poolFor, rejectsWith, until, sleep } from './helpers.mjs';

const INTERVAL = 200; // healthCheckIntervalMs (the minimum is 100)

for (const flavour of FLAVOURS) {
  test(`${flavour.name}: the health loop pings idle sessions, evicts the dead one, and a restarted server is used again`, async (t) => {
    const server = await serverFor(t, flavour);
    const pool = poolFor(t, { healthCheckIntervalMs: INTERVAL });
    pool.registerHttp('s', server.url);

    const c = await pool.get('s');
    assert.equal((await c.callTool('echo', { message: 'hi' })).content[0].text, 'hi');
    c.release();

    // Alive: after ~3 intervals the idle session has been pinged and kept.
    const postsBefore = (await server.stats()).posts;
    await sleep(3 * INTERVAL + 100);
    let stats = pool.stats();
    assert.ok(stats.healthChecksPassed >= 1, `healthChecksPassed ${stats.healthChecksPassed} >= 1`);
    assert.equal(stats.healthChecksFailed, 0);
    assert.equal(stats.idleConnections, 1);
    const seen = await server.stats();
    assert.ok(seen.posts > postsBefore, 'the pings reached the server');
    assert.equal(seen.initialize, 1, 'a passing health check does not re-open the session');

    // Dead: stop the server; within ~3 intervals the session is evicted.
    await server.stop();
    await sleep(3 * INTERVAL + 100);
    stats = pool.stats();
    assert.ok(stats.healthChecksFailed >= 1, `healthChecksFailed ${stats.healthChecksFailed} >= 1`);
    assert.equal(stats.idleConnections, 0, 'the dead session was evicted');
    assert.equal(stats.activeConnections, 0);
    assert.equal(stats.servers.s.healthChecksFailed, stats.healthChecksFailed);

    // While it is down, a get fails with a typed error (and counts as a connection error).
    const down = await rejectsWith(pool.get('s'), 'CONNECT_FAILED', { server: 's' });
    assert.match(down.message, /ECONNREFUSED|refused|fetch failed/i);
    assert.ok(pool.stats().connectionErrors >= 1);

    // Restarted on the same port: a new get opens a new session and works.
    await server.restart();
    const again = await pool.get('s');
    assert.equal((await again.callTool('echo', { message: 'back' })).content[0].text, 'back');
    again.release();
    assert.equal((await server.stats()).initialize, 1, 'one new session on the restarted server');
    assert.equal(pool.stats().idleConnections, 1);
  });
}

test('TS SDK: the health loop closes sessions idle past idleTimeoutMs', async (t) => {
  const server = await serverFor(t, FLAVOURS[0]);
  const pool = poolFor(t, { healthCheckIntervalMs: 100, idleTimeoutMs: 150 });
  pool.registerHttp('s', server.url);
  const c = await pool.get('s');
  await c.ping();
  c.release();
  assert.equal(pool.stats().idleConnections, 1);
  await until(() => pool.stats().idleConnections === 0, { timeout: 2000, what: 'idle eviction' });
  await until(async () => (await server.stats()).deleted === 1, { timeout: 2000, what: 'DELETE of the evicted session' });
  assert.equal((await server.stats()).sessions, 0);
  const again = await pool.get('s');
  await again.ping();
  again.release();
  assert.equal((await server.stats()).initialize, 2);
});

test('TS SDK: a leased session is never evicted by idleTimeoutMs', async (t) => {
  const server = await serverFor(t, FLAVOURS[0]);
  const pool = poolFor(t, { healthCheckIntervalMs: 100, idleTimeoutMs: 100 });
  pool.registerHttp('s', server.url);
  const c = await pool.get('s');
  await sleep(450);
  assert.equal(pool.stats().activeConnections, 1);
  assert.equal((await c.callTool('echo', { message: 'held' })).content[0].text, 'held');
  assert.equal((await server.stats()).initialize, 1);
  c.release();
});

for (const flavour of FLAVOURS) {
  test(`${flavour.name}: maintain() runs one eviction pass on demand (no health loop)`, async (t) => {
    const server = await serverFor(t, flavour);
    const pool = poolFor(t, { healthCheckIntervalMs: 0, idleTimeoutMs: 100 });
    pool.registerHttp('s', server.url);
    const c = await pool.get('s');
    await c.callTool('echo', { message: 'x' });
    c.release();
    await sleep(150);
    assert.equal(pool.stats().idleConnections, 1, 'no loop: nothing evicted by itself');
    const result = await pool.maintain();
    assert.equal(result, undefined);
    assert.equal(pool.stats().idleConnections, 0, 'maintain() evicted the idle session');
    if (flavour.stateful) {
      await until(async () => (await server.stats()).deleted === 1, { timeout: 2000, what: 'DELETE' });
    }
    const again = await pool.get('s');
    await again.callTool('echo', { message: 'y' });
    again.release();
    assert.equal((await server.stats()).initialize, 2);
    assert.equal(pool.stats().totalConnections, 2);
    assert.equal(pool.stats().healthChecksPassed + pool.stats().healthChecksFailed, 0, 'no pings without an interval');
  });
}
