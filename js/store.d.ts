import type { PoolSnapshot } from "./mcp_edge_pool.js";

/** Where a snapshot is kept between isolates. */
export interface SnapshotStore {
  load(key: string): Promise<PoolSnapshot | null>;
  save(key: string, snapshot: PoolSnapshot): Promise<void>;
}

/** The parts of a Workers KV namespace the store uses. */
export interface KvLike {
  get(key: string, options: { type: "json" }): Promise<unknown>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
}

/** The parts of Durable Object storage the store uses. */
export interface DurableStorageLike {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
}

export function kvStore(namespace: KvLike, options?: { expirationTtl?: number }): SnapshotStore;
export function durableObjectStore(storage: DurableStorageLike): SnapshotStore;
export function memoryStore(): SnapshotStore;
