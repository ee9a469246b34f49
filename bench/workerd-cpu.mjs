// The pool's own CPU per call inside workerd, without the network (a diagnostic for issue #19):
// bench/workerd_cpu_worker.mjs answers every fetch from memory while it measures, so a pooled call
// minus a raw call is the pool's work alone, without the round trips that make bench/workerd-calls.mjs
// move by ±15 % per run. The machine still moves its level by 10-20 µs from one invocation to the
// next: compare builds inside one invocation (--baseline), as the ratio column does. N tools/call echo per Worker request, JSON and SSE answers, at
// concurrency 1 and 32; raw, pool (and a baseline build's pool, in a second Worker of the same
// workerd) in rotating order; medians over runs.
//   node bench/workerd-cpu.mjs [--runs 7] [--n 2000] [--pkg DIR] [--baseline DIR]
// Needs pkg/ (make pkg) and tests/js/node_modules (workerd, esbuild).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildWorker, freePort, startWorkerd, stopAll } from "../tests/workerd/harness.mjs";
import { count, median, option, timed } from "./cli.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

async function worker(dir, name, scratchPrefix) {
  const port = await freePort();
  const build = buildWorker(port, [
    "--mcp-url", "http://mcp.invalid/json",
    "--worker", path.join(here, "workerd_cpu_worker.mjs"),
    "--scratch", `${scratchPrefix}${name}`,
    ...(dir ? ["--pkg", path.resolve(dir)] : []),
  ]);
  return startWorkerd(build, port);
}

/**
 * The measurement (also bench/run.mjs's `workerd-cpu` section): rows of { label, c, raw, pool, base },
 * arrays of µs per call, one per run. `scratchPrefix`: where the Workers are built (under the repository root).
 */
export async function measureWorkerdCpu({ runs = 7, n = 2000, pkg = null, baseline = null, scratchPrefix = "target/bench-workerd-cpu" } = {}) {
  const rows = [];
  try {
    const mine = await worker(pkg, "", scratchPrefix);
    const base = baseline ? await worker(baseline, "-baseline", scratchPrefix) : null;
    for (const [label, q] of [["JSON", ""], ["SSE", "&sse=1"]]) {
      for (const c of [1, 32]) {
        const clients = [["raw", `${mine.base}/raw?c=${c}${q}`], ["pool", `${mine.base}/pool?c=${c}${q}`]];
        if (base) clients.push(["base", `${base.base}/pool?c=${c}${q}`]);
        for (const [, url] of clients) await timed(`${url}&n=${Math.min(n, 500)}`);
        const row = { label, c, raw: [], pool: [], base: [] };
        for (let run = 0; run < runs; run++) {
          for (let k = 0; k < clients.length; k++) {
            const [name, url] = clients[(run + k) % clients.length];
            row[name].push((1000 * (await timed(`${url}&n=${n}`))) / n);
          }
        }
        rows.push(row);
      }
    }
  } finally {
    await stopAll();
  }
  return rows;
}

async function cli() {
  const runs = count("--runs", 7, 1, 25);
  const n = count("--n", 2000, 10, 100_000);
  const pkg = option("--pkg", null);
  const baseline = option("--baseline", null);
  const rows = await measureWorkerdCpu({ runs, n, pkg, baseline });
  console.log(`workerd, fetch answered from memory: ${n} tools/call echo per Worker request, ${runs} runs, medians of µs per call, Node ${process.version}${baseline ? `; baseline ${baseline}` : ""}\n`);
  console.log(`| answer | conc. | raw | pool | pool − raw |${baseline ? " baseline pool | baseline − raw | pool ÷ baseline (min / median / max) |" : ""}`);
  console.log(`|---|---|---|---|---|${baseline ? "---|---|---|" : ""}`);
  for (const r of rows) {
    const raw = median(r.raw), pool = median(r.pool);
    let line = `| ${r.label} | ${r.c} | ${raw.toFixed(1)} | ${pool.toFixed(1)} | ${(pool - raw).toFixed(1)} |`;
    if (baseline) {
      const b = median(r.base);
      const vs = r.pool.map((p, i) => p / r.base[i]);
      line += ` ${b.toFixed(1)} | ${(b - raw).toFixed(1)} | ${Math.min(...vs).toFixed(2)} / **${median(vs).toFixed(2)}** / ${Math.max(...vs).toFixed(2)} |`;
    }
    console.log(line);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await cli();
