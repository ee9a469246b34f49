// Every failure is an Error with name "McpPoolError" and a stable .code (plus .server, .status,
// .rpcCode, .data where they apply): configuration, leases, closed pools, servers' answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { McpPool } from 'mcp-edge-pool';
import { FLAVOURS, serverFor, poolFor, rejectsWith, throwsWith, until } from './helpers.mjs';

const TS = FLAVOURS[0];

/** A loopback port with nothing listening on it. */
async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

test('invalid configuration and registration', () => {
  throwsWith(() => new McpPool({ maxConnectionsPerServer: 0 }), 'INVALID_CONFIG');
  throwsWith(() => new McpPool({ maxLeasesPerConnection: 1.5 }), 'INVALID_CONFIG');
  throwsWith(() => new McpPool({ healthCheckIntervalMs: 50 }), 'INVALID_CONFIG'); // minimum is 100
  throwsWith(() => new McpPool({ requestTimeoutMs: 0 }), 'INVALID_CONFIG');
  throwsWith(() => new McpPool({ acquireTimeoutMs: '10' }), 'INVALID_CONFIG');
  throwsWith(() => new McpPool({ clientInfo: { name: '', version: '1' } }), 'INVALID_CONFIG');
  throwsWith(() => new McpPool({ maxConnection: 3 }), 'INVALID_CONFIG'); // a typo is not ignored
  throwsWith(() => new McpPool('fast'), 'INVALID_ARGUMENT');
  for (const ok of [undefined, null, {}, { healthCheckIntervalMs: 0 }, { healthCheckIntervalMs: 100 }]) {
    const pool = new McpPool(ok);
    assert.equal(pool.closed, false);
    pool.close();
  }

  const pool = new McpPool();
  try {
    throwsWith(() => pool.registerHttp('s', 'not a url'), 'INVALID_URL');
    throwsWith(() => pool.registerHttp('s', 'ftp://127.0.0.1/mcp'), 'INVALID_URL');
    throwsWith(() => pool.registerHttp('s', '/relative/mcp'), 'INVALID_URL');
    const cred = throwsWith(() => pool.registerHttp('s', 'http://user:s3cret@127.0.0.1:1/mcp'), 'INVALID_URL');
    assert.ok(!cred.message.includes('s3cret'), 'the error never echoes credentials');
    throwsWith(() => pool.registerHttp('s', 42), 'INVALID_URL');
    throwsWith(() => pool.registerHttp('bad name!', 'http://127.0.0.1:1/mcp'), 'INVALID_SERVER_NAME');
    throwsWith(() => pool.registerHttp('', 'http://127.0.0.1:1/mcp'), 'INVALID_SERVER_NAME');
    throwsWith(() => pool.registerHttp('x'.repeat(65), 'http://127.0.0.1:1/mcp'), 'INVALID_SERVER_NAME');
    throwsWith(() => pool.registerHttp('s', 'http://127.0.0.1:1/mcp', { headers: { 'Mcp-Session-Id': 'x' } }), 'INVALID_CONFIG');
    throwsWith(() => pool.registerHttp('s', 'http://127.0.0.1:1/mcp', { headers: { 'bad header': 'x' } }), 'INVALID_CONFIG');
    throwsWith(() => pool.registerHttp('s', 'http://127.0.0.1:1/mcp', { headers: { 'x-n': 1 } }), 'INVALID_CONFIG');
    throwsWith(() => pool.registerHttp('s', 'http://127.0.0.1:1/mcp', { maxConnections: 0 }), 'INVALID_CONFIG');
    throwsWith(() => pool.registerHttp('s', 'http://127.0.0.1:1/mcp', { unknown: true }), 'INVALID_CONFIG');
    assert.deepEqual(pool.servers(), [], 'nothing invalid got registered');

    pool.registerHttp('b', 'http://127.0.0.1:1/mcp');
    pool.registerHttp('a-1_x', 'https://example.invalid/mcp', { headers: { Authorization: 'Bearer t' }, maxConnections: 2 });
    throwsWith(() => pool.registerHttp('b', 'http://127.0.0.1:2/mcp'), 'DUPLICATE_SERVER', { server: 'b' });
    assert.deepEqual(pool.servers(), ['a-1_x', 'b']);

    const stdio = throwsWith(() => pool.registerStdio('local', 'npx', ['-y', 'some-server']), 'STDIO_UNSUPPORTED');
    assert.equal(stdio.server, 'local');
    assert.deepEqual(pool.servers(), ['a-1_x', 'b'], 'registerStdio registers nothing');
    assert.equal(pool.stats().registeredServers, 2);
  } finally {
    pool.close();
  }
});

test('unknown servers', async (t) => {
  const pool = poolFor(t);
  await rejectsWith(pool.get('nope'), 'UNKNOWN_SERVER', { server: 'nope' });
  await rejectsWith(pool.unregister('nope'), 'UNKNOWN_SERVER', { server: 'nope' });
  await rejectsWith(pool.get('bad name!'), 'UNKNOWN_SERVER'); // a name that cannot be registered is unknown
  await rejectsWith(pool.get('x'.repeat(65)), 'INVALID_SERVER_NAME');
  await rejectsWith(pool.get(undefined), 'INVALID_ARGUMENT');
  await rejectsWith(pool.get('nope', { timeoutMs: 'soon' }), 'INVALID_CONFIG');
  assert.equal(pool.stats().waiting, 0);
});

test('TS SDK: double release, released clients, foreign leases', async (t) => {
  const server = await serverFor(t, TS);
  const pool = poolFor(t);
  const other = poolFor(t);
  pool.registerHttp('s', server.url);
  pool.registerHttp('t', server.url);
  other.registerHttp('s', server.url);

  // double release, both ways
  const a = await pool.get('s');
  a.release();
  throwsWith(() => a.release(), 'LEASE_RELEASED');
  throwsWith(() => pool.release('s', a), 'LEASE_RELEASED');
  await rejectsWith(a.callTool('echo', { message: 'x' }), 'LEASE_RELEASED');
  await rejectsWith(a.ping(), 'LEASE_RELEASED');
  await rejectsWith(a.listTools(), 'LEASE_RELEASED');
  const b = await pool.get('s');
  pool.release('s', b);
  throwsWith(() => b.release(), 'LEASE_RELEASED');
  assert.equal(pool.stats().leases, 0);

  // a client of another pool, whose leaseId equals a live lease of this pool
  const mine = await pool.get('s');
  let theirs = await other.get('s');
  while (theirs.leaseId < mine.leaseId) { // make the ids collide: each pool numbers its own leases
    const next = await other.get('s');
    theirs.release();
    theirs = next;
  }
  assert.equal(theirs.leaseId, mine.leaseId, 'the two pools use the same lease id');
  throwsWith(() => pool.release('s', theirs), 'FOREIGN_LEASE');
  assert.equal(mine.released, false, "this pool's own lease with the same id was not released instead");
  assert.equal(theirs.released, false);
  assert.equal(pool.stats().leases, 1);
  assert.equal(other.stats().leases, 1);
  throwsWith(() => other.release('s', mine), 'FOREIGN_LEASE');
  assert.equal(mine.released, false);

  // a lookalike object, a lease on another server of the same pool, non-clients
  throwsWith(() => pool.release('s', { leaseId: mine.leaseId }), 'FOREIGN_LEASE');
  assert.equal(mine.released, false);
  const onT = await pool.get('t');
  throwsWith(() => pool.release('s', onT), 'FOREIGN_LEASE');
  throwsWith(() => pool.release('t', mine), 'FOREIGN_LEASE');
  throwsWith(() => pool.release('s', 'client'), 'INVALID_ARGUMENT');
  throwsWith(() => pool.release('s', undefined), 'INVALID_ARGUMENT');
  assert.equal(pool.stats().leases, 2);

  other.release('s', theirs);
  pool.release('s', mine);
  pool.release('t', onT);
  assert.equal(pool.stats().leases, 0);
  assert.equal(other.stats().leases, 0);
});

for (const flavour of FLAVOURS) {
  test(`${flavour.name}: a JSON-RPC error is RPC_ERROR with rpcCode, and the session stays usable`, async (t) => {
    const server = await serverFor(t, flavour);
    const pool = poolFor(t);
    pool.registerHttp('s', server.url);
    const c = await pool.get('s');
    const err = await rejectsWith(c.request('no/such/method'), 'RPC_ERROR', { server: 's', rpcCode: -32601 });
    assert.match(err.message, /not found|no\/such\/method/i);
    const err2 = await rejectsWith(c.request('no/such/method', { x: 1 }), 'RPC_ERROR', { rpcCode: -32601 });
    assert.equal(err2.status, undefined, 'an RPC error has no HTTP status');
    assert.equal((await c.callTool('echo', { message: 'after' })).content[0].text, 'after');
    c.release();
    assert.equal((await server.stats()).initialize, 1);
    assert.equal(pool.stats().idleConnections, 1, 'an RPC error does not evict the session');
  });

  test(`${flavour.name}: REQUEST_TIMEOUT on slow, then the same client still works`, async (t) => {
    const server = await serverFor(t, flavour);
    const pool = poolFor(t, { requestTimeoutMs: 10_000 });
    pool.registerHttp('s', server.url);
    const c = await pool.get('s');
    let t0 = Date.now();
    const err = await rejectsWith(c.callTool('slow', { ms: 3000 }, { timeoutMs: 200 }), 'REQUEST_TIMEOUT', { server: 's' });
    let elapsed = Date.now() - t0;
    assert.ok(elapsed >= 190 && elapsed < 1500, `timed out after ${elapsed} ms`);
    assert.match(err.message, /tools\/call/);
    assert.equal((await c.callTool('echo', { message: 'still here' })).content[0].text, 'still here');
    assert.deepEqual(await c.ping(), {});
    // An abort mid-request is ABORTED, and the client survives it too.
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    t0 = Date.now();
    await rejectsWith(c.callTool('slow', { ms: 3000 }, { signal: ac.signal }), 'ABORTED');
    elapsed = Date.now() - t0;
    assert.ok(elapsed < 1500, `aborted after ${elapsed} ms`);
    await rejectsWith(c.callTool('slow', { ms: 3000 }, { signal: AbortSignal.abort() }), 'ABORTED');
    assert.equal((await c.callTool('echo', { message: 'again' })).content[0].text, 'again');
    c.release();
    assert.equal((await server.stats()).initialize, 1, 'no re-initialize after a timeout');
    assert.equal(pool.stats().idleConnections, 1, 'a timeout does not evict the session');
    if (flavour.ts) {
      // notifications/cancelled reached the server for the timed-out and the aborted call
      await until(async () => (await server.stats()).cancelled >= 2, { what: 'notifications/cancelled x2' });
      await until(async () => (await server.stats()).aborted >= 2, { what: 'the server aborted both tool runs' });
    }
  });
}

test('TS SDK: requestTimeoutMs from the pool and from registerHttp', async (t) => {
  const server = await serverFor(t, TS);
  const pool = poolFor(t, { requestTimeoutMs: 150 });
  pool.registerHttp('pooled', server.url);
  pool.registerHttp('own', server.url, { requestTimeoutMs: 1000 });
  const a = await pool.get('pooled');
  const b = await pool.get('own');
  let t0 = Date.now();
  await rejectsWith(a.callTool('slow', { ms: 3000 }), 'REQUEST_TIMEOUT', { server: 'pooled' });
  const pooled = Date.now() - t0;
  t0 = Date.now();
  await rejectsWith(b.callTool('slow', { ms: 3000 }), 'REQUEST_TIMEOUT', { server: 'own' });
  const own = Date.now() - t0;
  // 150 and 1000 ms lie far apart, so that a loaded machine (a late timer, a slow hop) cannot
  // make one pass for the other; the slow tool answers after 3000.
  assert.ok(pooled >= 140 && pooled < 900, `pool requestTimeoutMs: ${pooled} ms`);
  assert.ok(own >= 990 && own < 2900, `server requestTimeoutMs: ${own} ms`);
  assert.equal((await b.callTool('slow', { ms: 20 })).content[0].text, 'done', 'a fast call fits');
  a.release();
  b.release();
});

test('connection failures: nothing listening, HTTP error on initialize', async (t) => {
  const server = await serverFor(t, TS);
  const port = await closedPort();
  const pool = poolFor(t);
  pool.registerHttp('down', `http://127.0.0.1:${port}/mcp`);
  pool.registerHttp('wrongpath', server.url.replace(/\/mcp$/, '/not-mcp'));
  const down = await rejectsWith(pool.get('down'), 'CONNECT_FAILED', { server: 'down' });
  assert.match(down.message, /ECONNREFUSED|refused/i);
  const wrong = await rejectsWith(pool.get('wrongpath'), 'CONNECT_FAILED', { server: 'wrongpath', status: 404 });
  assert.match(wrong.message, /404/);
  const stats = pool.stats();
  assert.equal(stats.connectionErrors, 2);
  assert.equal(stats.servers.down.connectionErrors, 1);
  assert.equal(stats.totalConnections, 0);
  assert.equal(stats.openingConnections, 0);
  assert.equal(stats.waiting, 0);
});

test('TS SDK: a closed pool', async (t) => {
  const server = await serverFor(t, TS);
  const pool = poolFor(t, { maxConnectionsPerServer: 1, maxLeasesPerConnection: 1 });
  pool.registerHttp('s', server.url);
  const held = await pool.get('s');
  const waiter = pool.get('s');
  await until(() => pool.stats().waiting === 1, { what: 'a waiter' });

  const closing = pool.close();
  await rejectsWith(waiter, 'POOL_CLOSED');
  assert.equal(await closing, undefined);
  assert.equal(pool.closed, true);
  assert.equal(await pool.close(), undefined, 'close() is idempotent');

  await rejectsWith(pool.get('s'), 'POOL_CLOSED');
  throwsWith(() => pool.registerHttp('x', server.url), 'POOL_CLOSED');
  await rejectsWith(pool.unregister('s'), 'POOL_CLOSED');
  assert.equal(await pool.maintain(), undefined);
  assert.deepEqual(pool.servers(), []);
  const stats = pool.stats();
  assert.equal(stats.registeredServers, 0);
  assert.equal(stats.totalConnections, 1, 'cumulative counters survive close');

  // A lease still out when the pool closed: its session is gone
  await rejectsWith(held.callTool('echo', { message: 'late' }), 'SESSION_CLOSED', { server: 's' });
  held.release();
  throwsWith(() => held.release(), 'LEASE_RELEASED');
  assert.equal((await server.stats()).deleted, 1, 'close() ended the session with DELETE');
  assert.equal((await server.stats()).sessions, 0);
});

test('pool.closed is true as soon as close() is called (as documented), and nothing registers after it', async (t) => {
  const pool = new McpPool();
  const closing = pool.close();
  const closedAtOnce = pool.closed;
  let registered = true;
  try { pool.registerHttp('late', 'http://127.0.0.1:1/mcp'); } catch (e) { registered = e.code !== 'POOL_CLOSED'; }
  await closing;
  assert.equal(pool.closed, true);
  assert.deepEqual(
    { closedAtOnce, registeredAfterClose: registered, serversAfterClose: pool.servers() },
    { closedAtOnce: true, registeredAfterClose: false, serversAfterClose: [] },
  );
});
