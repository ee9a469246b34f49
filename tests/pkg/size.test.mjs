// Size of what a browser or Worker downloads: the shipped .wasm + the JS glue, each gzip -9'd.
// Size is deterministic for a given source tree and toolchain, so this is a test, not a benchmark:
// it fails when the package grows past its budget.
//
// "Glue" is what BENCHMARKS.md counts: pkg/mcp_edge_pool.js + the browser entry pkg/browser.mjs
// (one entry is loaded per runtime; node.mjs and workerd.mjs are the same few lines) and the wasm
// loader it imports (pkg/load_wasm.mjs, since the missing-.wasm error of issue #18), plus every
// file wasm-bindgen emits under pkg/snippets/ (inline_js / module helpers), since those load too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";

const pkg = new URL("../../pkg/", import.meta.url);
const read = (name) => readFileSync(new URL(name, pkg));
const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;

// Issue #5's goal for .wasm + glue, gzip: 60 KB. Far off today; reported, not enforced.
const GOAL_BYTES = 60 * 1024;

// REGRESSION budget, NOT the goal. History: 234,302 bytes gzip (node:zlib level 9) +3 % at first;
// then issue #5's size work (collections as sorted Vecs, fewer serde derives, one promise driver,
// JSON written by hand, the glue minified) brought the package from 240,733 to 180,902 bytes
// (wasm 175,566 + glue 5,336), and the budget down to that + 3 %; then the crate's own JSON
// parser and writer replaced serde/serde_json (180,902 -> 140,768 bytes: wasm 135,432 + glue
// 5,336), and the budget came down to that + 3 %; sorting a JSON object's members once (O(n log n)
// instead of O(n²) inserts) then added 740 bytes (141,508); the crate's own future combinators
// instead of futures-util's took 600 (140,908: still within 3 %); the hardening of issue #16
// (redaction of echoed secrets, bounded merged lists, typed errors where JSON.parse fails, AUTH_FAILED,
// the gzip-bomb guard) added 5,813 (146,735), and the budget went to that + 3 %; issue #17 put the
// crate back on the packages its design names: serde/serde_json (derives for every message, MCP
// type, snapshot and stat; the crate's own JSON parser, writer and sorted map gone) took it to
// 233,565 bytes (wasm 228,053 + glue 5,512); futures-util/futures-channel in place of src/future/
// added 7,822 on their own (measured on the tree before serde), JsFuture and the slab crate took 382
// off; together 243,368 bytes (wasm 237,858 + glue 5,510); serde_json's float_roundtrip (correctly
// rounded floats: the decode fuzzer found a number written back one ulp off without it) added 8,353
// (251,813); the options declared once (serde derives on the option structs, read through
// serde-wasm-bindgen and serde_path_to_error instead of hand-written Reflect code) added 21,346 on
// their own (measured before float_roundtrip): 273,762 (wasm 267,447 + glue 6,315), and the budget
// went to that + 3 %; host.js unminified and the glue's names kept (a readable uncaught
// McpPoolError) added 1,963 (275,725: wasm 267,447 + glue 8,278), within it; the browser entry's
// wasm loader with an error naming the missing .wasm and its URL (pkg/load_wasm.mjs, issue #18,
// counted as glue from then on) added 1,229 (276,954: glue 9,507), within it; then the session on
// its three dialects behind one trait, the era probe's new order (initialize first), the standalone
// stream's and the Node client's defaults, the retry of a handshake whose session the server forgot,
// and the typed results' unchecked_return_type strings: 279,412 (wasm 269,905 + glue 9,507), and the
// budget went to that + 3 %. Reading each options object in one pass should win part of that back.
// Then (tenth session) the per-server HTTP policy as layers, memchr in the SSE parser, identity
// partitions (#20: sessions keyed by identity, an identity hook, eviction at the cap, per-identity
// snapshots) and sessions that age well (#20: lifetime, probe on acquire, hit/miss/wait stats):
// 288,739 (wasm 279,231 + glue 9,508), +9,327, and the budget went to that + 3 %; the Node client on
// undici's dispatch API, one waker table for the timers and the identity in notifications: 290,149.
// Then (eleventh session) the release build went from opt-level "z" to 3 (Cargo.toml: the wasm core's
// CPU per pooled call in Node 56 -> 37 µs, which brought issue #17's Node gate to its 10 % line): 359,332 (wasm 349,787 +
// glue 9,545), +69,183, a deliberate trade of bytes for speed, and the budget went to that + 3 %.
// Size is reported, never bought by hand-writing what a library does. It exists so that growth is a
// deliberate decision: when a change legitimately adds code, raise it in the same commit and say
// why; when a change shrinks the package, lower it.
const REGRESSION_BUDGET_BYTES = 370_200;

// Lower bound: a missing or truncated build must not pass as "small".
const MIN_WASM_BYTES = 50 * 1024;

/** Every file under `dir` (a URL ending in /), depth first, as URLs. */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const url = new URL(name, dir);
    if (statSync(url).isDirectory()) out.push(...filesUnder(new URL(`${name}/`, dir)));
    else out.push(url);
  }
  return out;
}

function measure() {
  const wasm = read("mcp_edge_pool_bg.wasm");
  const glueFiles = [new URL("mcp_edge_pool.js", pkg), new URL("browser.mjs", pkg), new URL("load_wasm.mjs", pkg), ...filesUnder(new URL("snippets/", pkg))];
  const glue = Buffer.concat(glueFiles.map((u) => readFileSync(u)));
  return {
    wasm: wasm.length,
    wasmGzip: gzip(wasm),
    glue: glue.length,
    glueGzip: gzip(glue),
    glueFiles: glueFiles.map((u) => u.href.slice(pkg.href.length)),
  };
}

test("the shipped wasm is real: present, a wasm module, and not trivially small", () => {
  const wasm = read("mcp_edge_pool_bg.wasm");
  assert.deepEqual([...wasm.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], "starts with the wasm magic number");
  assert.ok(wasm.length > MIN_WASM_BYTES, `the wasm has ${wasm.length} bytes, more than ${MIN_WASM_BYTES}`);
  const s = measure();
  assert.ok(s.glue > 1024, `the glue has ${s.glue} bytes`);
  assert.ok(s.wasmGzip > 0 && s.wasmGzip < s.wasm, "gzip shrinks the wasm");
});

test(".wasm + glue, gzip -9, stays within the regression budget", (t) => {
  const s = measure();
  const total = s.wasmGzip + s.glueGzip;
  t.diagnostic(`glue files: ${s.glueFiles.join(", ")}`);
  t.diagnostic(
    `raw: wasm ${s.wasm} + glue ${s.glue} bytes; gzip -9: wasm ${s.wasmGzip} + glue ${s.glueGzip} = ${total} bytes ` +
      `(${(total / 1024).toFixed(1)} KB)`,
  );
  t.diagnostic(`regression budget ${REGRESSION_BUDGET_BYTES} bytes: ${((100 * total) / REGRESSION_BUDGET_BYTES).toFixed(1)} % used`);
  t.diagnostic(`issue #5 goal ${GOAL_BYTES} bytes (60 KB): size = ${(total / GOAL_BYTES).toFixed(2)} × goal`);
  assert.ok(
    total <= REGRESSION_BUDGET_BYTES,
    `.wasm + glue is ${total} bytes gzip, over the regression budget of ${REGRESSION_BUDGET_BYTES} ` +
      `(+${total - REGRESSION_BUDGET_BYTES}): shrink it, or raise REGRESSION_BUDGET_BYTES in tests/pkg/size.test.mjs deliberately`,
  );
});
