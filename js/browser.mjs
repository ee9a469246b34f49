// Browser and bundler entry: fetches and instantiates the wasm next to this file with a top-level
// await, so `import { McpPool } from "mcp-edge-pool"` needs no init call.
import init from "./mcp_edge_pool.js";

await init({ module_or_path: new URL("./mcp_edge_pool_bg.wasm", import.meta.url) });

import "./lifetimes.mjs";

export * from "./mcp_edge_pool.js";
export { McpPoolError } from "__HOST_JS__";
