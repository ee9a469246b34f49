// Server → client requests against the official TS SDK server: its tools call elicitInput,
// createMessage and listRoots on the tool call's own stream. Handlers answer them; a missing
// handler means the capability is not declared (the SDK refuses to ask).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defer, poolFor, startTsServer } from './helpers.mjs';

test('handlers answer elicitation, sampling and roots; without one the server may not ask', async (t) => {
  const server = await startTsServer();
  defer(t, () => server.stop());
  const pool = poolFor(t);
  const asked = [];
  pool.registerHttp('with', server.url, {
    handlers: {
      elicitation: async (params) => { asked.push(params.message); return { action: 'accept', content: { name: 'Ada' } }; },
      sampling: (params) => ({ role: 'assistant', content: { type: 'text', text: `hi x${params.maxTokens}` }, model: 'test-model' }),
      roots: async () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }),
    },
  });
  pool.registerHttp('without', server.url);

  const c = await pool.get('with');
  const elicited = JSON.parse((await c.callTool('elicit', {})).content[0].text);
  assert.deepEqual(elicited, { action: 'accept', content: { name: 'Ada' } });
  assert.deepEqual(asked, ['Your name?']);
  const sampled = JSON.parse((await c.callTool('sample', {})).content[0].text);
  assert.equal(sampled.content.text, 'hi x10');
  const roots = JSON.parse((await c.callTool('roots', {})).content[0].text);
  assert.deepEqual(roots.roots, [{ uri: 'file:///work', name: 'work' }]);
  c.release();

  const d = await pool.get('without');
  const refused = await d.callTool('elicit', {});
  assert.equal(refused.isError, true);
  assert.match(refused.content[0].text, /elicit/i);
  d.release();
  assert.throws(() => pool.registerHttp('bad', server.url, { handlers: { elicitation: 'yes' } }), (e) => e.code === 'INVALID_CONFIG');
});
