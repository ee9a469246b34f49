// The cost of the Durable Object hop (issue #20): N `tools/call` echo calls inside one Worker request at
// concurrency C, through a local pool at module scope vs through mcp-edge-pool/durable-object's object
// (tests/workerd/do_worker.mjs: /local and /remote), in the same workerd and the same runs, the ratio taken
// inside each run. "remote, same isolate": the caller is the Worker service that hosts the object class;
// "remote, other isolate": a second Worker service bound to the same namespace (how every other isolate of
// a deployed Worker reaches it). Both pools have default options. Server: bench/fast_server.mjs (JSON).
//
//   node bench/workerd-hop.mjs [--runs 7] [--n 400]
//
// Needs pkg/ (scripts/build-pkg.sh) and tests/js/node_modules (workerd, esbuild). Prints a Markdown table.
// Local workerd only: both services and the object share one process and one machine, so the hop here
// is the RPC's serialization and scheduling, not a network distance (add it in production: the object
// lives in one location).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildWorker, freePort, startWorkerd, stopAll } from "../tests/workerd/harness.mjs";
import { count, median, timed } from "./cli.mjs";
import { startFastServer } from "./fast_server_start.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const RUNS = count("--runs", 7, 1, 15);
const N = count("--n", 400, 10, 10_000);
const rows = [];
let server;
try {
  server = await startFastServer();
  const port = await freePort();
  const secondPort = await freePort();
  const build = buildWorker(port, [
    "--mcp-url", server.url, "--worker", path.join(root, "tests/workerd/do_worker.mjs"), "--durable-object", "TestPool",
    "--second-port", String(secondPort), "--scratch", "target/bench-workerd-hop", "--pool-options", "{}", "--binding", "MCP_TOKEN=bench",
  ]);
  const w = await startWorkerd(build, port);
  const second = `http://127.0.0.1:${secondPort}`;
  for (const c of [1, 32]) {
    const clients = [
      ["local", () => timed(`${w.base}/local?n=${N}&c=${c}`)],
      ["same", () => timed(`${w.base}/remote?n=${N}&c=${c}`)],
      ["other", () => timed(`${second}/remote?n=${N}&c=${c}`)],
    ];
    for (const [, go] of clients) await go(); // warm-up: sessions open, code optimised
    const t = { local: [], same: [], other: [] };
    const ratios = { same: [], other: [] };
    for (let run = 0; run < RUNS; run++) {
      const got = {};
      for (let k = 0; k < clients.length; k++) {
        const [name, go] = clients[(run + k) % clients.length]; // rotating order
        got[name] = await go();
      }
      for (const name of ["local", "same", "other"]) t[name].push(got[name]);
      ratios.same.push(got.same / got.local);
      ratios.other.push(got.other / got.local);
    }
    const perCall = (xs) => (1000 * median(xs)) / N;
    const fmt = (xs) => `${Math.min(...xs).toFixed(2)} / **${median(xs).toFixed(2)}** / ${Math.max(...xs).toFixed(2)}`;
    rows.push({ c, local: perCall(t.local), same: perCall(t.same), other: perCall(t.other), rSame: fmt(ratios.same), rOther: fmt(ratios.other), callsPerS: (N * 1000) / median(t.other) });
  }
} finally {
  server?.child.kill();
  await stopAll();
}
console.log(`workerd: ${N} tools/call echo per Worker request, ${RUNS} runs (medians; ratios inside each run), Node ${process.version}\n`);
console.log("| concurrency | local pool µs/call | object, same isolate µs/call | object, other isolate µs/call | same ÷ local (min / median / max) | other ÷ local (min / median / max) | calls/s through the object (other isolate) |");
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(`| ${r.c} | ${r.local.toFixed(0)} | ${r.same.toFixed(0)} | ${r.other.toFixed(0)} | ${r.rSame} | ${r.rOther} | ${r.callsPerS.toFixed(0)} |`);
}
