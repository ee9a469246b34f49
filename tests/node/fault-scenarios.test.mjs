// The named fault scenarios, against the real TS SDK server (its /__stats counts initialize,
// tool calls, notifications/cancelled and handlers that saw the cancel), partly through the
// fault proxy of tests/faults/proxy.mjs:
// - a server restart while 50 agents call tools (one initialize per session, not per caller);
// - a server down for several health intervals (fast typed failures, the circuit breaker, and
//   recovery by itself within one interval once it is back);
// - a tool that never answers (timeout at its deadline, notifications/cancelled, lease usable);
// - abort() while queued and while a request is in flight;
// - a non-idempotent tools/call is replayed only when the server provably did not process it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTsServer, serverFor, poolFor, assertPoolError, rejectsWith, until, sleep, unhandledRejections } from './helpers.mjs';
import { proxyFor, assertHealthy, assertConsistent, ran, settle, orHang, dumpLogOnFailure } from './fault-support.mjs';

const TS = { start: () => startTsServer() };
const AGENTS = 50;
/** { ok: n, <error code>: n, HANG: n } of settled outcomes. */
const codesOf = (outcomes) => {
  const by = {};
  for (const o of outcomes) {
    const key = o.hang ? 'HANG' : o.ok ? 'ok' : o.error?.code ?? String(o.error);
    by[key] = (by[key] ?? 0) + 1;
  }
  return by;
};

test(`restart between calls: ${AGENTS} agents on 5 shared sessions all recover, one initialize per session`, async (t) => {
  const unhandled = unhandledRejections(t);
  const server = await serverFor(t, TS);
  const pool = poolFor(t, { maxConnectionsPerServer: 5, requestTimeoutMs: 10_000 });
  pool.registerHttp('s', server.url);
  const clients = await Promise.all(Array.from({ length: AGENTS }, () => pool.get('s')));
  let stats = pool.stats();
  assert.equal(stats.leases, AGENTS);
  assert.equal(stats.totalConnections, 5, '50 agents share 5 sessions');
  await Promise.all(clients.map((c, i) => c.callTool('echo', { message: `warm ${i}` })));
  assert.equal((await server.stats()).initialize, 5);

  await server.restart(); // a new process on the same port: every session id is unknown now
  const t0 = performance.now();
  const outcomes = await Promise.all(clients.map((c, i) =>
    orHang(settle(c.callTool('echo', { message: `after ${i}` })), 8000)));
  const ms = performance.now() - t0;
  const seen = await server.stats(); // counters of the new process: since the restart
  t.diagnostic(`${AGENTS} calls after the restart: ${JSON.stringify(codesOf(outcomes.filter((o) => o !== 'HANG')))} `
    + `in ${Math.round(ms)} ms; new server: initialize=${seen.initialize} echo=${seen.toolCalls.echo}`);
  assert.equal(outcomes.filter((o) => o === 'HANG').length, 0, 'no call hangs');
  assert.deepEqual(outcomes.filter((o) => !o.ok).map((o) => `${o.error.code}: ${o.error.message}`), [],
    'every call recovered by re-initialize');
  outcomes.forEach((o, i) => assert.equal(o.value.content[0].text, `after ${i}`));
  assert.equal(seen.initialize, 5, 'one initialize per session after the restart, not one per caller');
  assert.equal(seen.toolCalls.echo, AGENTS, 'each call ran exactly once');
  stats = pool.stats();
  assertConsistent(stats);
  assert.equal(stats.totalConnections, 5, 'the sessions were re-initialized, not replaced');
  assert.equal(stats.connectionErrors, 0);
  for (const c of clients) c.release();
  await assertHealthy(pool);
  assert.deepEqual(unhandled.describe(), []);
});

test(`restart during calls: ${AGENTS} agents calling tools; typed failures only, none hangs, at most one initialize per session`, async (t) => {
  const unhandled = unhandledRejections(t);
  const server = await serverFor(t, TS);
  const pool = poolFor(t, { maxConnectionsPerServer: 5, requestTimeoutMs: 10_000, circuitBreakerCooldownMs: 100 });
  pool.registerHttp('s', server.url);
  let phase = 'before';
  let running = true;
  const ops = []; // { phase, stage, ok, error, ms } or 'HANG'
  const agent = async (a) => {
    for (let i = 0; running && i < 10_000; i++) {
      const started = phase;
      const got = await orHang(settle(pool.get('s')), 5000);
      if (got === 'HANG') { ops.push({ phase: started, stage: 'get', hang: true }); return; }
      ops.push({ phase: started, stage: 'get', ...got });
      if (!got.ok) { await sleep(20); continue; }
      const client = got.value;
      const callStarted = phase;
      const message = `a${a} #${i}`;
      const done = await orHang(settle(client.callTool('slow', { ms: 20 })), 5000);
      if (done === 'HANG') { ops.push({ phase: callStarted, stage: 'call', hang: true }); return; }
      ops.push({ phase: callStarted, stage: 'call', message, ...done });
      client.release();
      if (!done.ok) await sleep(20);
    }
  };
  const agents = Array.from({ length: AGENTS }, (_, a) => agent(a));
  await sleep(400);
  const atRestart = pool.stats();
  const sessionsAtRestart = atRestart.activeConnections + atRestart.idleConnections;
  phase = 'restarting';
  const t0 = performance.now();
  await server.restart();
  const downMs = performance.now() - t0;
  phase = 'after';
  await sleep(800);
  phase = 'late';
  await sleep(500);
  running = false;
  await Promise.all(agents);

  const seen = await server.stats(); // the new process
  const end = pool.stats();
  const byPhase = (p) => ops.filter((o) => o.phase === p);
  const calls = (p) => byPhase(p).filter((o) => o.stage === 'call');
  t.diagnostic(`down ${Math.round(downMs)} ms; sessions at the restart ${sessionsAtRestart}; `
    + ['before', 'restarting', 'after', 'late'].map((p) => `${p}: ${JSON.stringify(codesOf(byPhase(p)))}`).join('; ')
    + `; new server initialize=${seen.initialize} slow=${seen.toolCalls.slow ?? 0}; pool totalConnections `
    + `${atRestart.totalConnections}->${end.totalConnections} connectionErrors=${end.connectionErrors} circuitOpens=${end.servers.s.circuitOpens}`);

  assert.deepEqual(ops.filter((o) => o.hang).map((o) => `${o.phase} ${o.stage}`), [], 'no get and no call hangs');
  const failures = ops.filter((o) => !o.ok);
  for (const f of failures) {
    assertPoolError(f.error, f.error?.code);
    const allowed = f.stage === 'get' ? ['CONNECT_FAILED', 'CIRCUIT_OPEN'] : ['NETWORK_ERROR'];
    assert.ok(allowed.includes(f.error.code), `${f.phase} ${f.stage}: unexpected ${f.error.code}: ${f.error.message}`);
  }
  assert.deepEqual(byPhase('late').filter((o) => !o.ok).map((o) => `${o.stage} ${o.error.code}: ${o.error.message}`), [],
    'every get and call succeeds once the server is back');
  assert.ok(calls('late').length > AGENTS, `traffic flowed after the restart (${calls('late').length} calls)`);
  // Calls the new server ran: never more than the calls that succeeded or failed since the
  // restart began (nothing replayed), at least those that succeeded after it was back.
  const sinceRestart = [...calls('restarting'), ...calls('after'), ...calls('late')];
  assert.ok((seen.toolCalls.slow ?? 0) <= sinceRestart.length, 'no call ran twice');
  assert.ok((seen.toolCalls.slow ?? 0) >= [...calls('after'), ...calls('late')].filter((o) => o.ok).length);
  // Each session costs the new server one initialize: re-initialized (404) or newly opened.
  const opened = end.totalConnections - atRestart.totalConnections;
  assert.ok(seen.initialize <= sessionsAtRestart + opened,
    `initialize ${seen.initialize} <= ${sessionsAtRestart} sessions re-initialized + ${opened} opened`);
  assert.ok(seen.initialize <= 10, `one initialize per session, not one per caller (${seen.initialize} for ${AGENTS} agents)`);
  assert.equal(end.leases, 0);
  assert.equal(end.waiting, 0);
  await assertHealthy(pool);
  await sleep(20);
  assert.deepEqual(unhandled.describe(), [], 'no unhandled promise rejection');
});

test('server down for several health intervals: health checks fail and evict, gets fail fast (circuit), the pool recovers by itself within one interval', async (t) => {
  const INTERVAL = 200;
  const ACQUIRE = 5000;
  const unhandled = unhandledRejections(t);
  const server = await serverFor(t, TS);
  const pool = poolFor(t, {
    healthCheckIntervalMs: INTERVAL,
    circuitBreakerThreshold: 3,
    circuitBreakerCooldownMs: 150, // shorter than the interval: every health pass may probe
    acquireTimeoutMs: ACQUIRE,
    requestTimeoutMs: 2000,
  });
  pool.registerHttp('s', server.url);
  const c = await pool.get('s');
  await c.callTool('echo', { message: 'up' });
  c.release();

  await server.stop();
  const tDown = performance.now();
  await until(() => pool.stats().servers.s.healthChecksFailed >= 1 && pool.stats().idleConnections === 0,
    { timeout: 3 * INTERVAL + 1000, step: 10, what: 'a failed health check evicting the idle session' });
  const evictedAfter = performance.now() - tDown;

  // Getters while it is down: each fails fast with a typed error.
  const gets = [];
  const circuits = new Set();
  const until5 = performance.now() + 5 * INTERVAL;
  while (performance.now() < until5) {
    const o = await settle(pool.get('s'));
    gets.push(o);
    if (o.ok) o.value.release();
    circuits.add(pool.stats().servers.s.circuit);
    await sleep(40);
  }
  let stats = pool.stats();
  const s = stats.servers.s;
  t.diagnostic(`evicted ${Math.round(evictedAfter)} ms after the stop; ${gets.length} gets while down: `
    + `${JSON.stringify(codesOf(gets))}, slowest ${Math.round(Math.max(...gets.map((g) => g.ms)))} ms; circuit states seen `
    + `${[...circuits].join(',')}; healthChecksFailed=${s.healthChecksFailed} connectionErrors=${s.connectionErrors} circuitOpens=${s.circuitOpens}`);
  for (const g of gets) {
    assert.ok(!g.ok, 'no lease while the server is down');
    assertPoolError(g.error, g.error.code, { server: 's' });
    assert.ok(['CONNECT_FAILED', 'CIRCUIT_OPEN'].includes(g.error.code), `${g.error.code}: ${g.error.message}`);
    assert.ok(g.ms < 2500, `a failing get took ${Math.round(g.ms)} ms (acquire timeout ${ACQUIRE} ms)`);
  }
  assert.ok(gets.some((g) => g.error.code === 'CIRCUIT_OPEN'), 'the circuit opened: getters fail fast without a connect');
  assert.ok(circuits.has('open'), 'stats show the open circuit');
  assert.ok(s.circuitOpens >= 1);
  assert.ok(s.healthChecksFailed >= 1);
  assert.equal(stats.leases, 0);
  assert.equal(stats.waiting, 0);
  assertConsistent(stats);

  // Back: nobody calls get; the health loop's probe closes the circuit and opens a session.
  await server.restart();
  const tUp = performance.now();
  await until(() => {
    const now = pool.stats().servers.s;
    return now.circuit === 'closed' && now.idleConnections === 1;
  }, { timeout: 5 * INTERVAL, step: 5, what: 'recovery by the health loop' });
  const recoveredIn = performance.now() - tUp;
  t.diagnostic(`recovered by itself ${Math.round(recoveredIn)} ms after the server was back (interval ${INTERVAL} ms)`);
  assert.ok(recoveredIn <= INTERVAL + 100, `recovered within one interval (+100 ms for the probe's handshake): ${Math.round(recoveredIn)} ms`);
  stats = await assertHealthy(pool);
  assert.equal(stats.servers.s.circuit, 'closed');
  assert.equal((await server.stats()).initialize, 1, 'the probe\'s session serves the next getter');
  await sleep(20);
  assert.deepEqual(unhandled.describe(), []);
});

test('a tool that never answers: REQUEST_TIMEOUT at its deadline (±10%), notifications/cancelled reaches the server, the lease stays usable', async (t) => {
  const DEADLINE = 1000;
  const unhandled = unhandledRejections(t);
  const server = await serverFor(t, TS);
  const proxy = await proxyFor(t, server.url); // no fault: it only shows what goes over the wire
  const pool = poolFor(t, { requestTimeoutMs: DEADLINE });
  pool.registerHttp('s', proxy.url);
  const c = await pool.get('s');
  await c.callTool('echo', { message: 'warm' });

  await dumpLogOnFailure(t, proxy, async () => {
    for (const [n, timeoutMs] of [[1, undefined], [2, 400]]) {
      const deadline = timeoutMs ?? DEADLINE;
      const o = await settle(c.callTool('slow', { ms: 60_000 }, timeoutMs ? { timeoutMs } : undefined));
      t.diagnostic(`deadline ${deadline} ms: ${o.ok ? 'ok' : o.error.code} after ${Math.round(o.ms)} ms`);
      assert.ok(!o.ok);
      assertPoolError(o.error, 'REQUEST_TIMEOUT', { server: 's' });
      assert.ok(o.ms >= deadline * 0.9 && o.ms <= deadline * 1.1, `timed out after ${Math.round(o.ms)} ms, deadline ${deadline} ms`);
      const call = proxy.log.filter((e) => e.rpc === 'tools/call' && e.tool === 'slow').at(-1);
      const cancel = proxy.log.filter((e) => e.rpc === 'notifications/cancelled');
      assert.equal(cancel.length, n);
      assert.equal(cancel.at(-1).requestId, call.id, 'notifications/cancelled names the timed-out request');
      await until(async () => (await server.stats()).aborted === n, { timeout: 1000, what: 'the tool handler saw the cancellation' });
      assert.equal((await server.stats()).cancelled, n);
      assert.equal((await c.callTool('echo', { message: `still usable ${n}` })).content[0].text, `still usable ${n}`);
    }
  });
  c.release();
  const stats = await assertHealthy(pool);
  assert.equal(stats.totalConnections, 1, 'a timeout keeps the session');
  const seen = await server.stats();
  assert.equal(seen.initialize, 1);
  assert.equal(seen.toolCalls.slow, 2, 'a timed-out call is not replayed');
  assert.deepEqual(unhandled.describe(), []);
});

test('abort() while waiting in the queue: the waiter leaves at once, the next waiter is served, nothing is left', async (t) => {
  const unhandled = unhandledRejections(t);
  const server = await serverFor(t, TS);
  const pool = poolFor(t, { maxConnectionsPerServer: 1, maxLeasesPerConnection: 1, acquireTimeoutMs: 5000 });
  pool.registerHttp('s', server.url);
  const holder = await pool.get('s');

  const ac = new AbortController();
  const first = settle(pool.get('s', { signal: ac.signal }));
  const second = pool.get('s');
  await until(() => pool.stats().waiting === 2, { what: '2 waiting' });
  await sleep(50);
  const t0 = performance.now();
  ac.abort();
  const o = await first;
  const abortMs = performance.now() - t0;
  assert.ok(!o.ok);
  assertPoolError(o.error, 'ABORTED');
  assert.ok(abortMs < 1000, `the aborted get returned ${Math.round(abortMs)} ms after abort()`);
  assert.equal(pool.stats().waiting, 1, 'the aborted waiter left the queue');
  assert.equal(pool.stats().leases, 1);

  holder.release();
  const c2 = await second;
  assert.equal((await c2.callTool('echo', { message: 'second' })).content[0].text, 'second');
  assert.equal(pool.stats().leases, 1, 'the aborted getter took no lease');
  c2.release();
  // Aborted before it even queued.
  const pre = new AbortController();
  pre.abort();
  await rejectsWith(pool.get('s', { signal: pre.signal }), 'ABORTED');
  const stats = await assertHealthy(pool);
  assert.equal(stats.totalConnections, 1);
  assert.equal((await server.stats()).initialize, 1);
  assert.deepEqual(unhandled.describe(), []);
});

test('abort() while waiting for a session that is still opening (stalled handshake): the waiter leaves at once, the open ends by its timeout', async (t) => {
  const OPEN_TIMEOUT = 1500;
  const unhandled = unhandledRejections(t);
  const server = await serverFor(t, TS);
  const proxy = await proxyFor(t, server.url);
  const pool = poolFor(t, { requestTimeoutMs: OPEN_TIMEOUT, acquireTimeoutMs: 5000 });
  pool.registerHttp('s', proxy.url);
  await dumpLogOnFailure(t, proxy, async () => {
    proxy.setFault({ kind: 'stallBeforeHeaders', ms: Infinity, method: 'initialize' });
    const ac = new AbortController();
    const pending = settle(pool.get('s', { signal: ac.signal }));
    await until(() => pool.stats().waiting === 1 && pool.stats().openingConnections === 1, { what: 'a waiter and an open' });
    await sleep(100);
    const t0 = performance.now();
    ac.abort();
    const o = await pending;
    assertPoolError(o.error, 'ABORTED');
    // A get that waited for the stalled open would settle only when the open times out (up to
    // 1.4 s after t0): the open still running when the get settled shows it did not wait. The
    // time's ceiling leaves a loaded machine room (it was 50 ms).
    assert.equal(pool.stats().openingConnections, 1, 'the open still runs, detached');
    assert.ok(performance.now() - t0 < 1000, 'the get returned without waiting for the open');
    assert.equal(pool.stats().waiting, 0, 'the waiter left the queue');
    // The open is detached from its getter: it ends by its own timeout, and counts as a failure.
    await until(() => pool.stats().openingConnections === 0, { timeout: OPEN_TIMEOUT + 1000, what: 'the stalled open to end' });
    proxy.clearFault();
    const stats = pool.stats();
    assertConsistent(stats);
    assert.equal(stats.connectionErrors, 1);
    assert.equal(stats.totalConnections, 0);
    assert.equal(stats.leases, 0);
    await assertHealthy(pool);
  });
  assert.deepEqual(unhandled.describe(), []);
});

test('abort() while a request is in flight: ABORTED at once, notifications/cancelled reaches the server, the lease stays usable', async (t) => {
  const unhandled = unhandledRejections(t);
  const server = await serverFor(t, TS);
  const proxy = await proxyFor(t, server.url);
  const pool = poolFor(t, { requestTimeoutMs: 10_000 });
  pool.registerHttp('s', proxy.url);
  const c = await pool.get('s');
  await c.callTool('echo', { message: 'warm' });

  await dumpLogOnFailure(t, proxy, async () => {
    // 1. The server is working on it (slow tool): it gets notifications/cancelled.
    let ac = new AbortController();
    let timer = setTimeout(() => ac.abort(), 200);
    let o = await settle(c.callTool('slow', { ms: 10_000 }, { signal: ac.signal }));
    clearTimeout(timer);
    assert.ok(!o.ok);
    assertPoolError(o.error, 'ABORTED');
    assert.ok(o.ms >= 190 && o.ms < 2000, `ABORTED after ${Math.round(o.ms)} ms (abort at 200 ms)`);
    await until(async () => (await server.stats()).aborted === 1, { timeout: 1000, what: 'the tool handler saw the cancellation' });
    assert.equal((await server.stats()).cancelled, 1);
    assert.equal((await c.callTool('echo', { message: 'after abort' })).content[0].text, 'after abort');

    // 2. The answer is stuck mid-stream in the proxy: the exchange is cut, nothing stays open.
    proxy.setFault({ kind: 'stallMidStream', ms: Infinity, method: 'tools/call', tool: 'echo' });
    ac = new AbortController();
    timer = setTimeout(() => ac.abort(), 200);
    o = await settle(c.callTool('echo', { message: 'stuck' }, { signal: ac.signal }));
    clearTimeout(timer);
    proxy.clearFault();
    assertPoolError(o.error, 'ABORTED');
    assert.ok(o.ms >= 190 && o.ms < 2000, `ABORTED after ${Math.round(o.ms)} ms`);
    const stuck = proxy.log.find((e) => e.fault === 'stallMidStream');
    await until(() => stuck.outcome === 'client-gone', { timeout: 1000, what: 'the aborted exchange closed' });
    assert.equal((await c.callTool('echo', { message: 'usable' })).content[0].text, 'usable');
  });
  c.release();
  const stats = await assertHealthy(pool);
  assert.equal(stats.totalConnections, 1, 'an abort keeps the session');
  assert.equal((await server.stats()).initialize, 1);
  assert.equal((await server.stats()).cancelled, 2, 'one notifications/cancelled per aborted request');
  assert.deepEqual(unhandled.describe(), []);
});

/** A pool through a fault proxy, a warm session, and the server's counters reset. */
async function setup(t, options = {}) {
  const server = await serverFor(t, TS);
  const proxy = await proxyFor(t, server.url);
  const pool = poolFor(t, { requestTimeoutMs: 5000, ...options });
  pool.registerHttp('s', proxy.url);
  const c = await pool.get('s');
  await c.callTool('echo', { message: 'warm' });
  await server.reset();
  proxy.log.length = 0;
  return { server, proxy, pool, c };
}

const toolCallPosts = (proxy, tool = 'add') => proxy.log.filter((e) => e.rpc === 'tools/call' && e.tool === tool);

test('no replay: a tools/call whose connection drops after the server got it fails with NETWORK_ERROR and ran exactly once', async (t) => {
  for (const fault of [
    { kind: 'dropMidBody', method: 'tools/call' }, // the answer is cut mid-body
    { kind: 'refuse', forward: true, method: 'tools/call' }, // the server answered, the client got nothing
  ]) {
    await t.test(fault.kind + (fault.forward ? ' (after forwarding)' : ''), async (st) => {
      const { server, proxy, pool, c } = await setup(st);
      await dumpLogOnFailure(st, proxy, async () => {
        proxy.setFault(fault);
        const err = await rejectsWith(c.callTool('add', { a: 1, b: 2 }), 'NETWORK_ERROR', { server: 's' });
        st.diagnostic(err.message);
        proxy.clearFault();
        assert.equal(await ran(server, 'add'), 1, 'the server ran it exactly once');
        assert.equal(toolCallPosts(proxy).length, 1, 'the pool sent it once: no replay');
        c.release();
        const stats = await assertHealthy(pool);
        assert.equal(stats.totalConnections, 2, 'the broken session was replaced');
        assert.equal(await ran(server, 'add'), 1);
      });
    });
  }
});

test('replay: a tools/call answered 404 (session gone) is replayed once on a re-initialized session and runs once', async (t) => {
  const { server, proxy, pool, c } = await setup(t);
  await dumpLogOnFailure(t, proxy, async () => {
    proxy.setFault({ kind: 'notFoundSession', method: 'tools/call' });
    const r = await c.callTool('add', { a: 2, b: 3 });
    assert.equal(r.structuredContent.sum, 5);
    assert.equal(proxy.hits(), 1);
    proxy.clearFault();
    assert.equal(await ran(server, 'add'), 1, 'the server ran it once');
    const posts = toolCallPosts(proxy);
    assert.deepEqual(posts.map((e) => [e.forwarded, e.status]), [[false, 404], [true, 200]],
      'the 404 (never processed), then the replay');
    assert.equal(posts[0].id, posts[1].id, 'the replay is the same request');
    const between = proxy.log.slice(proxy.log.indexOf(posts[0]) + 1, proxy.log.indexOf(posts[1])).map((e) => e.rpc);
    assert.deepEqual(between, ['initialize', 'notifications/initialized'], 're-initialized in between');
    assert.equal((await server.stats()).initialize, 1);
    assert.equal((await c.callTool('echo', { message: 'same lease' })).content[0].text, 'same lease');
    c.release();
    const stats = await assertHealthy(pool);
    assert.equal(stats.totalConnections, 1, 'the session was re-initialized, not replaced');
  });
});

test('connection refused (server stopped) on a live session: a fast NETWORK_ERROR, nothing ran, the next get works once it is back', async (t) => {
  const unhandled = unhandledRejections(t);
  const server = await serverFor(t, TS);
  const pool = poolFor(t, { requestTimeoutMs: 5000 });
  pool.registerHttp('s', server.url);
  const c = await pool.get('s');
  await c.callTool('echo', { message: 'warm' });
  await server.stop();
  const o = await settle(c.callTool('add', { a: 1, b: 1 }));
  assert.ok(!o.ok);
  assertPoolError(o.error, 'NETWORK_ERROR', { server: 's' });
  assert.match(o.error.message, /ECONNREFUSED/);
  assert.ok(o.ms < 2500, `failed after ${Math.round(o.ms)} ms`);
  c.release();
  await server.restart();
  const stats = await assertHealthy(pool);
  assert.equal(stats.totalConnections, 2, 'a new session on the restarted server');
  assert.equal(await ran(server, 'add'), 0, 'the refused call never ran');
  assert.equal((await server.stats()).initialize, 1);
  assert.deepEqual(unhandled.describe(), []);
});
