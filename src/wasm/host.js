// JS helpers of the wasm face (documented where they are bound: src/wasm/fetch.rs, timers.rs,
// task.rs). The callbacks task.rs passes in are long-lived closures that take a task key (slot, stamp).

// The Node client that the package's Node entry installs (js/node_undici.mjs, on undici's request
// API): { fetch, Abort }, with the same contract as mcp_fetch and AbortController. Browsers,
// bundles and Workers never load it, nor undici.
let nodeHttp = null;

export function mcp_use_node_http(client) {
  nodeHttp = client;
}

export function mcp_node_http_available() {
  return nodeHttp !== null;
}

export function mcp_controller(node) {
  return node ? new nodeHttp.Abort() : new AbortController();
}

export function mcp_fetch(url, method, headers, body, controller, maxBuffered, node) {
  if (node) return nodeHttp.fetch(url, method, headers, body, controller, maxBuffered);
  const h = new Headers();
  if (headers.length > 0) {
    const list = headers.split("\0");
    for (let i = 0; i + 1 < list.length; i += 2) {
      try {
        h.append(list[i], list[i + 1]);
      } catch (_) {
        return list[i];
      }
    }
  }
  const init = { method, headers: h, signal: controller.signal, redirect: "manual" };
  if (body !== undefined) init.body = body;
  return fetch(url, init).then((r) => {
    const g = r.headers;
    const type = g.get("content-type");
    // Each get is a call into the runtime: WWW-Authenticate is read only on an error status, Location
    // only on a 3xx (src/policy/: the core reads neither on any other).
    const status = r.status;
    const challenge = status >= 400 ? g.get("www-authenticate") : null;
    const location = status >= 300 && status < 400 ? g.get("location") : null;
    const head = [status, type, g.get("mcp-session-id"), challenge, location, null, null, null, g.get("dpop-nonce")];
    const stream = r.body;
    if (stream === null) return head;
    if (type !== null && /^\s*text\/event-stream/i.test(type)) {
      // A POST's event stream carries that request's answer: its first chunk (usually the whole
      // answer) comes with the head, which saves the core an awaited read. A GET's stream (the
      // server's own messages, quiet for minutes) is handed over at once.
      return method === "POST" ? readFirst(stream.getReader(), head) : ((head[6] = stream.getReader()), head);
    }
    // One arrayBuffer() only for a body that is not encoded: Content-Length counts the bytes on
    // the wire, and arrayBuffer() decodes all of them before anyone can count (a 1 MB gzip body
    // can be 1 GB decoded). An encoded body is read chunk by chunk, counted as it is decoded.
    const length = g.get("content-length");
    const encoding = g.get("content-encoding");
    const plain = encoding === null || /^\s*(identity)?\s*$/i.test(encoding);
    if (plain && length !== null && /^[0-9]{1,10}$/.test(length) && Number(length) <= maxBuffered) {
      return r.arrayBuffer().then((b) => {
        head[5] = [new Uint8Array(b)];
        return head;
      }, (e) => {
        head[7] = e;
        return head;
      });
    }
    return BYOB_AT_LEAST ? readAtLeast(stream, maxBuffered, head) : readUpTo(stream.getReader(), maxBuffered, head);
  });
}

// Reads one chunk of an event stream: head[5] = [it], head[6] = the reader for the rest (or null
// at the end), head[7] = the error that ended it.
function readFirst(reader, head) {
  return reader.read().then(({ done, value }) => {
    if (!done) {
      head[5] = [value];
      head[6] = reader;
    }
    return head;
  }, (e) => {
    head[7] = e;
    return head;
  });
}

// Workers' byte readers have readAtLeast(min, view), which settles once `min` bytes are read or the
// stream ended: a body of up to AT_LEAST bytes (every usual answer) comes in one read, against two
// for a default reader (its data, then its end), each ~13 us in workerd: the pool's own CPU per call
// with a chunked JSON answer went from ~106 to ~96 us (bench/workerd-cpu.mjs, 2026-12-06). A longer
// body goes on through a default reader. Browsers and Node have no readAtLeast. Tests:
// tests/workerd/bodies.test.mjs.
const BYOB_AT_LEAST =
  typeof ReadableStreamBYOBReader === "function" && typeof ReadableStreamBYOBReader.prototype.readAtLeast === "function";
const AT_LEAST = 65536;
// One buffer kept for the next read (it is transferred by each read, and its bytes copied out).
let spare = null;

async function readAtLeast(stream, max, head) {
  let reader;
  try {
    reader = stream.getReader({ mode: "byob" });
  } catch (_) {
    return readUpTo(stream.getReader(), max, head);
  }
  const buffer = spare ?? new ArrayBuffer(AT_LEAST);
  spare = null;
  let r;
  try {
    r = await reader.readAtLeast(AT_LEAST, new Uint8Array(buffer));
  } catch (e) {
    head[5] = [];
    head[7] = e;
    return head;
  }
  const { done, value } = r;
  const n = value === undefined ? 0 : value.byteLength;
  head[5] = n > 0 ? [value.slice()] : [];
  if (value !== undefined && value.buffer.byteLength === AT_LEAST) spare = value.buffer;
  if (done || n < AT_LEAST) return head;
  // Longer: the rest through a default reader, as for any other body.
  reader.releaseLock();
  return readUpTo(stream.getReader(), max, head, n);
}

// Reads until the end or past `max` bytes: head[5] = the chunks read (appended to what is there),
// head[6] = the reader when the rest is still to come, head[7] = the error that ended the body early.
// `n`: the bytes already read.
async function readUpTo(reader, max, head, n = 0) {
  const chunks = head[5] ?? [];
  head[5] = chunks;
  for (;;) {
    let r;
    try {
      r = await reader.read();
    } catch (e) {
      head[7] = e;
      break;
    }
    const { done, value } = r;
    if (done) break;
    if (!(value instanceof Uint8Array)) {
      head[6] = reader;
      chunks.push(value);
      break;
    }
    chunks.push(value);
    n += value.length;
    if (n > max) {
      head[6] = reader;
      break;
    }
  }
  return head;
}

// JSON.stringify refusing what JSON would silently drop (functions, symbols); cycles and BigInt
// throw as usual. Undefined when there is no JSON text (e.g. for undefined).
// A flat plain object of strings, numbers, booleans and nulls (most tool arguments) cannot hold
// either, and goes through V8's fast path, which a replacer turns off (4 of the pooled call's ~60 µs
// of Node CPU in a profile, 2026-12-06); anything else goes through the replacer.
export function mcp_to_json(value) {
  return flatObject(value) ? JSON.stringify(value) : JSON.stringify(value, refuseUnsendable);
}

function refuseUnsendable(_key, v) {
  if (typeof v === "function" || typeof v === "symbol") {
    throw new TypeError("functions and symbols cannot be sent as JSON");
  }
  return v;
}

function flatObject(value) {
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) {
    const v = value[key];
    const t = typeof v;
    if (t !== "string" && t !== "number" && t !== "boolean" && v !== null) return false;
  }
  return true;
}

// reader.cancel(), whose rejection (the stream already errored) nobody awaits: handled here, or
// Node exits on an unhandled rejection and browsers and Workers log one.
export function mcp_cancel(reader) {
  reader.cancel().catch(() => {});
}

// The McpPoolError of an error of the pool (see src/wasm/errors.rs); absent properties are left out.
/**
 * Every error the pool throws or rejects with: an `Error` with a stable `code`, and `server`,
 * `status` (HTTP), `rpcCode` and `data` where they apply. Exported by every entry of the package,
 * so `e instanceof McpPoolError` works.
 */
export class McpPoolError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
    // The stack's first line says the code, as Node's own errors do: `McpPoolError [CODE]: message`.
    if (typeof this.stack === "string") this.stack = this.stack.replace(/^McpPoolError/, `McpPoolError [${code}]`);
  }
}
Object.defineProperty(McpPoolError.prototype, "name", { value: "McpPoolError", writable: true, configurable: true });

export function mcp_error(message, code, server, status, rpcCode, data) {
  const e = new McpPoolError(message, code);
  if (server !== undefined) e.server = server;
  if (status !== undefined) e.status = status;
  if (rpcCode !== undefined) e.rpcCode = rpcCode;
  if (data !== undefined) {
    try {
      e.data = JSON.parse(data);
    } catch (_) {
      e.data = null;
    }
  }
  return e;
}

// setTimeout(() => fire(slot, stamp), ms), unref()'d when asked where the host has unref (Node);
// undefined where the host refuses timers (a Worker's global scope). See src/wasm/timers.rs.
export function mcp_timer(ms, unref, slot, stamp, fire) {
  let handle;
  try {
    handle = setTimeout(() => fire(slot, stamp), ms);
  } catch (_) {
    return undefined;
  }
  if (unref && handle !== null && typeof handle === "object" && typeof handle.unref === "function") handle.unref();
  return handle;
}

export function mcp_sleep(slot, stamp, run) {
  let wake;
  new Promise((resolve) => {
    wake = resolve;
  }).then(() => run(slot, stamp));
  return wake;
}

export function mcp_soon(slot, stamp, run) {
  Promise.resolve().then(() => run(slot, stamp));
}
