// The package under Bun and Deno (both from tests/js, pinned), imported by name from this scratch
// project as their users would. Both take the package's Node entry (the "node" export condition
// comes first). Deno loads the package's undici from node_modules, so its pool sends through the
// Node client by default, or through Deno's fetch with `httpClient: "fetch"`. Bun answers every
// import of "undici" with its own small layer over its fetch (no dispatchers), so the Node entry
// installs no Node client there: "auto" is Bun's fetch, and "node" is refused. Each client against
// the real TS SDK server: concurrent calls, an SSE answer with progress, an abort mid-call, a
// refused connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { serverFor, startTsServer } from './helpers.mjs';

const bin = (name) => new URL(`../js/node_modules/.bin/${name}`, import.meta.url).pathname;
const RUNTIMES = [
  { name: 'Bun', bin: bin('bun'), args: (script) => ['--eval', script], global: 'Bun', auto: 'fetch', node: 'INVALID_CONFIG' },
  { name: 'Deno', bin: bin('deno'), args: (script) => ['eval', script], global: 'Deno', auto: 'node', node: 'node' },
];
const execFileP = promisify(execFile);

for (const runtime of RUNTIMES) test(`${runtime.name}: its HTTP clients call, stream progress, abort and report a refused connection`, async (t) => {
  assert.ok(existsSync(runtime.bin), `${runtime.name} is installed by 'make setup' (${runtime.bin})`);
  const server = await serverFor(t, { start: () => startTsServer() });
  const closed = http.createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const downUrl = `http://127.0.0.1:${closed.address().port}/mcp`;
  await new Promise((r) => closed.close(r));
  const script = `
    import { McpPool } from 'mcp-edge-pool';
    const out = { runtime: typeof ${runtime.global} === 'object' };
    try { out.node = new McpPool({ httpClient: 'node' }).httpClient; } catch (e) { out.node = e.code; }
    for (const httpClient of ['auto', 'fetch']) {
      const pool = new McpPool({ httpClient, circuitBreakerThreshold: 0 });
      const r = { client: pool.httpClient };
      pool.registerHttp('s', ${JSON.stringify(server.url)});
      pool.registerHttp('down', ${JSON.stringify(downUrl)});
      r.texts = await Promise.all(Array.from({ length: 8 }, async (_, i) => {
        const c = await pool.get('s');
        try { return (await c.callTool('echo', { message: 'm' + i })).content[0].text; } finally { c.release(); }
      }));
      const c = await pool.get('s');
      r.progress = [];
      await c.callTool('progress', { steps: 3, ms: 10 }, { onProgress: (p) => r.progress.push(p.progress) });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const started = Date.now();
      r.abort = await c.callTool('slow', { ms: 5000 }, { signal: controller.signal }).then(() => 'answered', (e) => e.code);
      r.abortFast = Date.now() - started < 3000;
      r.after = (await c.callTool('echo', { message: 'after' })).content[0].text;
      c.release();
      r.down = await pool.get('down').then(() => 'connected', (e) => e.code);
      r.stats = pool.stats().leases;
      await pool.close();
      out[httpClient] = r;
    }
    console.log(JSON.stringify(out));`;
  // Asynchronously: the server lives in this process's children, and the test's event loop must run.
  const { stdout } = await execFileP(runtime.bin, runtime.args(script), {
    cwd: new URL('.', import.meta.url).pathname, encoding: 'utf8', timeout: 30000,
    // Nothing but the loopback server: no update checks, no telemetry.
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', DO_NOT_TRACK: '1' },
  });
  const out = JSON.parse(stdout.trim().split('\n').pop());
  assert.equal(out.runtime, true, `ran under ${runtime.name}`);
  assert.equal(out.node, runtime.node, `httpClient "node" under ${runtime.name}`);
  for (const [httpClient, client] of [['auto', runtime.auto], ['fetch', 'fetch']]) {
    const r = out[httpClient];
    assert.equal(r.client, client, `${httpClient}: the client ${runtime.name} gets`);
    assert.deepEqual(r.texts, Array.from({ length: 8 }, (_, i) => `m${i}`), `${httpClient}: concurrent calls`);
    assert.deepEqual(r.progress, [1, 2, 3], `${httpClient}: progress over SSE`);
    assert.equal(r.abort, 'ABORTED', `${httpClient}: abort`);
    assert.equal(r.abortFast, true, `${httpClient}: the abort did not wait for the server`);
    assert.equal(r.after, 'after', `${httpClient}: the call after the abort`);
    assert.equal(r.down, 'CONNECT_FAILED', `${httpClient}: refused connection`);
    assert.equal(r.stats, 0, `${httpClient}: no lease left`);
  }
});
