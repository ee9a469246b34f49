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

test('tokenProvider: first token up front, one refresh for concurrent 401s, challenge passed on', async (t) => {
  const server = await startTsServer();
  defer(t, () => server.stop());
  const g = await guard(t, server.url);
  const asked = [];
  const pool = poolFor(t, { maxConnectionsPerServer: 1 });
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
