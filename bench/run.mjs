// mcp-edge-pool benchmarks (`make bench` -> scripts/bench.sh -> this file). Writes BENCHMARKS.md.
//
// Everything is measured in ONE run against the SAME servers, and reported as min / median / max
// over several runs, with ratios taken inside each run (the machine is small and shared: absolute
// times are noise, ratios are the result). Servers bind 127.0.0.1 only and run in their own
// processes, so `process.cpuUsage()` here is the client's CPU alone.
//
// Clients compared:
//   raw    fetch POSTing the same JSON-RPC with the session headers (the floor)
//   pool   mcp-edge-pool, from the packed tarball installed in bench/node_modules:
//          `get` -> call -> `release` for every call (the pooled pattern)
//   sdk    the official TS SDK Client + StreamableHTTPClientTransport, connected once, shared
//   nopool each agent connects its own SDK client, calls, terminates its session and closes
//   rawUndici  the raw client on undici.request with a keep-alive Agent (Node's fastest raw client:
//          issue #19's anchor in Node)
// Issue #19 in the other runtimes (sections workerd-calls and browser-calls): bench/workerd_calls_worker.mjs's
// handler in local workerd and in a headless Chromium page, pool ÷ raw fetch of that runtime; section
// workerd-cpu: the pool's own CPU per call in workerd without the network (bench/workerd-cpu.mjs).
// Diagnostics: the pool on fetch (`httpClient: "fetch"`; in Node the pool sends through undici's
// request API by default), the pool with one lease held, and the raw floor over node:http.
// Servers: bench/fast_server.mjs (JSON and --sse) and tests/servers/ts_server.mjs (SDK; --json and SSE).
//
// Usage: node --no-warnings --expose-gc bench/run.mjs [--runs N] [--quick] [--out FILE] [--tarball PATH]
//        [--skip native,workerd,workerd-calls,browser-calls,memory,profile,...] [--budget-s 720]
//        [--baseline DIR]   (an unpacked earlier package: workerd-calls, workerd-cpu and browser-calls also run it,
//                            in the same runs, and report pool ÷ baseline: issue #17's perf gate)
//        node bench/run.mjs --render target/bench-results/results.json   (re-render BENCHMARKS.md only)
// Internal: --child <cold-pool|cold-sdk|memory|profile> runs one isolated measurement in a fresh
// process and prints one JSON line.
import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const jsDeps = path.join(root, "tests/js");
const requireJs = createRequire(path.join(jsDeps, "package.json"));

// ---------------------------------------------------------------------------------------------
// Arguments and budget
// ---------------------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const CHILD = opt("--child", null);
const QUICK = flag("--quick");
const RUNS = Math.max(1, Number(opt("--runs", QUICK ? 2 : 5)) || 5);
const OUT = path.resolve(root, opt("--out", "BENCHMARKS.md"));
const TARBALL = opt("--tarball", null);
const BASELINE = opt("--baseline", null) && path.resolve(opt("--baseline", null));
const SKIP = new Set(String(opt("--skip", "")).split(",").filter(Boolean));
const STARTED = performance.now();
const BUDGET_MS = Number(opt("--budget-s", 720)) * 1000; // the whole run: ~12 minutes (the last full run took 363 s before the #19 sections)

const POOL_OPTIONS = { maxConcurrentRequests: 64 }; // default 6 (Workers-safe) would cap concurrency 32
const MAX_SESSIONS = 5; // maxConnectionsPerServer default

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const elapsedS = () => ((now() - STARTED) / 1000).toFixed(0);
const log = (...a) => console.error(`[bench ${elapsedS()}s]`, ...a);

// ---------------------------------------------------------------------------------------------
// Statistics and formatting
// ---------------------------------------------------------------------------------------------
function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}
const sortNum = (a) => Float64Array.from(a).sort();
const median = (a) => {
  const s = sortNum(a);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mmm = (a) => {
  const v = a.filter((x) => Number.isFinite(x));
  return v.length ? { min: Math.min(...v), med: median(v), max: Math.max(...v), n: v.length } : null;
};
function fmt(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "n/a";
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en-US");
  if (Math.abs(x) >= 100) return x.toFixed(Math.max(0, digits - 2));
  if (Math.abs(x) >= 10) return x.toFixed(Math.max(0, digits - 1));
  return x.toFixed(digits);
}
const fmtM = (s, digits = 2) => (s ? `${fmt(s.min, digits)} / **${fmt(s.med, digits)}** / ${fmt(s.max, digits)}` : "n/a");
const kb = (b) => (b / 1024).toFixed(1);
const verdict = (ok) => (ok ? "**MET**" : "**MISSED**");
function table(head, rows) {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------
const children = new Set();
function killAll() {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch {}
  }
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, () => {
    killAll();
    process.exit(130);
  });
}

// CPU time (user + system, µs) a child process has used so far, from /proc (Linux; null elsewhere).
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;
function childCpuUs(child) {
  try {
    const stat = fs.readFileSync(`/proc/${child.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) / CLK_TCK) * 1e6; // utime, stime
  } catch {
    return null;
  }
}

async function startServer(label, script, args) {
  const child = spawn(process.execPath, [script, "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: root,
  });
  children.add(child);
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (err = (err + d).slice(-4000)));
  const port = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${label}: not listening after 15 s\n${err}`)), 15000);
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      const m = out.match(/LISTENING (\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once("exit", (code) => reject(new Error(`${label} exited (${code})\n${err}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    label,
    child,
    url: `${base}/mcp`,
    async stats() {
      const r = await fetch(`${base}/__stats`);
      return r.json();
    },
    async stop() {
      children.delete(child);
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([done, sleep(2000)]);
      child.kill("SIGKILL");
    },
  };
}

function runChild(task, extraArgs = [], nodeFlags = [], timeoutMs = 120000) {
  const r = spawnSync(process.execPath, [...nodeFlags, fileURLToPath(import.meta.url), "--child", task, ...extraArgs], {
    encoding: "utf8",
    cwd: root,
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error || r.status !== 0) {
    throw new Error(`child ${task} failed: ${r.error?.message ?? `exit ${r.status}`}\n${(r.stderr || "").slice(-2000)}`);
  }
  const line = r.stdout.trim().split("\n").pop();
  return JSON.parse(line);
}

// ---------------------------------------------------------------------------------------------
// The package under test and the SDK
// ---------------------------------------------------------------------------------------------
async function loadPool() {
  try {
    const m = await import("mcp-edge-pool"); // bench/node_modules: the packed tarball
    const file = fileURLToPath(import.meta.resolve("mcp-edge-pool"));
    return { ...m, source: `packed tarball installed in bench/node_modules (${path.relative(root, file)})` };
  } catch (e) {
    const m = await import(pathToFileURL(path.join(root, "pkg/node.mjs")).href);
    return { ...m, source: `pkg/node.mjs directly (bench/node_modules has no package: ${e.code ?? e.message}); run scripts/bench.sh` };
  }
}
const poolPackageDir = () => {
  const installed = path.join(here, "node_modules/mcp-edge-pool");
  return fs.existsSync(path.join(installed, "package.json")) ? installed : path.join(root, "pkg");
};
function loadSdk() {
  const { Client } = requireJs("@modelcontextprotocol/sdk/client/index.js");
  const { StreamableHTTPClientTransport } = requireJs("@modelcontextprotocol/sdk/client/streamableHttp.js");
  const version = JSON.parse(
    fs.readFileSync(path.join(jsDeps, "node_modules/@modelcontextprotocol/sdk/package.json"), "utf8"),
  ).version;
  return { Client, StreamableHTTPClientTransport, version };
}

// ---------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------
const ACCEPT = "application/json, text/event-stream";

/** Minimal Streamable HTTP client: the floor. JSON or SSE answers, one session. */
class RawClient {
  constructor(url) {
    this.url = url;
    this.id = 0;
    this.headers = null;
  }
  async connect() {
    const res = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: ACCEPT },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
      }),
    });
    const sid = res.headers.get("mcp-session-id");
    const msg = await RawClient.read(res, 0);
    this.headers = {
      "content-type": "application/json",
      accept: ACCEPT,
      "mcp-session-id": sid,
      "mcp-protocol-version": msg.result.protocolVersion,
    };
    const n = await fetch(this.url, {
      method: "POST",
      headers: this.headers,
      body: '{"jsonrpc":"2.0","method":"notifications/initialized"}',
    });
    await n.arrayBuffer();
    return this;
  }
  static async read(res, id) {
    const type = res.headers.get("content-type") || "";
    if (type.startsWith("text/event-stream")) return RawClient.fromSse(await res.text(), id);
    return res.json();
  }
  /** The JSON-RPC message answering `id` in an SSE body. */
  static fromSse(text, id) {
    for (const event of text.split(/\r?\n\r?\n/)) {
      let data = "";
      for (const line of event.split(/\r?\n/)) {
        if (line.startsWith("data:")) data += (data ? "\n" : "") + line.slice(line[5] === " " ? 6 : 5);
      }
      if (!data) continue;
      const msg = JSON.parse(data);
      if (msg.id === id) return msg;
    }
    throw new Error("raw: no response in the SSE stream");
  }
  async rpc(method, params) {
    const id = ++this.id;
    const res = await fetch(this.url, {
      method: "POST",
      headers: this.headers,
      body: JSON.stringify({ jsonrpc: "2.0", id, method, params }),
    });
    if (res.status !== 200) throw new Error(`raw: HTTP ${res.status}`);
    const msg = await RawClient.read(res, id);
    if (msg.error) throw new Error(`raw: ${msg.error.message}`);
    return msg.result;
  }
  ping() {
    return this.rpc("ping");
  }
  echo(message) {
    return this.rpc("tools/call", { name: "echo", arguments: { message } });
  }
  big() {
    return this.rpc("tools/call", { name: "big", arguments: {} });
  }
  async close() {
    if (!this.headers) return;
    const r = await fetch(this.url, { method: "DELETE", headers: this.headers });
    await r.arrayBuffer();
  }
}

/** The same floor over node:http with a keep-alive agent (diagnostic: the Node client the pool used before its own). */
class RawHttpClient extends RawClient {
  async connect() {
    await super.connect();
    this.agent = new http.Agent({ keepAlive: true });
    this.target = new URL(this.url);
    return this;
  }
  rpc(method, params) {
    const id = ++this.id;
    const body = JSON.stringify({ jsonrpc: "2.0", id, method, params });
    return new Promise((resolve, reject) => {
      const req = http.request(
        this.target,
        { method: "POST", agent: this.agent, headers: { ...this.headers, "content-length": Buffer.byteLength(body) } },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            try {
              if (res.statusCode !== 200) throw new Error(`raw http: HTTP ${res.statusCode}`);
              const text = Buffer.concat(chunks).toString("utf8");
              const type = res.headers["content-type"] || "";
              const msg = type.startsWith("text/event-stream") ? RawHttpClient.fromSse(text, id) : JSON.parse(text);
              if (msg.error) throw new Error(`raw http: ${msg.error.message}`);
              resolve(msg.result);
            } catch (e) {
              reject(e);
            }
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }
  async close() {
    await super.close();
    this.agent?.destroy();
  }
}

/** undici, as the package under test resolves it (its pinned dependency): the Node baseline of issue #19. */
function loadUndici() {
  const req = createRequire(path.join(poolPackageDir(), "package.json"));
  const undici = req("undici");
  const version = JSON.parse(fs.readFileSync(path.join(path.dirname(req.resolve("undici/package.json")), "package.json"), "utf8")).version;
  return { undici, version };
}

/** The floor on `undici.request` with a keep-alive Agent (Node's fastest raw client: issue #19's Node anchor). */
class RawUndiciClient extends RawClient {
  async connect() {
    await super.connect();
    const { undici } = loadUndici();
    this.undici = undici;
    this.agent = new undici.Agent({ keepAliveTimeout: 60_000, connections: 64 });
    return this;
  }
  async rpc(method, params) {
    const id = ++this.id;
    const res = await this.undici.request(this.url, {
      method: "POST",
      headers: this.headers,
      body: JSON.stringify({ jsonrpc: "2.0", id, method, params }),
      dispatcher: this.agent,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`raw undici: HTTP ${res.statusCode}`);
    const type = res.headers["content-type"] || "";
    const msg = type.startsWith("text/event-stream") ? RawClient.fromSse(text, id) : JSON.parse(text);
    if (msg.error) throw new Error(`raw undici: ${msg.error.message}`);
    return msg.result;
  }
  async close() {
    await super.close();
    await this.agent?.close();
  }
}

function makeClients(P, S) {
  /** This package: `await pool.get()` → call → `release()` around every call. */
  async function pooled(url, options) {
    const pool = new P.McpPool(options);
    pool.registerHttp("s", url);
    const use = async (fn) => {
      const c = await pool.get("s");
      try {
        return await fn(c);
      } finally {
        c.release();
      }
    };
    await use((c) => c.ping()); // opens the first session
    return {
      pool,
      ping: () => use((c) => c.ping()),
      echo: (message) => use((c) => c.callTool("echo", { message })),
      big: () => use((c) => c.callTool("big", {})),
      close: () => pool.close(),
    };
  }
  return {
    async raw(url) {
      return new RawClient(url).connect();
    },
    // The floor on undici.request with a keep-alive Agent (issue #19's Node anchor).
    async rawUndici(url) {
      return new RawUndiciClient(url).connect();
    },
    // Diagnostic: the same floor over node:http.
    async rawHttp(url) {
      return new RawHttpClient(url).connect();
    },
    pool: (url) => pooled(url, POOL_OPTIONS),
    // Diagnostic: the pool on Node's global fetch (`httpClient: "fetch"`), as before it had its own Node client.
    poolFetch: (url) => pooled(url, { ...POOL_OPTIONS, httpClient: "fetch" }),
    // Diagnostic: one lease taken once and held; calls go straight to it (no get/release per call).
    async poolHeld(url) {
      const pool = new P.McpPool(POOL_OPTIONS);
      pool.registerHttp("s", url);
      const lease = await pool.get("s");
      await lease.ping();
      return {
        pool,
        ping: () => lease.ping(),
        echo: (message) => lease.callTool("echo", { message }),
        big: () => lease.callTool("big", {}),
        async close() {
          lease.release();
          await pool.close();
        },
      };
    },
    async sdk(url) {
      const client = new S.Client({ name: "bench-sdk", version: "1.0.0" });
      const transport = new S.StreamableHTTPClientTransport(new URL(url));
      await client.connect(transport);
      return {
        ping: () => client.ping(),
        echo: (message) => client.callTool({ name: "echo", arguments: { message } }),
        big: () => client.callTool({ name: "big", arguments: {} }),
        async close() {
          await transport.terminateSession().catch(() => {});
          await client.close();
        },
      };
    },
  };
}

/** One "no pool" agent: connect an SDK client, run `fn`, terminate the session, close. */
async function noPoolAgent(S, url, fn) {
  const client = new S.Client({ name: "bench-nopool", version: "1.0.0" });
  const transport = new S.StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  try {
    return await fn(client);
  } finally {
    await transport.terminateSession().catch(() => {});
    await client.close();
  }
}

/** Once more after a failure (a keep-alive socket the server closed can fail one POST). */
async function retry(fn) {
  try {
    return await fn();
  } catch (e) {
    results.notes.push(`retried once after: ${e?.message ?? e}${e?.cause ? ` (${e.cause.code ?? e.cause.message})` : ""}`);
    await sleep(50);
    return fn();
  }
}

// ---------------------------------------------------------------------------------------------
// Measurement loops (bounded in count AND time)
// ---------------------------------------------------------------------------------------------
async function measure(fn, { concurrency, calls, maxMs }) {
  const lat = [];
  let next = 0;
  let errors = 0;
  let lastError;
  const deadline = now() + maxMs;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= calls || now() > deadline) return;
        const s = now();
        try {
          await fn(i);
        } catch (e) {
          errors++;
          lastError = e;
          if (errors > 20) throw e;
          continue;
        }
        lat.push(now() - s);
      }
    }),
  );
  if (errors) results.notes.push(`${errors} failed call(s) in one measurement, last: ${lastError?.message}${lastError?.cause ? ` (${lastError.cause.code ?? lastError.cause.message})` : ""}`);
  const wallMs = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const sorted = sortNum(lat);
  return {
    n: lat.length,
    median: median(sorted),
    p99: quantile(sorted, 0.99),
    perSec: (lat.length / wallMs) * 1000,
    cpuUsPerCall: (cpu.user + cpu.system) / Math.max(1, lat.length),
    wallMs,
  };
}

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------
const results = { notes: [], errors: {} };

function machine() {
  const cpuinfo = fs.readFileSync("/proc/cpuinfo", "utf8");
  const model = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown";
  const mhz = cpuinfo.match(/^cpu MHz\s*:\s*(.*)$/m)?.[1];
  const nproc = spawnSync("nproc", { encoding: "utf8" }).stdout.trim() || String(os.cpus().length);
  const busy = spawnSync("ps", ["-eo", "pcpu,ni,comm", "--sort=-pcpu"], { encoding: "utf8" })
    .stdout.split("\n")
    .slice(1, 6)
    .map((l) => l.trim())
    .filter((l) => l && Number(l.split(/\s+/)[0]) >= 20);
  return {
    nproc,
    model: mhz ? `${model} (${Number(mhz).toFixed(0)} MHz)` : model,
    node: process.version,
    date: new Date().toISOString(),
    kernel: os.release(),
    mem: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    load: os.loadavg().map((x) => x.toFixed(2)).join(" "),
    busy,
  };
}

// --- size ----------------------------------------------------------------------------------------
function gzip9(buf) {
  const r = spawnSync("gzip", ["-9", "-c", "-n"], { input: buf, maxBuffer: 64 * 1024 * 1024 });
  if (r.status === 0) return { bytes: r.stdout.length, tool: "gzip -9 -n" };
  return { bytes: zlib.gzipSync(buf, { level: 9 }).length, tool: "zlib level 9" };
}

function wasmSections(buf) {
  const names = ["custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount", "tag"];
  const out = [];
  let p = 8;
  const leb = () => {
    let r = 0, s = 0, b;
    do {
      b = buf[p++];
      r |= (b & 0x7f) << s;
      s += 7;
    } while (b & 0x80);
    return r >>> 0;
  };
  while (p < buf.length) {
    const id = buf[p++];
    const size = leb();
    const start = p;
    let name = names[id] ?? `id${id}`;
    if (id === 0) {
      const n = leb();
      name = `custom "${buf.subarray(p, p + n).toString("utf8")}"`;
    }
    out.push({ name, bytes: size });
    p = start + size;
  }
  return out;
}

async function sectionSize() {
  const esbuild = requireJs("esbuild");
  const dir = poolPackageDir();
  const wasm = fs.readFileSync(path.join(dir, "mcp_edge_pool_bg.wasm"));
  // Glue = the wasm-bindgen JS, the browser entry, and the JS helpers wasm-bindgen ships under
  // snippets/ (they load with the glue); the same definition as tests/pkg/size.test.mjs.
  const snippetFiles = (d) => (fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => (e.isDirectory() ? snippetFiles(path.join(d, e.name)) : [path.join(d, e.name)])) : []);
  const glue = Buffer.concat([fs.readFileSync(path.join(dir, "mcp_edge_pool.js")), ...snippetFiles(path.join(dir, "snippets")).map((f) => fs.readFileSync(f))]);
  const entry = fs.readFileSync(path.join(dir, "browser.mjs"));
  const wasmGz = gzip9(wasm);
  const glueGz = gzip9(Buffer.concat([glue, entry]));
  // The pool as a user's bundler ships it: browser entry + glue, minified ESM (the wasm stays a file).
  const poolBundle = await esbuild.build({
    stdin: { contents: 'export { McpPool } from "mcp-edge-pool";', resolveDir: here, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const poolMin = Buffer.from(poolBundle.outputFiles[0].contents);
  // The SDK client (Client + StreamableHTTPClientTransport), minified ESM for the browser.
  const sdkBundle = await esbuild.build({
    stdin: {
      contents:
        'export { Client } from "@modelcontextprotocol/sdk/client/index.js";\n' +
        'export { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";',
      resolveDir: jsDeps,
      loader: "js",
    },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    metafile: true,
  });
  const sdkMin = Buffer.from(sdkBundle.outputFiles[0].contents);
  const sdkInputs = {};
  for (const [file, info] of Object.entries(sdkBundle.metafile.outputs[Object.keys(sdkBundle.metafile.outputs)[0]].inputs)) {
    const m = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    const k = m ? m[1] : file;
    sdkInputs[k] = (sdkInputs[k] ?? 0) + info.bytesInOutput;
  }
  const poolMinGz = gzip9(poolMin);
  const sdkMinGz = gzip9(sdkMin);
  const sections = wasmSections(wasm);
  results.size = {
    wasm: wasm.length,
    wasmGz: wasmGz.bytes,
    glue: glue.length + entry.length,
    glueGz: glueGz.bytes,
    poolMin: poolMin.length,
    poolMinGz: poolMinGz.bytes,
    sdkMin: sdkMin.length,
    sdkMinGz: sdkMinGz.bytes,
    sdkInputs: Object.entries(sdkInputs).sort((a, b) => b[1] - a[1]).slice(0, 6),
    sections,
    gzipTool: wasmGz.tool,
  };
}

// --- native / wasm parse throughput --------------------------------------------------------------
function cargoEnv() {
  return { ...process.env, CARGO_TARGET_DIR: path.join(root, "target/bench-native/target") };
}
function sectionNativeBuild() {
  const src = path.join(here, "native");
  const crate = path.join(root, "target/bench-native/crate");
  fs.rmSync(crate, { recursive: true, force: true });
  fs.mkdirSync(path.join(crate, "src"), { recursive: true });
  for (const f of ["src/lib.rs", "src/main.rs"]) fs.copyFileSync(path.join(src, f), path.join(crate, f));
  fs.writeFileSync(
    path.join(crate, "Cargo.toml"),
    fs.readFileSync(path.join(src, "Cargo.toml"), "utf8").replace('path = "../.."', `path = ${JSON.stringify(root)}`),
  );
  fs.copyFileSync(path.join(root, "Cargo.lock"), path.join(crate, "Cargo.lock"));
  const t0 = now();
  const builds = [
    ["build", "--release", "--target", "wasm32-unknown-unknown", "--lib"],
    ["build", "--release", "--bin", "parse-bench"],
    ["build", "--profile", "native-z", "--bin", "parse-bench"],
  ];
  for (const args of builds) {
    const r = spawnSync("cargo", [...args, "--quiet"], { cwd: crate, env: cargoEnv(), encoding: "utf8", timeout: 300000 });
    if (r.status !== 0) throw new Error(`cargo ${args.join(" ")} failed: ${(r.stderr || r.error?.message || "").slice(-1500)}`);
  }
  const target = path.join(root, "target/bench-native/target");
  return {
    buildS: (now() - t0) / 1000,
    wasm: path.join(target, "wasm32-unknown-unknown/release/mcp_edge_pool_parse_bench.wasm"),
    nativeSame: path.join(target, "release/parse-bench"),
    nativeZ: path.join(target, "native-z/parse-bench"),
  };
}

/**
 * Builds bench/alloc/ (the package's wasm behind a counting allocator) into
 * target/bench-alloc/pkg/, with the package's Node entry around it. Returns that directory.
 */
function buildAllocPkg() {
  const src = path.join(here, "alloc");
  const base = path.join(root, "target/bench-alloc");
  const crate = path.join(base, "crate");
  const out = path.join(base, "pkg");
  fs.rmSync(crate, { recursive: true, force: true });
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(path.join(crate, "src"), { recursive: true });
  fs.copyFileSync(path.join(src, "src/lib.rs"), path.join(crate, "src/lib.rs"));
  fs.writeFileSync(
    path.join(crate, "Cargo.toml"),
    fs.readFileSync(path.join(src, "Cargo.toml"), "utf8").replace('path = "../.."', `path = ${JSON.stringify(root)}`),
  );
  fs.copyFileSync(path.join(root, "Cargo.lock"), path.join(crate, "Cargo.lock"));
  const r = spawnSync("wasm-pack", ["build", "--target", "web", "--release", "--out-dir", out, "--out-name", "mcp_edge_pool", "--no-pack"], {
    cwd: crate,
    env: { ...process.env, CARGO_TARGET_DIR: path.join(base, "target") },
    encoding: "utf8",
    timeout: 600000,
  });
  if (r.status !== 0) throw new Error(`wasm-pack build (bench/alloc) failed: ${(r.stderr || r.error?.message || "").slice(-1500)}`);
  // The Node entry's own imports besides the glue (as scripts/build-pkg.sh copies them).
  for (const file of ["node_undici.mjs", "lifetimes.mjs"]) fs.copyFileSync(path.join(root, "js", file), path.join(out, file));
  // The Node client imports undici: the one scripts/build-pkg.sh installed into pkg/node_modules.
  fs.symlinkSync(path.join(root, "pkg/node_modules"), path.join(out, "node_modules"), "dir");
  const host = fs.readdirSync(path.join(out, "snippets")).map((d) => `snippets/${d}/src/wasm/host.js`).find((f) => fs.existsSync(path.join(out, f)));
  if (!host) throw new Error("bench/alloc: no snippets/*/src/wasm/host.js in its package");
  fs.writeFileSync(path.join(out, "node.mjs"), fs.readFileSync(path.join(root, "js/node.mjs"), "utf8").replaceAll("__HOST_JS__", `./${host}`));
  return out;
}

const PARSE_BYTES = 1 << 20;
const PARSE_CHUNK = 65536;

function parseWasm(file, samples) {
  const mod = new WebAssembly.Module(fs.readFileSync(file));
  // The raw (not wasm-bindgen-processed) module still imports the crate's JS bindings; the
  // parse path never calls them.
  const imports = {};
  for (const i of WebAssembly.Module.imports(mod)) {
    imports[i.module] ??= {};
    if (i.kind !== "function") throw new Error(`unexpected ${i.kind} import ${i.module}.${i.name}`);
    imports[i.module][i.name] = () => {
      throw new Error(`import ${i.name} called`);
    };
  }
  const { exports } = new WebAssembly.Instance(mod, imports);
  const bodyBytes = exports.bench_prepare(PARSE_BYTES);
  const expect = exports.bench_parse(1, PARSE_CHUNK);
  let batch = 0;
  const w0 = now();
  while (now() - w0 < 150 || batch < 3) {
    exports.bench_parse(1, PARSE_CHUNK);
    batch++;
  }
  const out = [];
  const t0 = now();
  for (let s = 0; s < samples && now() - t0 < 4000; s++) {
    const t = now();
    const sum = exports.bench_parse(batch, PARSE_CHUNK) >>> 0;
    const ms = (now() - t) / batch;
    if (sum !== ((expect * batch) >>> 0)) throw new Error("wasm parse checksum mismatch");
    out.push(ms);
  }
  return { bodyBytes, samplesMs: out };
}

/** Same body, the JS way (what raw fetch does after text()): split SSE lines + JSON.parse. */
function parseJs(body, samples) {
  const text = body.toString("utf8");
  const once = () => {
    let data = "";
    for (const line of text.split(/\r?\n/)) if (line.startsWith("data:")) data += line.slice(6);
    return JSON.parse(data).result.content[0].text.length;
  };
  let batch = 0;
  const w0 = now();
  while (now() - w0 < 150 || batch < 3) {
    once();
    batch++;
  }
  const out = [];
  for (let s = 0; s < samples; s++) {
    const t = now();
    for (let i = 0; i < batch; i++) once();
    out.push((now() - t) / batch);
  }
  return out;
}

async function sectionParse(bigBodyBytes, bigBody) {
  const res = { chunk: PARSE_CHUNK };
  let built;
  try {
    built = sectionNativeBuild();
    res.buildS = built.buildS;
  } catch (e) {
    res.error = `native/wasm parse bench not built: ${e.message}`;
    return (results.parse = res);
  }
  const samples = RUNS;
  const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);
  const w = parseWasm(built.wasm, samples);
  res.bodyBytes = w.bodyBytes;
  res.wasm = w.samplesMs.map((ms) => mbps(w.bodyBytes, ms));
  for (const [k, bin] of [["nativeSame", built.nativeSame], ["nativeZ", built.nativeZ]]) {
    const r = spawnSync(bin, [String(PARSE_BYTES), String(PARSE_CHUNK), String(samples), "4000"], { encoding: "utf8", timeout: 60000 });
    if (r.status !== 0) throw new Error(`${bin} failed: ${r.stderr}`);
    const j = JSON.parse(r.stdout.trim());
    if (j.bodyBytes !== w.bodyBytes) results.notes.push(`parse: native body ${j.bodyBytes} B vs wasm ${w.bodyBytes} B`);
    res[k] = j.samplesMs.map((ms) => mbps(j.bodyBytes, ms));
  }
  if (bigBody) res.js = parseJs(bigBody, samples).map((ms) => mbps(bigBody.length, ms));
  res.sameBytesAsServer = bigBodyBytes === w.bodyBytes;
  results.parse = res;
}

// --- latency, CPU per call -----------------------------------------------------------------------
const OPS = ["ping", "echo"];
const CONCS = [1, 32];
const LAT_CLIENTS = ["raw", "rawUndici", "pool", "sdk", "poolHeld", "poolFetch", "rawHttp"];
const CLIENT_LABEL = {
  raw: "raw",
  rawUndici: "raw on undici.request",
  pool: "pool",
  sdk: "sdk",
  poolHeld: "pool, lease held (diagnostic)",
  poolFetch: "pool on fetch (diagnostic)",
  rawHttp: "raw over node:http (diagnostic)",
};

async function sectionLatency(servers, clients, S) {
  const callsFor = (conc) => (QUICK ? (conc === 1 ? 150 : 640) : conc === 1 ? 300 : 1280);
  const lat = {}; // key server|op|conc|client -> [{median,p99,perSec,cpuUsPerCall}] per run
  const nopool = {}; // server -> [median ms of connect+echo+close] per run
  const live = {};
  for (const srv of servers) {
    live[srv.key] = {};
    for (const name of LAT_CLIENTS) live[srv.key][name] = await retry(() => clients[name](srv.url));
    // Warm-up: JIT, connection pools, pool sessions up to the cap.
    for (const name of LAT_CLIENTS) {
      const c = live[srv.key][name];
      for (const op of OPS) {
        await measure((i) => (op === "ping" ? c.ping() : c.echo(`w${i}`)), { concurrency: 1, calls: 100, maxMs: 5000 });
        await measure((i) => (op === "ping" ? c.ping() : c.echo(`w${i}`)), { concurrency: 32, calls: 320, maxMs: 5000 });
      }
    }
  }
  for (let run = 0; run < RUNS; run++) {
    const t = now();
    for (const srv of servers) {
      for (const op of OPS) {
        for (const conc of CONCS) {
          const order = LAT_CLIENTS.map((_, i) => LAT_CLIENTS[(i + run) % LAT_CLIENTS.length]);
          for (const name of order) {
            const c = live[srv.key][name];
            const msg = "hello from the benchmark";
            const r = await measure(() => (op === "ping" ? c.ping() : c.echo(msg)), {
              concurrency: conc,
              calls: callsFor(conc),
              maxMs: 20000,
            });
            (lat[`${srv.key}|${op}|${conc}|${name}`] ??= []).push(r);
          }
        }
      }
      // No pool: connect + echo + terminate + close per call, concurrency 1.
      const r = await measure(() => noPoolAgent(S, srv.url, (c) => c.callTool({ name: "echo", arguments: { message: "x" } })), {
        concurrency: 1,
        calls: QUICK ? 8 : 15,
        maxMs: 10000,
      });
      (nopool[srv.key] ??= []).push(r);
    }
    log(`latency run ${run + 1}/${RUNS}: ${((now() - t) / 1000).toFixed(1)} s`);
  }
  for (const srv of servers) for (const name of LAT_CLIENTS) await live[srv.key][name].close().catch(() => {});
  results.latency = { lat, nopool, calls: { 1: callsFor(1), 32: callsFor(32) } };
}

// --- throughput: 100 agents x 20 calls -------------------------------------------------------------
const AGENTS = 100;
const CALLS_PER_AGENT = 20;

async function sectionThroughput(servers, clients, S) {
  const out = {}; // server -> client -> [{perSec, inits, wallMs, cpuUsPerCall}]
  const names = ["raw", "pool", "sdk", "nopool", "nopoolCall", "poolFetch"];
  for (let run = 0; run < RUNS; run++) {
    const t = now();
    for (const srv of servers) {
      const order = names.map((_, i) => names[(i + run) % names.length]);
      for (const name of order) {
        const before = await srv.stats();
        const cpu0 = process.cpuUsage();
        const serverCpu0 = childCpuUs(srv.child);
        const t0 = now();
        const deadline = t0 + 60000;
        let done = 0;
        let wallMs;
        let cpu;
        if (name === "nopoolCall") {
          // Every call is its own task: connect, call, DELETE, close (time-bounded: 12 s).
          const callDeadline = t0 + 12000;
          await Promise.all(
            Array.from({ length: AGENTS }, async (_, a) => {
              for (let k = 0; k < CALLS_PER_AGENT && now() < callDeadline; k++) {
                await noPoolAgent(S, srv.url, (c) => c.callTool({ name: "echo", arguments: { message: `agent ${a} call ${k}` } }));
                done++;
              }
            }),
          );
          wallMs = now() - t0;
          cpu = process.cpuUsage(cpu0);
        } else if (name === "nopool") {
          await Promise.all(
            Array.from({ length: AGENTS }, (_, a) =>
              noPoolAgent(S, srv.url, async (c) => {
                for (let k = 0; k < CALLS_PER_AGENT && now() < deadline; k++) {
                  await c.callTool({ name: "echo", arguments: { message: `agent ${a} call ${k}` } });
                  done++;
                }
              }),
            ),
          );
          wallMs = now() - t0; // each agent's close is part of its task
          cpu = process.cpuUsage(cpu0);
        } else {
          // Cold: the client connects inside the timed region, as the agents arrive.
          const c = await clients[name](srv.url);
          await Promise.all(
            Array.from({ length: AGENTS }, async (_, a) => {
              for (let k = 0; k < CALLS_PER_AGENT && now() < deadline; k++) {
                await c.echo(`agent ${a} call ${k}`);
                done++;
              }
            }),
          );
          wallMs = now() - t0; // close is outside the timed region
          cpu = process.cpuUsage(cpu0);
          await c.close().catch(() => {});
        }
        const serverCpu1 = childCpuUs(srv.child);
        const after = await srv.stats();
        ((out[srv.key] ??= {})[name] ??= []).push({
          perSec: (done / wallMs) * 1000,
          inits: after.initialize - before.initialize,
          calls: done,
          cpuUsPerCall: (cpu.user + cpu.system) / Math.max(1, done),
          // The server's CPU over the same region (includes its two /__stats answers; /proc counts in ticks).
          serverCpuUsPerCall: serverCpu0 === null || serverCpu1 === null ? null : (serverCpu1 - serverCpu0) / Math.max(1, done),
        });
      }
    }
    log(`throughput run ${run + 1}/${RUNS}: ${((now() - t) / 1000).toFixed(1)} s`);
  }
  results.throughput = out;
}

// --- warm get + release ---------------------------------------------------------------------------
async function sectionGetRelease(P, url) {
  // A fresh pool per run (and a forced GC between runs, so runs are independent); each pair is
  // timed on its own (performance.now() costs ~0.1 µs, included). The loop yields to the event
  // loop every 1 000 pairs, as any real program does; bounded by MAX_PAIRS and MAX_MS per run.
  const MAX_PAIRS = QUICK ? 10000 : 20000;
  const MAX_MS = 3000;
  const runs = [];
  const floor = [];
  let leasesAfter = 0;
  let sessions = 0;
  for (let run = 0; run < RUNS; run++) {
    globalThis.gc?.();
    await sleep(10);
    const pool = new P.McpPool(POOL_OPTIONS);
    pool.registerHttp("s", url);
    const c0 = await pool.get("s");
    await c0.ping();
    c0.release();
    const lat = [];
    const t0 = now();
    while (lat.length < MAX_PAIRS && now() - t0 < MAX_MS) {
      for (let i = 0; i < 1000; i++) {
        const s = now();
        const c = await pool.get("s");
        c.release();
        lat.push(now() - s);
      }
      await new Promise((r) => setImmediate(r));
    }
    const wallMs = now() - t0;
    const st = pool.stats();
    leasesAfter = Math.max(leasesAfter, st.leases);
    sessions = Math.max(sessions, st.servers.s?.totalConnections ?? 0);
    await pool.close();
    const first = lat.slice(0, 1000);
    const last = lat.slice(-1000);
    runs.push({
      pairs: lat.length,
      medianNs: median(lat) * 1e6,
      meanNs: (wallMs / lat.length) * 1e6,
      first1kNs: median(first) * 1e6,
      last1kNs: median(last) * 1e6,
    });
    // The floor: one timed `await` of a resolved promise, same harness.
    const fl = [];
    for (let i = 0; i < 20000; i++) {
      const s = now();
      await Promise.resolve(i);
      fl.push(now() - s);
    }
    floor.push(median(fl) * 1e6);
  }
  results.getRelease = { runs, floor, maxPairs: MAX_PAIRS, maxMs: MAX_MS, leasesAfter, sessions };
}

// --- 1 MB SSE tools/call, end to end --------------------------------------------------------------
async function sectionBig(srv, clients) {
  // The exact body the server sends, for the parse section and the MB/s figures.
  const raw = await clients.raw(srv.url);
  const res = await fetch(srv.url, {
    method: "POST",
    headers: raw.headers,
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "big", arguments: {} } }),
  });
  const body = Buffer.from(await res.arrayBuffer());
  await raw.close();
  const names = ["raw", "pool", "sdk"];
  const live = {};
  for (const n of names) live[n] = await clients[n](srv.url);
  for (const n of names) for (let i = 0; i < 3; i++) await live[n].big();
  const per = {};
  const calls = QUICK ? 5 : 10;
  for (let run = 0; run < RUNS; run++) {
    for (const n of names.map((_, i) => names[(i + run) % names.length])) {
      const r = await measure(() => live[n].big(), { concurrency: 1, calls, maxMs: 15000 });
      (per[n] ??= []).push(r.median);
    }
  }
  for (const n of names) await live[n].close().catch(() => {});
  results.big = { bodyBytes: body.length, per, calls };
  return body;
}

// --- cold start (fresh processes) ------------------------------------------------------------------
/** A fetch that answers like an MCP server without any network. */
function fakeFetch() {
  return async (input, init = {}) => {
    const method = (init.method || "GET").toUpperCase();
    if (method !== "POST") return new Response(null, { status: 405 });
    const msg = JSON.parse(typeof init.body === "string" ? init.body : new TextDecoder().decode(init.body));
    if (msg.id === undefined) return new Response(null, { status: 202 });
    const result =
      msg.method === "initialize"
        ? { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "fake", version: "1" } }
        : {};
    return new Response(JSON.stringify({ jsonrpc: "2.0", id: msg.id, result }), {
      status: 200,
      headers: { "content-type": "application/json", "mcp-session-id": "fake-session" },
    });
  };
}

/** Node loads its fetch stack (undici) lazily on first use: load it before timing, as "network". */
async function warmFetchStack() {
  await new Response("{}", { headers: { "content-type": "application/json" } }).text();
  new Headers().append("a", "b");
  new AbortController().abort();
}

async function childColdPool() {
  await warmFetchStack();
  const t0 = now();
  const glue = await import("mcp-edge-pool/web").catch(() => import(pathToFileURL(path.join(root, "pkg/mcp_edge_pool.js")).href));
  const tImport = now();
  const dir = poolPackageDir();
  const bytes = fs.readFileSync(path.join(dir, "mcp_edge_pool_bg.wasm"));
  const tRead = now();
  const module = new WebAssembly.Module(bytes);
  const tCompile = now();
  glue.initSync({ module });
  const tInst = now();
  globalThis.fetch = fakeFetch();
  const pool = new glue.McpPool({});
  pool.registerHttp("s", "http://127.0.0.1:9/mcp");
  const c = await pool.get("s");
  const tGet = now();
  c.release();
  await pool.close();
  return {
    importGlueMs: tImport - t0,
    readMs: tRead - tImport,
    compileMs: tCompile - tRead,
    instantiateMs: tInst - tCompile,
    firstGetMs: tGet - tInst,
    totalMs: tGet - t0,
  };
}

async function childColdSdk() {
  const sdkDir = path.join(jsDeps, "node_modules/@modelcontextprotocol/sdk/dist/esm/client");
  await warmFetchStack();
  const t0 = now();
  const { Client } = await import(pathToFileURL(path.join(sdkDir, "index.js")).href);
  const { StreamableHTTPClientTransport } = await import(pathToFileURL(path.join(sdkDir, "streamableHttp.js")).href);
  const tImport = now();
  const client = new Client({ name: "cold", version: "1" });
  const transport = new StreamableHTTPClientTransport(new URL("http://127.0.0.1:9/mcp"), { fetch: fakeFetch() });
  await client.connect(transport);
  const tConnect = now();
  await client.close();
  return { importMs: tImport - t0, firstConnectMs: tConnect - tImport, totalMs: tConnect - t0 };
}

function sectionCold() {
  const pool = [];
  const sdk = [];
  for (let run = 0; run < RUNS; run++) {
    pool.push(runChild("cold-pool", [], [], 30000));
    sdk.push(runChild("cold-sdk", [], [], 30000));
  }
  results.cold = { pool, sdk };
}

// --- workerd startup ---------------------------------------------------------------------------------
const WORKERD = [
  process.env.WORKERD_BIN,
  path.join(jsDeps, "node_modules/.bin/workerd"),
  path.join(jsDeps, "node_modules/@cloudflare/workerd-linux-64/bin/workerd"),
].find((p) => p && fs.existsSync(p));

const POOL_WORKER = `import { McpPool } from "mcp-edge-pool";
const pool = new McpPool({ maxConcurrentRequests: 64 });
let registered = false;
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname !== "/call") return new Response("ok");
    if (!registered) { pool.registerHttp("s", env.MCP_URL); registered = true; }
    const c = await pool.get("s");
    try { const r = await c.callTool("echo", { message: "w" }); return new Response(r.content[0].text); }
    finally { c.release(); }
  },
};
`;
// The baseline: no package; its /call is a raw client's first call with fetch (initialize,
// notifications/initialized, tools/call echo; the session kept for the next /call), the anchor of
// issue #19's "first call <= +5 ms over a raw client's first call".
const EMPTY_WORKER = `let session = null;
const HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };
async function post(url, body, sid) {
  const headers = sid ? { ...HEADERS, "mcp-session-id": sid, "mcp-protocol-version": "2025-11-25" } : HEADERS;
  const r = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  return { sid: r.headers.get("mcp-session-id"), text: await r.text() };
}
export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname !== "/call") return new Response("ok");
    if (session === null) {
      const init = await post(env.MCP_URL, { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "0" } } });
      await post(env.MCP_URL, { jsonrpc: "2.0", method: "notifications/initialized" }, init.sid);
      session = { sid: init.sid, next: 1 };
    }
    const call = await post(env.MCP_URL, { jsonrpc: "2.0", id: session.next++, method: "tools/call", params: { name: "echo", arguments: { message: "w" } } }, session.sid);
    return new Response(JSON.parse(call.text).result.content[0].text);
  },
};
`;

async function buildWorker(name, source, mcpUrl, port) {
  const esbuild = requireJs("esbuild");
  const dir = path.join(root, "target/bench-workerd", name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const wasmFiles = new Map();
  const plugin = {
    name: "wasm-external",
    setup(b) {
      b.onResolve({ filter: /\.wasm$/ }, (args) => {
        const source = path.resolve(args.resolveDir, args.path);
        wasmFiles.set(path.basename(source), source);
        return { path: path.basename(source), external: true };
      });
    },
  };
  await esbuild.build({
    stdin: { contents: source, resolveDir: here, loader: "js" },
    outfile: path.join(dir, "worker.js"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    plugins: [plugin],
    logLevel: "silent",
  });
  const modules = [`(name = "worker.js", esModule = embed "worker.js")`];
  for (const [spec, file] of wasmFiles) {
    fs.copyFileSync(file, path.join(dir, spec));
    modules.push(`(name = ${JSON.stringify(spec)}, wasm = embed ${JSON.stringify(spec)})`);
  }
  fs.writeFileSync(
    path.join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .w), (name = "internet", network = (allow = ["public", "private", "local"])) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const w :Workerd.Worker = (
  modules = [ ${modules.join(", ")} ],
  compatibilityDate = "2025-09-01",
  bindings = [ (name = "MCP_URL", text = ${JSON.stringify(mcpUrl)}) ],
  globalOutbound = "internet",
);
`,
  );
  return dir;
}

async function freePort() {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function workerdOnce(dir, port, withCall) {
  const t0 = now();
  const child = spawn(WORKERD, ["serve", "config.capnp"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  children.add(child);
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (err = (err + d).slice(-2000)));
  try {
    let startupMs = null;
    while (now() - t0 < 15000) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/`);
        if (r.status === 200) {
          await r.text();
          startupMs = now() - t0;
          break;
        }
      } catch {}
      if (child.exitCode !== null) throw new Error(`workerd exited ${child.exitCode}: ${err}`);
      await sleep(2);
    }
    if (startupMs === null) throw new Error(`workerd not ready after 15 s: ${err}`);
    let firstCallMs = null;
    let warmCallMs = null;
    if (withCall) {
      let t = now();
      let r = await fetch(`http://127.0.0.1:${port}/call`);
      if ((await r.text()) !== "w") throw new Error(`worker /call answered ${r.status}`);
      firstCallMs = now() - t;
      t = now();
      r = await fetch(`http://127.0.0.1:${port}/call`);
      await r.text();
      warmCallMs = now() - t;
    }
    return { startupMs, firstCallMs, warmCallMs };
  } finally {
    children.delete(child);
    const done = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([done, sleep(2000)]);
    child.kill("SIGKILL");
  }
}

async function sectionWorkerd(srv) {
  if (!WORKERD) throw new Error("no workerd binary in tests/js/node_modules");
  const portPool = await freePort();
  const portEmpty = await freePort();
  const poolDir = await buildWorker("pool", POOL_WORKER, srv.url, portPool);
  const emptyDir = await buildWorker("empty", EMPTY_WORKER, srv.url, portEmpty);
  const pool = [];
  const empty = [];
  for (let run = 0; run < RUNS; run++) {
    empty.push(await workerdOnce(emptyDir, portEmpty, true));
    pool.push(await workerdOnce(poolDir, portPool, true));
  }
  const version = spawnSync(WORKERD, ["--version"], { encoding: "utf8" }).stdout.trim();
  results.workerd = { pool, empty, version, bundleBytes: fs.statSync(path.join(poolDir, "worker.js")).size };
}

// --- issue #19: the pooled call ÷ the runtime's own raw fetch, in workerd and in headless Chromium --
// Both run bench/workerd_calls_worker.mjs's handler: N tools/call echo at concurrency C through the
// pool (default options, get -> callTool -> release per call) or through raw `fetch` (the same
// JSON-RPC with the session headers), timed around one handler call; pool and raw alternate in a
// rotating order, and the ratio is taken inside each run.
// Calls per timed handler call: 400 in workerd (~0.1–0.4 ms each: a run is cheap, --quick keeps it, its ratios are
// noisy enough already), 200 in Chromium (milliseconds per request there, so 200 is already seconds per row).
const WORKERD_CALLS_N = 400;
const BROWSER_CALLS_N = 200;

const WD_VERSION = () => (WORKERD ? spawnSync(WORKERD, ["--version"], { encoding: "utf8" }).stdout?.trim() : null);

async function sectionWorkerdCalls() {
  if (!WORKERD) throw new Error("no workerd binary in tests/js/node_modules");
  const { measureWorkerdCalls } = await import("./workerd-calls.mjs");
  const n = WORKERD_CALLS_N;
  const rows = await measureWorkerdCalls({ runs: RUNS, n, pkg: poolPackageDir(), baseline: BASELINE, scratchPrefix: "target/bench-workerd-calls-run", log });
  results.workerdCalls = { n, rows };
}

// The pool's own CPU per call in workerd, without the network (bench/workerd-cpu.mjs): every fetch of the
// measuring Worker answered from memory, so pool minus raw is the pool's work without the round trips.
const WORKERD_CPU_N = 2000;

async function sectionWorkerdCpu() {
  if (!WORKERD) throw new Error("no workerd binary in tests/js/node_modules");
  const { measureWorkerdCpu } = await import("./workerd-cpu.mjs");
  const rows = await measureWorkerdCpu({ runs: RUNS, n: WORKERD_CPU_N, pkg: poolPackageDir(), baseline: BASELINE, scratchPrefix: "target/bench-workerd-cpu-run" });
  results.workerdCpu = { n: WORKERD_CPU_N, rows };
}

const CHROMIUM = [process.env.CHROMIUM_BIN, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && fs.existsSync(p));
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** Rejects after `ms` (page.evaluate has no timeout of its own). */
function bounded(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms))),
  ]);
}

async function sectionBrowserCalls() {
  if (!CHROMIUM) throw new Error("no Chromium (set CHROMIUM_BIN)");
  const { chromium } = requireJs("playwright-core");
  const pkgDir = poolPackageDir();
  const n = BROWSER_CALLS_N;
  const fast = path.join(here, "fast_server.mjs");
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-chromium-"));
  const started = [];
  let context;
  const rows = [];
  try {
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30000 });
    // The page's other origin (cross-origin rows): another fast server, serving the page only.
    const www = ["--www", pkgDir, ...(BASELINE ? ["--www-base", BASELINE] : [])];
    const other = await startServer("browser-page", fast, www);
    started.push(other);
    const otherBase = other.url.replace(/\/mcp$/, "");
    for (const [label, flags] of [["JSON", []], ["SSE", ["--sse"]]]) {
      const mcp = await startServer(`browser-${label}`, fast, [...flags, ...www]);
      started.push(mcp);
      const mcpBase = mcp.url.replace(/\/mcp$/, "");
      for (const [where, pageBase] of [["same origin", mcpBase], ["cross-origin", otherBase]]) {
        const page = await context.newPage();
        const pageErrors = [];
        page.on("pageerror", (e) => pageErrors.push(String(e?.message ?? e)));
        try {
          await page.goto(`${pageBase}/page.html`, { timeout: 30000 });
          await page.waitForFunction(() => window.benchWorker || window.benchError, null, { timeout: 30000 });
          if (BASELINE && !(await page.evaluate(() => window.baseWorker !== null))) throw new Error("page: the baseline package did not load");
          const loadError = await page.evaluate(() => window.benchError ?? null);
          if (loadError) throw new Error(`page: ${loadError}`);
          const go = (which, c, count) =>
            bounded(
              page.evaluate(async ({ which, c, count, url }) => {
                const t = performance.now();
                // "base": the baseline package's pool (--baseline), in its own copy of the handler.
                const worker = which === "base" ? window.baseWorker : window.benchWorker;
                const route = which === "base" ? "pool" : which;
                const r = await worker.fetch(new Request(`http://bench.invalid/${route}?n=${count}&c=${c}`), { MCP_URL: url });
                const body = await r.text();
                if (!r.ok) throw new Error(`${which}: ${r.status} ${body}`);
                return performance.now() - t;
              }, { which, c, count, url: mcp.url }),
              120000,
              `browser ${which}`,
            );
          for (const c of [1, 32]) {
            await go("raw", c, 50); // warm-up: sessions open, code optimised
            await go("pool", c, 50);
            if (BASELINE) await go("base", c, 50);
            const before = await mcp.stats();
            const row = { label, where, c, rawMs: [], poolMs: [], ratios: [], ...(BASELINE ? { baseMs: [], vsBase: [] } : {}) };
            const clients = BASELINE ? ["raw", "pool", "base"] : ["raw", "pool"];
            for (let run = 0; run < RUNS; run++) {
              // Rotating order: no client always first, or always right after another.
              const order = clients.map((_, k) => clients[(run + k) % clients.length]);
              const t = {};
              for (const which of order) t[which] = await go(which, c, n);
              row.rawMs.push(t.raw);
              row.poolMs.push(t.pool);
              row.ratios.push(t.pool / t.raw);
              if (BASELINE) {
                row.baseMs.push(t.base);
                row.vsBase.push(t.pool / t.base);
              }
            }
            const after = await mcp.stats();
            // What the server saw over the timed runs: POSTs (2 × RUNS × n calls) and CORS preflights.
            row.posts = after.posts - before.posts;
            row.preflights = after.preflights - before.preflights;
            row.initializes = after.initialize - before.initialize;
            log(`browser-calls ${label} ${where} c${c}: pool ÷ raw median ${median(row.ratios).toFixed(2)} (preflights ${row.preflights}, initializes ${row.initializes})`);
            rows.push(row);
          }
        } finally {
          if (pageErrors.length) results.notes.push(`browser-calls page errors (${label}, ${where}): ${pageErrors.slice(0, 3).join("; ")}`);
          await page.close().catch(() => {});
        }
      }
    }
    results.browserCalls = { n, rows, chromium: context.browser()?.version() ?? (spawnSync(CHROMIUM, ["--version"], { encoding: "utf8" }).stdout || "").trim() };
  } finally {
    await context?.close().catch(() => {});
    for (const s of started) await s.stop();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

// --- memory growth (fresh process) ----------------------------------------------------------------
async function childMemory(url, allocPkg) {
  // The packed package, or with `allocPkg` the instrumented build of bench/alloc/ (allocStats()).
  const P = allocPkg
    ? await import(pathToFileURL(path.join(allocPkg, "node.mjs")).href)
    : await import("mcp-edge-pool").catch(() => import(pathToFileURL(path.join(root, "pkg/node.mjs")).href));
  const glue = allocPkg
    ? await import(pathToFileURL(path.join(allocPkg, "mcp_edge_pool.js")).href)
    : await import("mcp-edge-pool/web").catch(() => import(pathToFileURL(path.join(root, "pkg/mcp_edge_pool.js")).href));
  const wasm = glue.initSync(); // already initialised by the entry: returns its exports
  const pool = new P.McpPool(POOL_OPTIONS);
  pool.registerHttp("s", url);
  const call = async (i) => {
    const c = await pool.get("s");
    try {
      await c.callTool("echo", { message: `m${i}` });
    } finally {
      c.release();
    }
  };
  const CONC = 8;
  let done = 0;
  const started = now();
  const upTo = async (total, maxMs) => {
    const deadline = now() + maxMs;
    await Promise.all(
      Array.from({ length: CONC }, async () => {
        while (done < total && now() < deadline) {
          const i = done++;
          await call(i);
        }
      }),
    );
  };
  const snap = async () => {
    for (let i = 0; i < 3; i++) {
      globalThis.gc?.();
      await sleep(20);
    }
    const m = process.memoryUsage();
    const heap = typeof glue.allocStats === "function" ? [...glue.allocStats()] : null;
    const rust = heap && { liveBytes: heap[0], liveCount: heap[1], peakBytes: heap[2] };
    return { calls: done, wasmBytes: wasm.memory.buffer.byteLength, heapUsed: m.heapUsed, external: m.external, rss: m.rss, rust };
  };
  await upTo(1000, 20000);
  const points = [];
  await upTo(10000, 60000);
  points.push(await snap());
  const mid = [];
  for (const target of [25000, 50000, 75000, 100000]) {
    await upTo(target, Math.max(1000, 150000 - (now() - started)));
    mid.push(await snap());
  }
  points.push(mid[mid.length - 1]);
  const st = pool.stats();
  await pool.close();
  return { gc: typeof globalThis.gc === "function", points, mid, leases: st.leases, sessions: st.totalConnections, seconds: (now() - started) / 1000 };
}

async function sectionMemory(srv) {
  results.memory = runChild("memory", ["--url", srv.url], ["--expose-gc"], 200000);
  const t0 = now();
  const allocPkg = buildAllocPkg();
  const buildS = (now() - t0) / 1000;
  results.memoryRust = { ...runChild("memory", ["--url", srv.url, "--alloc-pkg", allocPkg], ["--expose-gc"], 200000), buildS };
}

// --- CPU profile of the pooled and the raw call loops ------------------------------------------------
async function childProfile(url, which, ms, outFile) {
  // Profiled in-process (node:inspector) after a warm-up, so start-up and teardown are not in it.
  const { Session } = await import("node:inspector/promises");
  const P = await import("mcp-edge-pool").catch(() => import(pathToFileURL(path.join(root, "pkg/node.mjs")).href));
  const S = loadSdk();
  const clients = makeClients(P, S);
  const c = await clients[which](url);
  const op = () => c.echo("hello from the benchmark");
  await measure(op, { concurrency: 1, calls: 1000, maxMs: 5000 });
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  await session.post("Profiler.start");
  const r = await measure(op, { concurrency: 1, calls: 1e9, maxMs: ms });
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();
  await c.close();
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, JSON.stringify(profile));
  return r;
}

/** Wasm modules seen in a profile (by script URL): in the raw-fetch profile that is undici's llhttp. */
function wasmUrls(file) {
  const prof = JSON.parse(fs.readFileSync(file, "utf8"));
  return new Set(prof.nodes.map((n) => n.callFrame.url).filter((u) => u.startsWith("wasm://")));
}

function summarizeProfile(file, calls, fetchLlhttp) {
  const prof = JSON.parse(fs.readFileSync(file, "utf8"));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  // llhttp: the wasm of the raw fetch run (Node's own undici), and the pool's undici (the npm
  // package, another llhttp build) told from the crate's module by its size: llhttp has a few
  // dozen functions, the crate's module over a thousand.
  const llhttp = new Set(fetchLlhttp);
  const highest = new Map();
  for (const n of prof.nodes) {
    const { url, functionName } = n.callFrame;
    const m = /^wasm-function\[(\d+)\]$/.exec(functionName);
    if (url.startsWith("wasm://") && m) highest.set(url, Math.max(highest.get(url) ?? 0, Number(m[1])));
  }
  for (const [url, top] of highest) if (top < 500) llhttp.add(url);
  const self = new Map();
  const dt = prof.timeDeltas;
  for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
  let total = 0;
  const cats = {};
  const fns = {};
  for (const [id, us] of self) {
    const n = byId.get(id);
    const { functionName: f, url } = n.callFrame;
    total += us;
    let cat;
    if (f === "(idle)") cat = "idle (waiting for the server)";
    else if (f === "(garbage collector)") cat = "garbage collector";
    else if (/^(writev|writeBuffer|writeUtf8String|writeLatin1String|writeAsciiString)$/.test(f) && !url) cat = "socket writes (write/writev syscalls)";
    else if (url.startsWith("wasm://")) cat = llhttp.has(url) ? "undici (fetch, or the Node client's), incl. its llhttp wasm" : "mcp-edge-pool wasm (Rust core)";
    else if (/node_undici\.mjs/.test(url)) cat = "mcp-edge-pool Node client (node_undici.mjs)";
    else if (/mcp_edge_pool\.js|mcp-edge-pool\//.test(url)) cat = "mcp-edge-pool JS glue";
    else if (/undici/.test(url)) cat = "undici (fetch, or the Node client's), incl. its llhttp wasm";
    else if (/@modelcontextprotocol|zod|ajv/.test(url)) cat = "SDK code (incl. zod)";
    else if (/bench\/run\.mjs/.test(url)) cat = "benchmark harness";
    else if (/abort_controller|js_transferable|event_target/.test(url) || f === "JSTransferable") cat = "AbortController / AbortSignal / events";
    else if (/readablestream|webstreams/.test(url)) cat = "web streams (ReadableStream, readers)";
    else if (url.startsWith("node:") || (url && !url.includes("/"))) cat = "other node internals (net, http, timers, …)";
    else if (!url) cat = "V8 builtins / native (microtasks, JSON, …)";
    else cat = "other JS";
    cats[cat] = (cats[cat] ?? 0) + us;
    const key = `${f || "(anonymous)"} ${url ? `(${url.replace(/^.*\//, "")})` : ""}`.trim();
    fns[key] = (fns[key] ?? 0) + us;
  }
  const busy = total - (cats["idle (waiting for the server)"] ?? 0);
  const top = (o, n) =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => ({ k, usPerCall: us / calls, pctBusy: k.startsWith("idle") || k.startsWith("(idle)") ? null : (100 * us) / busy }));
  return { totalUsPerCall: total / calls, busyUsPerCall: busy / calls, cats: top(cats, 16), fns: top(fns, 12) };
}

async function sectionProfile(srvJson) {
  const dir = path.join(root, "target/bench-prof");
  fs.rmSync(dir, { recursive: true, force: true });
  const out = {};
  const ms = QUICK ? "1500" : "3000";
  const runs = {};
  for (const which of ["raw", "pool", "poolHeld", "sdk"]) {
    const file = path.join(dir, `${which}.cpuprofile`);
    runs[which] = { run: runChild("profile", ["--url", srvJson.url, "--which", which, "--ms", ms, "--prof-out", file], [], 60000), file };
  }
  const llhttp = wasmUrls(runs.raw.file);
  for (const [which, r] of Object.entries(runs)) {
    out[which] = { run: r.run, summary: summarizeProfile(r.file, r.run.n, llhttp), file: path.relative(root, r.file) };
  }
  results.profile = out;
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------
const SERVER_LABEL = {
  "fast-json": "fast (JSON)",
  "fast-sse": "fast (SSE)",
  "sdk-json": "SDK server (JSON)",
  "sdk-sse": "SDK server (SSE)",
};

function ratioRuns(a, b, field = "median") {
  if (!a || !b) return null;
  return mmm(a.map((x, i) => (b[i] ? x[field] / b[i][field] : NaN)));
}

function report(meta) {
  const L = [];
  const goals = [];
  const p = (s = "") => L.push(s);
  p("# Benchmarks");
  p();
  p("Generated by `make bench` (`scripts/bench.sh` → `node --no-warnings --expose-gc bench/run.mjs`); do not edit by hand.");
  p(`Every figure is **min / median / max over ${meta.runs ?? RUNS} runs** unless said otherwise; ratios are taken inside each run`);
  p("(same servers, same moment), then summarised. Absolute times on this machine are noise; the ratios are the result.");
  p();
  p("## Machine and setup");
  p();
  const m = meta.machine;
  p(table(["", ""], [
    ["command", "`make bench`"],
    ["date", m.date],
    ["CPU", `${m.model}, nproc ${m.nproc}`],
    ["memory, kernel", `${m.mem}, Linux ${m.kernel}`],
    ["node", m.node],
    ["load average (1 / 5 / 15 min, os.loadavg()) at start / end", `${m.load} / ${meta.loadEnd} (nproc ${m.nproc})`],
    ["other busy processes at start", m.busy.length ? m.busy.map((b) => `\`${b}\``).join(", ") : "none ≥ 20 % CPU"],
    ["package under test", meta.poolSource + (TARBALL ? ` — ${path.basename(TARBALL)}` : "")],
    ...(meta.baseline ? [["baseline package (--baseline)", `\`${meta.baseline}\` (workerd-calls, workerd-cpu and browser-calls run it beside the package under test)`]] : []),
    ["SDK", `@modelcontextprotocol/sdk ${meta.sdkVersion} (tests/js/node_modules)`],
    ["pool options", `\`${JSON.stringify(POOL_OPTIONS)}\` (the default \`maxConcurrentRequests\` of 6 is meant for Workers; at concurrency 32 it would queue), all else default: \`maxConnectionsPerServer\` ${MAX_SESSIONS}`],
    ["servers", "`bench/fast_server.mjs` (node:http, no SDK; JSON, or SSE with `--sse`) and `tests/servers/ts_server.mjs` (official SDK `McpServer` + `StreamableHTTPServerTransport`, SSE, or JSON with `--json`); each in its own process on 127.0.0.1"],
    ["total run time", `${meta.totalS.toFixed(0)} s`],
  ]));
  p();
  p("Clients: **raw** = `fetch` POSTing the same JSON-RPC with the session headers (one session, the floor); **pool** =");
  p("this package, `await pool.get()` → call → `release()` around every call, sending through undici's `request` API (its Node client, the default `httpClient` in Node); **sdk** = official `Client` +");
  p("`StreamableHTTPClientTransport`, connected once and shared; **no pool** = each agent connects its own SDK client,");
  p(`calls, terminates its session (\`DELETE\`) and closes; **raw on undici.request** = the raw client on \`undici.request\` with a keep-alive \`Agent\`, the undici the package depends on (${meta.undiciVersion ?? "?"}): Node's fastest raw client, issue #19's anchor. Diagnostics: **pool on fetch** = the pool with \`httpClient: "fetch"\` (Node's global fetch, the client it uses in browsers and Workers); **raw over node:http** = the raw client on \`node:http\` with a keep-alive agent.`);
  p();

  // ---- issue #19: workerd and Chromium, each against its own raw fetch
  const WC = results.workerdCalls;
  const BC = results.browserCalls;
  const WP = results.workerdCpu;
  if (WC || BC || WP) {
    p("## Pooled call ÷ the runtime's raw fetch: workerd and headless Chromium");
    p();
    p("One handler, `bench/workerd_calls_worker.mjs`, runs in both: N `tools/call` echo at concurrency C, through the pool");
    p("(`new McpPool()`, default options; `get` → `callTool` → `release` per call) or through raw `fetch` POSTing the same");
    p("JSON-RPC with the session headers and parsing the answer (the floor); pool and raw alternate, the ratio is taken inside each run.");
    p("µs per call = the handler's wall time ÷ N (median over runs).");
    p();
  }
  if (WC) {
    const version = WD_VERSION();
    p(`### workerd (local${version ? `, ${version}` : ""}): ${WC.n} calls per Worker request, timed from Node around the request`);
    p();
    const wb = WC.rows.some((r) => r.vsBase?.length);
    p(table(["server", "conc.", "raw fetch µs/call", "pool µs/call", "pool ÷ raw fetch", ...(wb ? ["pool ÷ baseline package"] : [])], WC.rows.map((r) => [
      `fast ${r.label}`, String(r.c), fmt((1000 * median(r.rawMs)) / WC.n, 0), fmt((1000 * median(r.poolMs)) / WC.n, 0), fmtM(mmm(r.ratios), 2),
      ...(wb ? [r.vsBase?.length ? fmtM(mmm(r.vsBase), 2) : "–"] : []),
    ])));
    p();
  }
  if (BC) {
    p(`### headless Chromium (${BC.chromium}, playwright-core): ${BC.n} calls per run, timed inside the page`);
    p();
    p("Same origin: the page is served by the MCP server itself (`fast_server.mjs --www`). Cross-origin: the page comes from");
    p("another port (another origin), so every call is a CORS request (the preflight cached by `Access-Control-Max-Age`).");
    p();
    const bb = BC.rows.some((r) => r.vsBase?.length);
    p(table(["server", "page", "conc.", "raw fetch µs/call", "pool µs/call", "pool ÷ raw fetch", ...(bb ? ["pool ÷ baseline package"] : []), "POSTs / preflights / initializes seen by the server"], BC.rows.map((r) => [
      `fast ${r.label}`, r.where, String(r.c), fmt((1000 * median(r.rawMs)) / BC.n, 0), fmt((1000 * median(r.poolMs)) / BC.n, 0), fmtM(mmm(r.ratios), 2),
      ...(bb ? [r.vsBase?.length ? fmtM(mmm(r.vsBase), 2) : "–"] : []),
      `${r.posts ?? "?"} / ${r.preflights ?? "?"} / ${r.initializes ?? "?"}`,
    ])));
    p();
    p(`The timed runs make ${(BC.rows.some((r) => r.vsBase?.length) ? 3 : 2) * BC.n} × runs calls per row (raw and pool${BC.rows.some((r) => r.vsBase?.length) ? ", and the baseline" : ""}). Chromium's own floor here is milliseconds per`);
    p("request (a plain GET from the page costs about as much as a raw call): its network service is a separate process,");
    p("and at concurrency 32 it opens at most 6 connections per origin (HTTP/1.1), for raw and pool alike.");
    p();
  }

  if (WP) {
    p(`### workerd without the network: the pool's own CPU per call (${WP.n} calls per Worker request)`);
    p();
    p("`bench/workerd-cpu.mjs`: the same kind of calls, but the Worker answers every `fetch` from memory (JSON or SSE, no");
    p("content-length) while it measures, so pool minus raw is the pool's own work without the round trips' noise. Its level");
    p("still moves by 10–20 µs between runs of the script on this machine (compare builds inside one run, `--baseline`).");
    p("µs per call, min / **median** / max over runs.");
    p();
    const pb = WP.rows.some((r) => r.base?.length);
    p(table(["answer", "conc.", "raw µs/call", "pool µs/call", "pool − raw µs", ...(pb ? ["baseline pool − raw µs", "pool ÷ baseline"] : [])], WP.rows.map((r) => [
      r.label, String(r.c), fmtM(mmm(r.raw), 1), fmtM(mmm(r.pool), 1), fmtM(mmm(r.pool.map((x, i) => x - r.raw[i])), 1),
      ...(pb ? [fmtM(mmm(r.base.map((x, i) => x - r.raw[i])), 1), fmtM(mmm(r.pool.map((x, i) => x / r.base[i])), 2)] : []),
    ])));
    p();
  }

  // ---- latency
  const LT = results.latency;
  const latencyGoalRows = [];
  const undiciGoalRows = [];
  if (LT) {
    p("## Latency per call (ms)");
    p();
    p(`Median and p99 of each run (${LT.calls[1]} calls at concurrency 1, ${LT.calls[32]} at concurrency 32), then min / **median** / max over runs.`);
    p();
    for (const srv of meta.servers) {
      p(`### ${SERVER_LABEL[srv]}`);
      p();
      const rows = [];
      for (const op of OPS) {
        for (const conc of CONCS) {
          for (const name of LAT_CLIENTS) {
            const a = LT.lat[`${srv}|${op}|${conc}|${name}`];
            if (!a) continue;
            const raw = LT.lat[`${srv}|${op}|${conc}|raw`];
            const rawU = LT.lat[`${srv}|${op}|${conc}|rawUndici`];
            const sdk = LT.lat[`${srv}|${op}|${conc}|sdk`];
            rows.push([
              op === "ping" ? "ping" : "tools/call echo",
              String(conc),
              CLIENT_LABEL[name],
              fmtM(mmm(a.map((x) => x.median)), 3),
              fmtM(mmm(a.map((x) => x.p99)), 3),
              name === "raw" ? "1" : fmtM(ratioRuns(a, raw), 2),
              name === "rawUndici" ? "1" : fmtM(ratioRuns(a, rawU), 2),
              name === "sdk" ? "1" : fmtM(ratioRuns(a, sdk), 2),
            ]);
          }
        }
      }
      p(table(["call", "conc.", "client", "median", "p99", "median ÷ raw", "median ÷ raw undici", "median ÷ sdk"], rows));
      const np = LT.nopool[srv];
      if (np) {
        p();
        p(`No pool (connect + tools/call echo + DELETE + close, per call, concurrency 1): median ${fmtM(mmm(np.map((x) => x.median)), 2)} ms, ` +
          `= ${fmtM(ratioRuns(np, LT.lat[`${srv}|echo|1|pool`]), 1)} × the pooled call.`);
      }
      p();
      for (const op of OPS) {
        const pool = LT.lat[`${srv}|${op}|1|pool`];
        const rawR = ratioRuns(pool, LT.lat[`${srv}|${op}|1|raw`]);
        const sdkR = ratioRuns(pool, LT.lat[`${srv}|${op}|1|sdk`]);
        latencyGoalRows.push({ srv, op, rawR, sdkR });
      }
      // Issue #19: the pooled call against Node's fastest raw client, undici.request on a keep-alive Agent.
      for (const conc of CONCS) {
        const r = ratioRuns(LT.lat[`${srv}|echo|${conc}|pool`], LT.lat[`${srv}|echo|${conc}|rawUndici`]);
        undiciGoalRows.push({ srv, conc, r });
      }
    }
    // CPU per call at saturation
    p("## Client CPU per call at saturation (µs)");
    p();
    p("Process CPU time (user + system, this process only: the servers run in their own) ÷ calls, over the concurrency-32 runs above.");
    p();
    const rows = [];
    for (const srv of meta.servers) {
      for (const op of OPS) {
        const cell = (name) => fmtM(mmm((LT.lat[`${srv}|${op}|32|${name}`] ?? []).map((x) => x.cpuUsPerCall)), 0);
        const ratio = (name) => fmtM(mmm((LT.lat[`${srv}|${op}|32|pool`] ?? []).map((x, i) => x.cpuUsPerCall / LT.lat[`${srv}|${op}|32|${name}`][i].cpuUsPerCall)), 2);
        const tput = (name) => fmt(median((LT.lat[`${srv}|${op}|32|${name}`] ?? []).map((x) => x.perSec)), 0);
        rows.push([SERVER_LABEL[srv], op === "ping" ? "ping" : "echo", cell("raw"), cell("pool"), cell("sdk"), ratio("raw"), ratio("sdk"), `${tput("raw")} / ${tput("pool")} / ${tput("sdk")}`]);
      }
    }
    p(table(["server", "call", "raw", "pool", "sdk", "pool ÷ raw", "pool ÷ sdk", "calls/s raw / pool / sdk (median)"], rows));
    p();
  }

  // ---- throughput
  const TP = results.throughput;
  const tpGoalRows = [];
  if (TP) {
    p(`## Throughput: ${AGENTS} agents × ${CALLS_PER_AGENT} tools/call echo, sharing one server`);
    p();
    p("All agents start at once; every client starts cold inside the timed region (raw: one initialize; pool: a fresh");
    p(`\`McpPool\`; sdk: one connect; no pool: ${AGENTS} connects, one per agent, or one per call, ${AGENTS * CALLS_PER_AGENT} in all,`);
    p("bounded at 12 s). Initializes counted by the server. \"pool ÷ this\" is the pool's calls/s over this client's, per run.");
    p(`"server CPU" is the server process's CPU time over the same region (from /proc, in ${1000 / CLK_TCK} ms ticks) per call: with client and`);
    p("server each on a core of their own, calls/s cannot exceed 10⁶ ÷ the larger of the two CPU figures.");
    p();
    const rows = [];
    for (const srv of Object.keys(TP)) {
      for (const name of ["raw", "pool", "sdk", "nopool", "nopoolCall", "poolFetch"]) {
        const a = TP[srv][name];
        if (!a) continue;
        const inits = a.map((x) => x.inits);
        rows.push([
          SERVER_LABEL[srv],
          { nopool: "no pool (connect per agent)", nopoolCall: "no pool (connect per call)", poolFetch: CLIENT_LABEL.poolFetch }[name] ?? name,
          fmtM(mmm(a.map((x) => x.perSec)), 0),
          `${Math.min(...inits)}–${Math.max(...inits)}`,
          fmt(median(a.map((x) => x.cpuUsPerCall)), 0),
          a.some((x) => x.serverCpuUsPerCall == null) ? "" : fmt(median(a.map((x) => x.serverCpuUsPerCall)), 0),
          name === "pool" ? "1" : fmtM(mmm(TP[srv].pool.map((x, i) => x.perSec / a[i].perSec)), 2),
          `${Math.min(...a.map((x) => x.calls))}`,
        ]);
      }
      const pool = TP[srv].pool;
      const np = TP[srv].nopool;
      const npc = TP[srv].nopoolCall;
      if (pool && np) {
        tpGoalRows.push({
          srv,
          ratio: mmm(pool.map((x, i) => x.perSec / np[i].perSec)),
          ratioCall: npc ? mmm(pool.map((x, i) => x.perSec / npc[i].perSec)) : null,
          maxInits: Math.max(...pool.map((x) => x.inits)),
          // What the server allows: one core's worth of its CPU per pooled call, and what 5 × no pool needs.
          ceiling: pool.some((x) => !x.serverCpuUsPerCall) ? null : 1e6 / median(pool.map((x) => x.serverCpuUsPerCall)),
          needed: 5 * median(np.map((x) => x.perSec)),
        });
      }
    }
    p(table(["server", "client", "calls/s", "initializes", "CPU µs/call (median)", "server CPU µs/call (median)", "pool ÷ this (calls/s)", "calls done (min)"], rows));
    p();
  }

  // ---- get + release
  const GR = results.getRelease;
  if (GR) {
    p("## Warm `get` + `release` (no network)");
    p();
    p(`One warm session, a fresh pool per run; \`const c = await pool.get("s"); c.release();\` timed pair by pair, up to`);
    p(`${GR.maxPairs.toLocaleString("en-US")} pairs or ${GR.maxMs / 1000} s per run, yielding to the event loop every 1 000 pairs (no forced GC inside a run).`);
    p();
    const col = (k) => fmtM(mmm(GR.runs.map((r) => r[k])), 0);
    p(table(["", "ns"], [
      ["**get + release, median pair**", col("medianNs")],
      ["mean pair (wall time ÷ pairs)", col("meanNs")],
      ["median of the first 1 000 pairs", col("first1kNs")],
      ["median of the last 1 000 pairs", col("last1kNs")],
      ["pairs done in the run", col("pairs")],
      ["floor: one timed `await Promise.resolve()`", fmtM(mmm(GR.floor), 0)],
    ]));
    p();
    p(`After the loops: leases ${GR.leasesAfter}, sessions opened per pool ${GR.sessions}.`);
    p();
  }

  // ---- big SSE + parse
  const BG = results.big;
  const PR = results.parse;
  if (BG || PR) {
    p("## 1 MB SSE tools/call result");
    p();
    if (BG) {
      const mb = BG.bodyBytes / 1e6;
      p(`End to end against the fast server (SSE), concurrency 1, median of ${BG.calls} calls per run; body ${BG.bodyBytes.toLocaleString("en-US")} bytes`);
      p("(one `message` event whose data is the JSON-RPC response; the text has a `\\n` escape every 64 characters).");
      p();
      const rows = [];
      for (const n of ["raw", "pool", "sdk"]) {
        const a = BG.per[n];
        if (!a) continue;
        rows.push([n, fmtM(mmm(a), 2), fmtM(mmm(a.map((ms) => mb / (ms / 1000))), 0), n === "raw" ? "1" : fmtM(mmm(a.map((x, i) => x / BG.per.raw[i])), 2)]);
      }
      p(table(["client", "ms per call", "MB/s end to end", "÷ raw"], rows));
      p();
    }
    if (PR) {
      if (PR.error) {
        p(`Parse alone: **not measured** — ${PR.error}`);
      } else {
        p(`Parse alone, no I/O: the crate's own read path (\`SseParser::push\` in ${PR.chunk / 1024} KiB chunks → \`jsonrpc::parse_messages\` →`);
        p("raw result), from `bench/native/` (a separate crate depending on this one by path, built in `target/bench-native/`");
        p("from the working tree's `src/` at run time, which may be newer than `pkg/`; the root Cargo.toml is untouched).");
        p("The wasm build uses the shipped release profile (opt-level 3, LTO) without");
        p("wasm-opt and wasm-bindgen; it runs in this Node. MB/s of SSE body parsed.");
        p();
        const rows = [
          ["wasm32 (opt-level 3, as shipped), in Node", fmtM(mmm(PR.wasm), 0)],
          ["native x86_64, opt-level 3 (same profile)", fmtM(mmm(PR.nativeSame), 0)],
          ["native x86_64, opt-level z (shipped until 2026-12-06)", fmtM(mmm(PR.nativeZ), 0)],
        ];
        if (PR.js) rows.push(["JS for reference: split lines + `JSON.parse` (what raw fetch does)", fmtM(mmm(PR.js), 0)]);
        p(table(["parser", "MB/s"], rows));
        p();
        p(`wasm MB/s ÷ native MB/s (same profile), medians: ${fmt(median(PR.wasm) / median(PR.nativeSame), 2)}. Native allocates through the system`);
        p("allocator (fresh ~1 MB buffers per parse), wasm through its own dlmalloc in already-grown memory. The pooled call additionally copies each chunk into");
        p("wasm and hands the result text back to `JSON.parse`, which the end-to-end table includes." +
          (PR.buildS > 5 ? ` (Build of the bench crate this run: ${PR.buildS.toFixed(0)} s.)` : ""));
        p();
      }
    }
  }

  // ---- cold start
  const CD = results.cold;
  if (CD || results.workerd) {
    p("## Cold start");
    p();
  }
  if (CD) {
    p("Fresh Node process per run; network excluded: a fake in-process `fetch` answers `initialize`, and Node's own fetch");
    p("stack (undici, loaded lazily on first use) is loaded before the clock starts.");
    p();
    const col = (arr, k) => fmtM(mmm(arr.map((x) => x[k])), 1);
    p(table(["step (ms)", "min / median / max"], [
      ["pool: import the JS glue", col(CD.pool, "importGlueMs")],
      ["pool: read the .wasm file", col(CD.pool, "readMs")],
      ["pool: compile (`new WebAssembly.Module`)", col(CD.pool, "compileMs")],
      ["pool: instantiate (`initSync`)", col(CD.pool, "instantiateMs")],
      ["pool: first `get` (initialize + initialized, fake fetch)", col(CD.pool, "firstGetMs")],
      ["**pool: total**", col(CD.pool, "totalMs")],
      ["SDK: import Client + transport (ESM)", col(CD.sdk, "importMs")],
      ["SDK: first `connect` (fake fetch)", col(CD.sdk, "firstConnectMs")],
      ["**SDK: total**", col(CD.sdk, "totalMs")],
    ]));
    p();
  }
  const WD = results.workerd;
  if (WD) {
    p(`workerd (${WD.version}), \`workerd serve\` spawn → first 200 on a route that does not touch the pool; the pool worker`);
    p(`(bundle ${kb(WD.bundleBytes)} KB + the .wasm module) builds \`new McpPool()\` at module scope; the empty worker (no package; its /call a raw`);
    p("client's with `fetch`: initialize, initialized, tools/call, the session kept) is the baseline.");
    p();
    p(table(["", "ms"], [
      ["empty worker: startup", fmtM(mmm(WD.empty.map((x) => x.startupMs)), 1)],
      ["pool worker: startup", fmtM(mmm(WD.pool.map((x) => x.startupMs)), 1)],
      ["pool worker startup − empty, per run", fmtM(mmm(WD.pool.map((x, i) => x.startupMs - WD.empty[i].startupMs)), 1)],
      ["pool worker: first /call (register, get = initialize, callTool, over loopback)", fmtM(mmm(WD.pool.map((x) => x.firstCallMs)), 1)],
      ["pool worker: second /call (warm session)", fmtM(mmm(WD.pool.map((x) => x.warmCallMs)), 1)],
      ...(WD.empty.every((x) => x.firstCallMs !== null)
        ? [
            ["empty worker: first /call (raw fetch: initialize, initialized, tools/call)", fmtM(mmm(WD.empty.map((x) => x.firstCallMs)), 1)],
            ["empty worker: second /call (raw fetch, session kept)", fmtM(mmm(WD.empty.map((x) => x.warmCallMs)), 1)],
            ["pool first /call − raw first /call, per run", fmtM(mmm(WD.pool.map((x, i) => x.firstCallMs - WD.empty[i].firstCallMs)), 1)],
          ]
        : []),
    ]));
    p();
  }

  // ---- size
  const SZ = results.size;
  if (SZ) {
    p("## Size");
    p();
    p(`Compressed with \`${SZ.gzipTool}\`. Glue = \`mcp_edge_pool.js\` + \`browser.mjs\` + \`snippets/**\` (wasm-bindgen's JS helpers) as shipped; "minified" = what a bundler emits for`);
    p("`export { McpPool } from \"mcp-edge-pool\"` (esbuild, ESM, platform browser, minify; the .wasm stays a separate file).");
    p("The SDK = `Client` + `StreamableHTTPClientTransport` bundled the same way.");
    p();
    p(table(["", "raw KB", "gzip KB"], [
      ["pool .wasm", kb(SZ.wasm), kb(SZ.wasmGz)],
      ["pool JS glue (shipped)", kb(SZ.glue), kb(SZ.glueGz)],
      ["**pool .wasm + glue (shipped)**", kb(SZ.wasm + SZ.glue), `**${kb(SZ.wasmGz + SZ.glueGz)}**`],
      ["pool JS glue (minified bundle)", kb(SZ.poolMin), kb(SZ.poolMinGz)],
      ["pool .wasm + minified glue", kb(SZ.wasm + SZ.poolMin), kb(SZ.wasmGz + SZ.poolMinGz)],
      ["SDK client, minified ESM bundle", kb(SZ.sdkMin), kb(SZ.sdkMinGz)],
    ]));
    p();
    p(`Pool (.wasm + shipped glue, gzip) ÷ SDK client (gzip): ${fmt((SZ.wasmGz + SZ.glueGz) / SZ.sdkMinGz, 2)}. ` +
      `Largest SDK inputs (minified bytes): ${SZ.sdkInputs.map(([k, v]) => `${k} ${kb(v)} KB`).join(", ")}.`);
    p();
    p("Sections of the shipped .wasm: " + SZ.sections.filter((s) => s.bytes >= 512).map((s) => `${s.name} ${kb(s.bytes)} KB`).join(", ") + ".");
    p();
  }

  // ---- memory
  const MM = results.memory;
  if (MM) {
    p("## Allocation growth");
    p();
    p(`Fresh process (\`--expose-gc\`), pooled tools/call echo (get → call → release) at concurrency 8 against the fast server (JSON);`);
    p(`after a 1 000-call warm-up, snapshots after 3 forced GCs. ${MM.seconds.toFixed(0)} s.`);
    p();
    const rows = [MM.points[0], ...MM.mid].map((s) => [s.calls.toLocaleString("en-US"), kb(s.wasmBytes), kb(s.heapUsed), kb(s.external), kb(s.rss)]);
    p(table(["calls", "wasm memory KB", "JS heap used KB", "external KB", "RSS KB"], rows));
    p();
    const RM = results.memoryRust;
    if (RM) {
      p(`The same run on the instrumented build of \`bench/alloc/\` (the package's wasm behind a counting global allocator,`);
      p(`built ${fmt(RM.buildS, 0)} s; never shipped): what the Rust heap holds at each snapshot, and the most it ever held.`);
      p();
      const rrows = [RM.points[0], ...RM.mid].map((s) => [
        s.calls.toLocaleString("en-US"),
        kb(s.wasmBytes),
        s.rust.liveBytes.toLocaleString("en-US"),
        String(s.rust.liveCount),
        kb(s.rust.peakBytes),
      ]);
      p(table(["calls", "wasm memory KB", "live Rust heap, bytes", "live allocations", "peak live KB so far"], rrows));
      p();
      p("Live memory does not grow. The wasm memory's size is the heap's high-water mark (it never shrinks), and the");
      p("peak follows V8's garbage collection: every `get()` returns a new `McpClient`, whose small Rust part (its");
      p("lease is dropped at `release()`) is freed only when the JS garbage collector finalizes the wrapper, so the");
      p("wrappers of one collection cycle (tens of thousands of calls once the young generation has grown) are live at once.");
      p();
    }
  }

  // ---- profile
  const PF = results.profile;
  if (PF) {
    const W = ["raw", "pool", "poolHeld", "sdk"].filter((w) => PF[w]);
    const label = { raw: "raw", pool: "pool", poolHeld: "pool, lease held", sdk: "sdk" };
    p("## Where the time goes (CPU profile, tools/call echo, concurrency 1, fast server JSON)");
    p();
    p("Each client in its own process, profiled in-process (`node:inspector`, 100 µs sampling) after a 1 000-call warm-up;");
    p("self time per call by category (µs), and as % of the non-idle time. \"idle\" is the event loop waiting for the server.");
    p("The shipped .wasm has no name section, so its functions show as `wasm-function[N]`. Profiles: `target/bench-prof/*.cpuprofile`.");
    p();
    const cats = new Set();
    for (const w of W) for (const c of PF[w].summary.cats) cats.add(c.k);
    const rows = [...cats].map((c) => [
      c,
      ...W.map((w) => {
        const e = PF[w].summary.cats.find((x) => x.k === c);
        return e ? `${fmt(e.usPerCall, 1)}${e.pctBusy === null ? "" : ` (${fmt(e.pctBusy, 0)} %)`}` : "";
      }),
    ]);
    rows.push(["**busy total (µs per call)**", ...W.map((w) => `**${fmt(PF[w].summary.busyUsPerCall, 0)}**`)]);
    rows.push(["calls profiled / median ms per call", ...W.map((w) => `${PF[w].run.n} / ${fmt(PF[w].run.median, 3)}`)]);
    rows.push(["process CPU µs per call (cpuUsage)", ...W.map((w) => fmt(PF[w].run.cpuUsPerCall, 0))]);
    p(table(["category (self time)", ...W.map((w) => label[w])], rows));
    p();
    p("Top self-time functions, pooled loop (get → callTool → release):");
    p();
    p(table(["function", "µs per call", "% of busy"], PF.pool.summary.fns.map((f) => [`\`${f.k.replace(/\|/g, "\\|")}\``, fmt(f.usPerCall, 1), f.pctBusy === null ? "idle" : fmt(f.pctBusy, 1)])));
    p();
  }

  // ---- history: what was changed for issue #5 and what it did (static text, kept by hand)
  for (const line of PER_CALL_HISTORY) p(line);
  for (const line of SIZE_HISTORY) p(line);

  // ---- node:http vs fetch, from this run's diagnostic client
  if (LT && Object.keys(LT.lat).some((k) => k.endsWith("|poolFetch"))) {
    p("### The Node client against Node's fetch (measured in this run)");
    p();
    p("In Node the pool sends through undici's `request` API on a keep-alive dispatcher (`js/node_undici.mjs`, installed");
    p("by the package's Node entry, same contract as the fetch helper: the core and the wasm face are unchanged; issue #17");
    p("replaced the package's own HTTP/1.1 client on `node:net`, see the history below). Undici's `fetch` spends most of a");
    p("small request in its WHATWG machinery (a `Request`, `Headers`, an `AbortSignal`, a web stream per body; the profile");
    p("above). \"Before\" is the pool with `httpClient: \"fetch\"`, measured in the same runs:");
    p();
    const rows = [];
    for (const srv of meta.servers) {
      for (const op of OPS) {
        for (const conc of CONCS) {
          const pool = LT.lat[`${srv}|${op}|${conc}|pool`];
          const before = LT.lat[`${srv}|${op}|${conc}|poolFetch`];
          const raw = LT.lat[`${srv}|${op}|${conc}|raw`];
          const sdk = LT.lat[`${srv}|${op}|${conc}|sdk`];
          if (!pool || !before) continue;
          const med = (r) => (r ? fmt(r.med, 2) : "–");
          rows.push([
            SERVER_LABEL[srv],
            op === "ping" ? "ping" : "tools/call echo",
            String(conc),
            `${med(ratioRuns(before, raw))} → **${med(ratioRuns(pool, raw))}**`,
            `${med(ratioRuns(before, sdk))} → **${med(ratioRuns(pool, sdk))}**`,
            fmtM(ratioRuns(pool, before), 2),
          ]);
        }
      }
    }
    p(table(["server", "call", "conc.", "median ÷ raw fetch", "median ÷ sdk", "pool ÷ pool on fetch"], rows));
    p();
    if (TP) {
      const trows = [];
      for (const srv of Object.keys(TP)) {
        const pool = TP[srv].pool;
        const before = TP[srv].poolFetch;
        if (!pool || !before) continue;
        trows.push([
          SERVER_LABEL[srv],
          `${fmt(median(before.map((x) => x.perSec)), 0)} → **${fmt(median(pool.map((x) => x.perSec)), 0)}**`,
          `${fmt(median(before.map((x) => x.cpuUsPerCall)), 0)} → **${fmt(median(pool.map((x) => x.cpuUsPerCall)), 0)}**`,
        ]);
      }
      p(`100 agents × 20 calls (medians of the runs): calls/s and client CPU µs per call, fetch → the Node client:`);
      p();
      p(table(["server", "calls/s", "CPU µs per call"], trows));
      p();
    }
  }

  // ---- goals
  const G = [];
  // Issue #19 first: the pooled call ÷ the fastest raw client of each runtime, measured in the same run.
  for (const r of results.workerdCalls?.rows ?? []) {
    const m = mmm(r.ratios);
    G.push([`#19 workerd: pooled tools/call ≤ 1.10 × raw fetch in the Worker (fast ${r.label}, conc. ${r.c})`, fmtM(m, 2), m ? verdict(m.med <= 1.1) : "not measured"]);
  }
  for (const r of results.browserCalls?.rows ?? []) {
    const m = mmm(r.ratios);
    G.push([`#19 Chromium: pooled tools/call ≤ 1.10 × raw fetch in the page (fast ${r.label}, ${r.where}, conc. ${r.c})`, fmtM(m, 2), m ? verdict(m.med <= 1.1) : "not measured"]);
  }
  for (const r of undiciGoalRows.filter((r) => r.srv.startsWith("fast"))) {
    G.push([`#19 Node: pooled tools/call ≤ 1.10 × raw undici.request, keep-alive Agent (${SERVER_LABEL[r.srv]}, conc. ${r.conc})`, fmtM(r.r, 2), r.r ? verdict(r.r.med <= 1.1) : "not measured"]);
  }
  for (const r of latencyGoalRows.filter((r) => r.srv.startsWith("fast"))) {
    const what = `${r.op === "ping" ? "ping" : "tools/call echo"}, ${SERVER_LABEL[r.srv]}`;
    G.push([`pooled latency, conc. 1 ≤ 1.10 × raw fetch (${what})`, fmtM(r.rawR, 2), r.rawR ? verdict(r.rawR.med <= 1.1) : "not measured"]);
    G.push([`pooled latency, conc. 1 ≤ 0.8 × SDK client (${what})`, fmtM(r.sdkR, 2), r.sdkR ? verdict(r.sdkR.med <= 0.8) : "not measured"]);
  }
  for (const r of tpGoalRows) {
    const bound = r.ceiling !== null && r.needed > r.ceiling
      ? ` (server-bound: 5 × no pool is ${fmt(r.needed, 0)} calls/s, above the ${fmt(r.ceiling, 0)} calls/s this server's CPU per pooled call allows on one core)`
      : "";
    G.push([`${AGENTS}×${CALLS_PER_AGENT} throughput ≥ 5 × no pool, connect per agent (${SERVER_LABEL[r.srv]})`, `${fmtM(r.ratio, 2)}${bound}`, verdict(r.ratio.med >= 5)]);
    if (r.ratioCall) G.push([`${AGENTS}×${CALLS_PER_AGENT} throughput ≥ 5 × no pool, connect per call (${SERVER_LABEL[r.srv]})`, fmtM(r.ratioCall, 2), verdict(r.ratioCall.med >= 5)]);
    G.push([`initializes ≤ max sessions (${MAX_SESSIONS}) (${SERVER_LABEL[r.srv]})`, `max ${r.maxInits}`, verdict(r.maxInits <= MAX_SESSIONS)]);
  }
  const WDG = results.workerd;
  if (WDG) {
    const startup = mmm(WDG.pool.map((x, i) => x.startupMs - WDG.empty[i].startupMs));
    G.push(["#19 workerd: Worker startup with the package ≤ +5 ms over an empty Worker (per-run difference)", `${fmtM(startup, 1)} ms`, verdict(startup.med <= 5)]);
    if (WDG.empty.every((x) => x.firstCallMs !== null)) {
      const first = mmm(WDG.pool.map((x, i) => x.firstCallMs - WDG.empty[i].firstCallMs));
      G.push(["#19 workerd: first call ≤ +5 ms over a raw client's first call (per-run difference)", `${fmtM(first, 1)} ms`, verdict(first.med <= 5)]);
    }
  }
  if (GR) {
    const s = mmm(GR.runs.map((r) => r.medianNs));
    G.push(["warm get + release ≤ 2 µs per pair (median)", `${fmtM(s, 0)} ns = ${fmt(s.med / 2000, 2)} × goal`, verdict(s.med <= 2000)]);
  }
  if (SZ) {
    const total = SZ.wasmGz + SZ.glueGz;
    // The 60 KB goal is retired (the brief): size is reported here and held by the regression
    // budget of tests/pkg/size.test.mjs, which `make test` enforces on the package as built.
    G.push(["size: .wasm + glue, gzip (reported; the 60 KB goal is retired, `make test` holds the regression budget of tests/pkg/size.test.mjs)", `${kb(total)} KB`, "reported"]);
  }
  if (MM) {
    const a = MM.points[0];
    const b = MM.points[1];
    const heapDelta = b.heapUsed - a.heapUsed;
    const RM = results.memoryRust;
    const ra = RM?.points[0]?.rust;
    const rb = RM?.points[1]?.rust;
    // Allocation growth is judged on what is live: the Rust heap (instrumented build) and the JS
    // heap. The wasm memory's size is a high-water mark and only informs (see the section).
    const rustSame = ra && rb && ra.liveBytes === rb.liveBytes && ra.liveCount === rb.liveCount;
    G.push([
      `no per-call growth: memory after ${b.calls.toLocaleString("en-US")} calls = after ${a.calls.toLocaleString("en-US")}`,
      (ra && rb
        ? `live Rust heap ${ra.liveBytes.toLocaleString("en-US")} B in ${ra.liveCount} allocations → ${rb.liveBytes.toLocaleString("en-US")} B in ${rb.liveCount}; `
        : "live Rust heap not measured; ") +
        `JS heap ${heapDelta >= 0 ? "+" : ""}${kb(heapDelta)} KB (${fmt(b.heapUsed / a.heapUsed, 3)} ×); ` +
        `wasm memory size (a high-water mark) ${kb(a.wasmBytes)} → ${kb(b.wasmBytes)} KB`,
      verdict(Boolean(rustSame) && heapDelta < 512 * 1024 && b.calls >= 100000 && rb && RM.points[1].calls >= 100000),
    ]);
  }
  const head = [];
  head.push("## Goals");
  head.push("");
  head.push("Each goal as a ratio against its anchor (min / **median** / max over runs; the verdict uses the median).");
  head.push("Latency goals are judged against the fast server, where the client's own cost is visible; the SDK server rows are in the tables below.");
  head.push("");
  head.push(table(["goal", "measured", "verdict"], G));
  head.push("");
  if (Object.keys(results.errors).length || results.notes.length) {
    head.push("Not measured / notes:");
    head.push("");
    for (const [k, v] of Object.entries(results.errors)) head.push(`- **${k}**: not measured — ${String(v).split("\n")[0]}`);
    for (const n of results.notes) head.push(`- ${n}`);
    head.push("");
  }
  const setupEnd = L.findIndex((l) => l.startsWith("Clients: **raw**"));
  L.splice(setupEnd + 5, 0, ...head);
  return L.join("\n") + "\n";
}

// What changed in the package's size for issue #5 (2026-11-24, fourth session), each step measured with
// `scripts/build-pkg.sh && gzip -9 -n -c pkg/mcp_edge_pool_bg.wasm | wc -c` (the gzip CLI; node:zlib, which the
// size test and the Size table use, gives a few hundred bytes more), and twiggy on the pre-wasm-opt build.
// Static text: edit it when the size changes again.
const SIZE_HISTORY = [
  "## Size: what was changed (issue #5) and what it did",
  "",
  "The .wasm, gzip -9 (gzip CLI), before → after each group of changes; three groups were made side by side from the",
  "same start (230,742 B) and merged, so their own deltas are given from that start:",
  "",
  "| change | .wasm gzip, bytes |",
  "|---|---|",
  "| start (the package of the previous BENCHMARKS.md) | 230,742 |",
  "| core collections: `BTreeMap`s → a sorted-`Vec` map (`src/vecmap.rs`) or plain `Vec`s; `VecDeque` queues → `Vec`s; a small `join_all` (`src/join.rs`) instead of futures-util's (its `FuturesOrdered`/binary heap per future type); no stable sort | −18,374 from the start |",
  "| wasm face: one non-generic driver for every exported async method's promise; a slab (`src/slab.rs`) instead of `HashMap`s (no hashbrown/SipHash); `stats()`/`listAllTools()` JSON written member by member instead of `serde_json::Value` trees; errors as `Box<Error>` in the face; two closures moved to `host.js` | −10,399 from the start |",
  "| session maps as `Vec`s, and serde derives: JSON-RPC messages, request ids, `initialize` results, discovery answers, progress tokens, list pages, `InputRequiredResult`, `ttlMs`, tool names read through one `RawObject` (fields as raw text, wire order) or the JSON object map; no `untagged`/`flatten` derive left, so serde's buffering `Content` deserializer is gone | −14,213 from the start |",
  "| all of the above merged | 178,472 |",
  "| session: cold paths (HTTP errors, resumption, input rounds) behind boxed futures; one out-of-line constructor per error kind; plain loops instead of iterator adapters; the two handshakes and the two SSE dispatch loops share their code | 174,807 |",
  "",
  "The JS glue ships minified (esbuild; exports keep their names): wasm-bindgen's glue 7,653 → 4,404 B gzip.",
  "Package (.wasm + glue, node:zlib as in the size test): **240,733 → 180,902 B** (−24.9 %); the size test's",
  "regression budget follows it down (186,300 B).",
  "",
  "Where the pre-wasm-opt code went (twiggy, bytes): serde 108,549 → 73,782; B-tree maps 89,636 → 12,796 (what is",
  "left is `serde_json::Map`); sorting 14,640 → 0; `FuturesUnordered`/binary heaps 16,361 → 0; hash maps 8,659 → 0;",
  "the crate's own functions 185,427 → 185,086.",
  "",
  "### Then: the crate's own JSON instead of serde/serde_json (fifth session of 2026-11-24)",
  "",
  "What was left of serde after the derives were gone was still the largest piece that was not the pool: the generic",
  "deserializer monomorphised per type, `serde_json::Value` and its B-tree map, and the float formatting that serde's",
  "error messages pull in (about 75 KB of the 408 KB .wasm, twiggy on the shipped build with names). `src/json/` replaces",
  "it: a scanner that checks and skips a value (raw fields keep their text), builds a tree only where a document is",
  "looked into, keeps numbers as text (no float code at all), and a writer. serde_json stays a dev-dependency, as the",
  "oracle: `src/json/tests.rs` checks the parser against it on fixed and 30,000 generated near-JSON texts, and the",
  "`decode_response` fuzz target on every input (1.1 million runs, no difference but for numbers serde_json cannot hold",
  "as an f64, which this parser keeps as text). The typed Rust API (`protocol` types, snapshots) reads and writes",
  "through `FromJson`/`ToJson`.",
  "",
  "| | .wasm raw | .wasm gzip | package gzip (node:zlib) |",
  "|---|---|---|---|",
  "| before (serde_json) | 407,745 | 175,115 | 180,902 |",
  "| the crate's own JSON | 315,554 | 135,188 | 140,768 |",
  "",
  "Strings are skipped eight bytes at a time: a byte loop first parsed the 1 MB result at 289 MB/s in wasm (serde_json:",
  "930 in the run before); this one at 912–923 in two runs that day (the \"1 MB SSE\" table above has this run's). An",
  "object read into a tree is sorted once (a small heapsort, O(n log n); `sort_unstable_by`, tried first, added 10 KB raw to the",
  ".wasm) instead of inserted member by member into the sorted `Vec`, which moves O(n²) entries (natively, 80,000 keys",
  "in reverse order: 0.89 s one by one, 25 ms now); that added 623 B gzip. The size test's regression budget follows",
  "the package down (145,000 B).",
  "",
  "Why 60 KB is still out of reach: of the shipped .wasm (315,501 bytes with names, twiggy), the crate's own code (its",
  "functions, their drop glue and the exports' shims) is 227,222 bytes (72 %); std and alloc 41,349; data (messages,",
  "tables) 26,389; futures-util 6,241; wasm-bindgen 4,171. Own code alone scales to ~97 KB of the 135 KB gzip. wasm-opt",
  "is at its limit (`-Oz --converge`; `--low-memory-unused`, `-iit`, `-tnh` and `-O4` each change less than 0.5 %), and so",
  "is rustc (opt-level s: +15 %; LLVM inline thresholds 0 and 25: +0.3 % and +3.5 %). 60 KB would need a core under half",
  "its size: fewer features in the shipped build, or async state machines written by hand; a product decision and a",
  "redesign, not trimming.",
  "",
  "What the optional features weigh (measured on the serde_json build, wasm-opt'ed with names kept;",
  "twiggy shallow bytes of the functions of each module, of 407,662 bytes in all): the HTTP+SSE transport of 2024-11-05",
  "12,737; the stateless 2026-07-28 era 13,974 and its detection 5,596; OAuth and DPoP 4,685; redirects 3,306; the",
  "server stream 3,062; resumption 2,734; snapshots 1,575. About 48 KB raw together: a build without any of them",
  "would still be over 100 KB gzip, so a lighter build alone does not reach 60 KB either.",
  "",
  "### Then: the floor, measured (2026-11-25)",
  "",
  "The estimate above, now built: every optional subsystem cut out of a throwaway copy of the crate (at commit",
  "`cd377b9`, the package of the previous BENCHMARKS.md), one at a time and cumulatively, each by returning an error",
  "early or dropping its option and export so that rustc drops its code (no `panic!`, which would keep formatting",
  "code alive); each step built and measured as shipped (release, wasm-bindgen, `wasm-opt -Oz --converge`, gzip -9",
  "CLI). Nothing of it is shipped: it answers \"how small can this product get\", not \"make it smaller\".",
  "",
  "| step | cut | .wasm raw | .wasm gzip | step's share, gzip |",
  "|---|---|---|---|---|",
  "| 0 | nothing (the shipped build) | 316,832 | 135,756 | |",
  "| a | HTTP+SSE transport of 2024-11-05 and its automatic fallback | 305,057 | 131,369 | −4,387 |",
  "| b | the stateless 2026-07-28 era, its discovery and parameter headers | 279,744 | 120,666 | −10,703 |",
  "| c | OAuth token provider and DPoP (no 401/403 retry) | 270,161 | 116,658 | −4,008 |",
  "| d | SSE resumption and the standalone server stream | 262,040 | 113,567 | −3,091 |",
  "| e | redirect following | 257,750 | 111,809 | −1,758 |",
  "| f | `snapshot()` / `restore()` | 246,936 | 107,411 | −4,398 |",
  "| g | `listAllTools`, the pool-wide `callTool` and its catalog, pagination | 224,256 | 98,003 | −9,408 |",
  "| h | circuit breaker, progress, server-to-client request handlers | 215,030 | 93,940 | −4,063 |",
  "| i | the other exports (`registerStdio`, `onNotification`, `unregister`, `maintain`, resources, prompts...), the in-flight limiter, automatic answers to server requests | 200,931 | **88,101** | −5,839 |",
  "",
  "What is left is the core: `registerHttp` with headers, `get`/`release` with the per-server limit and the fair",
  "queue, idle timeout, the health loop, `stats`, `close`; the Streamable HTTP handshake, JSON and SSE answers,",
  "`request`/`callTool`/`listTools`/`ping`, timeouts and cancellation, re-initialize on 404, `DELETE` on close. It is",
  "**88.1 KB gzip** (+ 5.2 KB glue): 1.5 × the 60 KB goal with no optional feature left. The features together weigh",
  "47.7 KB gzip (35 %). In the floor's code (twiggy, pre-wasm-opt, 219 KB without the names section) the crate's own",
  "functions are ~105 KB (session 31, wasm face 24, JSON/JSON-RPC/SSE 23, pool 17, the rest 12), alloc 26, core 25",
  "(formatting, string search, UTF-8), data 20, wasm-bindgen and js-sys 15, futures 11, dlmalloc 8. So 60 KB needs",
  "more than dropping features: a core a third smaller again, with what rustc emits for `Vec`/`Rc`/`String`, async",
  "state machines and error formatting being most of it. Not a trimming job; the goal needs a decision (a budget",
  "that fits the product, or a product that fits the budget).",
  "",
  "Made in the same session: the few future combinators the crate used from futures-util and futures-channel",
  "(`select`, abortable tasks, `Shared`, `oneshot`) are its own, single-threaded ones (`src/future/`: `Rc`/`Cell`,",
  "no atomics, locks or waker slab): 316,832 → 314,693 B raw, 135,756 → 135,202 B gzip (−554 B). Less than",
  "twiggy's 11 KB for those crates suggested: most of that was our futures inlined into theirs. js-sys still",
  "depends on futures-util, so the build does not lose the crate, only its use.",
  "",
];

// What changed in the per-call path for issue #5, with before/after from two full runs on the same
// machine (`scripts/bench.sh --runs 3`, the "before" on the package built from the parent commit).
// Static text: edit it when the hot path changes again.
const PER_CALL_HISTORY = [
  "## Per-call overhead: what was changed (issue #5) and what it did",
  "",
  "Changes to the wasm face only (`src/wasm/`; the core is untouched), 2026-11-24:",
  "",
  "- `fetch` goes through one JS helper (`src/wasm/host.js`, shipped as `pkg/snippets/…/host.js` and imported by the",
  "  glue): the request headers cross as one NUL-separated string instead of one `Headers.append` crossing each, the",
  "  RequestInit is built in JS, and the response head (status + the 4 headers the core reads) comes back as one array",
  "  instead of one `get` crossing each.",
  "- A body that is not an event stream is read in the same JS call as the head: one `arrayBuffer()` when its",
  "  content-length is ≤ 1 MiB, else a JS read loop up to 1 MiB that hands the reader over for the rest. The core sees",
  "  the same chunks and applies `maxResponseBytes` to them as before; SSE is streamed as before.",
  "- Promises, timers and task wake-ups are awaited through one long-lived closure each, keyed by a numeric id",
  "  (`settle.rs`, `timers.rs`, `task.rs`), instead of two wasm-bindgen closures per `JsFuture`, one per `setTimeout`",
  "  and one per task sleep (each registered with and unregistered from a `FinalizationRegistry`).",
  "",
  "Effect, medians of 3 runs each, ratios taken inside each run (before → after):",
  "",
  "| conc. 1, median latency | pool ÷ raw | pool ÷ sdk |",
  "|---|---|---|",
  "| ping, fast (JSON) | 1.31 → 1.26 | 1.20 → 1.14 |",
  "| tools/call echo, fast (JSON) | 1.52 → 1.41 | 1.24 → 1.13 |",
  "| ping, fast (SSE) | 1.56 → 1.43 | 1.08 → 1.09 |",
  "| tools/call echo, fast (SSE) | 1.75 → 1.78 | 1.13 → 1.13 |",
  "| ping, SDK server (JSON) | 1.27 → 1.26 | 1.14 → 1.13 |",
  "| tools/call echo, SDK server (JSON) | 1.32 → 1.27 | 1.16 → 1.11 |",
  "| ping, SDK server (SSE) | 1.37 → 1.38 | 1.07 → 1.06 |",
  "| tools/call echo, SDK server (SSE) | 1.42 → 1.37 | 1.06 → 1.04 |",
  "",
  "CPU profile of the pooled tools/call loop (fast server, JSON), µs per call: busy 317 → 313 with raw 188 → 201 in",
  "the same runs, i.e. pool ÷ raw 1.69 → 1.56; process CPU 497 → 451 (raw 283 → 288), pool ÷ raw 1.76 → 1.57.",
  "AbortController/events 40 → 34 µs, garbage collector 38 → 30 µs.",
  "",
  "So the gain is real but small (5–10 % of the pooled call's latency on JSON answers, less on SSE), and the goals",
  "stay missed. What is left is mostly not crossings: undici itself, the second `AbortController` per request (ours,",
  "for abort-on-drop, on top of the one undici creates inside every `Request`; in Node 20 each `AbortSignal` costs",
  "~10 µs in `makeTransferable`), the socket write, the web stream under every body, and ~35 µs of Rust spread",
  "thin over the session code (no single hot function in a profile with names). Not tried, or tried and left out:",
  "one shared timer for all request timeouts (a timer armed inside one Worker request dies with it, so another",
  "request's timeout would never fire); dropping our `AbortController` (a timed-out request would then hold its",
  "connection until the server answers); `wasm-opt --low-memory-unused` (−1.4 KB gzip, but it assumes the low 1 KiB",
  "of memory is never addressed). `opt-level = \"s\"` and `3` make the .wasm 8 % and 28 % larger (gzip) than `\"z\"`.",
  "",
  "### Then: HTTP/1.1 on `node:net` instead of `node:http` (2026-11-24, later)",
  "",
  "With `node:http` the pool's Node client spent more CPU in `ClientRequest`, the agent and `IncomingMessage` (~20 µs",
  "per call at saturation) and in `writev` (~30 µs, head and body corked separately) than in the whole Rust core",
  "(~15 µs). `js/node_http.mjs` is now its own HTTP/1.1 client on `node:net` (`node:tls` for https): keep-alive",
  "connections per origin, the request written in one `write`, and a small response parser (status line, headers,",
  "content-length, chunked and read-to-close bodies, 1xx heads skipped; gzip/deflate/br through node:zlib as before).",
  "Same contract towards the wasm face, so the core and the fetch path are unchanged. Checked at the wire by",
  "`tests/node/http1.test.mjs` (reuse, idle closes, `Connection: close`, chunk extensions and trailers, split heads,",
  "malformed answers) besides every package test, which runs on it.",
  "",
  "Before (the 5-run `make bench` of 2026-11-24 21:24, on `node:http`) → after (the 5-run run of this file, on `node:net`), medians:",
  "",
  "| measure | before | after |",
  "|---|---|---|",
  "| conc. 1 latency ÷ raw fetch: ping / echo, fast (JSON) | 0.79 / 0.94 | 0.48 / 0.55 |",
  "| conc. 1 latency ÷ raw fetch: ping / echo, fast (SSE) | 0.78 / 0.94 | 0.50 / 0.54 |",
  "| conc. 1 latency ÷ SDK client: ping / echo, fast (JSON) | 0.71 / 0.74 | 0.44 / 0.42 |",
  "| 100 × 20 calls/s, fast (JSON) / fast (SSE) / SDK server (SSE) | 12,864 / 12,074 / 10,466 | 22,213 / 23,212 / 8,098 |",
  "| 100 × 20 client CPU µs per call, fast (JSON) / fast (SSE) / SDK server (SSE) | 87 / 89 / 87 | 47 / 45 / 75 |",
  "| 100 × 20 ÷ no pool (connect per agent), fast (JSON) / fast (SSE) / SDK server (SSE) | 3.05 / 4.43 / 4.23 | 6.18 / 8.94 / 3.37 |",
  "| CPU profile, pooled echo loop, busy µs per call (conc. 1, fast JSON) | 125 | 51 (38 in the run of 22:51) |",
  "",
  "The SDK server row is bound by the server: it spends ~100 µs of CPU per pooled call in this run (85 in the run",
  "before, 115 in another 5-run run the same evening; /proc counts in 10 ms ticks). In an A/B of the two clients",
  "against it (100 × 20 calls, 8 rounds each) the server took 80–110 µs per call with the `node:http` client and",
  "100–140 with this one, for reasons not found: both send the same headers, checked by",
  "`tests/node/http-client.test.mjs`, but for the `connection: keep-alive` that node:http adds, and adding it changed",
  "nothing.",
  "",
  "### Then: undici's `request` API instead of the own HTTP/1.1 client (issue #17, 2026-12-05)",
  "",
  "`js/node_http.mjs` gave way to `js/node_undici.mjs`: undici's `request` API on a keep-alive Agent (an",
  "`EnvHttpProxyAgent` when a proxy variable is set), undici 7.30.3 a pinned dependency of the package, imported on the",
  "first request. Same contract towards the wasm face. Not a `make bench` run: an ad-hoc A/B against",
  "`bench/fast_server.mjs` (JSON), 7 interleaved rounds, each a fresh process per client (500 warm-up calls, 3 000",
  "sequential `get` → echo → `release`, then 6 000 calls from 32 agents), on the 2-core machine with other builds",
  "running (load 2.5–3.8), medians of the rounds (ranges in brackets):",
  "",
  "| measure | own HTTP/1.1 client | undici `request` | Node's `fetch` |",
  "|---|---|---|---|",
  "| conc. 1 latency, p50 µs | 210 (188–288) | 236 (231–313) | 518 (492–648) |",
  "| conc. 32 client CPU µs per call | 134 (122–149) | 138 (125–168) | 568 (517–609) |",
  "| conc. 32 calls/s | 5,751 (3,981–9,139) | 6,174 (5,369–9,488) | 2,042 (1,078–2,216) |",
  "",
  "The first request of a process also loads undici (~100–150 ms here, against ~25 ms for the first `get` + call",
  "on the own client; the first call on Node's `fetch` took ~100 ms, its undici loading lazily too).",
  "",
  "### Then: opt-level 3, and fewer promises per call (eleventh session, 2026-12-06)",
  "",
  "CPU profiles in Node (`node --cpu-prof`, 9,000 sequential `get` → echo → `release` on the fast server, JSON) put",
  "the pooled call's own cost in the wasm module (56 µs per call at opt-level \"z\", flat: no function above 2 %), the",
  "wasm-bindgen glue (~15 µs) and undici (~40 µs, with its llhttp); the package of before #17 spent ~25 µs in its own",
  "client. Changes, each measured in one run against the build before it:",
  "",
  "| change | measured |",
  "|---|---|",
  "| release build at opt-level 3 and `wasm-opt -O3` (was \"z\", `-Oz`) | wasm self time per call 56 → 37 µs (\"s\": 44); .wasm gzip 279,633 → 348,178 B (\"s\": 302,862); Worker startup, 11 alternated starts, medians 50.1 → 53.5 ms |",
  "| `callTool` arguments that are a flat object of primitives stringified without a replacer | `JSON.stringify` with the replacer: ~4 µs of the call's CPU in the profile |",
  "| work that completes in its first poll (a warm `get`) returns `Promise.resolve(value)`: no executor closure, no kept resolve/reject | warm `get` + `release` 4.4 → 1.8 µs (with opt-level 3) |",
  "| a POST's event stream read to its first chunk in the same JS call as the head (fetch transport) | workerd, pool ÷ the build before, 7 and 9 runs: SSE c32 0.82 and 0.92, c1 1.03 and 1.03; JSON unchanged |",
  "",
  "Tried and left: a shared request-timeout timer in Node (per-call `setTimeout` + `clearTimeout` cost ~0.3 µs in a",
  "micro-benchmark; sharing one would leave a timer of the package behind after `close()`, which a test forbids); one",
  "string for the response head's five headers (~13 fewer wasm→JS calls, each ~70 ns: ~1 µs). In workerd, reading a",
  "chunked body with a reader loop instead of `text()` costs ~20 µs per call (6 %; 4 runs of 400 calls), the price of",
  "the `maxResponseBytes` bound, which `text()` cannot keep.",
  "",
  "### Then: where Node's concurrency-1 gap comes from (twelfth session, 2026-12-06)",
  "",
  "`bench/node-phases.mjs` splits a sequential pooled call in Node into the time before its request's first socket",
  "write, the server and wire, and the time after the answer's first bytes (this package against the package of",
  "before #17, one process, 12 alternating rounds of 500 calls, medians of µs per call):",
  "",
  "| answer | package | before the write | server and wire | after the answer | total | CPU |",
  "|---|---|---|---|---|---|---|",
  "| JSON | this one | 62.2 | 195.4 | 59.6 | 314.2 | 218.6 |",
  "| JSON | before #17 | 37.3 | 185.7 | 60.9 | 294.6 | 196.4 |",
  "| SSE | this one | 60.5 | 196.3 | 56.7 | 308.8 | 216.1 |",
  "| SSE | before #17 | 38.2 | 180.9 | 69.2 | 301.1 | 214.5 |",
  "",
  "The gap is before the write. undici 7 does not write a request on an idle keep-alive connection at once: it first",
  "yields to the event loop's check phase (`setImmediate`), so that bytes or a close the server sent while the",
  "connection was idle are read first (its fix for GHSA-35p6-xmwp-9g52). So all the pool does after handing the",
  "request over and before control returns to the event loop now comes before the write: awaiting the head's promise",
  "(`JsFuture`, ~3 µs to set up), arming the request timer (~2 µs), the task going to sleep and `callTool` returning",
  "its promise, ~15 µs in all in an instrumented build. The package's own client wrote in the same turn, and that",
  "work overlapped the server's. Raw `undici.request` pays the same yield. `bench/node-calls.mjs` against the old",
  "package, four runs this session (9, 21, 21 and 21 runs of 2,000 calls): pool ÷ old package at concurrency 1 JSON",
  "1.08, 1.12, 1.10, 1.13 and SSE 1.10, 1.07, 1.13, 1.11; at 32, 0.67–0.79.",
  "",
  "Tried and reverted: the response head as one string (18 calls into JS down to 2) left the time to read the head",
  "as it was (4.2–4.5 → 4.7–4.9 µs, instrumented). At concurrency 1 the per-call cost is cold code and data more",
  "than calls: `JSON.parse` of the 44-byte result takes 0.6 µs in a loop and 5–6 µs inside the call (measured",
  "around the glue's call); a loop that evicts the caches between parses takes 4.6 µs.",
  "",
  "Large payloads, by their wasm memory growth (the memory keeps its high-water mark), measured in a fresh process",
  "per case on an echo server (`tests/node/memory.test.mjs` and the same script at other sizes):",
  "",
  "| one call | before | after |",
  "|---|---|---|",
  "| 1 MB result (the fast server's `big`) | +4.1 MB | +2.1 MB |",
  "| 4 MiB argument, 4 MiB echoed | +24.3 MiB | +16.3 MiB |",
  "| 10 MiB argument, 10 MiB echoed | +60.2 MiB | +40.2 MiB |",
  "",
  "What changed: the request body is one `Rc<String>` that the redirect, token and DPoP layers and a session's",
  "recovery send again instead of copying it; the request and the `tools/call` params are written into buffers of",
  "their final size (serde_json's `to_string` grows its buffer by doubling); a body read whole is joined once at its",
  "exact size. Allocations per small pooled call: 80 → 81 (the `Rc`; 9 in `get` + `release`),",
  "5,995 → 5,655 bytes, counted with a counting allocator (bench/alloc with a total counter, not kept).",
  "",
  "Issue #19's two workerd cold goals get their own rows in the goals table from now on: the empty Worker's `/call`",
  "is a raw client's first call (`fetch`: initialize, initialized, tools/call; the session kept), beside the pool",
  "Worker's. `scripts/bench.sh --skip` all but `workerd`, 7 runs: startup with the package +13 ms over the empty",
  "Worker (0.9–20; goal 5: missed); first call 20 ms against the raw client's 4.5, +16 ms per run (9.8–21; goal 5:",
  "missed); second call 2.3 ms against 1.7. With `era: \"legacy\"` (no `server/discover` probe) the first call is",
  "19 ms (+14): the probe is ~1 ms of it. The rest is first-run cost: a CPU profile of the first call in workerd",
  "(inspector, 50 µs sampling) shows 10.7 ms in wasm and 8.9 ms in JS, and in Node `--no-wasm-lazy-compilation`",
  "takes ~10 ms off the first call (27–33 → 16–23 ms) and adds ~45 ms to the import: most of it is V8 compiling",
  "the wasm functions the first call runs, which grows with the module (opt-level 3 made it 25 % larger).",
  "",
  "How much of workerd's concurrency-32 ratio is the pool's default cap of 6 requests in flight (local workerd caps no",
  "raw fetch; production allows 6 open connections per Worker request): `node bench/workerd-calls.mjs --runs 7`, then",
  "with `--raw-cap 6` (the raw client at 6 fetches in flight), back to back. Pool ÷ raw, medians:",
  "",
  "| answer | c1, raw uncapped | c32, raw uncapped | c1, raw at 6 | c32, raw at 6 |",
  "|---|---|---|---|---|",
  "| JSON | 1.42 | 2.54 | 1.49 | 1.74 |",
  "| SSE | 1.45 | 2.72 | 1.56 | 1.72 |",
  "",  "### Then: the pool's own CPU in workerd, without the network (thirteenth session, 2026-12-06)",
  "",
  "The workerd ratios move by ±15 % from run to run on this machine (each call is a real loopback round trip",
  "to another process), which hides changes of a few percent. `bench/workerd-cpu.mjs` (new) measures",
  "without the network: while it measures, the Worker answers every `fetch` from memory, so pool minus raw is",
  "the pool's own work. At concurrency 1, JSON: a raw call ~18 µs (building the in-memory answer included),",
  "a pooled call ~115 µs before this session's changes. So ~100 µs of the ~150 µs that a pooled call costs",
  "over a raw one in `workerd-calls.mjs` is the pool's CPU. The rest is not CPU; it was not found this session.",
  "Connections are reused as raw fetch reuses them: `fast_server.mjs` now counts accepted TCP connections, and",
  "400 pooled calls opened none after warm-up.",
  "",
  "A V8 profile of that loop (`workerd-prof` style, 20 µs sampling, names kept; 158 µs per call under the",
  "profiler) has no single large item:",
  "- reading the body, 26 µs;",
  "- the wasm core, 30 µs (no function above 1.2);",
  "- the request timer (`setTimeout` + `clearTimeout`), 13 µs;",
  "- `mcp_fetch` and the head's callback, 13 µs;",
  "- the glue, ~12 µs (nine `Date.now`, the result's `JSON.parse`, the task and timer callbacks).",
  "",
  "What a body read costs in workerd (the raw client of the same Worker, 7 runs of 2,000, µs per call):",
  "`text()` 18.1, `arrayBuffer()` 18.7, one default read 31.4, one `readAtLeast` 29.6, a default reader to",
  "its end 45.6.",
  "",
  "| change | workerd-cpu, pool minus raw, µs (9 runs, medians) | workerd-calls, pool ÷ the build before (9 runs) |",
  "|---|---|---|",
  "| a body without a content-length of up to 64 KiB read with one `readAtLeast()` of a byte reader (Workers only), not a default reader's two reads (data, end) | JSON c1 105.7 → 95.5, c32 100.4 → 91.3 | JSON c1 0.92, c32 0.89; SSE 1.04, 1.00 (unchanged path) |",
  "| a body dropped before its end (an SSE answer's stream, once its answer is read) stopped by cancelling its reader only, not also by aborting the controller (25 µs in the profile of the SSE loop) | SSE c1 114.5 → 85.4, c32 122.9 → 87.5 | both changes: JSON c1 0.95, c32 1.06; SSE c1 0.97, c32 0.93 |",
  "",
  "Pool ÷ raw fetch after both changes (`workerd-calls.mjs`, 9 runs): JSON 1.51 at c1 and 2.65 at c32; SSE",
  "1.51 and 2.22. The goal of 1.10 is still missed. The gains of 10 to 30 µs of CPU are 3 to 8 % of a",
  "380 µs call, within this machine's noise.",
  "",
  "Tried and not kept. Each was a change to the built `host.js`, measured with `workerd-cpu.mjs` against the",
  "build before, 9 runs, pool ÷ before (JSON c1, JSON c32, SSE c1, SSE c32):",
  "- no request timer: 0.95, 0.88, 0.95, 0.89. A Worker request's deadline needs a timer of its own, since",
  "  timers die with their request;",
  "- headers as an array of pairs instead of a `Headers` object: 1.00, 0.93, 1.04, 0.89 (noise);",
  "- `arrayBuffer()` for every body: about 11 µs less than one `readAtLeast`, but unbounded, which",
  "  `maxResponseBytes` forbids.",
  "",
  "The wasm tier is not the cost either. With workerd's `v8Flags`, 7 runs of `workerd-calls` at c1 (JSON)",
  "gave 1.43 by default, 1.51 with TurboFan only (`--no-liftoff`) and 1.44 with Liftoff only.",
  "",
];

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------
async function section(name, fn) {
  if (SKIP.has(name)) {
    results.notes.push(`${name}: skipped (--skip)`);
    return;
  }
  if (now() - STARTED > BUDGET_MS) {
    results.errors[name] = `time budget of ${BUDGET_MS / 1000} s used up before this section`;
    return;
  }
  const t = now();
  log(`${name}...`);
  try {
    await fn();
  } catch (e) {
    results.errors[name] = e?.message ?? String(e);
    log(`${name} FAILED: ${e?.stack ?? e}`);
  }
  log(`${name}: ${((now() - t) / 1000).toFixed(1)} s`);
}

const warnings = new Map(); // "name: message (first line, digits elided)" -> count
process.on("warning", (w) => {
  const key = `${w.name}: ${String(w.message).split("\n")[0].replace(/\d+/g, "N")}`;
  if (!warnings.has(key)) log(`warning (reported once): ${w.name}: ${w.message}`);
  warnings.set(key, (warnings.get(key) ?? 0) + 1);
});

async function main() {
  const render = opt("--render", null);
  if (render) {
    // Re-render the report from a saved run (no measurement).
    const saved = JSON.parse(fs.readFileSync(path.resolve(root, render), "utf8"));
    Object.assign(results, saved.results);
    fs.writeFileSync(OUT, report(saved.meta));
    log(`re-rendered ${path.relative(root, OUT)} from ${render}`);
    return;
  }
  const meta = { machine: machine(), runs: RUNS };
  const P = await loadPool();
  const S = loadSdk();
  meta.poolSource = P.source;
  meta.baseline = BASELINE;
  meta.sdkVersion = S.version;
  try {
    meta.undiciVersion = loadUndici().version;
  } catch (e) {
    meta.undiciVersion = `not found: ${e.message}`;
  }
  const clients = makeClients(P, S);
  log(`pool from ${P.source}; ${RUNS} runs`);

  await section("size", sectionSize);
  // Builds first (cargo is CPU-heavy): nothing else is timed while it runs.
  const fastSse = await startServer("fast-sse", path.join(here, "fast_server.mjs"), ["--sse"]);
  let bigBody = null;
  await section("native", async () => {
    // The server's exact 1 MB body, for the JS reference parse.
    const raw = await clients.raw(fastSse.url);
    const res = await fetch(fastSse.url, {
      method: "POST",
      headers: raw.headers,
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "big", arguments: {} } }),
    });
    bigBody = Buffer.from(await res.arrayBuffer());
    await raw.close();
    await sectionParse(bigBody.length, bigBody);
  });

  const servers = [
    { key: "fast-json", ...(await startServer("fast-json", path.join(here, "fast_server.mjs"), [])) },
    { key: "fast-sse", ...fastSse },
    { key: "sdk-json", ...(await startServer("sdk-json", path.join(root, "tests/servers/ts_server.mjs"), ["--json"])) },
    { key: "sdk-sse", ...(await startServer("sdk-sse", path.join(root, "tests/servers/ts_server.mjs"), [])) },
  ];
  for (const s of servers) s.stats = s.stats.bind(s);
  meta.servers = servers.map((s) => s.key);
  const byKey = Object.fromEntries(servers.map((s) => [s.key, s]));

  await section("getRelease", () => sectionGetRelease(P, byKey["fast-json"].url));
  await section("latency", () => sectionLatency(servers, clients, S));
  await section("throughput", () => sectionThroughput([byKey["fast-json"], byKey["fast-sse"], byKey["sdk-sse"]], clients, S));
  await section("big", () => sectionBig(byKey["fast-sse"], clients));
  await section("cold", async () => sectionCold());
  await section("workerd", () => sectionWorkerd(byKey["fast-json"]));
  await section("workerd-calls", sectionWorkerdCalls);
  await section("workerd-cpu", sectionWorkerdCpu);
  await section("browser-calls", sectionBrowserCalls);
  await section("memory", () => sectionMemory(byKey["fast-json"]));
  await section("profile", () => sectionProfile(byKey["fast-json"]));

  for (const s of servers) await s.stop();
  for (const [k, n] of warnings) {
    const why = /MaxListeners.*abort listeners/.test(k)
      ? " — from the SDK client: its transport hands one AbortSignal to every fetch and undici adds a listener to it per request (traced with --trace-warnings)"
      : "";
    results.notes.push(`Node warned ${n} time(s): ${k}${why}`);
  }
  meta.loadEnd = os.loadavg().map((x) => x.toFixed(2)).join(" ");
  meta.totalS = (now() - STARTED) / 1000;
  const md = report(meta);
  fs.writeFileSync(OUT, md);
  // The raw data of the run that wrote BENCHMARKS.md is results.json (what --render re-renders); a run
  // written elsewhere (--out, e.g. a partial or gate run) keeps its own beside it, named after its output.
  const rawName = OUT === path.join(root, "BENCHMARKS.md") ? "results.json" : `results-${path.basename(OUT, path.extname(OUT))}.json`;
  const rawFile = path.join(root, "target/bench-results", rawName);
  fs.mkdirSync(path.dirname(rawFile), { recursive: true });
  fs.writeFileSync(rawFile, JSON.stringify({ meta, results }, null, 1));
  log(`wrote ${path.relative(root, OUT)} (raw data: ${path.relative(root, rawFile)}) in ${meta.totalS.toFixed(0)} s`);
}

async function child() {
  let out;
  if (CHILD === "cold-pool") out = await childColdPool();
  else if (CHILD === "cold-sdk") out = await childColdSdk();
  else if (CHILD === "memory") out = await childMemory(opt("--url"), opt("--alloc-pkg", null));
  else if (CHILD === "profile") out = await childProfile(opt("--url"), opt("--which"), Number(opt("--ms", 3000)), opt("--prof-out"));
  else throw new Error(`unknown child task ${CHILD}`);
  process.stdout.write(JSON.stringify(out) + "\n");
  process.exit(0);
}

(CHILD ? child() : main()).catch((e) => {
  console.error(e?.stack ?? e);
  killAll();
  process.exit(1);
});
