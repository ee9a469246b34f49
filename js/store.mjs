// Snapshot stores for mcp-edge-pool: where a Worker keeps `pool.snapshot()` so that a new isolate
// starts warm with `McpPool.restore(await store.load(key), options)`. A store is any object with
// async `load(key)` (the snapshot or null) and `save(key, snapshot)`.

/**
 * A store over a Workers KV namespace (or anything with the same `get(key, { type: "json" })` /
 * `put(key, text, options)` shape). KV is eventually consistent: another location may read an
 * older snapshot for up to a minute, which only costs a re-initialize.
 */
export function kvStore(namespace, { expirationTtl } = {}) {
  return {
    async load(key) {
      return (await namespace.get(key, { type: "json" })) ?? null;
    },
    async save(key, snapshot) {
      const options = expirationTtl ? { expirationTtl } : undefined;
      await namespace.put(key, JSON.stringify(snapshot), options);
    },
  };
}

/** A store over Durable Object storage (`state.storage`: `get(key)` / `put(key, value)`). */
export function durableObjectStore(storage) {
  return {
    async load(key) {
      return (await storage.get(key)) ?? null;
    },
    async save(key, snapshot) {
      await storage.put(key, snapshot);
    },
  };
}

/** A store in memory (tests, or one long-lived process). */
export function memoryStore() {
  const map = new Map();
  return {
    async load(key) {
      const text = map.get(key);
      return text === undefined ? null : JSON.parse(text);
    },
    async save(key, snapshot) {
      map.set(key, JSON.stringify(snapshot));
    },
  };
}
