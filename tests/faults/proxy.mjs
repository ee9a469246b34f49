// A small fault-injecting reverse proxy (node:http only, loopback only) to put between an MCP
// client and a real MCP server. Without a fault it forwards every request unchanged and streams
// every response back as it arrives (status, headers incl. mcp-session-id and CORS, body).
//
//   import { startFaultProxy } from '../faults/proxy.mjs';
//   const proxy = await startFaultProxy(server.url);       // http://127.0.0.1:<port>/mcp
//   proxy.setFault({ kind: 'dropMidBody', method: 'tools/call' });   // the next tools/call only
//   ... point the client at proxy.url ...
//   proxy.clearFault(); proxy.log; await proxy.stop();
//
// A fault spec is { kind, ...parameters, ...selection }.
//
// Selection (which requests it hits; every field optional):
//   method      JSON-RPC method, or an array of them ('tools/call', 'initialize', 'ping',
//               'notifications/initialized', ...). Default: any.
//   tool        for tools/call: the tool's name (params.name).
//   httpMethod  'POST' (default), 'GET', 'DELETE', or '*'.
//   match       (info) => boolean, for anything else (info: see the log entries below).
//   nth         hit the nth matching request first (1-based; default 1: the first one).
//   times       how many matching requests it hits from the nth on (default 1, i.e. once;
//               Infinity or `always: true`: every one).
//
// Kinds and their parameters:
//   dropMidBody          forwards; sends the server's status, headers and the first half of its
//                        first body chunk, then destroys the socket (the server did process it).
//   stallBeforeHeaders   { ms }: forwards at once, holds the server's response head for ms
//                        (Infinity: until the client gives up), then streams it.
//   stallMidStream       { ms }: forwards; sends the head and half of the first body chunk,
//                        stalls ms (Infinity: until the client gives up), then the rest.
//   status               { status, body?, headers? }: answers that status without forwarding
//                        (forward: true forwards first and replaces the answer). The default body
//                        is a JSON-RPC error; 401 adds WWW-Authenticate, 429 and 503 Retry-After.
//   notFoundSession      404 + JSON-RPC error -32001 "Session not found", not forwarded; only
//                        requests that carry an Mcp-Session-Id header match.
//   malformedJson        forwards; answers 200 with truncated JSON, in the server's format
//                        (a JSON body, or an SSE event whose data is the truncated JSON).
//   wrongContentType     { contentType = 'text/html' }: forwards; the server's body with another
//                        Content-Type.
//   sseEndsEarly         forwards; an SSE stream carrying the server's non-response events (or a
//                        comment) that ends without the response.
//   mismatchedId         forwards; the server's answer with every response id changed.
//   oversizedBody        { bytes }: forwards; a valid response to the request (same id, same
//                        format) padded to about `bytes` bytes.
//   refuse               closes the socket without answering, before forwarding (forward: true:
//                        after the server answered, so the server did process it).
//   cutSseAfter          { events, destroy? }: forwards; streams an SSE answer event by event and
//                        ends it (destroy: true: breaks the connection) after `events` complete
//                        events; the ids of the events passed go to the log entry (`sseIds`).
//                        A non-SSE answer is passed unchanged.
//
// `log` records every request: { seq, httpMethod, rpc, id, tool, requestId (of a
// notifications/cancelled), session (an Mcp-Session-Id was sent), lastEventId (the Last-Event-ID
// header, or null), fault (the kind applied, or
// null), forwarded, status (what the client got, null if none), outcome ('ok' | 'fault' |
// 'client-gone' | 'upstream-error') }.
import http from 'node:http';

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade',
  'proxy-authenticate', 'proxy-authorization',
]);

const KINDS = new Set([
  'dropMidBody', 'stallBeforeHeaders', 'stallMidStream', 'status', 'notFoundSession', 'malformedJson',
  'wrongContentType', 'sseEndsEarly', 'mismatchedId', 'oversizedBody', 'refuse', 'cutSseAfter',
]);

/** Resolves after ms, or early (to true) when `signal` aborts. ms = Infinity waits for the abort. */
function pause(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(true);
    const timer = Number.isFinite(ms) ? setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(false); }, ms) : null;
    const onAbort = () => { if (timer) clearTimeout(timer); resolve(true); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function drain(next) {
  try { while (await next() !== null); } catch { /* gone */ }
}

async function readAll(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

function copyHeaders(raw, drop = []) {
  const out = {};
  for (const [k, v] of Object.entries(raw)) {
    const name = k.toLowerCase();
    if (HOP_BY_HOP.has(name) || drop.includes(name)) continue;
    out[k] = v;
  }
  return out;
}

const isSse = (headers) => String(headers['content-type'] ?? '').toLowerCase().startsWith('text/event-stream');

/** The JSON-RPC messages of an SSE body, each with its event's other fields. */
function sseEvents(text) {
  return text.split(/\r?\n\r?\n/).filter((e) => e.trim()).map((block) => {
    const lines = block.split(/\r?\n/);
    const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
    const other = lines.filter((l) => !l.startsWith('data:'));
    let message = null;
    try { message = data ? JSON.parse(data) : null; } catch { /* not JSON */ }
    return { other, data, message };
  });
}

const sseEvent = (message) => `event: message\ndata: ${JSON.stringify(message)}\n\n`;
const isResponse = (m) => m && typeof m === 'object' && !Array.isArray(m) && !('method' in m) && ('result' in m || 'error' in m);

/** Summary of one request, for selection and the log. */
function describe(req, body) {
  const info = {
    httpMethod: req.method,
    rpc: null,
    id: null,
    tool: null,
    requestId: null,
    session: typeof req.headers['mcp-session-id'] === 'string',
    lastEventId: typeof req.headers['last-event-id'] === 'string' ? req.headers['last-event-id'] : null,
  };
  if (req.method === 'POST' && body.length) {
    try {
      const parsed = JSON.parse(body.toString('utf8'));
      const first = Array.isArray(parsed) ? parsed[0] : parsed;
      if (first && typeof first === 'object') {
        info.rpc = typeof first.method === 'string' ? first.method : (isResponse(first) ? '(response)' : null);
        info.id = first.id ?? null;
        if (first.method === 'tools/call') info.tool = first.params?.name ?? null;
        if (first.method === 'notifications/cancelled') info.requestId = first.params?.requestId ?? null;
      }
    } catch { info.rpc = '(unparsable)'; }
  }
  return info;
}

function normalize(spec) {
  if (!spec || typeof spec !== 'object' || !KINDS.has(spec.kind)) {
    throw new TypeError(`fault spec needs a kind among ${[...KINDS].join(', ')}; got ${JSON.stringify(spec)}`);
  }
  const s = { ...spec };
  s.methods = s.method === undefined ? null : [s.method].flat();
  s.httpMethod = s.httpMethod ?? 'POST';
  s.nth = s.nth ?? 1;
  s.times = s.always ? Infinity : (s.times ?? 1);
  if ((s.kind === 'stallBeforeHeaders' || s.kind === 'stallMidStream') && !(s.ms >= 0)) {
    throw new TypeError(`${s.kind} needs { ms } (a number, or Infinity)`);
  }
  if (s.kind === 'status' && !Number.isInteger(s.status)) throw new TypeError('status needs { status }');
  if (s.kind === 'oversizedBody' && !(s.bytes > 0)) throw new TypeError('oversizedBody needs { bytes }');
  if (s.kind === 'cutSseAfter' && !(Number.isInteger(s.events) && s.events >= 0)) {
    throw new TypeError('cutSseAfter needs { events } (an integer >= 0)');
  }
  s.seen = 0;
  s.hits = 0;
  return s;
}

/**
 * Starts the proxy on 127.0.0.1 (a free port) in front of `targetUrl`; its URL has the target's
 * path. Returns { url, setFault(spec), clearFault(), log, hits(), stop() }.
 */
export async function startFaultProxy(targetUrl) {
  const upstream = new URL(targetUrl);
  if (upstream.protocol !== 'http:') throw new TypeError('the target must be an http:// URL');
  const log = [];
  let fault = null;
  let seq = 0;
  const exchanges = new Set(); // AbortControllers of exchanges under way (stop() aborts them)

  const selects = (f, info) => {
    if (f.httpMethod !== '*' && f.httpMethod !== info.httpMethod) return false;
    if (f.methods && !f.methods.includes(info.rpc)) return false;
    if (f.tool !== undefined && f.tool !== info.tool) return false;
    if (f.kind === 'notFoundSession' && !info.session) return false;
    if (f.match && !f.match(info)) return false;
    return true;
  };

  const pick = (info) => {
    const f = fault;
    if (!f || !selects(f, info)) return null;
    f.seen++;
    if (f.seen < f.nth || f.hits >= f.times) return null;
    f.hits++;
    return f;
  };

  /** Sends the request on to the server (a fresh connection each time); resolves to its response. */
  const forward = (req, body, signal) => new Promise((resolve, reject) => {
    const headers = copyHeaders(req.headers, ['host', 'content-length']);
    headers.host = upstream.host;
    if (body.length || req.method === 'POST') headers['content-length'] = String(body.length);
    const up = http.request({
      host: upstream.hostname,
      port: upstream.port,
      path: req.url,
      method: req.method,
      headers,
      agent: false,
      signal,
    }, resolve);
    up.on('error', reject);
    up.end(body);
  });

  const respond = (res, status, headers, body) => {
    res.writeHead(status, headers);
    res.end(body);
  };

  /** A JSON-RPC answer that says `message`, as `status` with the request's id. */
  const rpcErrorBody = (info, code, message) =>
    JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: info.id ?? null });

  async function handle(req, res, entry, ac) {
    const body = await readAll(req);
    const info = describe(req, body);
    Object.assign(entry, info);
    const f = pick(info);
    entry.fault = f ? f.kind : null;
    const signal = ac.signal;
    const kind = f?.kind;

    // Faults answered by the proxy itself, before (or instead of) forwarding.
    if (kind === 'refuse' && !f.forward) {
      entry.outcome = 'fault';
      req.socket.destroy();
      return;
    }
    if (kind === 'notFoundSession') {
      entry.outcome = 'fault';
      entry.status = 404;
      return respond(res, 404, { 'content-type': 'application/json' }, rpcErrorBody(info, -32001, 'Session not found'));
    }
    if (kind === 'status' && !f.forward) {
      return answerStatus(res, entry, f, info);
    }

    let upRes;
    try {
      upRes = await forward(req, body, signal);
      entry.forwarded = true;
    } catch (e) {
      if (signal.aborted) { entry.outcome = 'client-gone'; return; }
      // The server is unreachable: behave like it (no answer), do not invent a 502.
      entry.outcome = 'upstream-error';
      entry.error = e.code ?? e.message;
      req.socket.destroy();
      return;
    }
    const headers = copyHeaders(upRes.headers);
    const next = reader(upRes, signal);

    if (!f) {
      entry.status = upRes.statusCode;
      res.writeHead(upRes.statusCode, headers);
      res.flushHeaders();
      return pipe(next, res, entry, signal);
    }
    entry.outcome = 'fault';

    switch (kind) {
      case 'dropMidBody': {
        res.writeHead(upRes.statusCode, headers);
        res.flushHeaders();
        entry.status = upRes.statusCode;
        const first = await firstChunk(next);
        upRes.destroy();
        if (first && first.length > 1) {
          await new Promise((r) => res.write(first.subarray(0, first.length >> 1), r));
        }
        await pause(20, signal);
        res.socket?.destroy();
        return;
      }
      case 'stallBeforeHeaders': {
        if (await pause(f.ms, signal)) { upRes.destroy(); entry.outcome = 'client-gone'; return; }
        entry.status = upRes.statusCode;
        res.writeHead(upRes.statusCode, headers);
        res.flushHeaders();
        return pipe(next, res, entry, signal, 'fault');
      }
      case 'stallMidStream': {
        entry.status = upRes.statusCode;
        res.writeHead(upRes.statusCode, headers);
        res.flushHeaders();
        const first = await firstChunk(next);
        if (!first) { res.end(); return; }
        const cut = Math.max(1, first.length >> 1);
        res.write(first.subarray(0, cut));
        if (await pause(f.ms, signal)) { upRes.destroy(); entry.outcome = 'client-gone'; return; }
        res.write(first.subarray(cut));
        return pipe(next, res, entry, signal, 'fault');
      }
      case 'status': // forward: true
        await drain(next);
        return answerStatus(res, entry, f, info);
      case 'refuse': // forward: true
        await drain(next);
        req.socket.destroy();
        return;
      case 'cutSseAfter': {
        entry.status = upRes.statusCode;
        res.writeHead(upRes.statusCode, headers);
        res.flushHeaders();
        if (!isSse(upRes.headers)) return pipe(next, res, entry, signal, 'fault');
        entry.sseIds = [];
        let pending = '';
        let passed = 0;
        const cut = async () => {
          upRes.destroy();
          if (f.destroy) {
            await pause(20, signal);
            res.socket?.destroy();
          } else {
            res.end();
          }
        };
        if (f.events === 0) return cut();
        try {
          for (let chunk = await next(); chunk !== null; chunk = await next()) {
            pending += chunk.toString('utf8');
            for (let m = /\r?\n\r?\n/.exec(pending); m; m = /\r?\n\r?\n/.exec(pending)) {
              const block = pending.slice(0, m.index + m[0].length);
              pending = pending.slice(m.index + m[0].length);
              // Flushed before any cut, so the client really got the event.
              await new Promise((r) => res.write(block, r));
              const idLine = block.split(/\r?\n/).find((l) => l.startsWith('id:'));
              if (idLine) entry.sseIds.push(idLine.slice(3).replace(/^ /, ''));
              if (!block.split(/\r?\n/).every((l) => l === '' || l.startsWith(':')) && ++passed >= f.events) {
                return cut();
              }
            }
          }
          res.end(pending);
        } catch {
          res.socket?.destroy();
        }
        return;
      }
      default:
        break;
    }

    // The rest rewrite the server's whole answer.
    let text;
    try {
      const chunks = [];
      for (let c = await next(); c !== null; c = await next()) chunks.push(c);
      text = Buffer.concat(chunks).toString('utf8');
    } catch {
      entry.outcome = 'upstream-error';
      req.socket.destroy();
      return;
    }
    const sse = isSse(upRes.headers);
    const rewritten = copyHeaders(upRes.headers, ['content-length']);
    const send = (status, hdrs, out) => {
      entry.status = status;
      respond(res, status, { ...hdrs, 'content-length': String(Buffer.byteLength(out)) }, out);
    };
    const messages = sse ? sseEvents(text).map((e) => e.message) : (() => {
      try { return [JSON.parse(text)].flat(); } catch { return []; }
    })();
    const response = messages.find(isResponse);
    const id = response?.id ?? info.id ?? null;

    switch (kind) {
      case 'malformedJson': {
        const broken = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"cut`;
        return send(upRes.statusCode, rewritten, sse ? `event: message\ndata: ${broken}\n\n` : broken);
      }
      case 'wrongContentType':
        return send(upRes.statusCode, { ...rewritten, 'content-type': f.contentType ?? 'text/html' }, text);
      case 'sseEndsEarly': {
        const kept = sse ? sseEvents(text).filter((e) => !isResponse(e.message)).map((e) => `${[...e.other, ...(e.data ? [`data: ${e.data}`] : [])].join('\n')}\n\n`) : [];
        const out = `: the stream starts\n\n${kept.join('')}`;
        return send(200, { ...copyHeaders(upRes.headers, ['content-length', 'content-type']), 'content-type': 'text/event-stream' }, out);
      }
      case 'mismatchedId': {
        const other = (v) => (typeof v === 'number' ? v + 1_000_000 : `${v}-not-yours`);
        const change = (m) => (isResponse(m) ? { ...m, id: other(m.id) } : m);
        let out;
        if (sse) {
          out = sseEvents(text).map((e) => (e.message ? sseEvent([e.message].flat().length > 1 ? [e.message].flat().map(change) : change(e.message)) : `${e.other.join('\n')}\n\n`)).join('');
        } else {
          let parsed;
          try { parsed = JSON.parse(text); } catch { parsed = null; }
          out = JSON.stringify(Array.isArray(parsed) ? parsed.map(change) : change(parsed ?? { jsonrpc: '2.0', id, result: {} }));
        }
        return send(upRes.statusCode, rewritten, out);
      }
      case 'oversizedBody': {
        const skeleton = { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: '' }] } };
        const pad = Math.max(0, f.bytes - JSON.stringify(skeleton).length);
        skeleton.result.content[0].text = 'x'.repeat(pad);
        const status = upRes.statusCode === 202 ? 200 : upRes.statusCode;
        const ct = sse ? 'text/event-stream' : 'application/json';
        return send(status, { ...rewritten, 'content-type': ct }, sse ? sseEvent(skeleton) : JSON.stringify(skeleton));
      }
      default:
        throw new Error(`unhandled fault kind ${kind}`);
    }
  }

  function answerStatus(res, entry, f, info) {
    entry.outcome = 'fault';
    entry.status = f.status;
    const headers = { 'content-type': 'application/json', ...(f.headers ?? {}) };
    if (f.status === 401 && !headers['www-authenticate']) headers['www-authenticate'] = 'Bearer realm="fault-proxy"';
    if ((f.status === 429 || f.status === 503) && !headers['retry-after']) headers['retry-after'] = '1';
    const body = f.body ?? rpcErrorBody(info, -32000, `fault-proxy: HTTP ${f.status}`);
    respond(res, f.status, headers, body);
  }

  /** Reads the server's body chunk by chunk: next() is a Buffer, null at its end, or throws. */
  function reader(upRes, signal) {
    const it = upRes[Symbol.asyncIterator]();
    const onAbort = () => upRes.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    upRes.once('close', () => signal.removeEventListener('abort', onAbort));
    return async () => {
      const r = await it.next();
      return r.done ? null : r.value;
    };
  }

  /** The first body chunk (null at the end of the body, when the client left, or on an error). */
  async function firstChunk(next) {
    try { return await next(); } catch { return null; }
  }

  /** Streams the rest of the server's body to the client; a broken upstream breaks the client. */
  async function pipe(next, res, entry, signal, outcome = 'ok') {
    try {
      for (let chunk = await next(); chunk !== null; chunk = await next()) {
        if (!res.write(chunk)) await new Promise((r) => { res.once('drain', r); res.once('close', r); });
      }
      entry.outcome = outcome;
      res.end();
    } catch {
      if (signal.aborted) {
        entry.outcome = 'client-gone';
      } else {
        entry.outcome = 'upstream-error';
        res.socket?.destroy();
      }
    }
  }

  const server = http.createServer((req, res) => {
    const entry = {
      seq: ++seq, httpMethod: req.method, rpc: null, id: null, tool: null, requestId: null, session: false,
      fault: null, forwarded: false, status: null, outcome: 'pending',
    };
    log.push(entry);
    const ac = new AbortController();
    exchanges.add(ac);
    // The client went away before the answer was complete: stop everything of this exchange.
    res.on('close', () => { exchanges.delete(ac); if (!res.writableFinished) ac.abort(); });
    req.on('error', () => ac.abort());
    handle(req, res, entry, ac).catch((e) => {
      entry.outcome = 'proxy-error';
      entry.error = String(e?.stack ?? e);
      res.socket?.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = server.address().port;

  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}${upstream.search}`,
    port,
    log,
    /** Installs a fault (replacing any other); see the header comment for the spec. */
    setFault(spec) { fault = normalize(spec); },
    /** Removes the fault: everything is forwarded unchanged again. */
    clearFault() { fault = null; },
    /** How many requests the current fault hit. */
    hits: () => fault?.hits ?? 0,
    /** Stops listening, cuts every connection and ends every stalled exchange. */
    stop() {
      fault = null;
      for (const ac of exchanges) ac.abort();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
