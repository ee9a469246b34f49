// The in-flight caps against a real server (official TS SDK) with a slow tool: never more
// tool calls in flight than maxConcurrentRequests, FIFO beyond it, and timeouts honoured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { defer, poolFor, startTsServer, assertPoolError } from './helpers.mjs';

/** A loopback proxy that counts tools/call requests in flight (request seen → response ended). */
async function countingProxy(t, target) {
  const upstream = new URL(target);
  const seen = { now: 0, max: 0, order: [] };
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    let label = null;
    try {
      const msg = JSON.parse(body.toString('utf8'));
      if (msg.method === 'tools/call') label = msg.params?.arguments?.label ?? msg.params?.name;
    } catch {}
    if (label) {
      seen.now++;
      seen.max = Math.max(seen.max, seen.now);
      seen.order.push(label);
      res.on('close', () => { seen.now--; });
    }
    const up = http.request({
      host: upstream.hostname, port: upstream.port, path: upstream.pathname, method: req.method,
      headers: { ...req.headers, host: upstream.host },
    }, (upRes) => { res.writeHead(upRes.statusCode, upRes.headers); upRes.pipe(res); });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    up.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  defer(t, () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { url: `http://127.0.0.1:${server.address().port}/mcp`, seen };
}

test('never more requests in flight than maxConcurrentRequests; FIFO beyond; timeouts honoured', async (t) => {
  const server = await startTsServer();
  defer(t, () => server.stop());
  const proxy = await countingProxy(t, server.url);
  const pool = poolFor(t, { maxConcurrentRequests: 2, maxConnectionsPerServer: 1 });
  pool.registerHttp('s', proxy.url);
  const client = await pool.get('s');
  defer(t, () => { if (!client.released) client.release(); });

  let maxSeenInStats = 0;
  let queuedSeen = 0;
  const watch = setInterval(() => {
    const s = pool.stats();
    maxSeenInStats = Math.max(maxSeenInStats, s.inFlightRequests);
    queuedSeen = Math.max(queuedSeen, s.queuedRequests);
  }, 5);
  defer(t, () => clearInterval(watch));

  const finished = [];
  const calls = Array.from({ length: 6 }, (_, i) =>
    client.callTool('slow', { ms: 400, label: `c${i}` }).then(() => finished.push(`c${i}`)));
  // Queued behind four others at a cap of two, it cannot start before ~800 ms: its 100 ms
  // deadline passes while it waits, and it must not wait longer than that (the ceiling leaves a
  // loaded machine room and still tells the deadline from the wait).
  const started = performance.now();
  const late = client.callTool('slow', { ms: 10, label: 'late' }, { timeoutMs: 100 });
  const error = await late.then(() => null, (e) => e);
  const waited = performance.now() - started;
  assertPoolError(error, 'REQUEST_TIMEOUT');
  assert.ok(waited >= 90 && waited < 700, `timed out after ${waited.toFixed(0)} ms, deadline 100 ms`);
  await Promise.all(calls);

  assert.equal(proxy.seen.max, 2, 'the server never saw more than two tool calls at once');
  assert.ok(maxSeenInStats <= 2 && queuedSeen >= 3, `stats: max in flight ${maxSeenInStats}, max queued ${queuedSeen}`);
  assert.deepEqual(proxy.seen.order.filter((l) => l.startsWith('c')), ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'], 'FIFO');
  assert.ok(!proxy.seen.order.includes('late'), 'the timed-out request was never sent');
  assert.deepEqual(finished.slice(0, 2).sort(), ['c0', 'c1']);
  const s = pool.stats();
  assert.equal(s.inFlightRequests, 0);
  assert.equal(s.queuedRequests, 0);
});

// The default cap follows the client: 64 through the Node client (undici has no per-origin
// connection limit; bench/cap.mjs measured where the cap stops binding 50 agents), 6 through
// fetch (what Workers and browsers allow).
for (const [httpClient, cap] of [[undefined, 64], ['fetch', 6]]) {
  test(`the default maxConcurrentRequests with httpClient ${httpClient ?? '(default: the Node client)'} is ${cap}`, async (t) => {
    const server = await startTsServer();
    defer(t, () => server.stop());
    const proxy = await countingProxy(t, server.url);
    const pool = poolFor(t, httpClient ? { httpClient } : {});
    pool.registerHttp('s', proxy.url);
    const client = await pool.get('s');
    defer(t, () => { if (!client.released) client.release(); });
    let queuedSeen = 0;
    const watch = setInterval(() => { queuedSeen = Math.max(queuedSeen, pool.stats().queuedRequests); }, 5);
    defer(t, () => clearInterval(watch));
    // 1.5 s each: the first `cap` calls are all in flight at once even where sending them is slow.
    await Promise.all(Array.from({ length: cap + 8 }, (_, i) => client.callTool('slow', { ms: 1500, label: `d${i}` })));
    assert.equal(proxy.seen.max, cap, `the server saw at most ${cap} tool calls at once`);
    assert.ok(queuedSeen >= 1, `the calls beyond the cap queued (max queued ${queuedSeen})`);
  });
}
