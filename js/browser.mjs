// Browser and bundler entry: fetches and instantiates the wasm next to this file with a top-level
// await, so `import { McpPool } from "mcp-edge-pool"` needs no init call. A missing .wasm (a bundle
// it was not copied next to, a dev server's HTML fallback page) fails with an error naming the file
// and the URL it was looked for at (./load_wasm.mjs).
import init from "./mcp_edge_pool.js";
import { initFromUrl } from "./load_wasm.mjs";

await initFromUrl(init, new URL("./mcp_edge_pool_bg.wasm", import.meta.url));

import "./lifetimes.mjs";

export * from "./mcp_edge_pool.js";
export { McpPoolError } from "__HOST_JS__";
