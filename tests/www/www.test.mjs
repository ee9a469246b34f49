// End-to-end test of the browser demo (www/): real MCP servers (the TS SDK's and the Python SDK's), the
// static server, headless Chromium; at a desktop size and at a phone's (390 x 844).
//   node --test tests/www/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPyServer, startTsServer } from '../js/servers.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(repo, 'tests/js/package.json'));
const { chromium } = require('playwright-core');

const AGENTS = 10;
const CALLS = 5;
const MAX_CONN = 3; // the page's default maxConnectionsPerServer
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const children = [];
let context;
let userDataDir;

/** Spawns `node <script> ...args` and resolves with the first stdout line matching `re`. */
function startNode(script, args, re) {
  const child = spawn(process.execPath, [path.join(repo, script), ...args], {
    cwd: repo, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not start in 15 s\n${stderr}`)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(re);
      if (m) { clearTimeout(timer); resolve(m); }
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited early (${code ?? sig})\n${stderr}`));
    });
  });
}

function killChildren() {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  }
}

async function cleanup() {
  try { await context?.close(); } catch { /* browser already gone */ }
  context = undefined;
  killChildren();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
}
// Also on abnormal exit of the test process.
process.on('exit', killChildren);

let tsPort;
let wwwPort;

before(async () => {
  await access(path.join(repo, 'pkg/browser.mjs')).catch(() => {
    throw new Error('pkg/ is missing: build the package first (see scripts/build-pkg.sh)');
  });
  [, tsPort] = await startNode('tests/servers/ts_server.mjs', ['--port', '0'], /LISTENING (\d+)/);
  [, wwwPort] = await startNode('scripts/serve-www.mjs', ['--port', '0'], /SERVING http:\/\/127\.0\.0\.1:(\d+)\//);
  userDataDir = await mkdtemp(path.join(tmpdir(), 'mcp-www-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 1000 },
  });
});

after(cleanup);

test('static server: MIME types and no directory traversal', async () => {
  const base = `http://127.0.0.1:${wwwPort}`;
  const types = {
    '/': 'text/html', '/app.mjs': 'text/javascript', '/style.css': 'text/css',
    '/pkg/browser.mjs': 'text/javascript', '/pkg/mcp_edge_pool.js': 'text/javascript',
    '/pkg/mcp_edge_pool_bg.wasm': 'application/wasm',
  };
  for (const [p, type] of Object.entries(types)) {
    const res = await fetch(base + p);
    assert.equal(res.status, 200, p);
    assert.ok(res.headers.get('content-type').startsWith(type), `${p}: ${res.headers.get('content-type')}`);
    await res.arrayBuffer();
  }
  // fetch() normalises "..", so send raw request targets over a socket-level client.
  const http = await import('node:http');
  const raw = (target) => new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: wwwPort, path: target }, (res) => { res.resume(); resolve(res.statusCode); })
      .on('error', reject);
  });
  for (const target of ['/../Cargo.toml', '/pkg/../Cargo.toml', '/pkg/..%2fCargo.toml', '/%2e%2e/Cargo.toml',
    '/..%5cCargo.toml', '/pkg/%2e%2e/%2e%2e/etc/passwd', '/nope.html']) {
    assert.equal(await raw(target), 404, target);
  }
});

test('browser demo: 10 agents x 5 calls share at most 3 sessions', async (t) => {
  const serverUrl = `http://127.0.0.1:${tsPort}/mcp`;
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.stack ?? err}`));
  // The library aborts (AbortController + reader.cancel()) every response body it does not read to
  // the end: an SSE stream once the JSON-RPC response arrived, a 202 or a DELETE answer. Chromium
  // reports those as net::ERR_ABORTED "failed" requests, without any console message. They are
  // by design, so only count them; any other failed request is a problem.
  const aborted = {};
  page.on('requestfailed', (req) => {
    const why = req.failure()?.errorText;
    if (why === 'net::ERR_ABORTED' && req.url() === serverUrl) {
      aborted[req.method()] = (aborted[req.method()] ?? 0) + 1;
    } else {
      problems.push(`requestfailed: ${req.method()} ${req.url()} ${why}`);
    }
  });

  await page.goto(`http://127.0.0.1:${wwwPort}/?server=${encodeURIComponent(serverUrl)}`);
  await page.waitForFunction(() => window.__demo?.ready === true, null, { timeout: 15000 });

  assert.equal(await page.getByTestId('server-url').inputValue(), serverUrl, 'URL prefilled from ?server=');
  assert.equal(await page.getByTestId('agents').inputValue(), '20');
  assert.equal(await page.getByTestId('calls-per-agent').inputValue(), '10');
  assert.equal(await page.getByTestId('max-connections').inputValue(), String(MAX_CONN));
  assert.equal(await page.getByTestId('max-leases').inputValue(), '1', 'one agent per session: getters queue');
  assert.equal(await page.getByTestId('hint').isVisible(), false, 'no "what to do" note when a server is given');

  await page.getByTestId('agents').fill(String(AGENTS));
  await page.getByTestId('calls-per-agent').fill(String(CALLS));
  await page.getByTestId('run').click();
  await page.waitForFunction(() => window.__demo.done === true, null, { timeout: 60000 });

  const demo = await page.evaluate(() => window.__demo);
  t.diagnostic(`calls=${demo.calls} errors=${demo.errors} samples=${demo.samples.length} ` +
    `final=${JSON.stringify(demo.samples.at(-1))} server=${JSON.stringify(demo.serverStats)}`);
  assert.deepEqual(demo.errorMessages, [], 'no failed calls');
  assert.equal(demo.errors, 0);
  assert.equal(demo.calls, AGENTS * CALLS);

  assert.ok(demo.samples.length >= 2, 'stats were sampled');
  assert.ok(demo.samples.some((s) => s.activeConnections > 0), 'some sample shows an active session');
  assert.ok(demo.samples.some((s) => s.leases > 0), 'some sample shows a lease');
  const last = demo.samples.at(-1);
  assert.equal(last.activeConnections, 0, 'every lease was released');
  assert.equal(last.leases, 0);
  assert.equal(last.waiting, 0);
  assert.ok(last.totalConnections >= 1 && last.totalConnections <= MAX_CONN,
    `totalConnections ${last.totalConnections} within 1..${MAX_CONN}`);
  assert.ok(demo.samples.every((s) => s.totalConnections + s.openingConnections <= MAX_CONN),
    'never more than maxConnectionsPerServer sessions');
  assert.equal(last.connectionErrors, 0);

  // The server's own view: sessions were reused, not opened per call.
  const server = await (await fetch(`http://127.0.0.1:${tsPort}/__stats`)).json();
  t.diagnostic(`server /__stats after run: ${JSON.stringify(server)}`);
  assert.ok(server.initialize >= 1 && server.initialize <= MAX_CONN, `initialize count ${server.initialize}`);
  const toolCalls = (server.toolCalls.echo ?? 0) + (server.toolCalls.slow ?? 0);
  assert.equal(toolCalls, AGENTS * CALLS, 'every call reached the server');
  assert.equal(demo.serverStats?.[0]?.initialize, server.initialize, 'page read the same server stats');

  // UI mirrors the state.
  assert.equal(await page.getByTestId('call-count').textContent(), String(AGENTS * CALLS));
  assert.equal(await page.getByTestId('error-count').textContent(), '0');
  const logItems = await page.getByTestId('results-log').locator('li').count();
  assert.ok(logItems > 0 && logItems <= 20, `results log has ${logItems} lines`);
  assert.match(await page.getByTestId('stats-table').textContent(), /totalConnections/);

  // The chart is drawn: plenty of non-background pixels, and some in the series colours.
  const px = await page.getByTestId('chart').evaluate((canvas) => {
    const { data, width, height } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let drawn = 0, active = 0, idle = 0, rate = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (r !== 255 || g !== 255 || b !== 255) drawn++;
      if (Math.abs(r - 0x25) < 40 && Math.abs(g - 0x63) < 40 && b > 0xc0) active++;
      if (r < 80 && g > 0x80 && b < 120) idle++;
      if (r > 0x70 && g < 0x60 && b > 0xb0) rate++;
    }
    return { width, height, drawn, active, idle, rate };
  });
  t.diagnostic(`chart pixels: ${JSON.stringify(px)}`);
  assert.ok(px.width > 100 && px.height > 100, 'canvas has a size');
  assert.ok(px.drawn > 2000, 'canvas is not blank');
  assert.ok(px.active > 20, 'active-sessions line drawn');
  assert.ok(px.idle > 20, 'idle-sessions line drawn');

  await mkdir(path.join(repo, 'target'), { recursive: true });
  await page.screenshot({ path: path.join(repo, 'target/www-screenshot.png'), fullPage: true });

  // Close pool: every session is ended on the server (DELETE).
  await page.getByTestId('close-pool').click();
  await page.getByTestId('status').filter({ hasText: 'Pool closed' }).waitFor({ timeout: 15000 });
  const afterClose = await (await fetch(`http://127.0.0.1:${tsPort}/__stats`)).json();
  t.diagnostic(`server /__stats after close: ${JSON.stringify(afterClose)}`);
  assert.equal(afterClose.sessions, 0, 'no session left open on the server');
  assert.equal(afterClose.deleted, server.initialize, 'one DELETE per session');

  t.diagnostic(`MCP requests aborted by the library after use (not errors): ${JSON.stringify(aborted)}`);
  // The pool opens with the session era's handshake (no server/discover probe for a server that
  // answers it), so nothing is refused and Chromium logs no error.
  assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
  await page.close();
});

const PHONE = { width: 390, height: 844 };

/** The page's width beyond the viewport's: 0 when nothing scrolls sideways. */
const overflowX = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

test('phone size: no server given says what to do; an error row shows its whole hint; no sideways scroll', async (t) => {
  const page = await context.newPage();
  await page.setViewportSize(PHONE);
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  await page.goto(`http://127.0.0.1:${wwwPort}/`);
  await page.waitForFunction(() => window.__demo?.ready === true, null, { timeout: 15000 });

  // Opened with no ?server=: a note says what to do, and the status points at it.
  const hint = page.getByTestId('hint');
  assert.equal(await hint.isVisible(), true, 'the "what to do" note is shown');
  const hintText = await hint.textContent();
  t.diagnostic(`hint: ${hintText.replace(/\s+/g, ' ').trim()}`);
  assert.match(hintText, /No MCP server given/);
  assert.match(hintText, /\?server=<url>/);
  assert.match(hintText, /expose\s+mcp-session-id/);
  assert.match(hintText, /make demo/);
  assert.match(await page.getByTestId('status').textContent(), /enter its URL/);
  assert.equal(await page.getByTestId('server-url').inputValue(), '');
  const width = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  t.diagnostic(`empty page at 390 px: scrollWidth ${width.scroll}, innerWidth ${width.inner}`);
  assert.equal(width.inner, PHONE.width);
  assert.ok(width.scroll <= PHONE.width, `no horizontal scroll: scrollWidth ${width.scroll}`);

  // A server whose CORS hides Mcp-Session-Id: the error's hint (what to fix) is at its end.
  const hidden = await startNode('tests/servers/ts_server.mjs', ['--port', '0', '--no-expose'], /LISTENING (\d+)/);
  await page.getByTestId('server-url').fill(`http://127.0.0.1:${hidden[1]}/mcp`);
  assert.equal(await hint.isVisible(), false, 'the note goes once a URL is typed');
  await page.getByTestId('agents').fill('1');
  await page.getByTestId('calls-per-agent').fill('1');
  await page.getByTestId('run').click();
  await page.waitForFunction(() => window.__demo.done === true, null, { timeout: 30000 });
  const demo = await page.evaluate(() => window.__demo);
  assert.equal(demo.errors, 1, JSON.stringify(demo.errorMessages));
  const row = page.getByTestId('results-log').locator('li.err').first();
  const shown = await row.evaluate((li) => {
    const r = li.getBoundingClientRect();
    const style = getComputedStyle(li);
    return {
      text: li.innerText, scrollWidth: li.scrollWidth, clientWidth: li.clientWidth, height: r.height,
      right: r.right, lineHeight: parseFloat(style.lineHeight) || 16, textOverflow: style.textOverflow, whiteSpace: style.whiteSpace,
    };
  });
  t.diagnostic(`error row: ${JSON.stringify({ ...shown, text: shown.text.slice(0, 80) + '…' })}`);
  assert.match(shown.text, /CONNECT_FAILED/);
  assert.match(shown.text, /Access-Control-Expose-Headers: mcp-session-id/, 'the hint is in the row');
  assert.ok(shown.scrollWidth <= shown.clientWidth, `nothing of the row is cut off: ${shown.scrollWidth} > ${shown.clientWidth}`);
  assert.notEqual(shown.whiteSpace, 'nowrap', 'the row wraps');
  assert.ok(shown.height > 2 * shown.lineHeight, `the long message takes several lines (${shown.height} px)`);
  assert.ok(shown.right <= PHONE.width, `the row ends inside the viewport (${shown.right})`);
  // What the row shows is the whole message the pool gave.
  assert.ok(shown.text.includes(demo.errorMessages[0].replace(/^agent 01 #1 server1\.\w+: /, '')), 'the whole message');
  assert.ok(await overflowX(page) <= 0, 'no horizontal scroll after the error');
  assert.deepEqual(pageErrors, []);
  await page.screenshot({ path: path.join(repo, 'target/www-phone-error.png'), fullPage: true });
  await page.close();
});

test('two servers at once (TS SDK and Python SDK), defaults: getters wait, both servers serve; phone size', async (t) => {
  const ts = await startTsServer();
  const py = await startPyServer();
  t.after(async () => { await ts.stop(); await py.stop(); });
  const page = await context.newPage();
  await page.setViewportSize(PHONE);
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  await page.goto(`http://127.0.0.1:${wwwPort}/?server=${encodeURIComponent(ts.url)}&server=${encodeURIComponent(py.url)}`);
  await page.waitForFunction(() => window.__demo?.ready === true, null, { timeout: 15000 });
  assert.equal(await page.getByTestId('server-url').inputValue(), `${ts.url}, ${py.url}`, 'both URLs prefilled');
  assert.equal(await page.getByTestId('hint').isVisible(), false);

  // The page's defaults: more agents than sessions, one agent per session.
  const defaults = {
    agents: Number(await page.getByTestId('agents').inputValue()),
    calls: Number(await page.getByTestId('calls-per-agent').inputValue()),
    maxConn: Number(await page.getByTestId('max-connections').inputValue()),
    maxLeases: Number(await page.getByTestId('max-leases').inputValue()),
  };
  t.diagnostic(`defaults: ${JSON.stringify(defaults)}`);
  assert.ok(defaults.agents > 2 * defaults.maxConn * defaults.maxLeases, 'more agents than leases on both servers');

  await page.getByTestId('run').click();
  await page.waitForFunction(() => window.__demo.done === true, null, { timeout: 90000 });
  const demo = await page.evaluate(() => window.__demo);
  assert.deepEqual(demo.errorMessages, []);
  assert.equal(demo.calls, defaults.agents * defaults.calls);
  assert.deepEqual(demo.servers.map((s) => s.url), [ts.url, py.url]);

  // Waiting getters, seen by the sampler and drawn (the orange line).
  const waiting = demo.samples.map((s) => s.waiting);
  const peak = Math.max(...waiting);
  t.diagnostic(`samples ${demo.samples.length}, waiting > 0 in ${waiting.filter((w) => w > 0).length}, peak ${peak}`);
  assert.ok(peak > 0, 'some sample shows waiting getters');
  assert.equal(demo.samples.at(-1).waiting, 0);
  for (const name of ['server1', 'server2']) {
    assert.ok(demo.samples.every((s) => s.servers[name].totalConnections + s.servers[name].openingConnections <= defaults.maxConn),
      `${name}: never more than maxConnectionsPerServer sessions`);
    assert.ok(demo.samples.every((s) => s.servers[name].leases <= s.servers[name].totalConnections * defaults.maxLeases),
      `${name}: at most maxLeasesPerConnection leases per session`);
  }
  const orange = await page.getByTestId('chart').evaluate((canvas) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] > 180 && data[i + 1] > 80 && data[i + 1] < 160 && data[i + 2] < 70) n++;
    return n;
  });
  t.diagnostic(`waiting-line pixels: ${orange}`);
  assert.ok(orange > 20, 'the waiting line is drawn');

  // Each server saw its half of the calls (agents take the servers in turn), over at most maxConn sessions.
  const seen = { ts: await ts.stats(), py: await py.stats() };
  t.diagnostic(`server stats: ${JSON.stringify(seen)}`);
  for (const [name, s] of Object.entries(seen)) {
    const calls = (s.toolCalls.echo ?? 0) + (s.toolCalls.slow ?? 0);
    assert.equal(calls, demo.calls / 2, `${name} served half of the calls`);
    assert.ok(s.initialize >= 1 && s.initialize <= defaults.maxConn, `${name}: initialize ${s.initialize}`);
  }
  assert.deepEqual(demo.serverStats.map((s) => s.initialize), [seen.ts.initialize, seen.py.initialize]);
  const table = await page.getByTestId('stats-table').textContent();
  assert.match(table, /server1: sessions \/ max/);
  assert.match(table, /server2 saw: initialize/);
  assert.ok(await overflowX(page) <= 0, 'no horizontal scroll with two servers\' rows');
  assert.deepEqual(pageErrors, []);
  await page.screenshot({ path: path.join(repo, 'target/www-phone-two-servers.png'), fullPage: true });

  await page.getByTestId('close-pool').click();
  await page.getByTestId('status').filter({ hasText: 'Pool closed' }).waitFor({ timeout: 15000 });
  assert.equal((await ts.stats()).sessions, 0, 'TS server: every session ended');
  await page.close();
});
