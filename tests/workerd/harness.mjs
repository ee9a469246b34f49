// Shared by the workerd tests (not a test file itself): child processes that are always killed,
// free ports, polling, building the worker (build.mjs) and starting workerd on it.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, "../..");
export const WORKERD = [
  process.env.WORKERD_BIN,
  path.join(root, "tests/js/node_modules/.bin/workerd"),
  path.join(root, "tests/js/node_modules/@cloudflare/workerd-linux-64/bin/workerd"),
].find((p) => p && fs.existsSync(p));

/** Lines in workerd's output that mean the pool broke a Workers rule. */
export const FORBIDDEN = [
  /Cannot perform I\/O on behalf of a different request/i,
  /promise was created by a request that has since ended/i,
  /Disallowed operation called within global scope/i,
  /uncaught/i,
  /unhandled (promise )?rejection/i,
  /The Workers runtime canceled this request because it detected that your Worker's code had hung/i,
];

/** The lines of `text` that match a FORBIDDEN pattern. */
export const forbiddenLines = (text) => text.split("\n").filter((l) => FORBIDDEN.some((re) => re.test(l)));

const children = [];

/** Spawns a child that is always killed at the end; `out` collects its output as it comes. */
export function start(cmd, args, options) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  const out = { stdout: "", stderr: "", exited: null, get text() { return `${this.stdout}${this.stderr}`; } };
  child.stdout.setEncoding("utf8").on("data", (d) => (out.stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (out.stderr += d));
  child.on("exit", (code, signal) => (out.exited = { code, signal }));
  children.push(child);
  return { child, out };
}

/** Stops one child (SIGTERM, then SIGKILL after 2 s). */
export function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const hard = setTimeout(() => child.kill("SIGKILL"), 2000);
    child.once("exit", () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Stops every child (SIGTERM, then SIGKILL after 2 s). */
export async function stopAll() {
  await Promise.all(
    children.splice(0).map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const hard = setTimeout(() => child.kill("SIGKILL"), 2000);
          child.once("exit", () => {
            clearTimeout(hard);
            resolve();
          });
          child.kill("SIGTERM");
        }),
    ),
  );
}

// Last resort if the runner dies before `after` ran.
function killAllNow() {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch {}
  }
}
process.on("exit", killAllNow);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, () => {
    killAllNow();
    process.exit(130);
  });
}

/** A port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns something truthy; fails early if `proc` exited. */
export async function waitFor(what, fn, timeoutMs, proc) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (proc?.exited) throw new Error(`${what}: the process exited (${JSON.stringify(proc.exited)})\n${proc.text}`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms\n${proc?.text ?? ""}`);
    await sleep(10);
  }
}

/** GET `url` as JSON (or text): { status, body }. */
export async function getJson(url, timeoutMs = 15000) {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

/** Starts an MCP fixture that prints "LISTENING <port>": { out, port, base, url }. */
export async function startFixture(cmd, args) {
  const { out } = start(cmd, args, { cwd: root });
  const port = Number(await waitFor("fixture", () => out.stdout.match(/LISTENING (\d+)/)?.[1], 15000, out));
  const base = `http://127.0.0.1:${port}`;
  return { out, port, base, url: `${base}/mcp` };
}

/** Runs build.mjs with `args` (plus --port); returns its summary line, parsed. */
export function buildWorker(port, args) {
  const built = spawnSync(process.execPath, [path.join(here, "build.mjs"), "--port", String(port), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 300_000,
  });
  assert.equal(built.status, 0, `build.mjs failed:\n${built.stdout}\n${built.stderr}`);
  return JSON.parse(built.stdout.trim().split("\n").at(-1));
}

/** Starts workerd on a built worker and waits until `/stats` answers: { child, out, base, startupMs }. */
export async function startWorkerd(build, port) {
  assert.ok(WORKERD, "workerd binary not found under tests/js/node_modules");
  const t0 = performance.now();
  const { child, out } = start(WORKERD, ["serve", path.basename(build.configPath), "--verbose"], {
    cwd: build.distDir,
    env: { ...process.env, PWD: build.distDir },
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    "workerd",
    async () => {
      try {
        const r = await fetch(`${base}/stats`, { signal: AbortSignal.timeout(1000) });
        await r.arrayBuffer();
        return r.ok;
      } catch {
        return false;
      }
    },
    20000,
    out,
  );
  return { child, out, base, startupMs: performance.now() - t0 };
}
