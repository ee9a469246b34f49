// Real MCP server fixture on the official TS SDK (McpServer + StreamableHTTPServerTransport).
// Usage: node tests/servers/ts_server.mjs --port 0 [--json] [--resumable [--retry-ms N]]
//        node tests/servers/ts_server.mjs --port 0 --sse-legacy [--sse-cross-origin]
// --resumable: an event store (the SDK's InMemoryEventStore) so SSE answers carry event ids and
//   can be resumed with GET + Last-Event-ID; --retry-ms adds `retry:` to the priming event.
// --sse-legacy: the old HTTP+SSE transport only (SDK SSEServerTransport, protocol 2024-11-05):
//   POST /mcp is 405, GET /mcp opens the event stream, messages go to POST /messages?sessionId=.
//   --sse-cross-origin: the stream names an endpoint on http://localhost:<port> (another origin).
// Prints exactly one line "LISTENING <port>" on stdout when ready. Binds 127.0.0.1 only.
// Test hooks (plain HTTP): GET /__stats, POST /__reset, POST /__expire.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

// The npm deps live in tests/js/node_modules; load them from there (CJS builds).
const require = createRequire(new URL('../js/package.json', import.meta.url));
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StreamableHTTPServerTransport } = require('@modelcontextprotocol/sdk/server/streamableHttp.js');
const { SSEServerTransport } = require('@modelcontextprotocol/sdk/server/sse.js');
const { InMemoryEventStore } = require('@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js');
const { z } = require('zod');

const args = process.argv.slice(2);
const port = Number(args[args.indexOf('--port') + 1] ?? 0) || 0;
const json = args.includes('--json');
// --no-expose: CORS that allows the request but hides Mcp-Session-Id from browsers (a common
// misconfiguration the pool must explain).
const noExpose = args.includes('--no-expose');
const resumable = args.includes('--resumable');
const retryMs = args.includes('--retry-ms') ? Number(args[args.indexOf('--retry-ms') + 1]) : undefined;
const sseLegacy = args.includes('--sse-legacy');
const sseCrossOrigin = args.includes('--sse-cross-origin');

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
  'Access-Control-Allow-Headers':
    'content-type, mcp-session-id, mcp-protocol-version, authorization, last-event-id, mcp-method, mcp-name',
  ...(noExpose ? {} : { 'Access-Control-Expose-Headers': 'mcp-session-id' }),
};

const fresh = () => ({
  initialize: 0, deleted: 0, posts: 0, cancelled: 0, aborted: 0, toolCalls: {},
  // --sse-legacy: GET streams opened, POSTs to /messages, versions offered in initialize.
  sseStreams: 0, ssePosts: 0, offeredVersions: [], negotiated: [],
  // Credentials (the Authorization header): which opened each session, and requests that came
  // to a session with another credential than the one that opened it.
  openedBy: {}, callsBy: {}, crossings: 0,
});
let stats = fresh();
const transports = new Map(); // session id -> transport
const legacy = new Map(); // --sse-legacy: session id -> SSEServerTransport
const owners = new Map(); // session id -> the Authorization header of its initialize

const text = (t) => ({ content: [{ type: 'text', text: String(t) }] });
const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve(true); }, { once: true });
  });

function buildServer() {
  const server = new McpServer({ name: 'ts-fixture', version: '1.0.0' });
  const tool = (name, config, fn) =>
    server.registerTool(name, config, async (...a) => {
      stats.toolCalls[name] = (stats.toolCalls[name] ?? 0) + 1;
      return fn(...a);
    });

  tool('echo', { description: 'Echo a message', inputSchema: { message: z.string() } },
    async ({ message }) => text(message));
  tool('add', {
    description: 'Add two numbers',
    inputSchema: { a: z.number(), b: z.number() },
    outputSchema: { sum: z.number() },
    annotations: { readOnlyHint: true, idempotentHint: true },
  }, async ({ a, b }) => ({ ...text(a + b), structuredContent: { sum: a + b } }));
  tool('slow', { description: 'Wait ms milliseconds, then answer "done"', inputSchema: { ms: z.number() } },
    async ({ ms }, extra) => {
      if (await sleep(ms, extra.signal)) { stats.aborted++; return text('cancelled'); }
      return text('done');
    });
  tool('progress', {
    description: 'Send `steps` progress notifications, `ms` apart',
    inputSchema: { steps: z.number(), ms: z.number() },
  }, async ({ steps, ms }, extra) => {
    const progressToken = extra._meta?.progressToken;
    for (let i = 1; i <= steps; i++) {
      if (await sleep(ms, extra.signal)) { stats.aborted++; return text('cancelled'); }
      if (progressToken !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress: i, total: steps, message: `step ${i}` },
        });
      }
    }
    return text(`done ${steps}`);
  });
  // Only with --resumable, so the default tool list stays as it is.
  if (resumable) tool('interrupt', {
    description: 'Closes its own SSE stream (the client must resume with GET + Last-Event-ID), then answers after ms',
    inputSchema: { ms: z.number() },
  }, async ({ ms }, extra) => {
    const closed = typeof extra.closeSSEStream === 'function';
    if (closed) extra.closeSSEStream();
    if (await sleep(ms, extra.signal)) { stats.aborted++; return text('cancelled'); }
    return text(closed ? 'answered after the stream was closed' : 'no closeSSEStream (no event store?)');
  });
  tool('fail', { description: 'Always fails (isError result)' },
    async () => ({ ...text('this tool always fails'), isError: true }));

  // Server → client requests, sent on the tool call's own stream (relatedRequestId); each tool
  // answers with what the client returned, or isError with the SDK's error (e.g. the client did not
  // declare the capability).
  const ask = (name, description, send) =>
    // No input schema: the SDK passes only `extra`.
    tool(name, { description }, async (extra) => {
      try {
        return text(JSON.stringify(await send({ relatedRequestId: extra.requestId })));
      } catch (e) {
        return { ...text(`${name} failed: ${e.message}`), isError: true };
      }
    });
  ask('elicit', 'Asks the client for a name (elicitation/create)', (options) =>
    server.server.elicitInput({
      message: 'Your name?',
      requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    }, options));
  ask('sample', 'Asks the client to sample (sampling/createMessage)', (options) =>
    server.server.createMessage({
      messages: [{ role: 'user', content: { type: 'text', text: 'Say hi' } }],
      maxTokens: 10,
    }, options));
  ask('roots', 'Asks the client for its roots (roots/list)', (options) => server.server.listRoots(undefined, options));
  // The same elicitation with no related request: the SDK sends it on the standalone GET stream
  // (or nowhere, when the client has none open: then it times out after 3 s).
  ask('elicit_standalone', 'Asks for a name outside the call (standalone GET stream)', () =>
    server.server.elicitInput({
      message: 'Your name, standalone?',
      requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    }, { timeout: 3000 }));
  tool('notify_changed', { description: 'Sends notifications/tools/list_changed (standalone GET stream)' },
    async () => { server.sendToolListChanged(); return text('sent'); });

  server.registerResource('hello', 'test://hello', { mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'hello' }] }));
  server.registerPrompt('greet', { description: 'Greet someone', argsSchema: { name: z.string() } },
    ({ name }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Hello, ${name}!` } }] }));
  return server;
}

function sendJson(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
const rpcError = (res, status, code, message) =>
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null });

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

async function handleMcp(req, res) {
  const sid = req.headers['mcp-session-id'];
  let parsed;
  if (req.method === 'POST') {
    stats.posts++;
    try { parsed = JSON.parse(await readBody(req)); } catch { return rpcError(res, 400, -32700, 'Parse error'); }
    for (const m of [parsed].flat()) {
      if (m?.method === 'initialize') stats.initialize++;
      if (m?.method === 'notifications/cancelled') stats.cancelled++;
    }
  } else if (req.method === 'DELETE') {
    stats.deleted++;
  }

  let transport = sid ? transports.get(sid) : undefined;
  if (sid && !transport) return rpcError(res, 404, -32001, 'Session not found');
  const credential = req.headers.authorization ?? '';
  if (sid && req.method === 'POST') {
    if (owners.get(sid) !== credential) stats.crossings++;
    for (const m of [parsed].flat()) {
      if (m?.method === 'tools/call') stats.callsBy[credential] = (stats.callsBy[credential] ?? 0) + 1;
    }
  }
  if (!transport) {
    const isInit = [parsed].flat().some((m) => m?.method === 'initialize');
    if (req.method !== 'POST' || !isInit) {
      return rpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    }
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: json,
      ...(resumable ? { eventStore: new InMemoryEventStore(), retryInterval: retryMs } : {}),
      onsessioninitialized: (id) => {
        transports.set(id, transport);
        owners.set(id, credential);
        stats.openedBy[credential] = (stats.openedBy[credential] ?? 0) + 1;
      },
      onsessionclosed: (id) => transports.delete(id),
    });
    transport.onclose = () => transport.sessionId && transports.delete(transport.sessionId);
    await buildServer().connect(transport);
  }
  await transport.handleRequest(req, res, parsed);
}

// --sse-legacy: the HTTP+SSE transport of protocol 2024-11-05.
async function handleLegacy(req, res, path) {
  if (path === '/mcp' && req.method === 'GET') {
    stats.sseStreams++;
    if (sseCrossOrigin) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      res.write(`event: endpoint\ndata: http://localhost:${httpServer.address().port}/messages?sessionId=elsewhere\n\n`);
      return;
    }
    const transport = new SSEServerTransport('/messages', res);
    legacy.set(transport.sessionId, transport);
    res.on('close', () => legacy.delete(transport.sessionId));
    const server = buildServer();
    await server.connect(transport);
    return;
  }
  if (path === '/mcp') {
    if (req.method === 'POST') stats.posts++;
    res.writeHead(405, { Allow: 'GET', 'Content-Type': 'text/plain' });
    return res.end('Method Not Allowed: this server speaks HTTP+SSE (GET this URL)');
  }
  if (path === '/messages' && req.method === 'POST') {
    stats.ssePosts++;
    const sid = new URL(req.url, 'http://127.0.0.1').searchParams.get('sessionId');
    const transport = legacy.get(sid);
    if (!transport) return rpcError(res, 404, -32001, 'Session not found');
    let parsed;
    try { parsed = JSON.parse(await readBody(req)); } catch { return rpcError(res, 400, -32700, 'Parse error'); }
    if (parsed?.method === 'initialize') {
      stats.initialize++;
      stats.offeredVersions.push(parsed.params?.protocolVersion);
    }
    if (parsed?.method === 'notifications/cancelled') stats.cancelled++;
    return transport.handlePostMessage(req, res, parsed);
  }
  sendJson(res, 404, { error: 'not found' });
}

const httpServer = http.createServer(async (req, res) => {
  for (const [k, v] of Object.entries(CORS)) res.setHeader(k, v);
  const path = new URL(req.url, 'http://127.0.0.1').pathname;
  try {
    if (req.method === 'OPTIONS') { res.writeHead(204); return res.end(); }
    if (path === '/__stats' && req.method === 'GET') {
      return sendJson(res, 200, { ...stats, sessions: sseLegacy ? legacy.size : transports.size });
    }
    if (path === '/__reset' && req.method === 'POST') { stats = fresh(); return sendJson(res, 200, { ok: true }); }
    if (path === '/__expire' && req.method === 'POST') {
      const all = [...transports.values(), ...legacy.values()];
      transports.clear();
      legacy.clear();
      await Promise.allSettled(all.map((t) => t.close()));
      return sendJson(res, 200, { ok: true, expired: all.length });
    }
    if (sseLegacy) return await handleLegacy(req, res, path);
    if (path === '/mcp') return await handleMcp(req, res);
    sendJson(res, 404, { error: 'not found' });
  } catch (err) {
    process.stderr.write(`ts_server: ${err?.stack ?? err}\n`);
    if (!res.headersSent) rpcError(res, 500, -32603, 'Internal error');
    else res.end();
  }
});

httpServer.listen({ port, host: '127.0.0.1', backlog: 511 }, () => {
  process.stdout.write(`LISTENING ${httpServer.address().port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
