// Shared pieces of the fault-proxy tests (not a test file: node --test only runs *.test.mjs).
import assert from 'node:assert/strict';
import { startFaultProxy } from '../faults/proxy.mjs';
import { defer } from './helpers.mjs';

export { startFaultProxy };

/** A fault proxy in front of `target`, stopped when the test ends (after the pool closes if the
 *  pool is created later: cleanups run last registered first). */
export async function proxyFor(t, target) {
  const proxy = await startFaultProxy(target);
  defer(t, () => proxy.stop());
  return proxy;
}

const COUNTS = ['activeConnections', 'idleConnections', 'openingConnections', 'leases', 'waiting'];
// Counters of the in-flight cap (maxConcurrentRequests), where the package has it.
const REQUEST_COUNTS = ['inFlightRequests', 'queuedRequests'];

/** The invariants of one stats() snapshot: totals are the sums of the servers, counts add up. */
export function assertConsistent(stats) {
  for (const k of [...COUNTS, 'totalConnections', 'connectionErrors', 'healthChecksPassed', 'healthChecksFailed']) {
    assert.ok(Number.isInteger(stats[k]) && stats[k] >= 0, `stats.${k} = ${stats[k]}`);
  }
  const servers = Object.values(stats.servers);
  for (const k of [...COUNTS, ...REQUEST_COUNTS.filter((k) => k in stats)]) {
    assert.equal(stats[k], servers.reduce((n, s) => n + s[k], 0), `stats.${k} is the sum over the servers`);
  }
  for (const [name, s] of Object.entries(stats.servers)) {
    assert.ok(['closed', 'open', 'half-open'].includes(s.circuit), `${name}.circuit = ${s.circuit}`);
    assert.ok(s.activeConnections <= s.leases, `${name}: every active session has a lease`);
    assert.ok(s.activeConnections + s.idleConnections + s.openingConnections <= s.maxConnections,
      `${name}: at most maxConnections sessions (${JSON.stringify(s)})`);
  }
}

/**
 * The pool is healthy: consistent stats, no lease and no waiter left, and a fresh get + echo on
 * `name` works (then nothing is left again). Returns the stats after that call.
 */
export async function assertHealthy(pool, name = 's', message = 'healthy again') {
  let stats = pool.stats();
  assertConsistent(stats);
  assert.equal(stats.leases, 0, 'no lease leaked');
  assert.equal(stats.waiting, 0, 'no waiter leaked');
  const c = await pool.get(name, { timeoutMs: 3000 });
  const r = await c.callTool('echo', { message }, { timeoutMs: 3000 });
  assert.deepEqual(r.content, [{ type: 'text', text: message }], 'the next call succeeds');
  c.release();
  stats = pool.stats();
  assertConsistent(stats);
  assert.equal(stats.leases, 0);
  assert.equal(stats.waiting, 0);
  assert.equal(stats.openingConnections, 0);
  // No HTTP request left in flight or queued (a background DELETE of an evicted session may
  // still be finishing: give it a moment).
  for (const k of REQUEST_COUNTS.filter((k) => k in stats)) {
    for (let i = 0; i < 50 && pool.stats()[k] !== 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(pool.stats()[k], 0, `stats.${k}: nothing left in flight`);
  }
  return pool.stats();
}

/** How often the server ran tool `name` (its /__stats counter). */
export async function ran(server, name = 'echo') {
  return (await server.stats()).toolCalls[name] ?? 0;
}

/** Settles `promise` into { ok, value | error, ms }, never throwing. */
export async function settle(promise) {
  const t0 = performance.now();
  try {
    const value = await promise;
    return { ok: true, value, ms: performance.now() - t0 };
  } catch (error) {
    return { ok: false, error, ms: performance.now() - t0 };
  }
}

/** `promise`, or the string 'HANG' if it has not settled within `ms`. */
export function orHang(promise, ms) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((resolve) => { timer = setTimeout(() => resolve('HANG'), ms); }),
  ]);
}

/** One line per request the proxy saw. */
export function formatLog(log) {
  return log.map((e) => `#${e.seq} ${e.httpMethod} ${e.rpc ?? ''}${e.tool ? `(${e.tool})` : ''}${e.id !== null ? ` id=${e.id}` : ''}`
    + `${e.requestId !== null ? ` requestId=${e.requestId}` : ''}${e.session ? ' +sid' : ''} fault=${e.fault}`
    + ` forwarded=${e.forwarded} status=${e.status} ${e.outcome}${e.error ? ` ${e.error}` : ''}`).join('\n');
}

/** Runs `fn`; if it throws, prints what the proxy saw before rethrowing. */
export async function dumpLogOnFailure(t, proxy, fn) {
  try {
    return await fn();
  } catch (e) {
    t.diagnostic(`proxy log:\n${formatLog(proxy.log)}`);
    throw e;
  }
}
