// tokenProvider against a real server behind a loopback proxy that checks the bearer token:
// one call up front, one shared call for concurrent 401s (with the parsed challenge).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { defer, poolFor, startTsServer } from './helpers.mjs';

async function guard(t, target) {
  const upstream = new URL(target);
  const state = { valid: 'tok-1' };
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    if (req.headers.authorization !== `Bearer ${state.valid}`) {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token", resource_metadata="https://auth.test/prm"' }).end();
      return;
    }
    const up = http.request({ host: upstream.hostname, port: upstream.port, path: upstream.pathname, method: req.method, headers: { ...req.headers, host: upstream.host } },
      (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
    up.end(Buffer.concat(chunks));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${server.address().port}/mcp`, state };
}

// Both HTTP clients: each hands the core WWW-Authenticate on a 401 (the fetch path reads it only on an error status).
for (const httpClient of ['node', 'fetch']) {
test(`[${httpClient}] tokenProvider: first token up front, one refresh for concurrent 401s, challenge passed on`, async (t) => {
  const server = await startTsServer();
  defer(t, () => server.stop());
  const g = await guard(t, server.url);
  const asked = [];
  const pool = poolFor(t, { maxConnectionsPerServer: 1, httpClient });
  pool.registerHttp('s', g.url, {
    tokenProvider: async (challenge) => { asked.push(challenge); return `tok-${asked.length}`; },
  });
  const client = await pool.get('s');
  assert.deepEqual(asked, [undefined]);
  assert.equal((await client.callTool('echo', { message: 'a' })).content[0].text, 'a');

  g.state.valid = 'tok-2';
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.callTool('echo', { message: `m${i}` })));
  assert.deepEqual(results.map((r) => r.content[0].text), Array.from({ length: 10 }, (_, i) => `m${i}`));
  assert.equal(asked.length, 2, 'one refresh for ten 401s');
  assert.deepEqual(asked[1], { error: 'invalid_token', resourceMetadata: 'https://auth.test/prm' });
  client.release();
  assert.throws(() => pool.registerHttp('x', g.url, { tokenProvider: 'tok' }), (e) => e.code === 'INVALID_CONFIG');
});
}

for (const httpClient of ['node', 'fetch']) {
test(`[${httpClient}] dpop: DPoP scheme, a fresh proof per request, use_dpop_nonce retried once with the nonce`, async (t) => {
  const server = await startTsServer();
  defer(t, () => server.stop());
  const upstream = new URL(server.url);
  let challenges = 0;
  const proxy = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    if (req.headers.authorization !== 'DPoP tok-1' || !req.headers.dpop) {
      res.writeHead(401, { 'www-authenticate': 'DPoP error="invalid_token"' }).end();
      return;
    }
    if (!req.headers.dpop.endsWith('.n1')) {
      challenges++;
      res.writeHead(401, { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n1' }).end();
      return;
    }
    const up = http.request({ host: upstream.hostname, port: upstream.port, path: upstream.pathname, method: req.method, headers: { ...req.headers, host: upstream.host } },
      (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
    up.end(Buffer.concat(chunks));
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise((r) => { proxy.closeAllConnections(); proxy.close(() => r()); }));
  const url = `http://127.0.0.1:${proxy.address().port}/mcp`;
  const proofs = [];
  let tokens = 0;
  const pool = poolFor(t, { maxConnectionsPerServer: 1, httpClient });
  pool.registerHttp('s', url, {
    tokenProvider: async () => { tokens++; return 'tok-1'; },
    dpop: { proof: async (request) => { proofs.push(request); return `proof${proofs.length}.${request.nonce ?? '-'}`; } },
  });
  const client = await pool.get('s');
  assert.equal((await client.callTool('echo', { message: 'a' })).content[0].text, 'a');
  assert.equal(challenges, 1, 'one use_dpop_nonce challenge, then the nonce is kept');
  assert.equal(tokens, 1, 'no new token for a nonce');
  assert.deepEqual(proofs[0], { method: 'POST', url, accessToken: 'tok-1' });
  assert.deepEqual(proofs[1], { method: 'POST', url, accessToken: 'tok-1', nonce: 'n1' });
  assert.ok(proofs.slice(1).every((p) => p.nonce === 'n1' && p.accessToken === 'tok-1'));
  client.release();
  assert.throws(() => pool.registerHttp('x', url, { dpop: { proof: 'jwt' } }), (e) => e.code === 'INVALID_CONFIG');
  assert.throws(() => pool.registerHttp('y', url, { dpop: { proof() {}, extra: 1 } }), (e) => e.code === 'INVALID_CONFIG');
});
}
