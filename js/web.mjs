// The `./web` entry: wasm-bindgen's web-target module (call its default `init` yourself), with the
// package's error class and lifetimes, as the other entries have them.
import "./lifetimes.mjs";

export * from "./mcp_edge_pool.js";
export { default } from "./mcp_edge_pool.js";
export { McpPoolError } from "__HOST_JS__";
