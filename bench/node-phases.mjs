// Where a sequential pooled call's time goes in Node (a diagnostic of issue #17's gate at
// concurrency 1): for each package, the time from the call's start (before `get`) to the first
// socket write of its request ("before the write"), from the first response bytes on the socket
// to the call's end (after `release`: "after the answer"), the rest ("server and wire"), and the
// process CPU per call. Packages run in one process, in alternating blocks of calls, against
// bench/fast_server.mjs in a child process.
//
//   node bench/node-phases.mjs [--pkg DIR] [--baseline DIR] [--rounds 12] [--block 500] [--sse]
//
// The write and the bytes are seen by wrapping net.Socket's `write` and `emit('data')` in this
// process (the pools' HTTP clients both write through net.Socket): a diagnostic, not a benchmark
// to quote ratios from (bench/node-calls.mjs is that).
import net from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startFastServer } from "./fast_server_start.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const ROUNDS = Math.min(100, Math.max(1, Number(opt("--rounds", 12))));
const BLOCK = Math.min(10_000, Math.max(10, Number(opt("--block", 500))));
const PKGS = [path.resolve(opt("--pkg", path.join(here, "..", "pkg"))), opt("--baseline", null)].filter(Boolean).map((p) => path.resolve(p));

/** The first write and the first bytes of the call under way (0: not yet). */
const seen = { write: 0, data: 0 };
const write = net.Socket.prototype.write;
net.Socket.prototype.write = function (...args) {
  if (seen.write === 0) seen.write = performance.now();
  return write.apply(this, args);
};
const emit = net.Socket.prototype.emit;
net.Socket.prototype.emit = function (event, ...args) {
  if (event === "data" && seen.data === 0) seen.data = performance.now();
  return emit.call(this, event, ...args);
};

const server = await startFastServer(argv.includes("--sse") ? ["--sse"] : []);
const pools = [];
try {
  for (const dir of PKGS) {
    const { McpPool } = await import(pathToFileURL(path.join(dir, "node.mjs")).href);
    const pool = new McpPool();
    pool.registerHttp("s", server.url);
    pools.push(pool);
  }
  const block = async (pool) => {
    let before = 0;
    let after = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < BLOCK; i++) {
      seen.write = 0;
      seen.data = 0;
      const t0 = performance.now();
      const client = await pool.get("s");
      try {
        const result = await client.callTool("echo", { message: `m${i}` });
        if (result.content[0].text !== `m${i}`) throw new Error("wrong answer");
      } finally {
        client.release();
      }
      if (seen.write === 0 || seen.data === 0) throw new Error("no socket write or data seen for a call");
      before += seen.write - t0;
      after += performance.now() - seen.data;
    }
    const total = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const us = (ms) => (1000 * ms) / BLOCK;
    return { before: us(before), wire: us(total - before - after), after: us(after), total: us(total), cpu: (used.user + used.system) / BLOCK };
  };
  for (const pool of pools) await block(pool); // warm-up
  const rows = pools.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const order = pools.map((_, i) => i);
    if (r % 2) order.reverse();
    for (const i of order) rows[i].push(await block(pools[i]));
  }
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const keys = ["before", "wire", "after", "total", "cpu"];
  console.log(`Node ${process.version}, ${ROUNDS} rounds × ${BLOCK} sequential calls, ${argv.includes("--sse") ? "SSE" : "JSON"}, medians of per-block µs/call\n`);
  console.log("| package | before the write | server and wire | after the answer | total | CPU |");
  console.log("|---|---|---|---|---|---|");
  PKGS.forEach((dir, i) => console.log(`| ${path.relative(process.cwd(), dir) || "."} | ${keys.map((k) => median(rows[i].map((b) => b[k])).toFixed(1)).join(" | ")} |`));
} finally {
  for (const pool of pools) await pool.close();
  server.child.kill();
}
