// The snapshot stores (mcp-edge-pool/store) over plain objects shaped like Workers KV and Durable
// Object storage, round-tripping a real pool's snapshot into a new pool that resumes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { McpPool } from 'mcp-edge-pool';
import { kvStore, durableObjectStore, memoryStore } from 'mcp-edge-pool/store';
import { defer, poolFor, startTsServer } from './helpers.mjs';

function fakeKv() {
  const map = new Map();
  return {
    map,
    async get(key, { type }) { assert.equal(type, 'json'); return map.has(key) ? JSON.parse(map.get(key)) : null; },
    async put(key, value, options) { assert.equal(typeof value, 'string'); map.set(key, value); this.lastOptions = options; },
  };
}

function fakeDurableStorage() {
  const map = new Map();
  return { map, async get(key) { return structuredClone(map.get(key)); }, async put(key, value) { map.set(key, structuredClone(value)); } };
}

for (const [name, make] of [
  ['kvStore', () => kvStore(fakeKv(), { expirationTtl: 3600 })],
  ['durableObjectStore', () => durableObjectStore(fakeDurableStorage())],
  ['memoryStore', () => memoryStore()],
]) {
  test(`${name}: a snapshot saved by one pool is resumed by a new one without a handshake`, async (t) => {
    const server = await startTsServer();
    defer(t, () => server.stop());
    const store = make();
    assert.equal(await store.load('k'), null, 'empty store');

    const old = poolFor(t);
    old.registerHttp('s', server.url, { headers: { Authorization: 'Bearer STORE-SECRET' } });
    const c = await old.get('s');
    await c.callTool('echo', { message: 'one' });
    c.release();
    await store.save('k', old.snapshot());

    const snapshot = await store.load('k');
    assert.ok(!JSON.stringify(snapshot).includes('STORE-SECRET'), 'no header in the stored snapshot');
    const fresh = McpPool.restore(snapshot, {});
    defer(t, () => fresh.close());
    fresh.registerHttp('s', server.url, { headers: { Authorization: 'Bearer STORE-SECRET' } });
    const d = await fresh.get('s');
    const r = await d.callTool('echo', { message: 'two' });
    d.release();
    assert.equal(r.content[0].text, 'two');
    assert.equal((await server.stats()).initialize, 1, 'only the first pool shook hands');
    assert.equal(fresh.stats().servers.s.restoredConnections, 1);
  });
}

test('McpPool.restore refuses what is not a snapshot, and accepts null', async () => {
  assert.throws(() => McpPool.restore({ version: 2, takenAtMs: 0, servers: {} }), (e) => e.code === 'INVALID_ARGUMENT');
  assert.throws(() => McpPool.restore({ servers: 'no' }), (e) => e.code === 'INVALID_ARGUMENT');
  const plain = McpPool.restore(null, { maxConnectionsPerServer: 1 });
  assert.equal(plain.stats().registeredServers, 0);
  await plain.close();
});
