// Node (>= 20) entry: loads the wasm synchronously from the package directory. No init call needed.
import { readFileSync } from "node:fs";
import { initSync } from "./mcp_edge_pool.js";

initSync({ module: readFileSync(new URL("./mcp_edge_pool_bg.wasm", import.meta.url)) });

export * from "./mcp_edge_pool.js";
