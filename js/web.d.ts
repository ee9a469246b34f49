// Types of the `./web` entry: the package's API, plus wasm-bindgen's loader, which this entry leaves to
// you (call `init()` once, or `initSync()`, before `new McpPool()`). Declared without DOM's types so that
// they compile in Node and Workers configurations too.
export * from "./mcp_edge_pool.js";

/** `WebAssembly.Module` where the configuration declares it (DOM, Workers), else nothing (@types/node has no WebAssembly). */
export type WasmModule = typeof globalThis extends { WebAssembly: { Module: abstract new (...args: any[]) => infer M } } ? M : never;

/** Where `init` gets the wasm: its URL (or a request for it), a fetch Response, its bytes, or a compiled module. */
export type InitInput = string | URL | Request | Response | ArrayBuffer | ArrayBufferView | WasmModule;

/** Fetches (or takes) and instantiates the wasm; by default `mcp_edge_pool_bg.wasm` next to this module. */
export default function init(options?: { module_or_path?: InitInput | Promise<InitInput> }): Promise<unknown>;

/** Instantiates the wasm synchronously from its bytes or a compiled module. */
export function initSync(options: { module: ArrayBuffer | ArrayBufferView | WasmModule }): unknown;
