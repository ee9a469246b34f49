// End-to-end test of the browser demo (www/): a real MCP server, the static server, headless Chromium.
//   node --test tests/www/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
  assert.equal(await page.getByTestId('max-leases').inputValue(), '');

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
  assert.equal(demo.serverStats?.initialize, server.initialize, 'page read the same server stats');

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
