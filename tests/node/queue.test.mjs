// The FIFO wait queue: arrival order, acquire timeouts, AbortSignal, and the `waiting` counter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, serverFor, poolFor, rejectsWith, assertPoolError, until, sleep } from './helpers.mjs';

const ONE = { maxLeasesPerConnection: 1, maxConnectionsPerServer: 1 };

for (const flavour of FLAVOURS) {
  test(`${flavour.name}: waiting getters are served in arrival order`, async (t) => {
    const server = await serverFor(t, flavour);
    const pool = poolFor(t, ONE);
    pool.registerHttp('s', server.url);

    const holder = await pool.get('s');
    const order = [];
    const clients = [];
    const getters = Array.from({ length: 5 }, (_, i) =>
      pool.get('s').then((c) => { order.push(i); clients[i] = c; return c; }));
    await until(() => pool.stats().waiting === 5, { what: '5 waiting' });
    assert.equal(pool.stats().servers.s.waiting, 5);
    await sleep(30);
    assert.deepEqual(order, [], 'nobody is served while the only lease is held');

    holder.release();
    for (let k = 0; k < 5; k++) {
      await until(() => order.length === k + 1, { what: `getter #${k} served` });
      assert.equal(pool.stats().waiting, 4 - k);
      assert.equal(pool.stats().leases, 1, 'never more than one lease');
      const c = clients[order[k]];
      const r = await c.callTool('echo', { message: `g${order[k]}` });
      assert.equal(r.content[0].text, `g${order[k]}`);
      await sleep(10); // give a wrongly ordered grant the chance to show
      assert.equal(order.length, k + 1, 'the next getter waits for this release');
      c.release();
    }
    await Promise.all(getters);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    assert.equal(pool.stats().waiting, 0);
    assert.equal(pool.stats().leases, 0);
    assert.equal((await server.stats()).initialize, 1);
  });

  test(`${flavour.name}: acquire timeouts and aborts leave the queue clean`, async (t) => {
    const server = await serverFor(t, flavour);
    const pool = poolFor(t, { ...ONE, acquireTimeoutMs: 300 });
    pool.registerHttp('s', server.url);
    const holder = await pool.get('s');

    // The pool's acquireTimeoutMs
    let t0 = Date.now();
    const pending = pool.get('s');
    await until(() => pool.stats().waiting === 1, { what: '1 waiting' });
    await rejectsWith(pending, 'ACQUIRE_TIMEOUT', { server: 's' });
    let elapsed = Date.now() - t0;
    assert.ok(elapsed >= 280 && elapsed < 2000, `pool acquire timeout took ${elapsed} ms`);
    assert.equal(pool.stats().waiting, 0, 'the timed-out getter left the queue');

    // get(name, { timeoutMs }) overrides it
    // (The error names the timeout that expired: the override, not the pool's 300 ms. The time
    // only has a floor and a loose ceiling: a loaded machine can add a few hundred ms.)
    t0 = Date.now();
    const perGet = await pool.get('s', { timeoutMs: 100 }).then(() => null, (e) => e);
    elapsed = Date.now() - t0;
    assertPoolError(perGet, 'ACQUIRE_TIMEOUT');
    assert.match(perGet.message, /within 100 ms/);
    assert.ok(elapsed >= 90 && elapsed < 2000, `per-get timeoutMs took ${elapsed} ms`);
    assert.equal(pool.stats().waiting, 0);

    // AbortSignal on a waiting get
    const ac = new AbortController();
    const aborted = pool.get('s', { signal: ac.signal });
    await until(() => pool.stats().waiting === 1, { what: '1 waiting' });
    setTimeout(() => ac.abort(), 50);
    await rejectsWith(aborted, 'ABORTED');
    assert.equal(pool.stats().waiting, 0);

    // An already-aborted signal fails at once, without queueing
    await rejectsWith(pool.get('s', { signal: AbortSignal.abort() }), 'ABORTED');
    assert.equal(pool.stats().waiting, 0);
    // AbortSignal.timeout() works too
    await rejectsWith(pool.get('s', { signal: AbortSignal.timeout(60) }), 'ABORTED');
    assert.equal(pool.stats().waiting, 0);

    // A getter that gave up in the middle of the queue is skipped; the others keep their order
    const order = [];
    const first = pool.get('s').then((c) => { order.push('first'); return c; });
    const quitter = pool.get('s', { timeoutMs: 100 });
    const last = pool.get('s').then((c) => { order.push('last'); return c; });
    await until(() => pool.stats().waiting === 3, { what: '3 waiting' });
    await rejectsWith(quitter, 'ACQUIRE_TIMEOUT');
    assert.equal(pool.stats().waiting, 2);
    holder.release();
    const c1 = await first;
    assert.deepEqual(order, ['first']);
    c1.release();
    const c2 = await last;
    assert.deepEqual(order, ['first', 'last']);

    // The lease is intact: no timed-out or aborted getter took it
    const r = await c2.callTool('echo', { message: 'still fine' });
    assert.equal(r.content[0].text, 'still fine');
    c2.release();
    const stats = pool.stats();
    assert.equal(stats.waiting, 0);
    assert.equal(stats.leases, 0);
    assert.equal(stats.idleConnections, 1);
    assert.equal(stats.totalConnections, 1);
  });
}

test('TS SDK: registerHttp acquireTimeoutMs overrides the pool default; an abort after the grant is harmless', async (t) => {
  const server = await serverFor(t, FLAVOURS[0]);
  const pool = poolFor(t, { ...ONE, acquireTimeoutMs: 10_000 });
  pool.registerHttp('s', server.url, { acquireTimeoutMs: 150 });
  const ac = new AbortController();
  const holder = await pool.get('s', { signal: ac.signal });
  ac.abort(); // the get already resolved: nothing happens
  assert.equal(holder.released, false);
  assert.equal((await holder.ping()).constructor, Object);
  const t0 = Date.now();
  await rejectsWith(pool.get('s'), 'ACQUIRE_TIMEOUT', { server: 's' });
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 140 && elapsed < 1500, `server acquireTimeoutMs took ${elapsed} ms`);
  assert.equal(pool.stats().waiting, 0);
  holder.release();
});
