// The pool never keeps a Node process alive: the health loop's timer is unref'd, a pool that was
// never closed lets the process exit, and close() leaves no timer at all behind.
// Each scenario runs in a child `node` process that imports the installed package by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FLAVOURS, serverFor } from './helpers.mjs';

const HERE = fileURLToPath(new URL('./', import.meta.url)); // resolves "mcp-edge-pool" from tests/node/node_modules
const LIMIT_MS = 10_000;

/** Runs an ES module script in a child node; resolves { code, signal, ms, stdout, stderr } or fails after LIMIT_MS. */
function runChild(script, env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: HERE, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child process did not exit within ${LIMIT_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, LIMIT_MS);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, ms: Date.now() - t0, stdout, stderr }); });
  });
}

// Counts the timers the package itself arms (setTimeout called from its glue code), live = armed,
// not yet fired, not cleared; installed before the package is imported.
const TRACK_TIMERS = `
  const live = new Map();
  const { setTimeout: st, clearTimeout: ct } = globalThis;
  globalThis.setTimeout = function (fn, ms, ...rest) {
    const mine = /mcp_edge_pool/.test(new Error().stack);
    let handle;
    handle = st.call(this, (...a) => { live.delete(handle); fn(...a); }, ms, ...rest);
    if (mine) live.set(handle, ms);
    return handle;
  };
  globalThis.clearTimeout = function (h) { live.delete(h); return ct.call(this, h); };
  globalThis.__liveLibraryTimers = () => [...live.values()];
  const refTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
`;

const USE_AND_LEAVE = (options) => `
  const { McpPool } = await import('mcp-edge-pool');
  const pool = new McpPool(${JSON.stringify(options)});
  pool.registerHttp('s', process.env.SERVER_URL);
  const c = await pool.get('s');
  const r = await c.callTool('echo', { message: 'bye' });
  c.release();
  if (${options.healthCheckIntervalMs ?? 0} > 0) await new Promise((res) => st(res, 350)); // let the loop run a few passes
  console.log(JSON.stringify({ text: r.content[0].text, stats: pool.stats(), libraryTimers: __liveLibraryTimers() }));
  // no pool.close(): the process must still exit by itself
`;

for (const flavour of FLAVOURS) {
  for (const options of [{}, { healthCheckIntervalMs: 100 }]) {
    const label = options.healthCheckIntervalMs ? 'health loop every 100 ms' : 'default health interval (30 s)';
    test(`${flavour.name}: a process that never calls close() exits by itself (${label})`, async (t) => {
      const server = await serverFor(t, flavour);
      const out = await runChild(TRACK_TIMERS + USE_AND_LEAVE(options), { SERVER_URL: server.url });
      assert.equal(out.code, 0, `exit code (stderr: ${out.stderr})`);
      const report = JSON.parse(out.stdout);
      assert.equal(report.text, 'bye');
      assert.equal(report.stats.idleConnections, 1);
      if (options.healthCheckIntervalMs) {
        assert.ok(report.stats.healthChecksPassed >= 1, 'the health loop ran in the child');
        assert.ok(report.libraryTimers.length >= 1, 'the health loop timer was armed (and unref\'d)');
      }
      t.diagnostic(`exited after ${out.ms} ms; library timers still armed at the end: ${JSON.stringify(report.libraryTimers)}`);
      assert.ok(out.ms < LIMIT_MS);
    });
  }
}

for (const options of [{}, { healthCheckIntervalMs: 100, idleTimeoutMs: 60_000, requestTimeoutMs: 30_000, acquireTimeoutMs: 30_000 }]) {
  test(`TS SDK: after close() no timer of the package is left, referenced or not (${JSON.stringify(options)})`, async (t) => {
    const server = await serverFor(t, FLAVOURS[0]);
    const script = TRACK_TIMERS + `
      const { McpPool } = await import('mcp-edge-pool');
      const pool = new McpPool(${JSON.stringify(options)});
      pool.registerHttp('s', process.env.SERVER_URL);
      const clients = await Promise.all([pool.get('s'), pool.get('s'), pool.get('s')]);
      await Promise.all(clients.map((c) => c.callTool('slow', { ms: 20 })));
      const aborted = await clients[0].callTool('slow', { ms: 5000 }, { timeoutMs: 50 }).catch((e) => e.code);
      clients.forEach((c) => c.release());
      await new Promise((res) => st(res, 300));
      const before = __liveLibraryTimers();
      await pool.close();
      await new Promise((res) => st(res, 50));
      console.log(JSON.stringify({ aborted, before, after: __liveLibraryTimers(), refTimers: refTimers(), closed: pool.closed }));
    `;
    const out = await runChild(script, { SERVER_URL: server.url });
    assert.equal(out.code, 0, `exit code (stderr: ${out.stderr})`);
    const report = JSON.parse(out.stdout);
    t.diagnostic(`library timers before close: ${JSON.stringify(report.before)}, after: ${JSON.stringify(report.after)}; child exited after ${out.ms} ms`);
    assert.equal(report.aborted, 'REQUEST_TIMEOUT');
    assert.equal(report.closed, true);
    assert.deepEqual(report.after, [], 'no timer armed by the package survives close()');
    assert.equal(report.refTimers, 0, 'no referenced timer keeps the process alive');
    assert.equal((await server.stats()).sessions, 0, 'close() ended the sessions');
  });
}

test('a process whose server is unreachable exits by itself after the failed get', async () => {
  const script = `
    const { McpPool } = await import('mcp-edge-pool');
    const pool = new McpPool({ healthCheckIntervalMs: 100 });
    pool.registerHttp('s', 'http://127.0.0.1:1/mcp');
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push(await pool.get('s').then(() => 'ok', (e) => e.code));
    console.log(JSON.stringify(codes));
  `;
  const out = await runChild(script);
  assert.equal(out.code, 0, `exit code (stderr: ${out.stderr})`);
  const codes = JSON.parse(out.stdout);
  assert.equal(codes[0], 'CONNECT_FAILED');
  assert.ok(codes.every((c) => c === 'CONNECT_FAILED' || c === 'CIRCUIT_OPEN'), JSON.stringify(codes));
});
