// Start the real MCP server fixtures (tests/servers/) from Node tests.
//   const s = await startTsServer({ json: false }); ... s.url ... await s.stop();
//   const p = await startPyServer({ stateless: false });
// Each handle: { url, port, stats(), reset(), expire(), stop(), restart() } (restart keeps the port).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVERS = `${ROOT}tests/servers/`;
const PYTHON = process.env.PYTHON || `${ROOT}.venv/bin/python`;
const START_TIMEOUT_MS = 20_000;

const live = new Set(); // child processes still running
process.on('exit', () => { for (const c of live) c.kill('SIGKILL'); });
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => { for (const c of live) c.kill('SIGKILL'); process.exit(128 + (sig === 'SIGINT' ? 2 : 15)); });
}

// Spawns `cmd args... --port <port>` and resolves { child, port } once it prints "LISTENING <port>".
function launch(cmd, args, port) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let out = '', err = '';
    const fail = (why) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: ${why}\n--- stderr ---\n${err}`));
    };
    const timer = setTimeout(() => fail(`no "LISTENING <port>" within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.stderr.setEncoding('utf8').on('data', (d) => { err = (err + d).slice(-16_384); });
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /^LISTENING (\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.removeAllListeners('data').resume();
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('error', (e) => fail(e.message));
    child.on('exit', (code, signal) => {
      live.delete(child);
      fail(`exited (code ${code}, signal ${signal}) before listening`); // no-op once resolved
    });
  });
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  });
}

async function start(cmd, args, hooks) {
  let { child, port } = await launch(cmd, args, 0);
  const base = `http://127.0.0.1:${port}`;
  const hook = async (method, path) => {
    if (!hooks.includes(path)) throw new Error(`${path} is not offered by this fixture`);
    const res = await fetch(base + path, { method });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}`);
    return res.json();
  };
  return {
    url: `${base}/mcp`,
    port,
    stats: () => hook('GET', '/__stats'),
    reset: () => hook('POST', '/__reset'),
    expire: () => hook('POST', '/__expire'),
    stop: () => stopChild(child),
    async restart() {
      await stopChild(child);
      ({ child } = await launch(cmd, args, port));
    },
  };
}

/**
 * TS SDK server (tests/servers/ts_server.mjs). json: answer in JSON instead of SSE.
 * resumable: an event store (event ids, GET + Last-Event-ID resumes), retryMs: its `retry:`.
 * sseLegacy: the old HTTP+SSE transport (2024-11-05) only; sseCrossOrigin: naming an endpoint
 * on another origin.
 */
export function startTsServer({ json = false, resumable = false, retryMs, sseLegacy = false, sseCrossOrigin = false } = {}) {
  const args = [
    `${SERVERS}ts_server.mjs`,
    ...(json ? ['--json'] : []),
    ...(resumable ? ['--resumable'] : []),
    ...(retryMs !== undefined ? ['--retry-ms', String(retryMs)] : []),
    ...(sseLegacy ? ['--sse-legacy'] : []),
    ...(sseCrossOrigin ? ['--sse-cross-origin'] : []),
  ];
  return start(process.execPath, args, ['/__stats', '/__reset', '/__expire']);
}

/**
 * Python SDK server (tests/servers/py_server.py). stateless: no session, JSON answers.
 * modernOnly: serves only that era (session-era requests refused with 400 / -32022).
 * modern: also serves the stateless 2026-07-28 era (mcp 2.x's default); without it the fixture
 * answers a 2026-07-28 request as a session-era server does, so the pool falls back to initialize.
 */
export function startPyServer({ stateless = false, modern = false, modernOnly = false } = {}) {
  const flags = [...(stateless ? ['--stateless'] : []), ...(modern ? ['--modern'] : []), ...(modernOnly ? ['--modern-only'] : [])];
  const args = [`${SERVERS}py_server.py`, ...flags];
  return start(PYTHON, args, ['/__stats', '/__reset']);
}
