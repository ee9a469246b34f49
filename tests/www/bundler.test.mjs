// The package through a bundler, in a real browser: an app that imports "mcp-edge-pool" (the
// packed tarball, installed into a scratch project) is bundled by esbuild with the browser
// condition, served with the wasm next to it, and run in headless Chromium against the TS SDK
// server. Also: a server whose CORS hides Mcp-Session-Id gets an error that says so, and the bundle
// holds neither undici (a dependency of the package's Node entry only) nor the Node client. And when
// the .wasm was not copied next to the bundle, and the site answers its URL with an HTML fallback page
// (200) or a 404, importing the package fails with an error that names the file and that URL (not
// `CompileError: ... expected magic word 00 61 73 6d`), from the browser entry and from ./web's init().
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(repo, 'tests/js/package.json'));
const { chromium } = require('playwright-core');
const esbuild = require('esbuild');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

function startServer(args) {
  const child = spawn(process.execPath, [path.join(repo, 'tests/servers/ts_server.mjs'), '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => new Promise((r) => { child.once('exit', r); child.kill(); }));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; const m = /LISTENING (\d+)/.exec(out); if (m) resolve(`http://127.0.0.1:${m[1]}/mcp`); });
    child.on('exit', () => reject(new Error('ts_server exited')));
  });
}

let bundled;
function bundle() {
  bundled ??= makeBundle();
  return bundled;
}

function makeBundle() {
  const scratch = path.join(repo, 'target/bundle-scratch');
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(path.join(scratch, 'dist'), { recursive: true });
  const pack = path.join(repo, 'target/pack-bundle');
  rmSync(pack, { recursive: true, force: true });
  mkdirSync(pack, { recursive: true });
  const tarball = execFileSync('npm', ['pack', path.join(repo, 'pkg'), '--pack-destination', pack, '--silent'], { encoding: 'utf8' }).trim().split('\n').at(-1);
  writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'bundle-scratch', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', path.join(pack, tarball)], { cwd: scratch });
  writeFileSync(path.join(scratch, 'app.mjs'), `
    import { McpPool } from "mcp-edge-pool";
    const server = new URLSearchParams(location.search).get("server");
    (async () => {
      try {
        const pool = new McpPool();
        pool.registerHttp("s", server);
        const client = await pool.get("s");
        const result = await client.callTool("echo", { message: "bundled" });
        client.release();
        window.__result = { text: result.content[0].text, sessions: pool.stats().totalConnections };
        await pool.close();
      } catch (e) {
        window.__result = { code: e.code, message: e.message, isError: e instanceof Error };
      }
    })();`);
  // The ./web entry, whose default init() the app calls itself.
  writeFileSync(path.join(scratch, 'web-app.mjs'), `
    import init, { McpPool } from "mcp-edge-pool/web";
    init().then(
      () => { window.__result = { ok: new McpPool().servers().length === 0 }; },
      (e) => { window.__result = { message: e.message, name: e.name, isCompileError: e instanceof WebAssembly.CompileError }; },
    );`);
  const built = esbuild.buildSync({
    absWorkingDir: scratch, entryPoints: ['app.mjs', 'web-app.mjs'], bundle: true, format: 'esm', platform: 'browser',
    conditions: ['browser'], outdir: 'dist', target: 'es2022', logLevel: 'silent', metafile: true,
  });
  // esbuild leaves `new URL("./mcp_edge_pool_bg.wasm", import.meta.url)` as is: ship the wasm next to the bundle.
  copyFileSync(path.join(scratch, 'node_modules/mcp-edge-pool/mcp_edge_pool_bg.wasm'), path.join(scratch, 'dist/mcp_edge_pool_bg.wasm'));
  writeFileSync(path.join(scratch, 'dist/index.html'), '<!doctype html><script type="module" src="app.js"></script>');
  writeFileSync(path.join(scratch, 'dist/web.html'), '<!doctype html><script type="module" src="web-app.js"></script>');
  return { dist: path.join(scratch, 'dist'), inputs: Object.keys(built.metafile.inputs), installed: path.join(scratch, 'node_modules') };
}

/**
 * Serves `dir`. `hide`: file names answered as if absent; `fallback`: an absent file is answered with
 * index.html, 200, as single-page-app hosts and dev servers do (else 404).
 */
async function serve(dir, { hide = [], fallback = false } = {}) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const server = http.createServer((req, res) => {
    const name = path.basename(new URL(req.url, 'http://x').pathname) || 'index.html';
    try {
      if (hide.includes(name)) throw new Error('hidden');
      const body = readFileSync(path.join(dir, name));
      res.writeHead(200, { 'content-type': types[path.extname(name)] ?? 'application/octet-stream' }).end(body);
    } catch {
      if (fallback) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(readFileSync(path.join(dir, 'index.html')));
      else res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  return `http://127.0.0.1:${server.address().port}/`;
}

let chromiumContext;
async function browser() {
  if (chromiumContext) return chromiumContext;
  const profile = mkdtempSync(path.join(tmpdir(), 'bundle-chromium-'));
  chromiumContext = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
  cleanups.push(async () => { await chromiumContext.close(); rmSync(profile, { recursive: true, force: true }); });
  return chromiumContext;
}

async function run(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 20000 });
  return page.evaluate(() => window.__result);
}

test('an esbuild bundle of the package runs in Chromium; a hidden Mcp-Session-Id is explained', async () => {
  const { dist, inputs, installed } = bundle();
  // undici came with the package (a dependency of its Node entry), and stayed out of the bundle.
  assert.ok(existsSync(path.join(installed, 'undici/package.json')), 'npm installed undici with the package');
  assert.ok(inputs.some((f) => f.includes('mcp-edge-pool/browser.mjs')), `the browser entry was bundled: ${inputs.join(', ')}`);
  assert.deepEqual(inputs.filter((f) => /undici|node\.mjs/.test(f)), [], 'neither undici nor the Node entry and its client were bundled');
  const site = await serve(dist);
  const good = await startServer([]);
  const hidden = await startServer(['--no-expose']);
  const context = await browser();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  const ok = await run(page, `${site}?server=${encodeURIComponent(good)}`);
  assert.deepEqual(ok, { text: 'bundled', sessions: 1 });

  const refused = await run(page, `${site}?server=${encodeURIComponent(hidden)}`);
  assert.equal(refused.isError, true);
  assert.equal(refused.code, 'CONNECT_FAILED');
  assert.match(refused.message, /Access-Control-Expose-Headers: mcp-session-id/);
  assert.deepEqual(errors, []);
});

test('a .wasm missing next to the bundle fails with an error naming the file and its URL', async (t) => {
  const { dist } = bundle();
  const context = await browser();
  const expectFile = (message, site, url) => {
    assert.match(message, /^mcp-edge-pool: /, message);
    assert.ok(message.includes(`mcp_edge_pool_bg.wasm, at ${url}:`), `names the file and the URL ${url}: ${message}`);
    assert.match(message, /copy node_modules\/mcp-edge-pool\/mcp_edge_pool_bg\.wasm so that it is served at that URL/);
    assert.doesNotMatch(message, /magic word/);
  };

  // A host that answers every unknown path with its index.html, 200 (an SPA fallback, a dev server).
  const spa = await serve(dist, { hide: ['mcp_edge_pool_bg.wasm'], fallback: true });
  const wasmUrl = `${spa}mcp_edge_pool_bg.wasm`;
  const html = await fetch(wasmUrl);
  assert.equal(html.status, 200, 'the fallback answers the .wasm URL with 200');
  assert.match(await html.text(), /^<!doctype html>/);

  // The browser entry (bundled): its top-level await rejects, so the module fails to evaluate.
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(spa);
  await page.waitForFunction(() => document.readyState === 'complete');
  for (let i = 0; i < 100 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  t.diagnostic(`browser entry, HTML fallback: ${errors[0]}`);
  assert.equal(errors.length, 1, `one page error: ${JSON.stringify(errors)}`);
  expectFile(errors[0], spa, wasmUrl);
  assert.match(errors[0], /the server answered 200 with Content-Type text\/html; charset=utf-8 and an HTML page/);
  assert.equal(await page.evaluate(() => window.__result), undefined, 'the app never ran');

  // The ./web entry's init(): a rejection the app can catch, with the same words.
  const web = await run(page, `${spa}web.html`);
  t.diagnostic(`./web init(), HTML fallback: ${web.message}`);
  assert.equal(web.isCompileError, false);
  assert.equal(web.name, 'Error');
  expectFile(web.message, spa, wasmUrl);

  // A host that answers 404.
  const plain = await serve(dist, { hide: ['mcp_edge_pool_bg.wasm'] });
  const missing = await run(page, `${plain}web.html`);
  t.diagnostic(`./web init(), 404: ${missing.message}`);
  expectFile(missing.message, plain, `${plain}mcp_edge_pool_bg.wasm`);
  assert.match(missing.message, /the server answered HTTP 404/);

  // With the .wasm there, the same ./web page initialises.
  const good = await serve(dist);
  assert.deepEqual(await run(page, `${good}web.html`), { ok: true });
  await page.close();
});
