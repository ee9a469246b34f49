// The optional standalone GET stream against the official TS SDK server: an elicitation the
// server starts outside any request, and a tools/list_changed it sends by itself, reach the
// client only through that stream. It opens by default when the server has handlers or the pool
// a notification handler (as the official client opens it); `serverStream: false` refuses it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defer, poolFor, startTsServer, until } from './helpers.mjs';

test('the standalone stream opens by default with handlers: requests and notifications from outside any request arrive; with serverStream false they do not', async (t) => {
  const server = await startTsServer();
  defer(t, () => server.stop());
  const pool = poolFor(t);
  const notes = [];
  pool.onNotification((name, { method }) => notes.push(`${name} ${method}`));
  const handlers = { elicitation: async (params) => ({ action: 'accept', content: { name: `Ada (${params.message})` } }) };
  pool.registerHttp('listening', server.url, { handlers });
  pool.registerHttp('deaf', server.url, { serverStream: false, handlers });

  const c = await pool.get('listening');
  const answered = JSON.parse((await c.callTool('elicit_standalone', {})).content[0].text);
  assert.deepEqual(answered, { action: 'accept', content: { name: 'Ada (Your name, standalone?)' } });
  assert.equal((await c.callTool('notify_changed', {})).content[0].text, 'sent');
  await until(() => notes.includes('listening notifications/tools/list_changed'), { timeout: 3000, what: 'list_changed' });
  c.release();

  const d = await pool.get('deaf');
  const unanswered = await d.callTool('elicit_standalone', {});
  assert.equal(unanswered.isError, true, 'without the stream the server cannot reach the client');
  assert.match(unanswered.content[0].text, /timed out|timeout/i);
  await d.callTool('notify_changed', {});
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(!notes.includes('deaf notifications/tools/list_changed'), notes.join());
  d.release();

  await pool.close();
  const stats = await server.stats();
  assert.equal(stats.sessions, 0, 'closing the pool ended both sessions (and the stream)');
});
