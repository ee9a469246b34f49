// Protocol eras against real servers: the Python SDK (mcp 2.x) serves the stateless 2026-07-28
// era next to the session era (and, with the fixture's --modern-only, only that era); the TS SDK
// 1.x server only the session era. The pool tries the session era's handshake first (what servers
// speak today: no extra request, nothing refused), asks server/discover only when the handshake
// is refused, remembers the verdict per server, and an `era` option pins one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defer, poolFor, rejectsWith, startPyServer, startTsServer } from './helpers.mjs';

const MODERN = '2026-07-28';

test('Python SDK (2026-07-28 only): found after one refused handshake, tools work, ping is a discover, input-required rounds go through the handler', async (t) => {
  const server = await startPyServer({ modernOnly: true });
  defer(t, () => server.stop());
  const pool = poolFor(t, { maxConnectionsPerServer: 2 });
  const asked = [];
  pool.registerHttp('py', server.url, {
    handlers: { elicitation: async (params) => { asked.push(params.message); return { action: 'accept', content: { name: 'Ada' } }; } },
  });
  pool.registerHttp('plain', server.url);

  const c = await pool.get('py');
  assert.equal(c.protocolVersion, MODERN);
  assert.equal(c.serverInfo.serverInfo.name, 'py-fixture');
  assert.ok(c.serverInfo.capabilities.tools, 'capabilities from server/discover');
  assert.deepEqual(c.serverInfo.supportedVersions, [MODERN]);
  assert.equal((await c.callTool('echo', { message: 'hi' })).content[0].text, 'hi');
  assert.deepEqual((await c.callTool('add', { a: 2, b: 3 })).structuredContent, { sum: 5 });
  const tools = (await c.listTools()).tools.map((tool) => tool.name).sort();
  assert.ok(tools.includes('echo') && tools.includes('ask'), tools.join());
  assert.deepEqual(await c.ping(), {});

  const answered = await c.callTool('ask', {});
  assert.equal(answered.content[0].text, 'hello Ada');
  assert.deepEqual(asked, ['Your name?']);
  c.release();

  // Without an elicitation handler the capability is not declared, and the server refuses.
  const d = await pool.get('plain');
  const refused = await rejectsWith(d.callTool('ask', {}), 'RPC_ERROR', { rpcCode: -32021 });
  assert.match(refused.message, /elicitation capability/);
  d.release();

  // Errors of the stateless era come as JSON-RPC errors (with an HTTP status), still typed.
  const e = await pool.get('py');
  await rejectsWith(e.request('no/such/method', {}), 'RPC_ERROR', { rpcCode: -32601 });
  e.release();

  const stats = await server.stats();
  assert.equal(stats.initialize, 0, 'no initialize handshake in the stateless era');
  assert.equal(stats.refused, 2, 'one refused handshake per registered server (the probe), then none');
  assert.equal(stats.toolCalls.ask, 1, 'the tool body ran once, on the round with the answer');
});

test('Python SDK (2026-07-28 only): 40 agents share the server within the cap, one probe, nothing initializes', async (t) => {
  const server = await startPyServer({ modernOnly: true });
  defer(t, () => server.stop());
  const pool = poolFor(t, { maxConnectionsPerServer: 2, maxLeasesPerConnection: 4 });
  pool.registerHttp('py', server.url);
  const agent = async (i) => {
    const c = await pool.get('py');
    try {
      for (let k = 0; k < 3; k++) {
        const r = await c.callTool('echo', { message: `a${i}-${k}` });
        assert.equal(r.content[0].text, `a${i}-${k}`);
      }
    } finally {
      c.release();
    }
  };
  await Promise.all(Array.from({ length: 40 }, (_, i) => agent(i)));
  const stats = pool.stats();
  assert.ok(stats.totalConnections <= 2, `at most the cap: ${stats.totalConnections}`);
  assert.equal((await server.stats()).initialize, 0);
  assert.equal((await server.stats()).refused, 1, 'concurrent first opens share one probe');
  assert.equal((await server.stats()).toolCalls.echo, 120);
});

test('a server of both eras: "auto" takes the session era at no extra cost, "modern" and "legacy" pin one', async (t) => {
  const server = await startPyServer({ modern: true });
  defer(t, () => server.stop());
  const pool = poolFor(t);
  pool.registerHttp('auto', server.url);
  pool.registerHttp('py', server.url, { era: 'legacy' });
  pool.registerHttp('new', server.url, { era: 'modern' });

  const a = await pool.get('auto');
  assert.equal(a.protocolVersion, '2025-11-25');
  a.release();
  const afterAuto = await server.stats();
  assert.deepEqual([afterAuto.posts, afterAuto.initialize, afterAuto.refused], [2, 1, 0], 'initialize, initialized: nothing refused');

  const c = await pool.get('py');
  assert.equal(c.protocolVersion, '2025-11-25');
  assert.equal((await c.callTool('echo', { message: 'old' })).content[0].text, 'old');
  c.release();
  assert.equal((await server.stats()).initialize, 2);

  const n = await pool.get('new');
  assert.equal(n.protocolVersion, MODERN);
  assert.equal((await n.callTool('echo', { message: 'new' })).content[0].text, 'new');
  n.release();
  assert.equal((await server.stats()).initialize, 2, 'the stateless era has no handshake');
});

test('TS SDK (session era only): the handshake comes first (no probe, nothing refused), and "modern" fails clearly', async (t) => {
  const server = await startTsServer();
  defer(t, () => server.stop());
  const pool = poolFor(t, { maxLeasesPerConnection: 1 });
  pool.registerHttp('ts', server.url);
  pool.registerHttp('strict', server.url, { era: 'modern' });

  const a = await pool.get('ts');
  assert.equal(a.protocolVersion, '2025-11-25');
  assert.equal(a.serverInfo.serverInfo.name.length > 0, true);
  const afterFirst = await server.stats();
  assert.equal(afterFirst.initialize, 1);
  assert.equal(afterFirst.posts, 2, 'initialize, initialized: no server/discover');

  const b = await pool.get('ts'); // a second session: no second probe
  assert.equal((await b.callTool('echo', { message: 'x' })).content[0].text, 'x');
  const afterSecond = await server.stats();
  assert.equal(afterSecond.initialize, 2);
  assert.equal(afterSecond.posts, 5, 'initialize, initialized, tools/call');
  a.release();
  b.release();

  const error = await rejectsWith(pool.get('strict'), 'UNSUPPORTED_PROTOCOL_VERSION', { server: 'strict' });
  assert.match(error.message, /2026-07-28/);
  assert.throws(() => pool.registerHttp('bad', server.url, { era: '2099-01-01' }), (e) => e.code === 'INVALID_CONFIG' && /era/.test(e.message));
});
