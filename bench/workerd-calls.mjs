// Per-call cost of the pool inside a Cloudflare Worker (local workerd), against the floor: raw
// `fetch` in the same Worker (issue #19's measurement). Each Worker request makes N `tools/call`
// echo calls at concurrency C (bench/workerd_calls_worker.mjs), through the pool with default
// options or raw; pool and raw alternate, several runs, and the ratio is taken inside each run.
// Servers: bench/fast_server.mjs answering JSON, and with --sse one SSE event.
//
//   node bench/workerd-calls.mjs [--runs 7] [--n 400] [--pkg DIR] [--baseline DIR]
//
// --pkg: another build of the package (e.g. an unpacked earlier tarball) instead of pkg/.
// --baseline: also run an earlier build (an unpacked tarball) in a second Worker beside the first,
// in the same runs (raw, pool, baseline pool in rotating order), and report pool ÷ baseline.
// Needs pkg/ (make pkg) and tests/js/node_modules (workerd, esbuild). Prints a Markdown table.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildWorker, freePort, startWorkerd, stopAll } from "../tests/workerd/harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const RUNS = Math.min(15, Math.max(1, Number(arg("--runs", 7)) || 7));
const N = Math.min(10_000, Math.max(10, Number(arg("--n", 400)) || 400));
const PKG = arg("--pkg", null);
const BASELINE = arg("--baseline", null);

function startServer(flags) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, "fast_server.mjs"), "--port", "0", ...flags], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}/mcp` });
    });
    child.on("exit", (code) => reject(new Error(`fast_server exited ${code}`)));
  });
}

async function timed(url) {
  const t = performance.now();
  const r = await fetch(url);
  const body = await r.text();
  if (!r.ok) throw new Error(`${url}: ${r.status} ${body}`);
  return performance.now() - t;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
try {
  for (const [label, flags] of [["JSON", []], ["SSE", ["--sse"]]]) {
    const server = await startServer(flags);
    const worker = async (pkg, name) => {
      const port = await freePort();
      const build = buildWorker(port, ["--mcp-url", server.url, "--worker", path.join(here, "workerd_calls_worker.mjs"), "--scratch", `target/bench-workerd-calls-${label}${name}`, ...(pkg ? ["--pkg", path.resolve(pkg)] : [])]);
      return startWorkerd(build, port);
    };
    const workerd = await worker(PKG, "");
    const base = BASELINE ? await worker(BASELINE, "-baseline") : null;
    for (const c of [1, 32]) {
      // Warm-up: every session open, the isolates' code optimised.
      await timed(`${workerd.base}/raw?n=50&c=${c}`);
      await timed(`${workerd.base}/pool?n=50&c=${c}`);
      if (base) await timed(`${base.base}/pool?n=50&c=${c}`);
      const rawMs = [];
      const poolMs = [];
      const ratios = [];
      const vsBase = [];
      const baseRatios = [];
      for (let run = 0; run < RUNS; run++) {
        // Rotating order, so that no client always runs first (or right after another).
        const clients = [["raw", () => timed(`${workerd.base}/raw?n=${N}&c=${c}`)], ["pool", () => timed(`${workerd.base}/pool?n=${N}&c=${c}`)]];
        if (base) clients.push(["base", () => timed(`${base.base}/pool?n=${N}&c=${c}`)]);
        const t = {};
        for (let k = 0; k < clients.length; k++) {
          const [name, go] = clients[(run + k) % clients.length];
          t[name] = await go();
        }
        rawMs.push(t.raw);
        poolMs.push(t.pool);
        ratios.push(t.pool / t.raw);
        if (base) {
          vsBase.push(t.pool / t.base);
          baseRatios.push(t.base / t.raw);
        }
      }
      rows.push({ label, c, raw: (1000 * median(rawMs)) / N, pool: (1000 * median(poolMs)) / N, ratio: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), base: base ? median(baseRatios) : null, vsBase: base ? median(vsBase) : null, vsMin: base ? Math.min(...vsBase) : null, vsMax: base ? Math.max(...vsBase) : null });
    }
    server.child.kill();
    await stopAll();
  }
} finally {
  await stopAll();
}
console.log(`workerd: ${N} tools/call echo per Worker request, ${RUNS} runs (medians; ratio inside each run), Node ${process.version}\n`);
if (BASELINE) {
  console.log(`baseline: ${BASELINE}\n`);
  console.log("| server | concurrency | raw fetch µs/call | pool µs/call | pool ÷ raw (min / median / max) | baseline ÷ raw | pool ÷ baseline (min / median / max) |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.label} | ${r.c} | ${r.raw.toFixed(0)} | ${r.pool.toFixed(0)} | ${r.min.toFixed(2)} / **${r.ratio.toFixed(2)}** / ${r.max.toFixed(2)} | ${r.base.toFixed(2)} | ${r.vsMin.toFixed(2)} / **${r.vsBase.toFixed(2)}** / ${r.vsMax.toFixed(2)} |`);
} else {
  console.log("| server | concurrency | raw fetch µs/call | pool µs/call | pool ÷ raw (min / median / max) |");
  console.log("|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.label} | ${r.c} | ${r.raw.toFixed(0)} | ${r.pool.toFixed(0)} | ${r.min.toFixed(2)} / **${r.ratio.toFixed(2)}** / ${r.max.toFixed(2)} |`);
}
