// The pool's HTTP client in Node: node:http / node:https instead of the global fetch (undici),
// which in Node costs about twice the latency and four times the CPU per small request
// (BENCHMARKS.md). Installed by node.mjs; the pool option `httpClient: "fetch"` goes back to fetch.
//
// Same contract as `mcp_fetch` in src/wasm/host.js, so the wasm side cannot tell them apart:
// - `fetch(url, method, headers, body, controller, maxBuffered)` returns the name of a header
//   Node refuses (a string), or a promise of the head [status, content-type, mcp-session-id,
//   www-authenticate, location, chunks, reader, error, dpop-nonce]; an event stream comes with
//   what arrived with its head, any other body is read up to `maxBuffered` bytes first.
// - errors look like fetch's: TypeError("fetch failed", { cause }) for the network, a
//   DOMException "AbortError" after `controller.abort()`, TypeError("terminated") for a body cut short.
// - redirects are not followed (fetch's redirect: "manual"). No Accept-Encoding is sent unless
//   the server's headers ask for one; a gzip, deflate or br body is decompressed, as fetch does.
import http from "node:http";
import https from "node:https";
import { pipeline } from "node:stream";
import zlib from "node:zlib";

/** Keep-alive connections idle longer than this are closed by us first (the usual server
 * keep-alive is 5 s; reusing a socket the server is closing fails the request). */
const IDLE_SOCKET_MS = 4000;

const agents = {
  "http:": new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  "https:": new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
};
const modules = { "http:": http, "https:": https };

const EVENT_STREAM = /^\s*text\/event-stream/i;
const NON_ASCII = /[^\x00-\x7f]/;

function abortError() {
  return new DOMException("This operation was aborted", "AbortError");
}

function networkError(cause) {
  return cause instanceof DOMException && cause.name === "AbortError" ? cause : new TypeError("fetch failed", { cause });
}

/** The `AbortController` of a node:http request: aborting destroys the request, or its response once it came. */
export class Abort {
  constructor() {
    this.target = null;
    this.aborted = false;
  }
  abort() {
    if (this.aborted) return;
    this.aborted = true;
    const target = this.target;
    this.target = null;
    if (target !== null) target.destroy(abortError());
  }
}

export function fetch(url, method, headers, body, controller, maxBuffered) {
  const fields = {};
  let latin1 = false;
  if (headers.length > 0) {
    const list = headers.split("\0");
    for (let i = 0; i + 1 < list.length; i += 2) {
      const name = list[i];
      const value = list[i + 1];
      try {
        http.validateHeaderName(name);
        http.validateHeaderValue(name, value);
      } catch (_) {
        return name;
      }
      if (!latin1 && NON_ASCII.test(value)) latin1 = true;
      const key = name.toLowerCase();
      fields[key] = key in fields ? `${fields[key]}, ${value}` : value;
    }
  }
  if (body !== undefined) {
    fields["content-length"] = Buffer.byteLength(body);
    // Node writes the head in the encoding of a string body sent with it (UTF-8): a header
    // value with obs-text (U+0080..U+00FF, one byte each, as fetch sends it) needs a Buffer body.
    if (latin1) body = Buffer.from(body);
  }
  return new Promise((resolve, reject) => {
    if (controller.aborted) {
      reject(abortError());
      return;
    }
    let target;
    try {
      target = new URL(url);
    } catch (e) {
      reject(new TypeError("fetch failed", { cause: e }));
      return;
    }
    const module = modules[target.protocol];
    if (module === undefined) {
      reject(new TypeError("fetch failed", { cause: new Error(`unsupported URL scheme ${target.protocol}`) }));
      return;
    }
    let req;
    try {
      req = module.request(target, { method, headers: fields, agent: agents[target.protocol] }, (res) =>
        respond(res, controller, maxBuffered, resolve),
      );
    } catch (e) {
      reject(new TypeError("fetch failed", { cause: e }));
      return;
    }
    controller.target = req;
    // Kept for the request's whole life: a late error (after the head came) must not go unhandled.
    req.on("error", (e) => reject(networkError(e)));
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

function respond(res, controller, maxBuffered, resolve) {
  if (controller.aborted) {
    res.destroy();
    return;
  }
  controller.target = res;
  const g = res.headers;
  const type = g["content-type"] ?? null;
  const head = [
    res.statusCode,
    type,
    g["mcp-session-id"] ?? null,
    g["www-authenticate"] ?? null,
    g.location ?? null,
    null,
    null,
    null,
    g["dpop-nonce"] ?? null,
  ];
  const body = new Body(decoded(res), maxBuffered);
  if (type !== null && EVENT_STREAM.test(type)) {
    // An event stream is handed over as it is one tick later: the events that came in the same
    // socket read as the head (a short answer often comes whole) go with the head, which spares
    // the core a read per chunk; the rest streams through the reader.
    // When the whole response is in (`complete`), its end is only ticks away: wait for it.
    process.nextTick(() => (res.complete ? body.collect(head, resolve) : body.handOver(head, resolve)));
    return;
  }
  body.collect(head, resolve);
}

/** The body stream of `res`, decompressed when its content-encoding is one fetch decodes. */
function decoded(res) {
  const encoding = res.headers["content-encoding"];
  if (encoding === undefined) return res;
  const make = {
    gzip: zlib.createGunzip,
    "x-gzip": zlib.createGunzip,
    deflate: zlib.createInflate,
    br: zlib.createBrotliDecompress,
  }[encoding.trim().toLowerCase()];
  if (make === undefined) return res;
  // Errors of either stream reach the decoder, and destroying the decoder destroys the response.
  return pipeline(res, make(), () => {});
}

/**
 * A response body as a `ReadableStreamDefaultReader` (`read`, `cancel`): chunks queue as they
 * come, and the socket is paused while more than `high` bytes wait.
 */
class Body {
  constructor(res, high) {
    this.res = res;
    this.high = high;
    this.queue = [];
    this.bytes = 0;
    this.paused = false;
    this.ended = false;
    this.error = null;
    this.notify = null;
    res.on("data", (chunk) => {
      this.queue.push(chunk);
      this.bytes += chunk.length;
      if (this.bytes > this.high && !this.paused) {
        this.paused = true;
        res.pause();
      }
      this.changed();
    });
    res.on("end", () => {
      this.ended = true;
      this.changed();
    });
    res.on("error", (e) => this.fail(e));
    res.on("close", () => {
      if (!this.ended) this.fail(new Error("the connection closed before the body ended"));
    });
  }

  fail(e) {
    if (this.error !== null || this.ended) return;
    this.error = e instanceof DOMException && e.name === "AbortError" ? e : new TypeError("terminated", { cause: e });
    this.changed();
  }

  changed() {
    const notify = this.notify;
    if (notify !== null) {
      this.notify = null;
      notify();
    }
  }

  /** Reads into head[5] until the end, an error (head[7]), or past `high` bytes (head[6] = this, for the rest). */
  collect(head, resolve) {
    const check = () => {
      if (this.ended || this.error !== null || this.bytes > this.high) this.handOver(head, resolve);
      else this.notify = check;
    };
    check();
  }

  /** Resolves the head with what has come so far (head[5]), then the error (head[7]) or this reader for the rest (head[6]). */
  handOver(head, resolve) {
    if (this.queue.length > 0) head[5] = this.queue;
    this.queue = [];
    this.bytes = 0;
    if (this.error !== null) head[7] = this.error;
    else if (!this.ended) head[6] = this;
    this.resume();
    resolve(head);
  }

  resume() {
    if (this.paused && this.bytes <= this.high) {
      this.paused = false;
      this.res.resume();
    }
  }

  read() {
    if (this.queue.length > 0) {
      const value = this.queue.shift();
      this.bytes -= value.length;
      this.resume();
      return Promise.resolve({ done: false, value });
    }
    if (this.error !== null) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.notify = () => this.read().then(resolve, reject);
    });
  }

  cancel() {
    if (!this.ended) {
      this.ended = true;
      this.queue = [];
      this.res.destroy();
    }
    return Promise.resolve();
  }
}
