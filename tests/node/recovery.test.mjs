// Recovery under traffic: a server that forgets its sessions (expire) or restarts mid-traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, serverFor, poolFor, assertPoolError, sleep, unhandledRejections } from './helpers.mjs';

const AGENTS = 20;

/**
 * Runs AGENTS agents looping get -> callTool echo -> release until stop() is called. Failures are
 * recorded (with the time they happened) and the agent backs off 10 ms before its next loop.
 */
function traffic(pool) {
  let running = true;
  const ok = { count: 0 };
  const failures = [];
  const agent = async (a) => {
    for (let i = 0; running; i++) {
      const message = `agent ${a} call ${i}`;
      let client;
      try {
        client = await pool.get('s');
        const r = await client.callTool('echo', { message });
        assert.deepEqual(r.content, [{ type: 'text', text: message }]);
        ok.count++;
      } catch (e) {
        failures.push({ at: Date.now(), stage: client ? 'call' : 'get', error: e });
        await sleep(10);
      } finally {
        client?.release();
      }
    }
  };
  const agents = Array.from({ length: AGENTS }, (_, a) => agent(a));
  return {
    ok,
    failures,
    async stop() { running = false; await Promise.all(agents); },
  };
}

const summary = (failures) => {
  const by = {};
  for (const f of failures) {
    const key = `${f.stage}:${f.error?.code}`;
    by[key] = (by[key] ?? 0) + 1;
  }
  return by;
};

test('TS SDK: expire() mid-traffic (server forgets every session) is recovered without a failed call', async (t) => {
  const unhandled = unhandledRejections(t);
  const server = await serverFor(t, FLAVOURS[0]);
  const pool = poolFor(t, { maxConnectionsPerServer: 5 });
  pool.registerHttp('s', server.url);
  const run = traffic(pool);
  const expired = [];
  for (let round = 0; round < 3; round++) {
    await sleep(300);
    expired.push((await server.expire()).expired);
  }
  await sleep(300);
  await run.stop();

  const seen = await server.stats();
  t.diagnostic(`calls ok=${run.ok.count} sessions expired per round=${JSON.stringify(expired)} initialize=${seen.initialize} failures=${JSON.stringify(summary(run.failures))}`);
  assert.deepEqual(run.failures.map((f) => `${f.stage} ${f.error?.code}: ${f.error?.message}`), [], 'no failed call');
  assert.ok(run.ok.count > 100, `enough traffic (${run.ok.count} calls)`);
  assert.ok(expired.every((n) => n >= 1), 'every expire() hit live sessions');
  assert.ok(seen.initialize > pool.stats().totalConnections, 're-initialized transparently');
  const stats = pool.stats();
  assert.equal(stats.leases, 0);
  assert.equal(stats.waiting, 0);
  assert.ok(stats.totalConnections <= 5, `totalConnections ${stats.totalConnections}`);
  assert.deepEqual(unhandled.describe(), [], 'no unhandled promise rejection');
});

// While the server is down, gets fail with CONNECT_FAILED until the circuit breaker opens (after
// circuitBreakerThreshold consecutive failures), then fast with CIRCUIT_OPEN until a probe after
// circuitBreakerCooldownMs succeeds. A short cooldown keeps the recovery window short; the TS
// server also runs with the breaker disabled, to show the raw failure count.
const RESTARTS = [
  ...FLAVOURS.map((flavour) => ({ flavour, breaker: { circuitBreakerCooldownMs: 200 }, label: 'breaker cooldown 200 ms' })),
  { flavour: FLAVOURS[0], breaker: { circuitBreakerThreshold: 0 }, label: 'breaker disabled' },
];

for (const { flavour, breaker, label } of RESTARTS) {
  test(`${flavour.name}: restart() mid-traffic (${label}): only typed failures while it is down, full recovery after`, async (t) => {
    const unhandled = unhandledRejections(t);
    const server = await serverFor(t, flavour);
    const pool = poolFor(t, { maxConnectionsPerServer: 5, requestTimeoutMs: 5000, ...breaker });
    pool.registerHttp('s', server.url);
    const run = traffic(pool);
    await sleep(400);
    const okBefore = run.ok.count;
    const t0 = Date.now();
    await server.restart();
    const t1 = Date.now();
    const failedDuring = run.failures.length;
    await sleep(600);
    const failedByRecovery = run.failures.length;
    const okAfterRecovery = run.ok.count;
    await sleep(400);
    await run.stop();

    const lateFailures = run.failures.slice(failedByRecovery);
    const stats = pool.stats();
    t.diagnostic(`down for ${t1 - t0} ms; calls ok before=${okBefore} total=${run.ok.count}; `
      + `failures=${run.failures.length} (${failedDuring} during restart, ${failedByRecovery - failedDuring} in the 600 ms after) `
      + `${JSON.stringify(summary(run.failures))}; restarted server initialize=${(await server.stats()).initialize}; `
      + `pool totalConnections=${stats.totalConnections} connectionErrors=${stats.connectionErrors} `
      + `circuitOpens=${stats.servers.s.circuitOpens}`);
    for (const f of run.failures) assertPoolError(f.error, f.error?.code);
    for (const f of run.failures) {
      const expected = f.stage === 'call' ? ['NETWORK_ERROR'] : ['CONNECT_FAILED', 'CIRCUIT_OPEN'];
      assert.ok(expected.includes(f.error.code), `unexpected failure ${f.stage} ${f.error.code}: ${f.error.message}`);
      assert.equal(f.error.server, 's');
    }
    assert.ok(run.ok.count > okAfterRecovery, 'calls succeed again after the restart');
    assert.deepEqual(lateFailures.map((f) => `${f.stage} ${f.error.code}: ${f.error.message}`), [],
      'no failure once the server is back');
    assert.equal(stats.leases, 0);
    assert.equal(stats.waiting, 0);
    await sleep(50);
    assert.deepEqual(unhandled.describe(), [], 'no unhandled promise rejection (it would crash a Node app)');
  });
}
