// Loads the package's .wasm for the browser entry and the `./web` entry's init, with an error that
// says what to do when the file is not where the entry looks for it. Without this, a bundle whose
// .wasm was not copied next to it failed with `CompileError: WebAssembly.instantiate(): expected
// magic word 00 61 73 6d, found 3c 21 64 6f`: a dev server or an SPA host answers a missing file
// with its HTML fallback page, 200, and the glue compiled that page (tests/www/bundler.test.mjs).

const FILE = "mcp_edge_pool_bg.wasm";
const MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** The error for a .wasm that is not at `where`: which file, the URL, and where to copy it. */
function missing(where, what, cause) {
  return new Error(
    `mcp-edge-pool: ${what}. The package looked for its WebAssembly module, ${FILE}, at ${where}: ` +
      `copy node_modules/mcp-edge-pool/${FILE} so that it is served at that URL (when the package is ` +
      `bundled: into the bundle's output folder, next to the bundled script; if that URL is under ` +
      `node_modules/.vite/deps/, add "mcp-edge-pool" to Vite's optimizeDeps.exclude instead).`,
    cause === undefined ? undefined : { cause },
  );
}

/** What a body that is not WebAssembly looks like, in words. */
function describe(bytes, type) {
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart().toLowerCase();
  if (head.startsWith("<!doctype html") || head.startsWith("<html") || /^text\/html\b/i.test(type)) {
    return "an HTML page, probably a dev server's or host's fallback page for a file it does not have";
  }
  return bytes.length === 0 ? "an empty body" : `${bytes.length} bytes that do not start with the wasm magic number`;
}

/**
 * Instantiates the wasm at `url` through the glue's `init`, with `options` (the rest of init's
 * object). A response served as application/wasm is handed over as it is (compiled while it
 * streams); any other is read and checked for the wasm magic number first.
 */
export async function initFromUrl(init, url, options = {}) {
  let where = String(url);
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw missing(where, `fetching its WebAssembly module failed (${e?.message ?? e})`, e);
  }
  if (response.url) where = response.url;
  if (!response.ok) {
    throw missing(where, `the server answered HTTP ${response.status} for its WebAssembly module`);
  }
  const type = response.headers.get("content-type") ?? "";
  let source = response;
  if (!/^\s*application\/wasm\b/i.test(type)) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
      const served = type === "" ? "no Content-Type" : `Content-Type ${type}`;
      throw missing(where, `the server answered ${response.status} with ${served} and ${describe(bytes, type)}, not WebAssembly`);
    }
    source = bytes;
  }
  try {
    return await init({ ...options, module_or_path: source });
  } catch (e) {
    if (e instanceof WebAssembly.CompileError) throw missing(where, `what the server sent is not valid WebAssembly (${e.message})`, e);
    throw e;
  }
}
