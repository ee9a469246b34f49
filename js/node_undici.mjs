// The pool's HTTP client in Node (and Deno): undici's dispatch API on a keep-alive dispatcher,
// with proxies taken from HTTP_PROXY / HTTPS_PROXY / NO_PROXY. Installed by node.mjs; the pool
// option `httpClient: "fetch"` goes back to the global fetch. Browsers, bundles and Workers never
// load this file nor undici.
//
// Same contract as `mcp_fetch` in src/wasm/host.js, so the wasm side cannot tell them apart:
// - `fetch(url, method, headers, body, controller, maxBuffered)` returns the name of a header it
//   refuses (a string), or a promise of the head [status, content-type, mcp-session-id,
//   www-authenticate, location, chunks, reader, error, dpop-nonce]; an event stream comes with its
//   reader at once, any other body is read up to `maxBuffered` bytes first.
// - errors look like fetch's: TypeError("fetch failed", { cause }) for the network, a
//   DOMException "AbortError" after `controller.abort()`, TypeError("terminated", { cause }) for a
//   body cut short.
// - redirects are not followed (fetch's redirect: "manual"). No Accept-Encoding is sent unless the
//   server's headers ask for one; gzip, deflate and br bodies (zstd where node:zlib has it) are
//   decoded, stacked codings too (at most 5, as fetch), and a body with a coding this client does
//   not know is passed on as it came, as fetch does.
// - bounded: nothing is read or decoded ahead of the reader but `maxBuffered` bytes before the head
//   is handed over and the high-water marks (64 KiB of body, 16 KiB per decoder) after;
//   a decoder stops inflating while its output waits (node:zlib honours backpressure mid-chunk), so
//   a gzip bomb costs what the core reads of it, never more.
//
// undici (~100 ms to load and compile its HTTP parser) is imported with this module, when the
// package is: imported on the first request instead, it made that request ~100 ms late, inside
// its timeout (a 150 ms handshake timeout failed on a loaded machine: tests/node/errors.test.mjs,
// "requestTimeoutMs from the pool and from registerHttp"). The dispatcher is made on the first
// request, never at import.
import * as undici from "undici";
import { validateHeaderName, validateHeaderValue } from "node:http";
import { pipeline, Readable } from "node:stream";
import zlib from "node:zlib";

/** A response head larger than this is refused (undici's default is Node's 16 KiB). */
const MAX_HEAD_BYTES = 64 * 1024;
/** Keep-alive connections idle longer than this are closed by us first (the usual server
 * keep-alive is 5 s; reusing a socket the server is closing fails the request). */
const IDLE_SOCKET_MS = 4000;
/** At most this many content codings are decoded, as fetch (undici) allows. */
const MAX_CODINGS = 5;

const EVENT_STREAM = /^\s*text\/event-stream/i;
/** Headers that frame the message or the connection: the client writes them itself. */
const FRAMING = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "expect"]);

function abortError() {
  return new DOMException("This operation was aborted", "AbortError");
}

function isAbort(e) {
  return e !== null && typeof e === "object" && e.name === "AbortError";
}

/**
 * The `AbortController` of a request, and its signal: the request's handler listens on it with
 * `addEventListener`/`removeEventListener` and reads `aborted`/`reason`. Cheaper than an
 * AbortController, which costs an AbortSignal per request.
 */
export class Abort {
  constructor() {
    this.aborted = false;
    this.reason = undefined;
    this.listeners = null;
  }
  addEventListener(type, listener) {
    if (type !== "abort" || this.aborted) return;
    if (this.listeners === null) this.listeners = [listener];
    else this.listeners.push(listener);
  }
  removeEventListener(type, listener) {
    if (type !== "abort" || this.listeners === null) return;
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }
  abort() {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = abortError();
    const listeners = this.listeners;
    this.listeners = null;
    if (listeners !== null) for (const listener of listeners) listener();
  }
}

/** The dispatcher every request goes through, made on the first request. */
let dispatcher = null;

/**
 * The keep-alive dispatcher: undici's Agent (a pool of connections per origin), or, when a proxy
 * variable is set when the first request is made, its EnvHttpProxyAgent, which sends through
 * HTTP_PROXY (http URLs, as absolute-form requests) or HTTPS_PROXY (https URLs, through a CONNECT
 * tunnel) unless NO_PROXY names the host. Timeouts are the pool's (requestTimeoutMs and the
 * caller's signal), not undici's 300 s ones, which would cut a quiet event stream.
 */
function getDispatcher() {
  if (dispatcher !== null) return dispatcher;
  const limits = { keepAliveTimeout: IDLE_SOCKET_MS, maxHeaderSize: MAX_HEAD_BYTES, headersTimeout: 0, bodyTimeout: 0 };
  const connect = resumingConnector();
  const env = process.env;
  const proxied = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"].some((name) => env[name]);
  if (proxied) {
    // The factory carries the limits to every connection pool the proxy agents make, the one to
    // an HTTP proxy that forwards absolute-form requests included.
    const factory = (origin, { factory: _, ...o }) => new undici.Pool(origin, { ...o, ...limits });
    dispatcher = new undici.EnvHttpProxyAgent({ ...limits, connect, factory, proxyTunnel: false });
  } else {
    dispatcher = new undici.Agent({ ...limits, connect });
  }
  return dispatcher;
}

/**
 * undici's connector, one for every origin: the Agent drops an origin's connection pool (and a
 * pool's own connector, with its TLS sessions) once its last connection closed, so a server that
 * closes every connection would cost a full TLS handshake per request. undici's session cache holds
 * sessions weakly; the last session of each host is held here too (at most 256 hosts).
 */
function resumingConnector() {
  const connect = undici.buildConnector({});
  const sessions = new Map();
  return (options, callback) =>
    connect(options, (error, socket) => {
      if (!error && options.protocol === "https:") {
        socket.on("session", (session) => {
          if (sessions.size >= 256) sessions.clear();
          sessions.set(options.hostname, session);
        });
      }
      callback(error, socket);
    });
}

/** Parsed request targets by URL (the pool sends to a few URLs many times). */
const targets = new Map();

/** Where `url` goes: { origin, path } or { error }. */
function target(url) {
  let t = targets.get(url);
  if (t !== undefined) return t;
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      return { error: new Error(`unsupported URL scheme ${u.protocol}`) };
    }
    t = { origin: u.origin, path: `${u.pathname}${u.search}` };
  } catch (e) {
    return { error: e };
  }
  if (targets.size >= 256) targets.clear();
  targets.set(url, t);
  return t;
}

/**
 * Header lists already checked, by their "name\0value…" string: the pool sends the same few lists
 * (one per session) on every call, so each is split, validated and merged once. The value is the
 * flat [name, value, …] list undici takes (it only reads it), or the name of a refused header.
 */
const fieldLists = new Map();

/** The checked, merged header list of `headers`, or the name of the first header it refuses. */
function fieldList(headers) {
  let fields = fieldLists.get(headers);
  if (fields !== undefined) return fields;
  fields = checkFields(headers);
  if (fieldLists.size >= 64) fieldLists.clear();
  fieldLists.set(headers, fields);
  return fields;
}

function checkFields(headers) {
  const list = headers.split("\0");
  const merged = new Map();
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i];
    const value = list[i + 1];
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch (_) {
      return name;
    }
    const key = name.toLowerCase();
    if (FRAMING.has(key)) return name;
    const seen = merged.get(key);
    merged.set(key, seen === undefined ? value : `${seen}, ${value}`);
  }
  // A flat [name, value, ...] list: no object, so no name is special (`__proto__`).
  const fields = [];
  for (const [key, value] of merged) fields.push(key, value);
  return fields;
}

export function fetch(url, method, headers, body, controller, maxBuffered) {
  let fields = null;
  if (headers.length > 0) {
    fields = fieldList(headers);
    if (typeof fields === "string") return fields;
  }
  return send(url, method, fields, body, controller, maxBuffered);
}

function send(url, method, headers, body, controller, maxBuffered) {
  return new Promise((resolve, reject) => {
    if (controller.aborted) {
      reject(abortError());
      return;
    }
    const t = target(url);
    if (t.error !== undefined) {
      reject(new TypeError("fetch failed", { cause: t.error }));
      return;
    }
    const exchange = new Exchange(method, controller, maxBuffered, resolve, reject);
    // undici's dispatch API with a handler of our own, not its `request` API: that one makes an
    // AsyncResource, a header object of every field and a Node Readable per response, all code
    // that V8 compiles again whenever it was dropped (about a fifth of the client CPU per call with
    // 100 agents, measured against `request` in one process).
    try {
      getDispatcher().dispatch({ origin: t.origin, path: t.path, method, headers, body }, exchange);
    } catch (e) {
      // The dispatcher could not be made (a dispatch that fails calls onError itself).
      exchange.onError(e);
    }
  });
}

/** The response headers the head carries, by lowercased name: their slot in the head array (a Map:
 * no field name is special, `__proto__` or `constructor` included). */
const HEAD_SLOTS = new Map([["content-type", 1], ["mcp-session-id", 2], ["www-authenticate", 3], ["location", 4], ["dpop-nonce", 8]]);

/**
 * One request's undici handler (the dispatcher's handler interface): settles with the head array
 * (`resolve(head)`) once the head and what came with it are there, or rejects as fetch would;
 * then feeds the body to its reader. The caller's `controller` aborts it at any point.
 */
class Exchange {
  constructor(method, controller, maxBuffered, resolve, reject) {
    this.method = method;
    this.controller = controller;
    this.maxBuffered = maxBuffered;
    this.resolve = resolve;
    this.reject = reject;
    /** undici's abort of this request, from onConnect. */
    this.abort = null;
    /** The body's source once the head is in: a DirectBody, or a Readable when it is decoded. */
    this.body = null;
    this.onAbort = () => this.aborted();
    controller.addEventListener("abort", this.onAbort);
  }

  aborted() {
    const reason = this.controller.reason;
    if (this.body !== null) this.body.fail(reason);
    if (this.abort !== null) this.abort(reason);
  }

  unlisten() {
    if (this.onAbort !== null) {
      this.controller.removeEventListener("abort", this.onAbort);
      this.onAbort = null;
    }
  }

  onConnect(abort) {
    if (this.controller.aborted) {
      abort(this.controller.reason);
      return;
    }
    this.abort = abort;
  }

  onHeaders(statusCode, rawHeaders, resume, _statusText) {
    // 1xx (informational) heads are not the response.
    if (statusCode < 200) return true;
    const head = [statusCode, null, null, null, null, null, null, null, null];
    let encoding = null;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const raw = rawHeaders[i];
      // Only names 8 to 16 bytes long can be one of ours: most fields are skipped undecoded.
      if (raw.length < 8 || raw.length > 16) continue;
      const name = (typeof raw === "string" ? raw : raw.toString("latin1")).toLowerCase();
      const slot = HEAD_SLOTS.get(name);
      if (slot === undefined && name !== "content-encoding") continue;
      const rawValue = rawHeaders[i + 1];
      const value = typeof rawValue === "string" ? rawValue : rawValue.toString("latin1");
      if (slot === undefined) encoding = encoding === null ? value : `${encoding}, ${value}`;
      else head[slot] = head[slot] === null ? value : `${head[slot]}, ${value}`;
    }
    const empty = this.method === "HEAD" || statusCode === 204 || statusCode === 304;
    const list = empty ? null : decoders(encoding);
    const abort = () => {
      if (this.abort !== null) this.abort();
    };
    let reader;
    if (list === null) {
      this.body = new DirectBody(resume, abort);
      reader = new Reader(this.body, this.body, null);
    } else {
      const source = new Readable({
        highWaterMark: BODY_HIGH_WATER,
        read: () => this.body.resumed(),
        destroy: (error, callback) => {
          if (!this.body.ended) abort();
          callback(error);
        },
      });
      this.body = new StreamSource(source, resume);
      reader = new Reader(source, null, list);
    }
    const type = head[1];
    if (type !== null && EVENT_STREAM.test(type)) {
      // An event stream's head is handed over at once, with what came with it: the parser hands
      // the bytes that arrived in the same read as the head after this callback returns, so they
      // are taken on the next tick (a short answer on a POST's stream is usually all there).
      process.nextTick(() => reader.collect(this.maxBuffered, head, this.resolve, true));
    } else {
      reader.collect(this.maxBuffered, head, this.resolve, false);
    }
    return true;
  }

  onData(chunk) {
    return this.body === null ? true : this.body.push(chunk);
  }

  onComplete(_trailers) {
    this.unlisten();
    if (this.body !== null) this.body.end();
  }

  onError(error) {
    this.unlisten();
    if (this.body !== null) {
      this.body.fail(error);
      return;
    }
    this.reject(isAbort(error) ? error : new TypeError("fetch failed", { cause: error }));
  }
}

/** How many body bytes wait for the reader before undici stops reading the socket (as its Readable). */
const BODY_HIGH_WATER = 64 * 1024;

/**
 * A response body as the Reader takes it, without a Node stream: the chunks undici gave and not
 * yet read (at most BODY_HIGH_WATER bytes before undici is paused), then the end or the error.
 * `read()` returns a chunk or null; the Reader is told through `changed()` (its `wake`).
 */
class DirectBody {
  constructor(resume, abort) {
    this.resumeUndici = resume;
    this.abortUndici = abort;
    this.chunks = [];
    this.bytes = 0;
    this.paused = false;
    /** undici delivered the whole body. */
    this.complete = false;
    this.ended = false;
    this.error = null;
    this.destroyed = false;
    this.reader = null;
  }

  push(chunk) {
    if (this.destroyed || this.error !== null) return true;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (this.reader !== null) this.reader.changed();
    if (this.bytes >= BODY_HIGH_WATER) {
      this.paused = true;
      return false;
    }
    return true;
  }

  end() {
    if (this.destroyed || this.error !== null) return;
    this.complete = true;
    if (this.chunks.length === 0) this.finish();
  }

  /** Every chunk was read and undici delivered the end: the Reader sees the end. */
  finish() {
    if (this.ended || this.destroyed || this.error !== null) return;
    this.ended = true;
    if (this.reader !== null) {
      this.reader.ended = true;
      this.reader.changed();
    }
  }

  fail(error) {
    if (this.destroyed || this.ended || this.error !== null) return;
    this.error = error;
    this.chunks = [];
    if (this.reader !== null) this.reader.fail(error);
  }

  read() {
    if (this.chunks.length === 0) return null;
    const chunk = this.chunks.shift();
    this.bytes -= chunk.length;
    if (this.chunks.length === 0 && this.complete) this.finish();
    if (this.paused && this.bytes < BODY_HIGH_WATER) {
      this.paused = false;
      this.resumeUndici();
    }
    return chunk;
  }

  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.chunks = [];
    if (!this.complete && this.error === null) this.abortUndici();
  }
}

/** A body that is decoded: undici's chunks pushed into a Readable that the decoders read. */
class StreamSource {
  constructor(stream, resume) {
    this.stream = stream;
    this.resumeUndici = resume;
    this.paused = false;
    this.ended = false;
  }

  push(chunk) {
    if (this.stream.destroyed) return true;
    if (this.stream.push(chunk)) return true;
    this.paused = true;
    return false;
  }

  resumed() {
    if (this.paused) {
      this.paused = false;
      this.resumeUndici();
    }
  }

  end() {
    this.ended = true;
    if (!this.stream.destroyed) this.stream.push(null);
  }

  fail(error) {
    if (this.ended) return;
    this.ended = true;
    this.stream.destroy(error);
  }
}

/** A header's value as one string (repeated fields joined with ", "), or null. */
function one(value) {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(", ") : value;
}

/** The decoders of a Content-Encoding, in the order to apply them; null: pass the body on as it is. */
function decoders(encoding) {
  if (encoding === null) return null;
  const codings = encoding.toLowerCase().split(",");
  if (codings.length > MAX_CODINGS) {
    return new Error(`too many content-encodings in response: ${codings.length}, maximum allowed is ${MAX_CODINGS}`);
  }
  const list = [];
  // The last coding applied is the first to undo.
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = codings[i].trim();
    // Lenient at the end of the data, as fetch and curl are (Z_SYNC_FLUSH).
    if (coding === "gzip" || coding === "x-gzip") {
      list.push(zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH }));
    } else if (coding === "deflate") {
      list.push(zlib.createInflate({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH }));
    } else if (coding === "br") {
      list.push(zlib.createBrotliDecompress({
        flush: zlib.constants.BROTLI_OPERATION_FLUSH,
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
      }));
    } else if (coding === "zstd" && typeof zlib.createZstdDecompress === "function") {
      list.push(zlib.createZstdDecompress({ flush: zlib.constants.ZSTD_e_continue, finishFlush: zlib.constants.ZSTD_e_end }));
    } else if (coding !== "identity" && coding !== "") {
      // A coding not known here: the body goes on undecoded (the core's limit counts its bytes).
      for (const d of list) d.destroy();
      return null;
    }
  }
  return list.length > 0 ? list : null;
}

/**
 * A response body as a `ReadableStreamDefaultReader` (`read`, `cancel`) over undici's body stream,
 * through its decoders if any. Pulls: a chunk is taken from the stream only when `read()` asks,
 * so the streams' high-water marks bound what waits (undici stops reading the socket, a decoder
 * stops inflating).
 */
class Reader {
  /**
   * Over `direct` (a DirectBody, which calls `changed`, `fail` and sets `ended` itself), or over
   * `body` (a Readable) through the decoders `list` (or the Error that refused them).
   */
  constructor(body, direct, list) {
    this.body = body;
    this.stream = body;
    this.ended = false;
    this.error = null;
    this.wake = null;
    if (direct !== null) {
      direct.reader = this;
      return;
    }
    if (list instanceof Error) {
      this.error = new TypeError("terminated", { cause: list });
      body.on("error", () => {});
      body.destroy();
      return;
    }
    if (list !== null) this.stream = pipeline(body, ...list, () => {});
    const stream = this.stream;
    stream.on("readable", () => this.changed());
    stream.on("end", () => {
      this.ended = true;
      this.changed();
    });
    stream.on("error", (e) => this.fail(e));
    stream.on("close", () => {
      // Destroyed without an error (a safety net).
      if (!this.ended) this.fail(new Error("the response body was closed before its end"));
    });
  }

  fail(e) {
    if (this.error !== null || this.ended) return;
    this.error = isAbort(e) ? e : new TypeError("terminated", { cause: e });
    this.changed();
  }

  changed() {
    const wake = this.wake;
    if (wake !== null) {
      this.wake = null;
      wake();
    }
  }

  /**
   * Reads until the end or past `max` bytes, then `done(head)` with head[5] = the chunks read,
   * head[6] = this reader when the rest is still to come, head[7] = the error that ended the body
   * early (as host.js does for fetch). Synchronous reads on the stream's events: no promise per chunk.
   * With `streaming` (an event stream), only what is there already is taken: `done` comes as soon
   * as the stream has nothing more to give now, with this reader for the rest unless it ended.
   */
  collect(max, head, done, streaming) {
    const chunks = [];
    head[5] = chunks;
    let n = 0;
    let waited = false;
    const pump = () => {
      for (;;) {
        if (this.error === null && !this.ended) {
          const chunk = this.stream.read();
          if (chunk !== null) {
            chunks.push(chunk);
            n += chunk.length;
            if (n > max) {
              head[6] = this;
              done(head);
              return;
            }
            continue;
          }
        }
        if (this.error !== null) {
          head[7] = this.error;
          done(head);
          return;
        }
        if (this.ended) {
          done(head);
          return;
        }
        if (streaming) {
          if (!waited) {
            // A body that ended in what was read emits 'end' on the next tick: wait that long,
            // so that a complete answer is handed over without a reader to read its end.
            waited = true;
            process.nextTick(pump);
            return;
          }
          head[6] = this;
          done(head);
          return;
        }
        this.wake = pump;
        return;
      }
    };
    pump();
  }

  read() {
    if (this.error === null && !this.ended) {
      const chunk = this.stream.read();
      if (chunk !== null) return Promise.resolve({ done: false, value: chunk });
    }
    if (this.error !== null) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      const pull = () => {
        if (this.error === null && !this.ended) {
          const chunk = this.stream.read();
          if (chunk !== null) {
            resolve({ done: false, value: chunk });
            return;
          }
        }
        if (this.error !== null) reject(this.error);
        else if (this.ended) resolve({ done: true, value: undefined });
        else this.wake = pull;
      };
      this.wake = pull;
    });
  }

  /** Stops the body: undici aborts its request and closes the connection if the body had more. */
  cancel() {
    if (!this.ended && this.error === null) {
      this.ended = true;
      this.stream.destroy();
      if (this.stream !== this.body) this.body.destroy();
    }
    return Promise.resolve();
  }
}
