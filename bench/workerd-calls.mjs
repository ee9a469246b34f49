// Per-call cost of the pool inside a Cloudflare Worker (local workerd), against the floor: raw
// `fetch` in the same Worker (issue #19's measurement). Each Worker request makes N `tools/call`
// echo calls at concurrency C (bench/workerd_calls_worker.mjs), through the pool with default
// options or raw; pool and raw alternate, several runs, and the ratio is taken inside each run.
// Servers: bench/fast_server.mjs answering JSON, and with --sse one SSE event.
//
//   node bench/workerd-calls.mjs [--runs 7] [--n 400] [--pkg DIR] [--baseline DIR] [--raw-cap K]
//
// --raw-cap K: the raw client keeps at most K fetches in flight (production Workers allow 6 open
// connections per request, local workerd caps none), to see how much of the pool's cost at
// concurrency 32 is its default cap of 6 requests in flight.
// --pkg: another build of the package (e.g. an unpacked earlier tarball) instead of pkg/.
// --baseline: also run an earlier build (an unpacked tarball) in a second Worker beside the first,
// in the same runs (raw, pool, baseline pool in rotating order), and report pool ÷ baseline.
// bench/run.mjs imports measureWorkerdCalls (its `workerd-calls` section).
// Needs pkg/ (make pkg) and tests/js/node_modules (workerd, esbuild). Prints a Markdown table.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildWorker, freePort, startWorkerd, stopAll } from "../tests/workerd/harness.mjs";
import { count, median, option, timed } from "./cli.mjs";
import { startFastServer } from "./fast_server_start.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The measurement (also used by bench/run.mjs's `workerd-calls` section). For JSON and SSE answers
 * and concurrency 1 and 32: `runs` runs of raw, pool (and baseline pool) in rotating order, each a
 * Worker request making `n` tools/call echo. Returns one row per (server, concurrency) with the
 * per-run arrays: rawMs, poolMs, ratios (pool ÷ raw), and with a baseline baseRatios, vsBase.
 * `scratchPrefix`: where the Workers are built (under the repository root).
 */
export async function measureWorkerdCalls({ runs = 7, n = 400, pkg = null, baseline = null, rawCap = 0, scratchPrefix = "target/bench-workerd-calls", log = () => {} } = {}) {
  const rawQuery = rawCap ? `&cap=${rawCap}` : "";
  const rows = [];
  let server = null;
  try {
    for (const [label, flags] of [["JSON", []], ["SSE", ["--sse"]]]) {
      server = await startFastServer(flags);
      const worker = async (dir, name) => {
        const port = await freePort();
        const build = buildWorker(port, ["--mcp-url", server.url, "--worker", path.join(here, "workerd_calls_worker.mjs"), "--scratch", `${scratchPrefix}-${label}${name}`, ...(dir ? ["--pkg", path.resolve(dir)] : [])]);
        return startWorkerd(build, port);
      };
      const workerd = await worker(pkg, "");
      const base = baseline ? await worker(baseline, "-baseline") : null;
      for (const c of [1, 32]) {
        // Warm-up: every session open, the isolates' code optimised.
        await timed(`${workerd.base}/raw?n=50&c=${c}${rawQuery}`);
        await timed(`${workerd.base}/pool?n=50&c=${c}`);
        if (base) await timed(`${base.base}/pool?n=50&c=${c}`);
        const row = { label, c, rawMs: [], poolMs: [], ratios: [], vsBase: [], baseRatios: [] };
        for (let run = 0; run < runs; run++) {
          // Rotating order, so that no client always runs first (or right after another).
          const clients = [["raw", () => timed(`${workerd.base}/raw?n=${n}&c=${c}${rawQuery}`)], ["pool", () => timed(`${workerd.base}/pool?n=${n}&c=${c}`)]];
          if (base) clients.push(["base", () => timed(`${base.base}/pool?n=${n}&c=${c}`)]);
          const t = {};
          for (let k = 0; k < clients.length; k++) {
            const [name, go] = clients[(run + k) % clients.length];
            t[name] = await go();
          }
          row.rawMs.push(t.raw);
          row.poolMs.push(t.pool);
          row.ratios.push(t.pool / t.raw);
          if (base) {
            row.vsBase.push(t.pool / t.base);
            row.baseRatios.push(t.base / t.raw);
          }
        }
        log(`workerd-calls ${label} c${c}: pool ÷ raw median ${median(row.ratios).toFixed(2)}`);
        rows.push(row);
      }
      server.child.kill();
      server = null;
      await stopAll();
    }
  } finally {
    server?.child.kill();
    await stopAll();
  }
  return rows;
}

async function cli() {
  const RUNS = count("--runs", 7, 1, 15);
  const N = count("--n", 400, 10, 10_000);
  const PKG = option("--pkg", null);
  const BASELINE = option("--baseline", null);
  const RAW_CAP = count("--raw-cap", 0, 0, 64);
  const measured = await measureWorkerdCalls({ runs: RUNS, n: N, pkg: PKG, baseline: BASELINE, rawCap: RAW_CAP });
  const rows = measured.map((r) => ({
    label: r.label, c: r.c,
    raw: (1000 * median(r.rawMs)) / N, pool: (1000 * median(r.poolMs)) / N,
    ratio: median(r.ratios), min: Math.min(...r.ratios), max: Math.max(...r.ratios),
    base: BASELINE ? median(r.baseRatios) : null,
    vsBase: BASELINE ? median(r.vsBase) : null, vsMin: BASELINE ? Math.min(...r.vsBase) : null, vsMax: BASELINE ? Math.max(...r.vsBase) : null,
  }));
  console.log(`workerd: ${N} tools/call echo per Worker request, ${RUNS} runs (medians; ratio inside each run), Node ${process.version}${RAW_CAP ? `; raw fetch capped at ${RAW_CAP} in flight` : ""}\n`);
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
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await cli();
