// The package through a bundler, in a real browser: an app that imports "mcp-edge-pool" (the
// packed tarball, installed into a scratch project) is bundled by esbuild with the browser
// condition, served with the wasm next to it, and run in headless Chromium against the TS SDK
// server. Also: a server whose CORS hides Mcp-Session-Id gets an error that says so, and the bundle
// holds neither undici (a dependency of the package's Node entry only) nor the Node client.
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

function bundle() {
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
  const built = esbuild.buildSync({
    absWorkingDir: scratch, entryPoints: ['app.mjs'], bundle: true, format: 'esm', platform: 'browser',
    conditions: ['browser'], outfile: 'dist/app.js', target: 'es2022', logLevel: 'silent', metafile: true,
  });
  // esbuild leaves `new URL("./mcp_edge_pool_bg.wasm", import.meta.url)` as is: ship the wasm next to the bundle.
  copyFileSync(path.join(scratch, 'node_modules/mcp-edge-pool/mcp_edge_pool_bg.wasm'), path.join(scratch, 'dist/mcp_edge_pool_bg.wasm'));
  writeFileSync(path.join(scratch, 'dist/index.html'), '<!doctype html><script type="module" src="app.js"></script>');
  return { dist: path.join(scratch, 'dist'), inputs: Object.keys(built.metafile.inputs), installed: path.join(scratch, 'node_modules') };
}

async function serve(dir) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const server = http.createServer((req, res) => {
    const name = path.basename(new URL(req.url, 'http://x').pathname) || 'index.html';
    try {
      const body = readFileSync(path.join(dir, name));
      res.writeHead(200, { 'content-type': types[path.extname(name)] ?? 'application/octet-stream' }).end(body);
    } catch { res.writeHead(404).end(); }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  return `http://127.0.0.1:${server.address().port}/`;
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
  const profile = mkdtempSync(path.join(tmpdir(), 'bundle-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
  cleanups.push(async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); });
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
