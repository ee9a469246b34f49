// Cloudflare Workers (workerd, wrangler) entry: the runtime hands the .wasm import over as a
// compiled WebAssembly.Module, and instantiating it at module scope is allowed (compiling bytes is not).
import wasmModule from "./mcp_edge_pool_bg.wasm";
import { initSync } from "./mcp_edge_pool.js";

initSync({ module: wasmModule });

import "./lifetimes.mjs";

export * from "./mcp_edge_pool.js";
export { McpPoolError } from "__HOST_JS__";
