// `using` and `await using`, and `free()`, for the package's classes. wasm-bindgen's own `free()` and
// `[Symbol.dispose]` drop the Rust object at once: a pool's sessions got no DELETE, and every later
// call threw "null pointer passed to rust", with no code. Here a lease's dispose (and `free()`) releases
// it, and a pool's `[Symbol.asyncDispose]` (and `free()`, `[Symbol.dispose]`) closes it; the Rust object
// itself is dropped by wasm-bindgen's finalizer once the JS object is collected. After either, every
// method throws a typed `LEASE_RELEASED` / `POOL_CLOSED` (tests/node/lifetimes.test.mjs).
import { McpClient, McpPool } from "./mcp_edge_pool.js";

const dispose = Symbol.dispose ?? Symbol.for("Symbol.dispose");
const asyncDispose = Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose");

function releaseLease() {
  if (!this.released) this.release();
}

function closePool() {
  return this.close();
}

McpClient.prototype.free = releaseLease;
McpClient.prototype[dispose] = releaseLease;
McpPool.prototype.free = function free() {
  void this.close();
};
McpPool.prototype[dispose] = McpPool.prototype.free;
McpPool.prototype[asyncDispose] = closePool;
