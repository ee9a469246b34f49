// The pool's two HTTP clients in Node (issues #5, #17): the Node client on undici's request API
// (js/node_undici.mjs, installed by the package's Node entry, the default) and the global fetch
// (`httpClient: "fetch"`). Which one a pool uses, that each really is the one used, and that they
// behave alike against the real TS SDK server: SSE answers with progress, abort mid-stream,
// refused connections, refused headers, encoded bodies, TLS. bodies.test.mjs, hostile.test.mjs and
// http1.test.mjs run their cases through both as well; proxy.test.mjs covers HTTP_PROXY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import zlib from 'node:zlib';
import { McpPool } from 'mcp-edge-pool';
import { poolFor, rejectsWith, throwsWith, serverFor, startTsServer, recordingProxy, defer, sleep, unhandledRejections } from './helpers.mjs';

const TS = { start: () => startTsServer() };
const execFileP = promisify(execFile);

test('httpClient: the Node client by default in Node, fetch on request, and a clear error for anything else', (t) => {
  assert.equal(poolFor(t).httpClient, 'node');
  assert.equal(poolFor(t, { httpClient: 'auto' }).httpClient, 'node');
  assert.equal(poolFor(t, { httpClient: 'node' }).httpClient, 'node');
  assert.equal(poolFor(t, { httpClient: 'fetch' }).httpClient, 'fetch');
  const e = throwsWith(() => new McpPool({ httpClient: 'undici' }), 'INVALID_CONFIG');
  assert.match(e.message, /httpClient/);
  throwsWith(() => new McpPool({ httpClient: 7 }), 'INVALID_CONFIG');
});

test('each client really is the one used: the global fetch is called only with httpClient "fetch"', async (t) => {
  const server = await serverFor(t, TS);
  const original = globalThis.fetch;
  let calls = 0;
  globalThis.fetch = (...args) => {
    calls++;
    return original(...args);
  };
  defer(t, () => { globalThis.fetch = original; });
  for (const [httpClient, expectFetch] of [['node', false], ['fetch', true]]) {
    calls = 0;
    const pool = poolFor(t, { httpClient });
    pool.registerHttp('s', server.url);
    const c = await pool.get('s');
    assert.deepEqual(await c.callTool('echo', { message: 'hi' }), { content: [{ type: 'text', text: 'hi' }] });
    c.release();
    await pool.close();
    if (expectFetch) assert.ok(calls >= 3, `fetch carried initialize, initialized, the call and DELETE (${calls} calls)`);
    else assert.equal(calls, 0, 'the Node client carried every request');
  }
});

test('the Node client sends what fetch sends: the same MCP headers and body', async (t) => {
  const server = await serverFor(t, TS);
  const seen = {};
  for (const httpClient of ['node', 'fetch']) {
    const proxy = await recordingProxy(server.url);
    defer(t, () => proxy.close());
    const pool = poolFor(t, { httpClient });
    pool.registerHttp('s', proxy.url, { headers: { Authorization: 'Bearer abc', 'X-Trace': 'one' } });
    const c = await pool.get('s');
    await c.callTool('echo', { message: 'hi' });
    c.release();
    const call = proxy.requests.find((r) => r.body.includes('tools/call'));
    assert.ok(call, `${httpClient}: the call went through the proxy`);
    const h = call.headers;
    seen[httpClient] = {
      method: call.method,
      body: JSON.parse(call.body).params,
      headers: ['accept', 'content-type', 'mcp-session-id', 'mcp-protocol-version', 'authorization', 'x-trace'].map((n) => [n, typeof h[n]]),
      auth: h.authorization,
      length: Number(h['content-length']),
    };
    assert.equal(seen[httpClient].length, Buffer.byteLength(call.body), `${httpClient}: content-length is the body's`);
  }
  assert.deepEqual(seen.node.headers, seen.fetch.headers);
  assert.ok(seen.node.headers.every(([, type]) => type === 'string'), 'every MCP header is sent');
  assert.equal(seen.node.auth, 'Bearer abc');
  assert.deepEqual(seen.node.body, seen.fetch.body);
});

for (const httpClient of ['node', 'fetch']) {
  test(`[${httpClient}] an SSE answer streams its progress, and an abort mid-stream ends the request at once`, async (t) => {
    const unhandled = unhandledRejections(t);
    const server = await serverFor(t, TS);
    const pool = poolFor(t, { httpClient });
    pool.registerHttp('s', server.url);
    const c = await pool.get('s');
    const seen = [];
    const result = await c.callTool('progress', { steps: 3, ms: 10 }, { onProgress: (p) => seen.push(p.progress) });
    assert.deepEqual(seen, [1, 2, 3]);
    assert.ok(result.content.length > 0);
    const controller = new AbortController();
    const started = Date.now();
    const slow = c.callTool('slow', { ms: 5000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await rejectsWith(slow, 'ABORTED');
    assert.ok(Date.now() - started < 3000, 'the abort did not wait for the server');
    assert.deepEqual(await c.callTool('echo', { message: 'after' }), { content: [{ type: 'text', text: 'after' }] });
    c.release();
    await sleep(50);
    assert.deepEqual(unhandled.describe(), [], 'no unhandled promise rejection');
  });

  test(`[${httpClient}] a refused connection is CONNECT_FAILED naming the cause; obs-text header values go out`, async (t) => {
    const closed = http.createServer();
    await new Promise((r) => closed.listen(0, '127.0.0.1', r));
    const port = closed.address().port;
    await new Promise((r) => closed.close(r));
    const pool = poolFor(t, { httpClient, circuitBreakerThreshold: 0 });
    pool.registerHttp('down', `http://127.0.0.1:${port}/mcp`);
    const down = await rejectsWith(pool.get('down'), 'CONNECT_FAILED', { server: 'down' });
    assert.match(down.message, /ECONNREFUSED/);
    const server = await serverFor(t, TS);
    const proxy = await recordingProxy(server.url);
    defer(t, () => proxy.close());
    pool.registerHttp('latin1', proxy.url, { headers: { 'x-name': 'caf\u00e9\tok' } });
    const c = await pool.get('latin1');
    c.release();
    const sent = proxy.requests[0].headers['x-name'];
    assert.equal(sent, 'caf\u00e9\tok', 'sent as the bytes of latin-1, as fetch sends a ByteString');
  });
}

/**
 * The request handler of a minimal MCP server: initialize, 202 for notifications, `answer(msg)` as
 * the result of any other request; `send(req, res, body)` writes each JSON-RPC answer.
 */
function mcpHandler(name, answer, send) {
  return async (req, res) => {
    if (req.method === 'DELETE') { res.writeHead(200); return res.end(); }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (msg.id === undefined) { res.writeHead(202); return res.end(); }
    const result = msg.method === 'initialize'
      ? { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name, version: '0' } }
      : answer(msg);
    send(req, res, Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result })));
  };
}

const ENCODE = { gzip: zlib.gzipSync, deflate: zlib.deflateSync, br: zlib.brotliCompressSync };

for (const httpClient of ['node', 'fetch']) {
  for (const [coding, encode] of Object.entries(ENCODE)) {
    test(`[${httpClient}] a ${coding} body (the caller asked for it with Accept-Encoding) is decoded`, async (t) => {
      let encoded = 0;
      const answer = () => ({ content: [{ type: 'text', text: 'z'.repeat(50_000) }] });
      const server = http.createServer(mcpHandler(coding, answer, (req, res, body) => {
        const headers = { 'content-type': 'application/json', 'mcp-session-id': `${coding}-1` };
        if (new RegExp(`\\b${coding}\\b`).test(req.headers['accept-encoding'] ?? '')) {
          encoded++;
          res.writeHead(200, { ...headers, 'content-encoding': coding });
          return res.end(encode(body));
        }
        res.writeHead(200, headers);
        res.end(body);
      }));
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      defer(t, () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
      const pool = poolFor(t, { httpClient });
      pool.registerHttp('s', `http://127.0.0.1:${server.address().port}/mcp`, { headers: { 'Accept-Encoding': coding } });
      const c = await pool.get('s');
      const result = await c.callTool('big', {});
      c.release();
      assert.equal(result.content[0].text, 'z'.repeat(50_000));
      assert.ok(encoded >= 2, `the server sent ${coding} (${encoded} times)`);
    });
  }
}

/** A self-signed certificate for 127.0.0.1 made with the openssl CLI, or null without one. */
function selfSignedCert(dir) {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  return r.status === 0 ? { key: readFileSync(key), cert: readFileSync(cert), certFile: cert } : null;
}

test('https: both clients reach an MCP server over TLS (trusting its certificate through NODE_EXTRA_CA_CERTS)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-edge-pool-tls-'));
  defer(t, () => rmSync(dir, { recursive: true, force: true }));
  const tls = selfSignedCert(dir);
  if (!tls) return t.skip('no openssl CLI to make a certificate');
  const answer = (msg) => ({ content: [{ type: 'text', text: `over tls: ${msg.params?.arguments?.message}` }] });
  const server = https.createServer({ key: tls.key, cert: tls.cert }, mcpHandler('tls', answer, (req, res, body) => {
    res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'tls-1' });
    res.end(body);
  }));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const url = `https://127.0.0.1:${server.address().port}/mcp`;
  // A child process, since NODE_EXTRA_CA_CERTS is read at startup; it imports the package as a user does.
  const script = `
    import { McpPool } from 'mcp-edge-pool';
    const out = {};
    for (const httpClient of ['node', 'fetch']) {
      const pool = new McpPool({ httpClient });
      pool.registerHttp('s', ${JSON.stringify(url)});
      const c = await pool.get('s');
      out[httpClient] = (await c.callTool('echo', { message: httpClient })).content[0].text;
      c.release();
      await pool.close();
    }
    const untrusted = new McpPool({ circuitBreakerThreshold: 0 });
    untrusted.registerHttp('s', ${JSON.stringify(url)}, { headers: { 'x-case': 'untrusted' } });
    out.code = process.env.NODE_EXTRA_CA_CERTS ? 'trusted' : await untrusted.get('s').then(() => 'no error', (e) => e.code);
    console.log(JSON.stringify(out));`;
  // Asynchronously: the server lives in this process, so its event loop must keep running.
  const run = (source, env) => execFileP(process.execPath, ['--input-type=module', '-e', source], {
    cwd: new URL('.', import.meta.url), env, encoding: 'utf8', timeout: 20000,
  }).then(({ stdout }) => JSON.parse(stdout.trim().split('\n').pop()));
  const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
  const out = await run(script, { ...env, NODE_EXTRA_CA_CERTS: tls.certFile });
  assert.equal(out.node, 'over tls: node');
  assert.equal(out.fetch, 'over tls: fetch');
  const refused = await run(script.replace(/for \(const httpClient[\s\S]*?\n    }\n/, ''), env);
  assert.equal(refused.code, 'CONNECT_FAILED', 'an untrusted certificate is refused');
});

test('https: the Node client resumes TLS sessions on new connections to the same origin', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-edge-pool-tls-'));
  defer(t, () => rmSync(dir, { recursive: true, force: true }));
  const tls = selfSignedCert(dir);
  if (!tls) return t.skip('no openssl CLI to make a certificate');
  const seen = { connections: 0, resumed: 0 };
  const answer = (msg) => ({ content: [{ type: 'text', text: `tls ${msg.params?.arguments?.message}` }] });
  // Every answer closes its connection, so every request needs a new TLS handshake.
  const server = https.createServer({ key: tls.key, cert: tls.cert }, mcpHandler('tls', answer, (req, res, body) => {
    res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'tls-2', connection: 'close' });
    res.end(body);
  }));
  server.on('secureConnection', (socket) => {
    seen.connections++;
    if (socket.isSessionReused()) seen.resumed++;
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const url = `https://127.0.0.1:${server.address().port}/mcp`;
  const script = `
    import { McpPool } from 'mcp-edge-pool';
    const pool = new McpPool({ httpClient: 'node' });
    pool.registerHttp('s', ${JSON.stringify(url)});
    const c = await pool.get('s');
    const texts = [];
    for (let i = 0; i < 4; i++) {
      texts.push((await c.callTool('echo', { message: i })).content[0].text);
      await new Promise((r) => setTimeout(r, 20));
    }
    c.release();
    await pool.close();
    console.log(JSON.stringify(texts));`;
  const { stdout } = await execFileP(process.execPath, ['--input-type=module', '-e', script], {
    cwd: new URL('.', import.meta.url), env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.certFile }, encoding: 'utf8', timeout: 20000,
  });
  assert.deepEqual(JSON.parse(stdout.trim().split('\n').pop()), ['tls 0', 'tls 1', 'tls 2', 'tls 3']);
  assert.ok(seen.connections >= 6, `one TLS connection per request (${seen.connections})`);
  assert.ok(seen.resumed >= seen.connections - 2, `sessions resumed on ${seen.resumed} of ${seen.connections} connections`);
});
