// Registering, unregistering, per-server options (headers, limits), clientInfo, stats() and close().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { McpPool, McpClient } from 'mcp-edge-pool';
import { FLAVOURS, serverFor, poolFor, rejectsWith, throwsWith, until, recordingProxy, defer, sleep } from './helpers.mjs';

const TS = FLAVOURS[0];
const SERVER_KEYS = ['activeConnections', 'connectionErrors', 'healthChecksFailed', 'healthChecksPassed', 'idleConnections',
  'leases', 'maxConnections', 'openingConnections', 'totalConnections', 'waiting'].sort();
const POOL_KEYS = ['activeConnections', 'connectionErrors', 'healthChecksFailed', 'healthChecksPassed', 'idleConnections',
  'leases', 'openingConnections', 'registeredServers', 'servers', 'totalConnections', 'waiting'].sort();

test('the package exports the two classes; a new pool does no I/O and has zeroed stats', () => {
  assert.equal(typeof McpPool, 'function');
  assert.equal(typeof McpClient, 'function');
  const pool = new McpPool({ maxConnectionsPerServer: 7 });
  pool.registerHttp('a', 'http://127.0.0.1:1/mcp');
  pool.registerHttp('b', 'http://127.0.0.1:1/mcp', { maxConnections: 2 });
  const stats = pool.stats();
  // every documented field is there (newer builds may add more, e.g. circuit-breaker state)
  const missing = (obj, keys) => keys.filter((k) => !(k in obj));
  assert.deepEqual(missing(stats, POOL_KEYS), []);
  assert.deepEqual(Object.keys(stats.servers).sort(), ['a', 'b']);
  for (const s of Object.values(stats.servers)) assert.deepEqual(missing(s, SERVER_KEYS), []);
  assert.equal(stats.servers.a.maxConnections, 7);
  assert.equal(stats.servers.b.maxConnections, 2);
  const totals = Object.fromEntries(POOL_KEYS.filter((k) => k !== 'servers').map((k) => [k, stats[k]]));
  assert.deepEqual(totals, {
    activeConnections: 0, connectionErrors: 0, healthChecksFailed: 0, healthChecksPassed: 0, idleConnections: 0,
    leases: 0, openingConnections: 0, registeredServers: 2, totalConnections: 0, waiting: 0,
  });
  assert.notEqual(pool.stats(), pool.stats(), 'stats() is a fresh snapshot');
  pool.close();
});

test('TS SDK: stats() track leases, sessions and totals per server', async (t) => {
  const one = await serverFor(t, TS);
  const two = await serverFor(t, TS);
  const pool = poolFor(t);
  pool.registerHttp('one', one.url);
  pool.registerHttp('two', two.url);
  const a = await pool.get('one');
  const b = await pool.get('one');
  const c = await pool.get('two');
  let s = pool.stats();
  assert.equal(s.leases, 3);
  assert.equal(s.servers.one.leases, 2);
  assert.equal(s.servers.two.leases, 1);
  assert.equal(s.activeConnections, s.servers.one.activeConnections + s.servers.two.activeConnections);
  assert.equal(s.totalConnections, s.servers.one.totalConnections + s.servers.two.totalConnections);
  assert.equal(s.idleConnections, 0);
  a.release(); b.release(); c.release();
  s = pool.stats();
  assert.equal(s.leases, 0);
  assert.equal(s.activeConnections, 0);
  assert.equal(s.idleConnections, s.totalConnections);
  assert.equal(s.servers.two.totalConnections, 1);
});

test('TS SDK: unregister() closes the sessions, fails the waiters, keeps lent leases working', async (t) => {
  const server = await serverFor(t, TS);
  const pool = poolFor(t, { maxConnectionsPerServer: 1, maxLeasesPerConnection: 1 });
  pool.registerHttp('s', server.url);
  pool.registerHttp('keep', server.url);
  const held = await pool.get('s');
  const waiter = rejectsWith(pool.get('s'), 'UNKNOWN_SERVER', { server: 's' });
  await until(() => pool.stats().waiting === 1, { what: 'a waiter' });
  const idle = await pool.get('keep');
  idle.release();

  assert.equal(await pool.unregister('s'), undefined);
  await waiter;
  assert.deepEqual(pool.servers(), ['keep']);
  await rejectsWith(pool.get('s'), 'UNKNOWN_SERVER');
  await rejectsWith(pool.unregister('s'), 'UNKNOWN_SERVER');
  const s = pool.stats();
  assert.equal(s.registeredServers, 1);
  assert.equal(s.waiting, 0);
  assert.deepEqual(Object.keys(s.servers), ['keep']);
  assert.equal(s.totalConnections, 2, 'counters of unregistered servers stay in the totals');
  // its session was DELETEd; the held lease's calls now fail with a typed error
  await until(async () => (await server.stats()).deleted === 1, { what: 'DELETE' });
  await rejectsWith(held.callTool('echo', { message: 'x' }), 'SESSION_CLOSED');
  held.release();
  // the name can be registered again
  pool.registerHttp('s', server.url);
  const again = await pool.get('s');
  assert.equal((await again.callTool('echo', { message: 'back' })).content[0].text, 'back');
  again.release();
});

test('TS SDK: registerHttp headers go to that server only; clientInfo is sent in initialize', async (t) => {
  const server = await serverFor(t, TS);
  const withHeaders = await recordingProxy(server.url);
  const without = await recordingProxy(server.url);
  defer(t, () => withHeaders.close());
  defer(t, () => without.close());
  const pool = poolFor(t, { clientInfo: { name: 'node-tests', version: '9.9.9' } });
  pool.registerHttp('auth', withHeaders.url, { headers: { Authorization: 'Bearer secret-token', 'X-Tenant': 'acme' } });
  pool.registerHttp('plain', without.url);
  for (const name of ['auth', 'plain']) {
    const c = await pool.get(name);
    await c.callTool('echo', { message: name });
    c.release();
  }
  await pool.close();

  // initialize (first: no era probe for a server that speaks the session era), initialized,
  // tools/call, DELETE
  assert.deepEqual(withHeaders.requests.map((r) => r.method), ['POST', 'POST', 'POST', 'DELETE']);
  for (const r of withHeaders.requests) {
    assert.equal(r.headers.authorization, 'Bearer secret-token', `${r.method} carries Authorization`);
    assert.equal(r.headers['x-tenant'], 'acme');
  }
  for (const r of without.requests) {
    assert.equal(r.headers.authorization, undefined);
    assert.equal(r.headers['x-tenant'], undefined);
  }
  const init = JSON.parse(withHeaders.requests[0].body);
  assert.equal(init.method, 'initialize');
  assert.deepEqual(init.params.clientInfo, { name: 'node-tests', version: '9.9.9' });
  assert.equal(typeof init.params.protocolVersion, 'string');
  // after the handshake, every request carries the session id and the negotiated version
  const sid = withHeaders.requests[1].headers['mcp-session-id'];
  assert.ok(sid, 'the session id is sent');
  for (const r of withHeaders.requests.slice(1)) {
    assert.equal(r.headers['mcp-session-id'], sid);
    assert.equal(r.headers['mcp-protocol-version'], init.params.protocolVersion);
  }
  assert.equal(JSON.parse(withHeaders.requests[1].body).method, 'notifications/initialized');
  assert.match(withHeaders.requests[0].headers.accept, /application\/json/);
  assert.match(withHeaders.requests[0].headers.accept, /text\/event-stream/);
});

test('TS SDK: registerHttp maxConnections and maxLeasesPerConnection override the pool', async (t) => {
  const server = await serverFor(t, TS);
  const pool = poolFor(t, { maxConnectionsPerServer: 10, maxLeasesPerConnection: 100 });
  pool.registerHttp('narrow', server.url, { maxConnections: 2, maxLeasesPerConnection: 2 });
  const clients = await Promise.all(Array.from({ length: 4 }, () => pool.get('narrow')));
  const s = pool.stats().servers.narrow;
  assert.equal(s.maxConnections, 2);
  assert.equal(s.leases, 4);
  assert.equal(s.activeConnections, 2);
  await rejectsWith(pool.get('narrow', { timeoutMs: 100 }), 'ACQUIRE_TIMEOUT', { server: 'narrow' });
  clients.forEach((c) => c.release());
  assert.equal((await server.stats()).initialize, 2);
});

test('TS SDK: close() ends every session with DELETE and leaves nothing open', async (t) => {
  const server = await serverFor(t, TS);
  const pool = poolFor(t, { maxLeasesPerConnection: 1 });
  pool.registerHttp('s', server.url);
  const clients = [];
  for (let i = 0; i < 3; i++) clients.push(await pool.get('s')); // one lease per session: 3 sessions
  clients.forEach((c) => c.release());
  assert.equal((await server.stats()).sessions, 3);
  await pool.close();
  const seen = await server.stats();
  assert.equal(seen.deleted, 3);
  assert.equal(seen.sessions, 0);
  assert.equal(pool.stats().idleConnections, 0);
  await sleep(20);
  throwsWith(() => clients[0].release(), 'LEASE_RELEASED');
});

test('TS SDK: client[Symbol.dispose]() (what `using` calls) gives the lease back', async (t) => {
  const server = await serverFor(t, TS);
  const pool = poolFor(t, { maxConnectionsPerServer: 1, maxLeasesPerConnection: 1 });
  pool.registerHttp('s', server.url);
  const c = await pool.get('s');
  assert.equal(typeof c[Symbol.dispose], 'function');
  c[Symbol.dispose]();
  assert.equal(pool.stats().leases, 0);
  const next = await pool.get('s', { timeoutMs: 500 });
  assert.deepEqual(await next.ping(), {});
  next.release();
  assert.equal((await server.stats()).initialize, 1, 'the session went back to the pool');
});
