// Sessions are reused across get/release: many sequential leases ride on one MCP session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, serverFor, poolFor } from './helpers.mjs';

for (const flavour of FLAVOURS) {
  test(`${flavour.name}: 50 sequential get/callTool/release share one session`, async (t) => {
    const server = await serverFor(t, flavour);
    const pool = poolFor(t, { maxConnectionsPerServer: 3 });
    pool.registerHttp('s', server.url);

    const leaseIds = new Set();
    for (let i = 0; i < 50; i++) {
      const client = await pool.get('s');
      assert.equal(client.server, 's');
      assert.equal(client.released, false);
      leaseIds.add(client.leaseId);
      const result = await client.callTool('echo', { message: `m${i}` });
      assert.deepEqual(result.content, [{ type: 'text', text: `m${i}` }]);
      if (i % 2) client.release();
      else pool.release('s', client);
      assert.equal(client.released, true);
    }
    assert.equal(leaseIds.size, 50, 'every get hands out a new lease id');

    const seen = await server.stats();
    assert.equal(seen.initialize, 1, 'one initialize for 50 leases');
    assert.equal(seen.toolCalls.echo, 50);
    // initialize + notifications/initialized + 50 calls: no era probe for a session-era server,
    // and no extra traffic per get/release
    assert.equal(seen.posts, 52);
    assert.equal(seen.deleted, 0, 'release never closes the session');

    const stats = pool.stats();
    assert.equal(stats.totalConnections, 1);
    assert.equal(stats.idleConnections, 1);
    assert.equal(stats.activeConnections, 0);
    assert.equal(stats.leases, 0);
    assert.equal(stats.connectionErrors, 0);

    await pool.close();
    if (flavour.stateful) assert.equal((await server.stats()).deleted, 1, 'close() DELETEs the session');
  });
}

test('TS SDK: concurrent leases share a session when maxLeasesPerConnection allows it', async (t) => {
  const server = await serverFor(t, FLAVOURS[0]);
  const pool = poolFor(t, { maxConnectionsPerServer: 1 });
  pool.registerHttp('s', server.url);
  const clients = await Promise.all(Array.from({ length: 10 }, () => pool.get('s')));
  assert.equal(pool.stats().leases, 10);
  assert.equal(pool.stats().activeConnections, 1);
  const results = await Promise.all(clients.map((c, i) => c.callTool('echo', { message: String(i) })));
  results.forEach((r, i) => assert.equal(r.content[0].text, String(i)));
  clients.forEach((c) => c.release());
  assert.equal((await server.stats()).initialize, 1);
  assert.equal(pool.stats().leases, 0);
});
