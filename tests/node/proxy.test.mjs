// Proxies from the environment (the Node client, undici's EnvHttpProxyAgent): a small forward proxy
// of this file's own (node:http on 127.0.0.1) is set as HTTP_PROXY before the first request of this
// process (node --test runs each file in its own process, and the Node client makes its dispatcher
// on its first request). The pool's MCP requests to an http URL reach it in absolute form
// ("POST http://127.0.0.1:…/mcp HTTP/1.1") and still work: JSON and SSE answers, progress, an
// abort, the session's DELETE. NO_PROXY sends a host around it. HTTPS_PROXY tunnels https URLs
// through CONNECT (a child process, which trusts the test's certificate through NODE_EXTRA_CA_CERTS).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import https from 'node:https';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { poolFor, rejectsWith, serverFor, startTsServer, defer, sleep, unhandledRejections } from './helpers.mjs';

const execFileP = promisify(execFile);
const HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * A forward HTTP proxy on 127.0.0.1: forwards absolute-form requests (streaming both ways, so an
 * SSE answer flows through as it comes) and tunnels CONNECT. Records what it forwarded.
 */
async function forwardProxy() {
  const seen = { forwarded: [], tunnels: [] };
  const server = http.createServer((req, res) => {
    let target;
    try {
      target = new URL(req.url);
    } catch {
      res.writeHead(400).end('absolute-form requests only');
      return;
    }
    seen.forwarded.push({ method: req.method, url: req.url, headers: { ...req.headers } });
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
    const up = http.request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers }, (upRes) => {
      const out = {};
      for (const [k, v] of Object.entries(upRes.headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
      res.writeHead(upRes.statusCode, out);
      upRes.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    // The client went away (an abort): so does the upstream request.
    res.on('close', () => { if (!res.writableFinished) up.destroy(); });
    req.pipe(up);
  });
  server.on('connect', (req, socket, head) => {
    seen.tunnels.push(req.url);
    const [host, port] = req.url.split(':');
    // Tunnels to loopback only.
    if (host !== '127.0.0.1') { socket.end('HTTP/1.1 403 Forbidden\r\n\r\n'); return; }
    const up = net.connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

// Before any request of this process: the Node client reads the proxy variables when it makes its
// dispatcher, on its first request.
const proxy = await forwardProxy();
for (const name of ['http_proxy', 'https_proxy', 'no_proxy', 'NO_PROXY', 'HTTPS_PROXY']) delete process.env[name];
process.env.HTTP_PROXY = proxy.url;
after(() => proxy.close());

/** The JSON-RPC methods (or DELETE) the proxy forwarded to `url` since `from`. */
function forwardedTo(url, from = 0) {
  return proxy.seen.forwarded.slice(from).filter((r) => r.url === url).map((r) => r.method);
}

test('HTTP_PROXY: the Node client sends the pool\'s MCP requests through the proxy in absolute form, and they work', async (t) => {
  const unhandled = unhandledRejections(t);
  const server = await serverFor(t, { start: () => startTsServer() });
  const from = proxy.seen.forwarded.length;
  const pool = poolFor(t, { httpClient: 'node' });
  assert.equal(pool.httpClient, 'node');
  pool.registerHttp('s', server.url);
  const c = await pool.get('s');
  const texts = await Promise.all(Array.from({ length: 4 }, (_, i) => c.callTool('echo', { message: `m${i}` }).then((r) => r.content[0].text)));
  assert.deepEqual(texts, ['m0', 'm1', 'm2', 'm3']);
  // An SSE answer streams through the proxy as it comes: progress, then the result.
  const progress = [];
  await c.callTool('progress', { steps: 3, ms: 10 }, { onProgress: (p) => progress.push(p.progress) });
  assert.deepEqual(progress, [1, 2, 3]);
  const controller = new AbortController();
  const slow = c.callTool('slow', { ms: 5000 }, { signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  await rejectsWith(slow, 'ABORTED');
  assert.equal((await c.callTool('echo', { message: 'after' })).content[0].text, 'after');
  c.release();
  await pool.close();
  const methods = forwardedTo(server.url, from);
  assert.ok(methods.filter((m) => m === 'POST').length >= 9, `initialize, initialized, 4 + 3 calls went through the proxy (${methods})`);
  assert.ok(methods.includes('DELETE'), 'the session\'s DELETE went through the proxy');
  const call = proxy.seen.forwarded.slice(from).find((r) => r.method === 'POST' && r.headers['mcp-session-id']);
  assert.ok(call, 'a request with the session id went through the proxy');
  assert.equal(call.headers.host, new URL(server.url).host, 'the Host header names the MCP server, not the proxy');
  assert.equal(call.headers['mcp-protocol-version'] !== undefined, true, 'MCP headers pass through');
  await sleep(50);
  assert.deepEqual(unhandled.describe(), [], 'no unhandled promise rejection');
});

test('NO_PROXY: a host it names is reached directly, read at each request', async (t) => {
  const server = await serverFor(t, { start: () => startTsServer() });
  const from = proxy.seen.forwarded.length;
  process.env.NO_PROXY = `127.0.0.1:${new URL(server.url).port}`;
  defer(t, () => { delete process.env.NO_PROXY; });
  const pool = poolFor(t, { httpClient: 'node' });
  pool.registerHttp('s', server.url);
  const c = await pool.get('s');
  assert.equal((await c.callTool('echo', { message: 'direct' })).content[0].text, 'direct');
  c.release();
  await pool.close();
  assert.deepEqual(forwardedTo(server.url, from), [], 'nothing went through the proxy');
});

test('a proxy that cannot reach the server: the pool reports it (the proxy\'s 502), and the next server works', async (t) => {
  const closed = http.createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const downUrl = `http://127.0.0.1:${closed.address().port}/mcp`;
  await new Promise((r) => closed.close(r));
  const pool = poolFor(t, { httpClient: 'node', circuitBreakerThreshold: 0 });
  pool.registerHttp('down', downUrl);
  const e = await rejectsWith(pool.get('down'), 'CONNECT_FAILED', { server: 'down' });
  assert.match(e.message, /502/);
  assert.ok(forwardedTo(downUrl).length > 0, 'the requests reached the proxy');
  const server = await serverFor(t, { start: () => startTsServer() });
  pool.registerHttp('s', server.url);
  const c = await pool.get('s');
  assert.equal((await c.callTool('echo', { message: 'fine' })).content[0].text, 'fine');
  c.release();
});

/** A self-signed certificate for 127.0.0.1 made with the openssl CLI, or null without one. */
function selfSignedCert(dir) {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  return r.status === 0 ? { key: readFileSync(key), cert: readFileSync(cert), certFile: cert } : null;
}

test('HTTPS_PROXY: an https MCP server is reached through a CONNECT tunnel', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-edge-pool-proxy-'));
  defer(t, () => rmSync(dir, { recursive: true, force: true }));
  const tls = selfSignedCert(dir);
  if (!tls) return t.skip('no openssl CLI to make a certificate');
  const server = https.createServer({ key: tls.key, cert: tls.cert }, async (req, res) => {
    if (req.method === 'DELETE') { res.writeHead(200); return res.end(); }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (msg.id === undefined) { res.writeHead(202); return res.end(); }
    const result = msg.method === 'initialize'
      ? { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'tls', version: '0' } }
      : { content: [{ type: 'text', text: `tunnelled: ${msg.params?.arguments?.message}` }] };
    res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'tls-1' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const url = `https://127.0.0.1:${server.address().port}/mcp`;
  const tunnels = proxy.seen.tunnels.length;
  // A child process: NODE_EXTRA_CA_CERTS is read at startup. It imports the package as a user does.
  const script = `
    import { McpPool } from 'mcp-edge-pool';
    const pool = new McpPool({ httpClient: 'node' });
    pool.registerHttp('s', ${JSON.stringify(url)});
    const c = await pool.get('s');
    const text = (await c.callTool('echo', { message: 'hi' })).content[0].text;
    c.release();
    await pool.close();
    console.log(JSON.stringify(text));`;
  const { HTTP_PROXY: _, ...env } = process.env;
  const { stdout } = await execFileP(process.execPath, ['--input-type=module', '-e', script], {
    cwd: new URL('.', import.meta.url), encoding: 'utf8', timeout: 20000,
    env: { ...env, HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: tls.certFile },
  });
  assert.equal(JSON.parse(stdout.trim().split('\n').pop()), 'tunnelled: hi');
  assert.ok(proxy.seen.tunnels.slice(tunnels).includes(`127.0.0.1:${server.address().port}`), `a CONNECT tunnel to the server (${proxy.seen.tunnels})`);
});

test('httpClient "fetch" still works with HTTP_PROXY set', async (t) => {
  const server = await serverFor(t, { start: () => startTsServer() });
  const pool = poolFor(t, { httpClient: 'fetch' });
  pool.registerHttp('s', server.url);
  const c = await pool.get('s');
  assert.equal((await c.callTool('echo', { message: 'fetched' })).content[0].text, 'fetched');
  c.release();
});
