// A large argument and a large answer cost the wasm memory a small multiple of their size, not one
// copy per layer: the memory of a wasm instance only ever grows, and in a Worker it counts against
// the isolate's limit. Each case runs in a fresh child `node` (a memory that earlier calls already
// grew would hide growth) that imports the installed package by name, against an echo server here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defer } from './helpers.mjs';

const HERE = fileURLToPath(new URL('./', import.meta.url)); // resolves "mcp-edge-pool" from tests/node/node_modules
const MiB = 1024 * 1024;
const SIZE = 4 * MiB;

/** initialize, 202 for notifications, and tools/call echo answering `arguments.message` (JSON). */
async function echoServer(t) {
  const server = http.createServer(async (req, res) => {
    if (req.method !== 'POST') { res.writeHead(405); return res.end(); }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (msg.id === undefined) { res.writeHead(202); return res.end(); }
    const result = msg.method === 'initialize'
      ? { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'echo', version: '0' } }
      : { content: [{ type: 'text', text: String(msg.params?.arguments?.message ?? '') }] };
    res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'one' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return `http://127.0.0.1:${server.address().port}/mcp`;
}

const CHILD = `
  import { McpPool } from 'mcp-edge-pool';
  import { initSync } from 'mcp-edge-pool/web';
  const wasm = initSync(); // the entry initialised it: its exports, the memory among them
  const options = process.env.HTTP_CLIENT === 'fetch' ? { httpClient: 'fetch' } : {};
  const pool = new McpPool(options);
  pool.registerHttp('s', process.env.URL, { era: 'legacy' });
  const client = await pool.get('s');
  await client.callTool('echo', { message: 'warm' });
  const before = wasm.memory.buffer.byteLength;
  const size = Number(process.env.SIZE);
  const result = await client.callTool('echo', { message: 'x'.repeat(size) });
  const after = wasm.memory.buffer.byteLength;
  client.release();
  await pool.close();
  console.log(JSON.stringify({ before, after, echoed: result.content[0].text.length }));
`;

function runChild(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      cwd: HERE, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the child did not exit\n${stderr}`)); }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`the child exited with ${code}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
    });
  });
}

for (const httpClient of ['undici', 'fetch']) {
  test(`[${httpClient}] a 4 MiB argument and its 4 MiB answer grow the wasm memory by less than 5 times their size`, async (t) => {
    const url = await echoServer(t);
    const { before, after, echoed } = await runChild({ URL: url, SIZE: String(SIZE), HTTP_CLIENT: httpClient });
    assert.equal(echoed, SIZE, 'the answer came back whole');
    const grown = (after - before) / MiB;
    t.diagnostic(`wasm memory ${(before / MiB).toFixed(1)} -> ${(after / MiB).toFixed(1)} MiB (+${grown.toFixed(1)})`);
    // Each side needs the text once and, briefly, a second time (the arguments as JSON and the
    // request around them; the body and the result in it): about 4 times in all with the
    // allocator's slack. One copy per layer (a redirect's clone, a buffer grown by doubling, the
    // body copied per attempt) was 6 times (+24 MiB).
    assert.ok(grown < 5 * SIZE / MiB, `the wasm memory grew by ${grown.toFixed(1)} MiB for ${SIZE / MiB} MiB each way`);
  });
}
