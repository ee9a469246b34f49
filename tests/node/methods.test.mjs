// Every McpClient method returns exactly what the server sent: each result is compared with the
// same request made over a raw fetch session (no renamed, added or lost fields).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLAVOURS, serverFor, poolFor, rawSession, rejectsWith, startTsServer, defer } from './helpers.mjs';

/** [label, pool call, raw method, raw params]; the pool call gets a leased McpClient. */
const CALLS = [
  ['listTools()', (c) => c.listTools(), 'tools/list'],
  ['callTool echo', (c) => c.callTool('echo', { message: 'héllo 🌍 "quoted"' }), 'tools/call',
    { name: 'echo', arguments: { message: 'héllo 🌍 "quoted"' } }],
  ['callTool add (structuredContent)', (c) => c.callTool('add', { a: 2, b: 3.5 }), 'tools/call',
    { name: 'add', arguments: { a: 2, b: 3.5 } }],
  ['callTool with options', (c) => c.callTool('echo', { message: 'opts' }, { timeoutMs: 5000, signal: new AbortController().signal }),
    'tools/call', { name: 'echo', arguments: { message: 'opts' } }],
  ['listResources()', (c) => c.listResources(), 'resources/list'],
  ['readResource(test://hello)', (c) => c.readResource('test://hello'), 'resources/read', { uri: 'test://hello' }],
  ['listResourceTemplates()', (c) => c.listResourceTemplates(), 'resources/templates/list'],
  ['listPrompts()', (c) => c.listPrompts(), 'prompts/list'],
  ['getPrompt(greet)', (c) => c.getPrompt('greet', { name: 'Ada' }), 'prompts/get', { name: 'greet', arguments: { name: 'Ada' } }],
  ['ping()', (c) => c.ping(), 'ping'],
  ['request(tools/list)', (c) => c.request('tools/list'), 'tools/list'],
  ['request(tools/call, params)', (c) => c.request('tools/call', { name: 'add', arguments: { a: -1, b: 1 } }), 'tools/call',
    { name: 'add', arguments: { a: -1, b: 1 } }],
];
const TS_ONLY = [
  ['callTool fail (isError result, not a rejection)', (c) => c.callTool('fail', {}), 'tools/call', { name: 'fail', arguments: {} }],
  ['callTool progress (SSE stream)', (c) => c.callTool('progress', { steps: 3, ms: 5 }), 'tools/call',
    { name: 'progress', arguments: { steps: 3, ms: 5 } }],
];

async function compareAll(t, server, calls) {
  const pool = poolFor(t);
  pool.registerHttp('s', server.url);
  const raw = await rawSession(server.url);
  defer(t, () => raw.close());
  const client = await pool.get('s');
  for (const [label, call, method, params] of calls) {
    const expected = await raw.request(method, params);
    assert.ok(expected && ('result' in expected || 'error' in expected), `${label}: the raw request got an answer`);
    if ('result' in expected) {
      const got = await call(client);
      assert.deepEqual(got, expected.result, `${label}: equal to the server's result`);
    } else {
      // The server answers this one with a JSON-RPC error: the pool must surface it as is.
      const err = await rejectsWith(() => call(client), 'RPC_ERROR', { server: 's', rpcCode: expected.error.code });
      assert.ok(err.message.includes(expected.error.message), `${label}: message carries the server's (${err.message})`);
      if (expected.error.data !== undefined) assert.deepEqual(err.data, expected.error.data);
      t.diagnostic(`${label}: the server answers with JSON-RPC error ${expected.error.code} (${expected.error.message})`);
    }
  }
  client.release();
}

for (const flavour of FLAVOURS) {
  test(`${flavour.name}: every McpClient method equals the raw server answer`, async (t) => {
    const server = await serverFor(t, flavour);
    await compareAll(t, server, flavour.ts ? [...CALLS, ...TS_ONLY] : CALLS);
  });
}

test('TS SDK (stateful, JSON responses): every McpClient method equals the raw server answer', async (t) => {
  const server = await startTsServer({ json: true });
  defer(t, () => server.stop());
  await compareAll(t, server, [...CALLS, ...TS_ONLY]);
});

test('TS SDK: the values of the fixture are what the server defines', async (t) => {
  const server = await serverFor(t, FLAVOURS[0]);
  const pool = poolFor(t);
  pool.registerHttp('s', server.url);
  const c = await pool.get('s');
  try {
    const tools = await c.listTools();
    assert.deepEqual(tools.tools.map((x) => x.name).sort(), ['add', 'echo', 'elicit', 'elicit_standalone', 'fail', 'notify_changed', 'progress', 'roots', 'sample', 'slow']);
    const add = tools.tools.find((x) => x.name === 'add');
    assert.deepEqual(add.annotations, { readOnlyHint: true, idempotentHint: true });
    assert.equal(add.outputSchema.properties.sum.type, 'number');
    assert.deepEqual(add.inputSchema.required.sort(), ['a', 'b']);

    const sum = await c.callTool('add', { a: 2, b: 3 });
    assert.deepEqual(sum, { content: [{ type: 'text', text: '5' }], structuredContent: { sum: 5 } });
    assert.deepEqual(await c.callTool('fail', {}), { content: [{ type: 'text', text: 'this tool always fails' }], isError: true });
    assert.equal((await c.callTool('slow', { ms: 10 })).content[0].text, 'done');

    assert.deepEqual((await c.listResources()).resources, [{ uri: 'test://hello', name: 'hello', mimeType: 'text/plain' }]);
    assert.deepEqual(await c.readResource('test://hello'), { contents: [{ uri: 'test://hello', mimeType: 'text/plain', text: 'hello' }] });
    assert.deepEqual(await c.listResourceTemplates(), { resourceTemplates: [] });
    const prompts = await c.listPrompts();
    assert.equal(prompts.prompts.length, 1);
    assert.equal(prompts.prompts[0].name, 'greet');
    assert.deepEqual(prompts.prompts[0].arguments, [{ name: 'name', required: true }]);
    assert.deepEqual(await c.getPrompt('greet', { name: 'Ada' }),
      { messages: [{ role: 'user', content: { type: 'text', text: 'Hello, Ada!' } }] });
    assert.deepEqual(await c.ping(), {});
    assert.deepEqual(await c.request('ping'), {});
    assert.deepEqual(await c.request('ping', null), {});
    assert.deepEqual((await server.stats()).toolCalls, { add: 1, fail: 1, slow: 1 });
  } finally {
    c.release();
  }
});

test('TS SDK: argument validation of McpClient methods', async (t) => {
  const server = await serverFor(t, FLAVOURS[0]);
  const pool = poolFor(t);
  pool.registerHttp('s', server.url);
  const c = await pool.get('s');
  try {
    await rejectsWith(c.callTool(42, {}), 'INVALID_ARGUMENT');
    await rejectsWith(c.callTool('echo', [1, 2]), 'INVALID_ARGUMENT');
    await rejectsWith(c.callTool('echo', 'text'), 'INVALID_ARGUMENT');
    const cyclic = {}; cyclic.self = cyclic;
    await rejectsWith(c.callTool('echo', cyclic), 'INVALID_ARGUMENT');
    await rejectsWith(c.callTool('echo', { n: 10n }), 'INVALID_ARGUMENT');
    await rejectsWith(c.callTool('echo', { f() {} }), 'INVALID_ARGUMENT');
    await rejectsWith(c.request('tools/list', [1]), 'INVALID_ARGUMENT');
    await rejectsWith(c.readResource(undefined), 'INVALID_ARGUMENT');
    await rejectsWith(c.ping({ signal: 'nope' }), 'INVALID_ARGUMENT');
    await rejectsWith(c.ping({ bogus: 1 }), 'INVALID_CONFIG');
    await rejectsWith(c.ping({ timeoutMs: -5 }), 'INVALID_CONFIG');
    // Nothing invalid reached the server, and the client still works.
    assert.deepEqual(await c.ping(), {});
    assert.equal((await server.stats()).toolCalls.echo, undefined);
  } finally {
    c.release();
  }
});
