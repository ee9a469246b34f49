// Node (>= 20.18.1) entry: loads the wasm synchronously from the package directory (no init call
// needed) and gives the pool its Node HTTP client (./node_undici.mjs: undici's dispatch API on a
// keep-alive dispatcher that honours HTTP_PROXY / HTTPS_PROXY / NO_PROXY, made on the first request;
// undici itself is imported with the package); `new McpPool({ httpClient: "fetch" })` uses the global fetch instead.
// Deno takes this entry too. Bun does as well, but its `undici` is its own small layer over its
// fetch (it never loads the package's undici), so under Bun the pool sends through fetch.
import { readFileSync } from "node:fs";
import v8 from "node:v8";
import { initSync } from "./mcp_edge_pool.js";
import { mcp_use_node_http } from "__HOST_JS__";
import * as nodeHttp from "./node_undici.mjs";
import "./lifetimes.mjs";

// V8 before 15 (Node 20, 22) kills the process ("Fatal error … unreachable code" in
// Deoptimizer::DoComputeBuiltinContinuation) when optimized JS that inlined a call to a wasm export
// returning externref is deoptimized during that call. The glue's exports return JS values as
// externref, and the wasm calls back into JS, which can deoptimize the caller: seen once in this
// package's tests. Turning that inlining off (a speed option only, for code optimized from now on)
// avoids it; tests/node/v8-wasm-inlining.test.mjs reproduces the crash and checks the guard.
// Bun (JavaScriptCore) and Deno (V8 15) take this entry too and need nothing.
const v8Major = Number(String(process.versions.v8 ?? "").split(".")[0]);
if (typeof Bun === "undefined" && typeof Deno === "undefined" && v8Major > 0 && v8Major < 15) {
  v8.setFlagsFromString("--no-turbo-inline-js-wasm-calls");
}

initSync({ module: readFileSync(new URL("./mcp_edge_pool_bg.wasm", import.meta.url)) });
if (typeof Bun === "undefined") mcp_use_node_http({ fetch: nodeHttp.fetch, Abort: nodeHttp.Abort });


export * from "./mcp_edge_pool.js";
export { McpPoolError } from "__HOST_JS__";
