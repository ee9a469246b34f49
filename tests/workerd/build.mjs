// Build step for the workerd test: packs the npm package exactly as it would be published,
// installs that tarball into a scratch project, bundles tests/workerd/worker.mjs against it with
// esbuild (the `workerd` export condition), and writes a workerd config that embeds the bundle
// and the wasm module.
//
// Usage: node tests/workerd/build.mjs --port <port> --mcp-url <url> [--pkg <dir>] [--build-pkg]
//   --port      the 127.0.0.1 port workerd will listen on (default 8787)
//   --mcp-url   the MCP endpoint, given to the worker as the text binding MCP_URL
//   --pkg       the built package directory (default <root>/pkg)
//   --build-pkg (re)build pkg/ first, even if it exists
//   --durable-object CLASS  the worker's Durable Object class, bound as MCP_POOL (in-memory storage)
//   --storage-dir DIR       ... with its storage on disk in DIR instead (survives a workerd restart)
//   --second-port P         a second Worker service ("second": the same modules, another isolate) on
//                           127.0.0.1:P, bound to the same Durable Object namespace as MCP_POOL
//   --binding NAME=VALUE    an extra text binding (repeatable)
// The last line on stdout is a JSON summary: {configPath, distDir, workerPath, wasmPath, wasmSpecifier, port, ...}.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const jsDeps = path.join(root, "tests/js");
const require = createRequire(path.join(jsDeps, "package.json"));
const esbuild = require("esbuild");

function parseArgs(argv) {
  const out = {
    port: 8787,
    mcpUrl: "http://127.0.0.1:3000/mcp",
    pkg: path.join(root, "pkg"),
    buildPkg: false,
    kvUrl: "",
    poolOptions: "",
    scratch: "target/workerd-scratch",
    worker: path.join(here, "worker.mjs"),
    durableObject: "",
    storageDir: "",
    secondPort: 0,
    bindings: {},
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--port") out.port = Number(next());
    else if (a === "--mcp-url") out.mcpUrl = next();
    else if (a === "--pkg") out.pkg = path.resolve(next());
    else if (a === "--build-pkg") out.buildPkg = true;
    else if (a === "--kv-url") out.kvUrl = next();
    else if (a === "--pool-options") out.poolOptions = next();
    else if (a === "--scratch") out.scratch = next();
    else if (a === "--worker") out.worker = path.resolve(next());
    else if (a === "--durable-object") out.durableObject = next();
    else if (a === "--storage-dir") out.storageDir = path.resolve(next());
    else if (a === "--second-port") out.secondPort = Number(next());
    else if (a === "--binding") {
      const [name, ...value] = next().split("=");
      out.bindings[name] = value.join("=");
    }
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(out.port) || out.port <= 0 || out.port > 65535) throw new Error(`bad --port ${out.port}`);
  return out;
}

function run(cmd, args, options = {}) {
  const started = performance.now();
  const r = spawnSync(cmd, args, { encoding: "utf8", ...options });
  const ms = performance.now() - started;
  if (r.error || r.status !== 0) {
    throw new Error(
      `command failed (${r.error?.message ?? `exit ${r.status}`}): ${cmd} ${args.join(" ")}\n` +
        `cwd: ${options.cwd ?? process.cwd()}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  }
  return { stdout: r.stdout, stderr: r.stderr, ms };
}

/** Builds pkg/ the way the project does (scripts/build-pkg.sh when its env exists). */
function buildPkg() {
  if (fs.existsSync(path.join(root, "scripts/env.sh")) && fs.existsSync(path.join(root, "scripts/build-pkg.sh"))) {
    return run("bash", ["scripts/build-pkg.sh"], { cwd: root });
  }
  const env = { ...process.env, PATH: `${path.join(jsDeps, "node_modules/.bin")}:${process.env.PATH}` };
  const r = run(
    "wasm-pack",
    ["build", "--target", "web", "--release", "--out-dir", "pkg", "--out-name", "mcp_edge_pool", "--no-pack"],
    { cwd: root, env },
  );
  for (const f of [".gitignore", "package.json"]) fs.rmSync(path.join(root, "pkg", f), { force: true });
  fs.copyFileSync(path.join(root, "pkg.json"), path.join(root, "pkg/package.json"));
  for (const f of fs.readdirSync(path.join(root, "js")).filter((f) => f.endsWith(".mjs"))) {
    fs.copyFileSync(path.join(root, "js", f), path.join(root, "pkg", f));
  }
  return r;
}

/** A string as a Cap'n Proto text literal. */
const capnpString = (s) => JSON.stringify(String(s));

function configText({ port, mcpUrl, kvUrl, poolOptions, durableObject, storageDir, secondPort, bindings = {}, workerFile, wasmFile, wasmSpecifier }) {
  // A Durable Object class bound as MCP_POOL, when asked for: in memory, or on disk (storageDir).
  const objects = durableObject
    ? `durableObjectNamespaces = [(className = ${capnpString(durableObject)}, uniqueKey = "mcp-edge-pool-test")],
  durableObjectStorage = ${storageDir ? `(localDisk = "do-storage")` : "(inMemory = void)"},`
    : "";
  const objectBinding = (service) =>
    !durableObject
      ? ""
      : service === "main"
        ? `(name = "MCP_POOL", durableObjectNamespace = ${capnpString(durableObject)}),`
        : `(name = "MCP_POOL", durableObjectNamespace = (className = ${capnpString(durableObject)}, serviceName = "main")),`;
  const extra = Object.entries(bindings).map(([name, value]) => `(name = ${capnpString(name)}, text = ${capnpString(value)}),`).join("\n    ");
  const worker = (id, service, withObjects) => `const ${id} :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed ${capnpString(workerFile)}),
    (name = ${capnpString(wasmSpecifier)}, wasm = embed ${capnpString(wasmFile)}),
  ],
  compatibilityDate = "2025-09-01",
  bindings = [
    (name = "MCP_URL", text = ${capnpString(mcpUrl)}),
    (name = "KV_URL", text = ${capnpString(kvUrl)}),
    (name = "POOL_OPTIONS", text = ${capnpString(poolOptions)}),
    (name = "SERVICE", text = ${capnpString(service)}),
    ${extra}
    ${objectBinding(service)}
  ],
  ${withObjects ? objects : ""}
  globalOutbound = "internet",
);
`;
  return `# Generated by tests/workerd/build.mjs: do not edit.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .mainWorker),
    ${secondPort ? `(name = "second", worker = .secondWorker),` : ""}
    ${storageDir ? `(name = "do-storage", disk = (path = ${capnpString(storageDir)}, writable = true)),` : ""}
    # workerd's default outbound network refuses loopback: allow "local" so the worker can
    # reach the MCP test server on 127.0.0.1.
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [
    (name = "http", address = ${capnpString(`127.0.0.1:${port}`)}, http = (), service = "main"),
    ${secondPort ? `(name = "http2", address = ${capnpString(`127.0.0.1:${secondPort}`)}, http = (), service = "second"),` : ""}
  ],
);

${worker("mainWorker", "main", true)}
${secondPort ? worker("secondWorker", "second", false) : ""}`;
}

export async function build({
  port,
  mcpUrl,
  kvUrl = "",
  poolOptions = "",
  scratch: scratchDir = "target/workerd-scratch",
  worker = path.join(here, "worker.mjs"),
  durableObject = "",
  storageDir = "",
  secondPort = 0,
  bindings = {},
  pkg = path.join(root, "pkg"),
  buildPkg: forceBuild = false,
}) {
  const timings = {};
  const t0 = performance.now();
  if (forceBuild || !fs.existsSync(path.join(pkg, "package.json")) || !fs.existsSync(path.join(pkg, "mcp_edge_pool_bg.wasm"))) {
    if (pkg !== path.join(root, "pkg")) throw new Error(`no built package at ${pkg}`);
    timings.buildPkgMs = Math.round(buildPkg().ms);
  }

  // 1. Pack exactly what would be published.
  const packDir = path.join(root, "target/pack");
  fs.mkdirSync(packDir, { recursive: true });
  for (const f of fs.readdirSync(packDir)) {
    if (/^mcp-edge-pool-.*\.tgz$/.test(f)) fs.rmSync(path.join(packDir, f));
  }
  const packed = run("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: pkg });
  const packInfo = JSON.parse(packed.stdout)[0];
  const tarball = path.join(packDir, packInfo.filename);
  timings.packMs = Math.round(packed.ms);

  // 2. A scratch project that installs the tarball (as a user's Worker project would).
  const scratch = path.resolve(root, scratchDir);
  fs.mkdirSync(scratch, { recursive: true });
  fs.writeFileSync(
    path.join(scratch, "package.json"),
    JSON.stringify({ name: "workerd-scratch", private: true, type: "module" }, null, 2) + "\n",
  );
  // Same name and version as the last install: make sure the new tarball's content lands.
  fs.rmSync(path.join(scratch, "node_modules/mcp-edge-pool"), { recursive: true, force: true });
  fs.rmSync(path.join(scratch, "package-lock.json"), { force: true });
  const installed = run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--no-save", "--no-package-lock", path.relative(scratch, tarball)],
    { cwd: scratch },
  );
  timings.installMs = Math.round(installed.ms);
  const installedPkg = path.join(scratch, "node_modules/mcp-edge-pool");
  if (!fs.existsSync(path.join(installedPkg, "workerd.mjs"))) {
    throw new Error(`the installed package has no workerd.mjs: ${fs.readdirSync(installedPkg).join(", ")}`);
  }

  // 3. Bundle a copy of the worker from inside the scratch project.
  const srcDir = path.join(scratch, "src");
  const distDir = path.join(scratch, "dist");
  fs.mkdirSync(srcDir, { recursive: true });
  fs.rmSync(distDir, { recursive: true, force: true });
  fs.mkdirSync(distDir, { recursive: true });
  fs.copyFileSync(worker, path.join(srcDir, "worker.mjs"));

  // Every `.wasm` import stays an import (workerd hands it over as a WebAssembly.Module) and the
  // file is copied next to the bundle under its base name.
  const wasmFiles = new Map(); // specifier in the bundle -> source file
  const wasmExternal = {
    name: "wasm-module-external",
    setup(b) {
      b.onResolve({ filter: /\.wasm$/ }, (args) => {
        const source = path.resolve(args.resolveDir, args.path);
        const specifier = path.basename(source);
        wasmFiles.set(specifier, source);
        return { path: specifier, external: true };
      });
    },
  };
  const tb = performance.now();
  const result = await esbuild.build({
    absWorkingDir: scratch,
    entryPoints: [path.join(srcDir, "worker.mjs")],
    outfile: path.join(distDir, "worker.js"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    // The runtime's own modules (`import { env } from "cloudflare:workers"`), as wrangler keeps them.
    external: ["cloudflare:*"],
    plugins: [wasmExternal],
    logLevel: "silent",
    metafile: true,
  });
  timings.bundleMs = Math.round(performance.now() - tb);
  const warnings = result.warnings.map((w) => `${w.location?.file ?? ""}:${w.location?.line ?? ""} ${w.text}`);

  const workerPath = path.join(distDir, "worker.js");
  const bundle = fs.readFileSync(workerPath, "utf8");
  // The exact specifier(s) the bundle imports wasm by: the config must name the module that way.
  const imported = [...bundle.matchAll(/\bimport\s+[\w$]+\s+from\s*["']([^"']+\.wasm)["']/g)].map((m) => m[1]);
  if (imported.length !== 1) {
    throw new Error(`expected the bundle to import exactly one .wasm module, found: ${JSON.stringify(imported)}`);
  }
  const wasmSpecifier = imported[0];
  const wasmSource = wasmFiles.get(wasmSpecifier);
  if (!wasmSource) throw new Error(`the bundle imports ${wasmSpecifier}, which the build did not resolve`);
  if (!wasmSource.startsWith(installedPkg + path.sep)) {
    throw new Error(`the wasm was resolved outside the installed package: ${wasmSource}`);
  }
  const wasmPath = path.join(distDir, path.basename(wasmSource));
  fs.copyFileSync(wasmSource, wasmPath);
  const inputs = Object.keys(result.metafile.inputs);
  const entryUsed = inputs.find((p) => /mcp-edge-pool\/[^/]+\.mjs$/.test(p));

  // 4. The workerd config, next to the files it embeds.
  const configPath = path.join(distDir, "config.capnp");
  fs.writeFileSync(
    configPath,
    configText({ port, mcpUrl, kvUrl, poolOptions, durableObject, storageDir, secondPort, bindings, workerFile: "worker.js", wasmFile: path.basename(wasmPath), wasmSpecifier }),
  );
  timings.totalMs = Math.round(performance.now() - t0);

  return {
    configPath,
    distDir,
    workerPath,
    wasmPath,
    wasmSpecifier,
    packageEntry: entryUsed,
    tarball,
    port,
    secondPort,
    storageDir,
    mcpUrl,
    bundleBytes: Buffer.byteLength(bundle),
    wasmBytes: fs.statSync(wasmPath).size,
    warnings,
    timings,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const summary = await build(parseArgs(process.argv.slice(2)));
    for (const w of summary.warnings) console.error(`esbuild warning: ${w}`);
    console.log(JSON.stringify(summary));
  } catch (e) {
    console.error(e?.stack ?? e);
    process.exit(1);
  }
}
