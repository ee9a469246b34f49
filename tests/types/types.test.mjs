// The package as a TypeScript user meets it (issue #18): packs pkg/ (built by `make pkg`), installs the
// tarball here (`npm install --no-save --offline`: its one dependency, undici, is pinned in this folder's
// lock, so nothing is fetched), and compiles src/agent.ts and src/bare.ts against it with tsc --strict, no
// skipLibCheck, for Node, a browser and a Worker (and src/durable_object.ts, the ./durable-object entry, for a
// Worker); then @arethetypeswrong/cli and publint on the tarball.
// Also: js/mcp_types.d.ts is what scripts/gen-mcp-types.mjs writes, and every protocol version's schema
// definitions fit the merged types.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = (name) => join(here, "node_modules", ".bin", name);
const CONFIGS = ["node", "browser", "worker", "node.bare", "browser.bare", "worker.bare", "worker.do"];

let scratch;
let tarball;

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: "utf8", cwd: here, ...options });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

const tsc = (config) => run(process.execPath, [join(here, "node_modules/typescript/bin/tsc"), "-p", config]);

before(() => {
  assert.ok(existsSync(join(here, "node_modules/typescript/package.json")), "tests/types/node_modules: run make setup");
  assert.ok(existsSync(join(root, "pkg/package.json")), "pkg/ is missing: run make pkg");
  scratch = mkdtempSync(join(tmpdir(), "mcp-edge-pool-types-"));
  const name = execFileSync("npm", ["pack", join(root, "pkg"), "--pack-destination", scratch, "--silent"], { encoding: "utf8" })
    .trim().split("\n").pop();
  tarball = join(scratch, name);
  execFileSync("npm", ["install", "--no-save", "--offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], { cwd: here });
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test("the installed package is the tarball of pkg/, with the generated MCP types", () => {
  const installed = join(here, "node_modules/mcp-edge-pool");
  assert.equal(JSON.parse(readFileSync(join(installed, "package.json"), "utf8")).version, JSON.parse(readFileSync(join(root, "pkg.json"), "utf8")).version);
  assert.equal(readFileSync(join(installed, "mcp_types.d.ts"), "utf8"), readFileSync(join(root, "js/mcp_types.d.ts"), "utf8"));
  const main = readFileSync(join(installed, "mcp_edge_pool.d.ts"), "utf8");
  for (const internal of ["InitOutput", "__wbg_init", "RequestInfo", "BufferSource", "closures_____invoke"]) {
    assert.ok(!main.includes(internal), `the entries' .d.ts does not mention ${internal}`);
  }
  assert.ok(!/Promise<any>|: any\b/.test(main), "no result is typed any");
  const pinned = JSON.parse(readFileSync(join(root, "pkg.json"), "utf8")).dependencies.undici;
  assert.equal(JSON.parse(readFileSync(join(here, "package.json"), "utf8")).devDependencies.undici, pinned,
    "tests/types pins the package's undici, so that installing the tarball fetches nothing");
});

for (const config of CONFIGS) {
  test(`tsc --strict, no skipLibCheck: ${config}`, () => {
    const { status, out } = tsc(join(here, "tsconfig", `${config}.json`));
    assert.equal(out, "");
    assert.equal(status, 0);
  });
}

/** Compiles src/agent.ts (browser configuration) against a copy of the installed .d.ts changed by `edit`. */
function compileAgainst(edit) {
  const dir = mkdtempSync(join(scratch, "mutant-"));
  cpSync(join(here, "node_modules/mcp-edge-pool"), dir, { recursive: true, filter: (src) => !src.endsWith(".wasm") });
  const file = join(dir, "mcp_edge_pool.d.ts");
  const original = readFileSync(file, "utf8");
  const changed = edit(original);
  assert.notEqual(changed, original, "the mutation applies");
  writeFileSync(file, changed);
  const config = join(dir, "tsconfig.json");
  writeFileSync(config, JSON.stringify({
    extends: join(here, "tsconfig/browser.json"),
    compilerOptions: { paths: { "mcp-edge-pool": [file], "mcp-edge-pool/store": [join(dir, "store.d.ts")] } },
    files: [join(here, "src/agent.ts")],
  }));
  return tsc(config);
}

test("the agent's @ts-expect-error lines and exhaustive switches can fail", () => {
  const lineOf = (text) => readFileSync(join(here, "src/agent.ts"), "utf8").split("\n").findIndex((l) => l.includes(text)) + 1;
  // Results typed any again: the misspelt field compiles, so its @ts-expect-error is unused.
  let r = compileAgainst((d) => d.replace("listTools(options?: CallOptions | null): Promise<ListToolsResult>", "listTools(options?: CallOptions | null): Promise<any>"));
  assert.equal(r.status, 2, r.out);
  assert.match(r.out, new RegExp(`agent\\.ts\\(${lineOf("tools[0].nmae") - 1},\\d+\\): error TS2578: Unused '@ts-expect-error' directive`));
  // A code added to the union: the switch's never check fails.
  r = compileAgainst((d) => d.replace('| "AUTH_FAILED";', '| "AUTH_FAILED" | "NEW_CODE";'));
  assert.equal(r.status, 2, r.out);
  assert.match(r.out, new RegExp(`agent\\.ts\\(${lineOf("const unreachable: never = code")},\\d+\\): error TS2322: Type '"NEW_CODE"' is not assignable to type 'never'`));
  // get() taking the request options again: `fresh` compiles.
  r = compileAgainst((d) => d.replace("get(name: string, options?: GetOptions | null)", "get(name: string, options?: CallOptions | null)"));
  assert.equal(r.status, 2, r.out);
  assert.match(r.out, new RegExp(`agent\\.ts\\(${lineOf('pool.get("docs", { fresh: true })') - 1},\\d+\\): error TS2578`));
  // tokenProvider refusing null again.
  r = compileAgainst((d) => d.replace("=> string | null | undefined | Promise<string | null | undefined>;", "=> string | Promise<string>;"));
  assert.equal(r.status, 2, r.out);
  assert.match(r.out, new RegExp(`agent\\.ts\\(${lineOf("tokenProvider: async")},\\d+\\): error TS2322:`));
  assert.match(r.out, /Type 'null' is not assignable to type 'string'/);
});

test("js/mcp_types.d.ts is what scripts/gen-mcp-types.mjs writes from the pinned schema", () => {
  const r = run(process.execPath, [join(root, "scripts/gen-mcp-types.mjs"), "--check"]);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /up to date \(\d+ types, 2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28\)/);
});

test("every protocol version's definitions fit the merged types", () => {
  const dir = mkdtempSync(join(scratch, "versions-"));
  const versions = join(dir, "versions.d.ts");
  const r = run(process.execPath, [join(root, "scripts/gen-mcp-types.mjs"), "--check", "--versions", versions]);
  assert.equal(r.status, 0, r.out);
  const checks = JSON.parse(readFileSync(`${versions}.json`, "utf8"));
  let n = 0;
  let source = `import type * as M from ${JSON.stringify(join(root, "js/mcp_types.js"))};\n`;
  source += `import type { ${Object.keys(checks).join(", ")} } from "./versions.js";\n`;
  source += "type Fits<A extends B, B> = [A, B];\n";
  for (const [ns, names] of Object.entries(checks)) for (const name of names) source += `export type _${n++} = Fits<${ns}.${name}, M.${name}>;\n`;
  // The check itself can fail: a tool without its name is no Tool.
  source += "// @ts-expect-error\nexport type _no = Fits<{ inputSchema: { type: \"object\" } }, M.Tool>;\n";
  writeFileSync(join(dir, "check.ts"), source);
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, lib: ["es2022"], types: [], module: "nodenext", moduleResolution: "nodenext" },
    files: ["check.ts"],
  }));
  assert.ok(n > 150, `${n} definitions checked`);
  for (const version of ["V2025_03_26", "V2025_06_18", "V2025_11_25", "V2026_07_28"]) {
    for (const name of ["CallToolResult", "ListToolsResult", "ReadResourceResult", "GetPromptResult", "CreateMessageResult"]) {
      assert.ok(checks[version]?.includes(name), `${version}.${name} is checked`);
    }
  }
  assert.ok(checks.V2025_06_18.includes("ElicitResult") && checks.V2026_07_28.includes("DiscoverResult"));
  const c = tsc(join(dir, "tsconfig.json"));
  assert.equal(c.out, "");
  assert.equal(c.status, 0);
});

test("@arethetypeswrong/cli finds no problem in the tarball (ESM-only: CJS require findings ignored)", () => {
  // The package is ESM only (a top-level await in the browser entry, "type": "module"): a CJS `require` of it
  // resolving to ESM is by design (cjs-resolves-to-esm). The .wasm subpath is an asset with no types.
  const r = run(process.execPath, [bin("attw"), tarball, "--no-definitely-typed", "--no-color", "--format", "json",
    "--ignore-rules", "cjs-resolves-to-esm", "--exclude-entrypoints", "./mcp_edge_pool_bg.wasm"]);
  const report = JSON.parse(r.out);
  assert.deepEqual(Object.keys(report.analysis.entrypoints).sort(), ["./package.json", "./store", "./web", "./durable-object", "."].sort());
  // The JSON report lists every finding, the ignored ones too: only CJS resolutions of a require may remain.
  const problems = Object.values(report.problems ?? {}).flat();
  assert.deepEqual(problems.filter((p) => p.kind !== "CJSResolvesToESM" || p.resolutionKind !== "node16-cjs"), []);
  assert.equal(r.status, 0, r.out);
});

test("publint finds nothing in the tarball, suggestions included", async () => {
  const { publint } = await import("publint");
  const { formatMessage } = await import("publint/utils");
  const bytes = readFileSync(tarball);
  const result = await publint({
    pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) },
    level: "suggestion",
    strict: true,
  });
  assert.deepEqual(result.messages.map((m) => `${m.type} ${m.code}: ${formatMessage(m, result.pkg)}`), []);
});
