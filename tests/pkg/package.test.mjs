// The built package in pkg/: a complete manifest, every entry point present, and an optimised
// wasm that really instantiates (Debian's binaryen once produced one that did not).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const pkg = new URL("../../pkg/", import.meta.url);
const read = (name) => readFileSync(new URL(name, pkg));

test("the manifest maps every runtime to an entry that exists", () => {
  const manifest = JSON.parse(read("package.json"));
  assert.equal(manifest.name, "mcp-edge-pool");
  assert.equal(manifest.type, "module");
  const root = manifest.exports["."];
  for (const condition of ["types", "workerd", "node", "browser", "default"]) {
    assert.ok(root[condition], `exports["."] has a "${condition}" condition`);
    assert.ok(existsSync(new URL(root[condition], pkg)), `${root[condition]} exists`);
  }
  for (const file of manifest.files) assert.ok(existsSync(new URL(file, pkg)), `${file} is in pkg/`);
  const types = read("mcp_edge_pool.d.ts").toString();
  for (const name of ["class McpPool", "class McpClient", "interface McpPoolOptions", "interface PoolStats", "Promise<McpClient>"]) {
    assert.ok(types.includes(name), `the .d.ts declares ${name}`);
  }
});

test("pkg/ holds only what this build made: the manifest's files, package.json, node_modules, one snippets folder", () => {
  // wasm-pack writes into pkg/ without emptying it; scripts/build-pkg.sh does. A file of an older build
  // (a snippets folder under an older hash would be packed, and the entries could import its host.js).
  const manifest = JSON.parse(read("package.json"));
  const allowed = new Set([...manifest.files.map((f) => f.replace(/\/$/, "")), "package.json", "node_modules"]);
  const stray = readdirSync(pkg).filter((name) => !allowed.has(name));
  assert.deepEqual(stray, [], "files in pkg/ that the build did not make");
  assert.equal(readdirSync(new URL("snippets/", pkg)).length, 1, "one snippets folder");
});

test("undici is the one dependency, pinned, and only the Node client imports it", () => {
  const manifest = JSON.parse(read("package.json"));
  assert.deepEqual(Object.keys(manifest.dependencies ?? {}), ["undici"]);
  assert.match(manifest.dependencies.undici, /^\d+\.\d+\.\d+$/, "an exact version, no range");
  const imports = (file) => [...read(file).toString().matchAll(/\bimport\s*\(?\s*(?:[^"'()]*?from\s*)?["']([^"']+)["']/g)].map((m) => m[1]);
  assert.deepEqual(imports("node_undici.mjs").filter((s) => !s.startsWith("node:")), ["undici"], "the Node client imports undici");
  for (const file of ["node.mjs", "browser.mjs", "workerd.mjs", "mcp_edge_pool.js", "store.mjs", "durable-object.mjs"]) {
    assert.ok(!imports(file).includes("undici"), `${file} does not import undici`);
  }
  // Installed next to pkg/ by scripts/build-pkg.sh, so that pkg/ runs in place (demo, soak, bench).
  const installed = JSON.parse(read("node_modules/undici/package.json"));
  assert.equal(installed.version, manifest.dependencies.undici);
});

test("the optimised wasm instantiates and runs in a fresh Node process", () => {
  const script = `
    import { McpPool } from ${JSON.stringify(new URL("node.mjs", pkg).href)};
    const pool = new McpPool({ maxConnectionsPerServer: 2 });
    pool.registerHttp("a", "http://127.0.0.1:1/mcp");
    let code;
    try { pool.registerStdio("b", "npx", []); } catch (e) { code = e.code; }
    console.log(JSON.stringify({ servers: pool.servers(), code, registered: pool.stats().registeredServers }));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.deepEqual(JSON.parse(out), { servers: ["a"], code: "STDIO_UNSUPPORTED", registered: 1 });
});

test("the shipped wasm went through wasm-opt", () => {
  const wasm = read("mcp_edge_pool_bg.wasm");
  // An unoptimised build carries a "name" custom section with every function's name; wasm-opt drops it.
  assert.equal(wasm.includes(Buffer.from("\u0004name")), false, "no name section: wasm-opt ran");
  const glue = read("mcp_edge_pool.js");
  const sizes = {
    wasm: wasm.length,
    wasmGzip: gzipSync(wasm, { level: 9 }).length,
    glue: glue.length,
    glueGzip: gzipSync(glue, { level: 9 }).length,
  };
  console.log(`package size: ${JSON.stringify(sizes)}`);
});

test("McpPoolError's code union, the crate's codes and the READMEs' lists are the same set", () => {
  const crate = readFileSync(new URL("../../src/error.rs", import.meta.url), "utf8");
  const body = crate.slice(crate.indexOf("pub fn code(&self)"), crate.indexOf("pub fn server(&self)"));
  const fromCrate = new Set([...body.matchAll(/=> "([A-Z_]+)"/g)].map((m) => m[1]));
  assert.ok(fromCrate.size >= 25, `read the crate's codes: ${[...fromCrate]}`);
  const types = read("mcp_edge_pool.d.ts").toString();
  const union = types.slice(types.indexOf("export type McpPoolErrorCode"), types.indexOf("export declare class McpPoolError"));
  const fromTypes = new Set([...union.matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]));
  assert.deepEqual([...fromTypes].sort(), [...fromCrate].sort(), "the .d.ts union is the crate's list");
  // The README that ships (pkg/README.md, from js/README.md): one row per code in its errors table.
  const shipped = read("README.md").toString();
  const table = shipped.slice(shipped.indexOf("| code | when | what to do |"), shipped.indexOf("## Troubleshooting"));
  const rows = [...table.matchAll(/^\| `([A-Z_]+)` \|[^|\n]+\|[^|\n]+\|$/gm)].map((m) => m[1]);
  assert.equal(new Set(rows).size, rows.length, `no code twice in the shipped README's table: ${rows}`);
  assert.deepEqual([...rows].sort(), [...fromCrate].sort(), "the shipped README's table has a row for every code");
  // The contributors' README lists them too.
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const errors = readme.slice(readme.indexOf("Errors are instances of the exported class"), readme.indexOf("`registerStdio(...)` exists only"));
  const fromReadme = new Set([...errors.matchAll(/`([A-Z_]{5,})`/g)].map((m) => m[1]));
  assert.deepEqual([...fromReadme].sort(), [...fromCrate].sort(), "the repository README lists every code");
});

test("every entry exports McpPoolError, the class of the errors the pool throws", async () => {
  for (const entry of ["node.mjs", "web.mjs"]) {
    const text = read(entry).toString();
    assert.match(text, /export \{ McpPoolError \} from "\.\/snippets\/[^"]+\/host\.js"/, entry);
  }
  for (const entry of ["browser.mjs", "workerd.mjs"]) {
    assert.match(read(entry).toString(), /export \{ McpPoolError \}/, entry);
  }
  const { McpPool, McpPoolError } = await import(new URL("node.mjs", pkg));
  let error;
  try {
    new McpPool({ maxConnectionsPerServer: 0 });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof McpPoolError && error instanceof Error, `${error}`);
  assert.equal(error.name, "McpPoolError");
  assert.equal(error.code, "INVALID_CONFIG");
});
