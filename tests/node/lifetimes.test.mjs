// `using` / `await using` and free(): a lease's [Symbol.dispose] (and free()) releases it, a pool's
// [Symbol.asyncDispose] (and free(), [Symbol.dispose]) closes it, its sessions get their DELETE, and
// every later call is a typed LEASE_RELEASED / POOL_CLOSED (never "null pointer passed to rust").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { McpPool } from 'mcp-edge-pool';
import { defer, rejectsWith, throwsWith, startTsServer, until } from './helpers.mjs';

const dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');
const asyncDispose = Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose');

async function server(t) {
  const s = await startTsServer();
  defer(t, () => s.stop());
  return s;
}

test('a lease disposed (using) is released; its later calls are LEASE_RELEASED', async (t) => {
  const s = await server(t);
  const pool = new McpPool();
  defer(t, () => pool.close());
  pool.registerHttp('s', s.url);
  const lease = await pool.get('s');
  assert.equal(pool.stats().leases, 1);
  lease[dispose]();
  assert.equal(lease.released, true);
  assert.equal(pool.stats().leases, 0);
  await rejectsWith(lease.callTool('echo', { message: 'x' }), 'LEASE_RELEASED');
  lease.free(); // idempotent, no throw
  const again = await pool.get('s');
  assert.equal((await again.callTool('echo', { message: 'ok' })).content[0].text, 'ok', 'the session was kept');
  again.free();
  assert.equal(pool.stats().leases, 0);
});

for (const how of ['asyncDispose', 'free', 'dispose']) {
  test(`a pool ended by ${how} closes its sessions (DELETE); every later call is POOL_CLOSED`, async (t) => {
    const s = await server(t);
    const pool = new McpPool();
    pool.registerHttp('s', s.url);
    const lease = await pool.get('s');
    await lease.callTool('echo', { message: 'x' });
    lease.release();
    assert.equal((await s.stats()).sessions, 1);
    if (how === 'asyncDispose') await pool[asyncDispose]();
    else if (how === 'free') pool.free();
    else pool[dispose]();
    await until(async () => (await s.stats()).sessions === 0, { what: 'the server saw the DELETE' });
    assert.equal(pool.closed, true);
    await rejectsWith(pool.get('s'), 'POOL_CLOSED');
    throwsWith(() => pool.registerHttp('t', s.url), 'POOL_CLOSED');
    assert.equal(pool.stats().registeredServers >= 0, true, 'stats still answer');
  });
}
