#!/usr/bin/env node
// Tiny static server for the browser demo (no dependencies).
//   node scripts/serve-www.mjs [--port 0]
// Serves www/ at / and pkg/ at /pkg/, on 127.0.0.1 only. Prints "SERVING http://127.0.0.1:<port>/".
import http from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MOUNTS = [
  ['/pkg/', path.join(repo, 'pkg')],
  ['/', path.join(repo, 'www')],
];
const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const args = process.argv.slice(2);
const i = args.indexOf('--port');
const port = i >= 0 ? Number(args[i + 1]) : 0;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`serve-www: bad --port ${args[i + 1]}\n`);
  process.exit(2);
}

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}

// Maps a URL path to a file inside one mount root, or null (never escapes the root).
function resolveFile(urlPath) {
  let decoded;
  try { decoded = decodeURIComponent(urlPath); } catch { return null; }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  for (const [prefix, root] of MOUNTS) {
    if (decoded === prefix.slice(0, -1) && prefix !== '/') return { redirect: prefix };
    if (!decoded.startsWith(prefix)) continue;
    let rel = decoded.slice(prefix.length);
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    // Reject any ".." segment outright, then double-check containment after resolution.
    if (rel.split('/').some((seg) => seg === '..')) return null;
    const file = path.resolve(root, rel);
    if (file !== root && !file.startsWith(root + path.sep)) return null;
    return { file };
  }
  return null;
}

const server = http.createServer(async (req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'method not allowed\n');
  }
  let pathname;
  try { pathname = new URL(req.url, 'http://127.0.0.1').pathname; } catch { return send(res, 400, 'bad request\n'); }
  const hit = resolveFile(pathname);
  if (!hit) return send(res, 404, 'not found\n');
  if (hit.redirect) { res.writeHead(301, { Location: hit.redirect }); return res.end(); }
  let st;
  try { st = await stat(hit.file); } catch { return send(res, 404, 'not found\n'); }
  if (!st.isFile()) return send(res, 404, 'not found\n');
  const type = MIME[path.extname(hit.file).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': st.size,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(hit.file).on('error', () => res.destroy()).pipe(res);
});

server.listen({ port, host: '127.0.0.1' }, () => {
  process.stdout.write(`SERVING http://127.0.0.1:${server.address().port}/\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
