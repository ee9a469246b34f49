// The per-server session cap holds under a burst of concurrent getters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, serverFor, poolFor, until } from './helpers.mjs';

for (const flavour of FLAVOURS) {
  for (const maxLeasesPerConnection of [undefined, 1]) {
    const label = maxLeasesPerConnection ? 'one lease per session' : 'shared sessions';
    test(`${flavour.name}: 100 concurrent getters, maxConnectionsPerServer 3 (${label})`, async (t) => {
      const server = await serverFor(t, flavour);
      const pool = poolFor(t, { maxConnectionsPerServer: 3, maxLeasesPerConnection, acquireTimeoutMs: 30_000 });
      pool.registerHttp('s', server.url);

      let peak = { sessions: 0, leases: 0, opening: 0 };
      const sample = () => {
        const s = pool.stats().servers.s;
        peak = {
          sessions: Math.max(peak.sessions, s.activeConnections + s.idleConnections + s.openingConnections),
          leases: Math.max(peak.leases, s.leases),
          opening: Math.max(peak.opening, s.openingConnections),
        };
      };
      const agent = async (i) => {
        const client = await pool.get('s');
        sample();
        try {
          const r = await client.callTool('echo', { message: `agent ${i}` });
          return r.content[0].text;
        } finally {
          client.release();
        }
      };
      const settled = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => agent(i)));
      const failed = settled.filter((s) => s.status === 'rejected');
      assert.deepEqual(failed.map((f) => `${f.reason?.code}: ${f.reason?.message}`), [], 'no call failed');
      settled.forEach((s, i) => assert.equal(s.value, `agent ${i}`));

      const seen = await server.stats();
      assert.ok(seen.initialize <= 3, `initialize ${seen.initialize} <= 3`);
      assert.ok(seen.initialize >= 1);
      assert.equal(seen.toolCalls.echo, 100);
      assert.ok(peak.sessions <= 3, `peak sessions ${peak.sessions} <= 3`);
      if (maxLeasesPerConnection === 1) assert.ok(peak.leases <= 3, `peak leases ${peak.leases} <= 3`);

      const stats = pool.stats();
      assert.equal(stats.activeConnections, 0);
      assert.equal(stats.leases, 0);
      assert.equal(stats.waiting, 0);
      assert.equal(stats.openingConnections, 0);
      assert.ok(stats.totalConnections <= 3, `totalConnections ${stats.totalConnections} <= 3`);
      assert.equal(stats.totalConnections, seen.initialize, 'one initialize per pooled session');
      assert.equal(stats.idleConnections, stats.totalConnections);
      assert.equal(stats.connectionErrors, 0);
      t.diagnostic(`initialize=${seen.initialize} peak=${JSON.stringify(peak)}`);
    });
  }
}

for (const flavour of FLAVOURS.slice(0, 2)) {
  test(`${flavour.name}: N concurrent getters on an empty pool open at most N sessions`, async (t) => {
    const server = await serverFor(t, flavour);
    const rounds = [];
    for (let round = 0; round < 3; round++) {
      await server.reset();
      const pool = poolFor(t, { maxLeasesPerConnection: 1, maxConnectionsPerServer: 20 });
      pool.registerHttp('s', server.url);
      const clients = await Promise.all(Array.from({ length: 10 }, () => pool.get('s')));
      clients.forEach((c) => c.release());
      await until(() => pool.stats().openingConnections === 0, { what: 'opens settled' });
      rounds.push({ initialize: (await server.stats()).initialize, sessions: pool.stats().totalConnections });
      await pool.close();
    }
    t.diagnostic(`10 getters per round -> ${JSON.stringify(rounds)}`);
    assert.deepEqual(rounds.map((r) => r.sessions), [10, 10, 10], 'one session per concurrent getter, no more');
  });
}
