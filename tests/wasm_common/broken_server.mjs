// A minimal MCP server that breaks connections on purpose, for tests/wasm_common (the wasm tests'
// MCP_TEST_URL_BROKEN). Usage: node tests/wasm_common/broken_server.mjs --port 0
// Prints "LISTENING <port>" when ready. Binds 127.0.0.1 only. Sends CORS headers (browser tests).
//   initialize            -> JSON result, Mcp-Session-Id "broken-session"
//   notifications         -> 202
//   tools/call sse_drop   -> 200 text/event-stream, one notification event, then the socket is destroyed
//   tools/call json_drop  -> 200 application/json, Content-Length 4096, half a body, then destroyed
//   any other request     -> JSON result { content: [{ type: "text", text: "ok" }] }
// Under the path /nocors the same server sends no CORS headers at all (a browser refuses it).
import http from 'node:http';

const args = process.argv.slice(2);
const port = Number(args[args.indexOf('--port') + 1] ?? 0) || 0;
const SESSION = 'broken-session';
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
  'Access-Control-Allow-Headers':
    'content-type, mcp-session-id, mcp-protocol-version, authorization, last-event-id',
  'Access-Control-Expose-Headers': 'mcp-session-id',
};

const json = (res, status, body, headers = {}) => {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

const server = http.createServer(async (req, res) => {
  if (!req.url.startsWith('/nocors')) for (const [k, v] of Object.entries(CORS)) res.setHeader(k, v);
  if (req.method === 'OPTIONS') { res.writeHead(204); return res.end(); }
  if (req.method === 'DELETE') { res.writeHead(200); return res.end(); }
  if (req.method !== 'POST') { res.writeHead(405); return res.end(); }
  let text = '';
  for await (const chunk of req) text += chunk;
  let m;
  try { m = JSON.parse(text); } catch { return json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }); }
  if (m.method === 'initialize') {
    return json(res, 200, {
      jsonrpc: '2.0', id: m.id,
      result: {
        protocolVersion: m.params?.protocolVersion ?? '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'broken-fixture', version: '1.0.0' },
      },
    }, { 'Mcp-Session-Id': SESSION });
  }
  if (m.id === undefined) { res.writeHead(202); return res.end(); }
  if (req.headers['mcp-session-id'] !== SESSION) {
    return json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Bad Request: Mcp-Session-Id header is required' } });
  }
  const tool = m.method === 'tools/call' ? m.params?.name : undefined;
  if (tool === 'sse_drop') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write(`data: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'about to drop' } })}\n\n`);
    setTimeout(() => req.socket.destroy(), 30);
    return;
  }
  if (tool === 'json_drop') {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '4096' });
    res.write(`{"jsonrpc":"2.0","id":${JSON.stringify(m.id)},"result":{"content":[`);
    setTimeout(() => req.socket.destroy(), 30);
    return;
  }
  return json(res, 200, { jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'ok' }] } });
});

server.listen({ port, host: '127.0.0.1' }, () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
