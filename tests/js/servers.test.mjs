// Proves the MCP server fixtures work: raw-fetch initialize + initialized + tools/call echo + stats,
// for each flavour. Run: node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTsServer, startPyServer } from './servers.mjs';

const VERSION = '2025-11-25';
const ORIGIN = 'http://localhost:45678'; // like a browser test page: cross-origin, random loopback port

// POSTs one JSON-RPC message; returns { res, body } where body is the JSON-RPC response (SSE or JSON) or null.
async function post(url, msg, sessionId) {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    origin: ORIGIN,
    ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': VERSION } : {}),
  };
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(msg) });
  const text = await res.text();
  if (!text) return { res, body: null };
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) return { res, body: JSON.parse(text) };
  const messages = text.split(/\r?\n\r?\n/).map((ev) =>
    ev.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n'))
    .filter(Boolean).map((d) => JSON.parse(d));
  return { res, body: messages.find((m) => m.id === msg.id) ?? null, messages };
}

const initialize = (id = 1) => ({
  jsonrpc: '2.0', id, method: 'initialize',
  params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'fixture-test', version: '0' } },
});

// initialize + notifications/initialized + tools/call echo; returns the session id (or null).
async function handshakeAndEcho(server, { stateful, sse }) {
  const init = await post(server.url, initialize());
  assert.equal(init.res.status, 200);
  assert.equal(init.res.headers.get('content-type').split(';')[0], sse ? 'text/event-stream' : 'application/json');
  assert.equal(init.res.headers.get('access-control-allow-origin'), '*');
  assert.match(init.res.headers.get('access-control-expose-headers') ?? '', /mcp-session-id/i);
  assert.equal(init.body.result.protocolVersion, VERSION);
  const sid = init.res.headers.get('mcp-session-id');
  if (stateful) assert.match(sid, /^[\x21-\x7e]+$/);
  else assert.equal(sid, null);

  const note = await post(server.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, sid);
  assert.equal(note.res.status, 202);

  const echo = await post(server.url,
    { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'hi there' } } }, sid);
  assert.equal(echo.res.status, 200);
  assert.deepEqual(echo.body.result.content, [{ type: 'text', text: 'hi there' }]);
  assert.ok(!echo.body.result.isError);

  const add = await post(server.url,
    { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } }, sid);
  assert.equal(add.body.result.content[0].text, '5');
  assert.deepEqual(add.body.result.structuredContent, { sum: 5 });

  const stats = await server.stats();
  assert.equal(stats.initialize, 1);
  assert.equal(stats.posts, 4);
  assert.deepEqual(stats.toolCalls, { echo: 1, add: 1 });
  return sid;
}

for (const json of [false, true]) {
  test(`TS SDK server (${json ? 'JSON' : 'SSE'})`, async (t) => {
    const server = await startTsServer({ json });
    t.after(() => server.stop());
    const sid = await handshakeAndEcho(server, { stateful: true, sse: !json });
    assert.equal((await server.stats()).sessions, 1);

    // CORS preflight
    const pre = await fetch(server.url, { method: 'OPTIONS', headers: { origin: ORIGIN } });
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get('access-control-allow-headers'), /mcp-session-id/);

    // extra tools, resource, prompt
    const fail = await post(server.url, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'fail', arguments: {} } }, sid);
    assert.equal(fail.body.result.isError, true);
    const hello = await post(server.url, { jsonrpc: '2.0', id: 5, method: 'resources/read', params: { uri: 'test://hello' } }, sid);
    assert.equal(hello.body.result.contents[0].text, 'hello');
    const greet = await post(server.url, { jsonrpc: '2.0', id: 6, method: 'prompts/get', params: { name: 'greet', arguments: { name: 'Ada' } } }, sid);
    assert.equal(greet.body.result.messages[0].content.text, 'Hello, Ada!');
    if (!json) {
      const prog = await post(server.url, { jsonrpc: '2.0', id: 7, method: 'tools/call',
        params: { name: 'progress', arguments: { steps: 3, ms: 5 }, _meta: { progressToken: 'p' } } }, sid);
      const progress = prog.messages.filter((m) => m.method === 'notifications/progress').map((m) => m.params.progress);
      assert.deepEqual(progress, [1, 2, 3]);
      assert.equal(prog.body.result.content[0].text, 'done 3');
    }

    // cancellation: the slow call observes the abort (the SDK then sends no response, so we abort our fetch)
    const ac = new AbortController();
    const slow = fetch(server.url, { method: 'POST', signal: ac.signal,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'slow-1', method: 'tools/call', params: { name: 'slow', arguments: { ms: 5000 } } }) })
      .then((r) => r.text()).catch((e) => e.name);
    await new Promise((r) => setTimeout(r, 200));
    const cancel = await post(server.url, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'slow-1', reason: 'test' } }, sid);
    assert.equal(cancel.res.status, 202);
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    assert.equal(await slow, 'AbortError');
    const s = await server.stats();
    assert.equal(s.cancelled, 1);
    assert.equal(s.aborted, 1);

    // expire: old session id -> 404 Session not found
    await server.expire();
    const gone = await post(server.url, { jsonrpc: '2.0', id: 8, method: 'tools/list' }, sid);
    assert.equal(gone.res.status, 404);
    assert.equal(gone.body.error.code, -32001);
    assert.equal((await server.stats()).sessions, 0);

    // reset + restart on the same port
    await server.reset();
    assert.equal((await server.stats()).initialize, 0);
    const port = server.port;
    await server.restart();
    assert.equal(server.port, port);
    const again = await post(server.url, initialize());
    assert.equal(again.res.status, 200);
    const del = await fetch(server.url, { method: 'DELETE', headers: { 'mcp-session-id': again.res.headers.get('mcp-session-id') } });
    assert.equal(del.status, 200);
    assert.deepEqual([(await server.stats()).deleted, (await server.stats()).sessions], [1, 0]);
  });
}

for (const stateless of [false, true]) {
  test(`Python SDK server (${stateless ? 'stateless JSON' : 'stateful SSE'})`, async (t) => {
    const server = await startPyServer({ stateless });
    t.after(() => server.stop());
    const sid = await handshakeAndEcho(server, { stateful: !stateless, sse: !stateless });
    const del = await fetch(server.url, { method: 'DELETE', headers: sid ? { 'mcp-session-id': sid } : {} });
    assert.equal(del.status, stateless ? 405 : 200);
    if (!stateless) {
      const gone = await post(server.url, { jsonrpc: '2.0', id: 9, method: 'tools/list' }, sid);
      assert.equal(gone.res.status, 404);
    }
    assert.equal((await server.stats()).deleted, 1);
    await server.reset();
    assert.equal((await server.stats()).posts, 0);
    await assert.rejects(server.expire(), /not offered/);
  });
}
