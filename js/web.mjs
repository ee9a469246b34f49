// The `./web` entry: wasm-bindgen's web-target module (call its default `init` yourself), with the
// package's error class and lifetimes, as the other entries have them. `init()`, `init({ module_or_path:
// url })` and `init(url)` fetch the wasm through ./load_wasm.mjs, so a missing .wasm is an error naming
// the file and the URL; bytes, a Response or a compiled module go to wasm-bindgen's init as they are.
import "./lifetimes.mjs";
import glueInit from "./mcp_edge_pool.js";
import { initFromUrl } from "./load_wasm.mjs";

export * from "./mcp_edge_pool.js";
export { McpPoolError } from "__HOST_JS__";

const isUrl = (x) => typeof x === "string" || x instanceof URL;

export default function init(input) {
  let options = input ?? {};
  if (isUrl(options)) options = { module_or_path: options };
  else if (typeof options !== "object" || Object.getPrototypeOf(options) !== Object.prototype) return glueInit(input);
  const target = options.module_or_path ?? new URL("./mcp_edge_pool_bg.wasm", import.meta.url);
  if (!isUrl(target)) return glueInit(options);
  return initFromUrl(glueInit, target, options);
}
