// One catalog for many servers through the JS API: the TS SDK and Python SDK servers both have
// `echo`; listAllTools gives each a provider-safe qualified name and callTool routes by it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defer, poolFor, startPyServer, startTsServer } from './helpers.mjs';

test('listAllTools qualifies every server\'s tools and callTool routes them', async (t) => {
  const ts = await startTsServer();
  defer(t, () => ts.stop());
  const py = await startPyServer();
  defer(t, () => py.stop());
  const pool = poolFor(t);
  pool.registerHttp('ts', ts.url);
  pool.registerHttp('py', py.url);
  pool.registerHttp('down', 'http://127.0.0.1:9/mcp');

  const all = await pool.listAllTools();
  const names = all.tools.map((x) => x.name);
  assert.ok(names.includes('ts__echo') && names.includes('py__echo'), names.join(','));
  assert.ok(names.every((n) => /^[a-zA-Z0-9_-]{1,64}$/.test(n)));
  assert.deepEqual([...names].sort(), names, 'sorted');
  const tsEcho = all.tools.find((x) => x.name === 'ts__echo');
  assert.equal(tsEcho.server, 'ts');
  assert.equal(tsEcho.tool.name, 'echo');
  assert.ok(tsEcho.tool.inputSchema, 'the tool as listed, schema included');
  assert.deepEqual(all.collisions, []);
  assert.equal(all.errors.down.code, 'CONNECT_FAILED');

  const fromPy = await pool.callTool('py__echo', { message: 'via python' });
  assert.equal(fromPy.content[0].text, 'via python');
  const fromTs = await pool.callTool('ts__echo', { message: 'via ts' });
  assert.equal(fromTs.content[0].text, 'via ts');
  assert.equal((await py.stats()).toolCalls.echo, 1);
  assert.equal((await ts.stats()).toolCalls.echo, 1);
  await assert.rejects(pool.callTool('nope__echo', {}), (e) => e.code === 'UNKNOWN_TOOL');
  assert.equal(pool.stats().leases, 0);
});
