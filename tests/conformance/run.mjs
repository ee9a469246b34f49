// Runs every client scenario of the installed MCP conformance suite against client.mjs and compares
// the outcome with baseline.json (known failures, each with its reason).
//
//   "$NODE22" tests/conformance/run.mjs [substring...]   (make test-conformance runs it with no filter)
//
// A scenario runs once per spec version it lists (`conformance list --client` prints e.g.
// "tools_call [2025-06-18,2025-11-25,2026-07-28]"), with --spec-version set, so the suite's server
// speaks that version's wire; [extension] scenarios run once, at the suite's default. A run is
// named "<scenario>@<version>" ("@extension" for extensions). It passes when the suite's exit code
// is 0: no failed check, no warning, the client exited 0 within the timeout.
//
// Exit code 1 when a run not in the baseline fails, when a baselined run passes (the baseline must
// stay true: remove the entry), or when the baseline names a run the suite no longer has.
// Environment: CONFORMANCE_JOBS (parallel runs, default 3), CONFORMANCE_TIMEOUT_MS (per run, default 20000).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const cli = join(here, "node_modules/@modelcontextprotocol/conformance/dist/index.js");
const clientPath = join(here, "client.mjs");
const loopback = pathToFileURL(join(here, "loopback.mjs")).href; // the suite's servers bind 127.0.0.1 only
const resultsDir = join(root, "target/conformance");
const jobs = Number(process.env.CONFORMANCE_JOBS ?? 3);
const timeoutMs = Number(process.env.CONFORMANCE_TIMEOUT_MS ?? 20_000);
const filters = process.argv.slice(2);

function fail(message) {
  console.error(`test-conformance: ${message}`);
  process.exit(1);
}

if (Number(process.versions.node.split(".")[0]) < 22) fail(`needs Node >= 22 (the suite does), this is ${process.version}`);
if (!existsSync(cli)) fail("the conformance suite is not installed in tests/conformance; run 'make setup'");
if (!existsSync(join(here, "node_modules/mcp-edge-pool/package.json"))) {
  fail("mcp-edge-pool is not installed in tests/conformance; run scripts/test-conformance.sh");
}
// The suite splits --command on spaces.
if (/\s/.test(process.execPath + clientPath)) fail("the paths of node and client.mjs must not contain spaces");

/** Runs `node <cli> ...args`; resolves { code, stdout, stderr }. */
function runCli(args, killAfterMs) {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", loopback, cli, ...args], { stdio: ["ignore", "pipe", "pipe"], env: process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = killAfterMs && setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? (signal ? `killed by ${signal}` : -1), stdout, stderr });
    });
  });
}

/** The client scenarios the installed suite lists, each with the versions it applies to. */
async function listScenarios() {
  const { code, stdout, stderr } = await runCli(["list", "--client"], 60_000);
  if (code !== 0) fail(`'conformance list --client' failed (${code}): ${stderr}`);
  const out = [];
  for (const line of stdout.split("\n")) {
    const m = /^\s*-\s+(\S+)\s+\[([^\]]*)\]\s*$/.exec(line);
    if (m) out.push({ name: m[1], tags: m[2].split(",").map((s) => s.trim()) });
  }
  if (out.length === 0) fail(`'conformance list --client' listed no scenario:\n${stdout}`);
  return out;
}

/** The checks of one run, from the checks.json the suite wrote ([] if none). */
function readChecks(dir) {
  // The suite writes <dir>/<scenario>-<time>/checks.json; "auth/x" makes that two levels deep.
  const file = existsSync(dir) && readdirSync(dir, { recursive: true }).find((f) => f.endsWith("checks.json"));
  return file ? JSON.parse(readFileSync(join(dir, file), "utf8")) : [];
}

async function runOne(run, index) {
  const dir = join(resultsDir, String(index).padStart(3, "0"));
  const args = ["client", "--command", `${process.execPath} ${clientPath}`, "--scenario", run.scenario];
  args.push("--timeout", String(timeoutMs), "-o", dir);
  if (run.version !== "extension") args.push("--spec-version", run.version);
  const started = Date.now();
  const { code, stdout, stderr } = await runCli(args, timeoutMs + 30_000);
  const output = stdout + stderr;
  const skipped = /SKIPPED: scenario/.test(output);
  const checks = readChecks(dir);
  const problems = checks
    .filter((c) => c.status === "FAILURE" || c.status === "WARNING")
    .map((c) => `${c.status === "WARNING" ? "warning " : ""}${c.id}${c.errorMessage ? `: ${c.errorMessage}` : ""}`);
  // A run whose checks were all skipped (the client never did what the scenario observes) proves
  // nothing: the suite exits 0 for it, we do not count it as a pass.
  const succeeded = checks.filter((c) => c.status === "SUCCESS" && c.id !== "wire-schema-valid").length;
  if (code === 0 && succeeded === 0) {
    const skippedChecks = checks.filter((c) => c.status === "SKIPPED");
    problems.push(`no check succeeded${skippedChecks.length ? ` (skipped: ${skippedChecks.map((c) => `${c.id}: ${c.description}`).join("; ")})` : ""}`);
  }
  if (code !== 0 && problems.length === 0) {
    if (/Client timed out/.test(output)) problems.push(`client timed out after ${timeoutMs} ms`);
    else if (/Client exited with code/.test(output)) problems.push("client exited with an error");
    else problems.push(`suite exited with ${code}`);
  }
  const clientError = /\[client [^\]]*\] failed: (.*)/.exec(output)?.[1];
  if (clientError && code !== 0) problems.push(`client: ${clientError.trim()}`);
  return { ...run, pass: code === 0 && !skipped && succeeded > 0, skipped, problems, ms: Date.now() - started, dir };
}

const baselineFile = join(here, "baseline.json");
const baseline = JSON.parse(readFileSync(baselineFile, "utf8")).failures ?? {};

const scenarios = await listScenarios();
const runs = [];
for (const { name, tags } of scenarios) {
  const versions = tags.includes("extension") ? ["extension"] : tags;
  for (const version of versions) {
    const key = `${name}@${version}`;
    if (filters.length === 0 || filters.some((f) => key.includes(f))) runs.push({ key, scenario: name, version });
  }
}
if (runs.length === 0) fail(`no run matches ${filters.join(" ")}`);

rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });
console.log(`test-conformance: ${scenarios.length} client scenarios, ${runs.length} runs, ${jobs} at a time`);

const results = new Array(runs.length);
let next = 0;
await Promise.all(
  Array.from({ length: Math.max(1, jobs) }, async () => {
    while (next < runs.length) {
      const i = next++;
      results[i] = await runOne(runs[i], i);
      const r = results[i];
      console.log(`  ${r.pass ? "pass" : "FAIL"} ${r.key} (${r.ms} ms)${r.pass ? "" : `: ${r.problems[0] ?? ""}`}`);
    }
  }),
);

const unexpected = results.filter((r) => !r.pass && !(r.key in baseline));
const stale = results.filter((r) => r.pass && r.key in baseline);
const known = results.filter((r) => !r.pass && r.key in baseline);
const missing = filters.length ? [] : Object.keys(baseline).filter((k) => !runs.some((r) => r.key === k));
const passed = results.filter((r) => r.pass).length;

console.log(`\ntest-conformance: ${passed}/${results.length} runs pass; ${known.length} known failures (baseline.json)`);
for (const r of known) console.log(`  known   ${r.key}: ${baseline[r.key]}`);
for (const r of unexpected) {
  console.log(`  NEW FAILURE ${r.key} (results: ${r.dir})`);
  for (const p of r.problems.slice(0, 8)) console.log(`      ${p.slice(0, 400)}`);
}
for (const r of stale) console.log(`  NOW PASSES ${r.key}: remove it from baseline.json`);
for (const k of missing) console.log(`  NOT RUN ${k}: the suite has no such run any more; remove it from baseline.json`);
if (unexpected.length || stale.length || missing.length) {
  console.log(`test-conformance: FAILED (${unexpected.length} new failures, ${stale.length} stale and ${missing.length} unknown baseline entries)`);
  process.exit(1);
}
console.log("test-conformance: ok (every failure is in the baseline, every baselined run fails)");
