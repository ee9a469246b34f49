// Node (>= 20) entry: loads the wasm synchronously from the package directory (no init call
// needed) and gives the pool its HTTP/1.1 client (./node_http.mjs, on node:net), much cheaper than
// Node's fetch; `new McpPool({ httpClient: "fetch" })` uses the global fetch instead.
import { readFileSync } from "node:fs";
import { initSync } from "./mcp_edge_pool.js";
import { mcp_use_node_http } from "__HOST_JS__";
import * as nodeHttp from "./node_http.mjs";

initSync({ module: readFileSync(new URL("./mcp_edge_pool_bg.wasm", import.meta.url)) });
mcp_use_node_http({ fetch: nodeHttp.fetch, Abort: nodeHttp.Abort });

export * from "./mcp_edge_pool.js";
