// The pool's HTTP client in Node: HTTP/1.1 over node:net (node:tls for https), made for what the
// pool sends: small requests on keep-alive connections, answered in JSON or as an event stream.
// Node's fetch (undici) costs about twice the latency and four times the CPU of this per small
// request, and node:http (ClientRequest, its agent, IncomingMessage) about three times the CPU
// (BENCHMARKS.md). Installed by node.mjs; the pool option `httpClient: "fetch"` goes back to fetch.
//
// Same contract as `mcp_fetch` in src/wasm/host.js, so the wasm side cannot tell them apart:
// - `fetch(url, method, headers, body, controller, maxBuffered)` returns the name of a header it
//   refuses (a string), or a promise of the head [status, content-type, mcp-session-id,
//   www-authenticate, location, chunks, reader, error, dpop-nonce]; an event stream comes with
//   what arrived with its head, any other body is read up to `maxBuffered` bytes first.
// - errors look like fetch's: TypeError("fetch failed", { cause }) for the network, a
//   DOMException "AbortError" after `controller.abort()`, TypeError("terminated") for a body cut short.
// - redirects are not followed (fetch's redirect: "manual"). No Accept-Encoding is sent unless
//   the server's headers ask for one; a gzip, deflate or br body is decompressed, as fetch does.
// - one request at a time per connection (no pipelining); a connection goes back to its origin's
//   idle list once its response has ended, if both sides keep it alive.
import net from "node:net";
import tls from "node:tls";
import { validateHeaderName, validateHeaderValue } from "node:http";
import zlib from "node:zlib";

/** Keep-alive connections idle longer than this are closed by us first (the usual server
 * keep-alive is 5 s; reusing a socket the server is closing fails the request). */
const IDLE_SOCKET_MS = 4000;
/** A response head (status line and header lines) larger than this is refused. */
const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size or trailer line longer than this is refused. */
const MAX_LINE_BYTES = 4096;

const EVENT_STREAM = /^\s*text\/event-stream/i;
const NON_ASCII = /[^\x00-\x7f]/;
/** Headers that frame the message or the connection: this client writes them itself. */
const FRAMING = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "expect"]);
const DECODERS = {
  gzip: zlib.createGunzip,
  "x-gzip": zlib.createGunzip,
  deflate: zlib.createInflate,
  br: zlib.createBrotliDecompress,
};

function abortError() {
  return new DOMException("This operation was aborted", "AbortError");
}

function isAbort(e) {
  return e instanceof DOMException && e.name === "AbortError";
}

/** The `AbortController` of a request: aborting closes its connection. */
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
    if (target !== null) target.abort(abortError());
  }
}

export function fetch(url, method, headers, body, controller, maxBuffered) {
  let head = "";
  let latin1 = false;
  let host = null;
  if (headers.length > 0) {
    const list = headers.split("\0");
    const fields = new Map();
    for (let i = 0; i + 1 < list.length; i += 2) {
      const name = list[i];
      const value = list[i + 1];
      const key = name.toLowerCase();
      try {
        validateHeaderName(name);
        validateHeaderValue(name, value);
      } catch (_) {
        return name;
      }
      if (FRAMING.has(key)) return name;
      if (!latin1 && NON_ASCII.test(value)) latin1 = true;
      const seen = fields.get(key);
      fields.set(key, seen === undefined ? value : `${seen}, ${value}`);
    }
    for (const [key, value] of fields) {
      if (key === "host") host = value;
      else head += `${key}: ${value}\r\n`;
    }
  }
  return new Promise((resolve, reject) => {
    if (controller.aborted) {
      reject(abortError());
      return;
    }
    const target = origin(url);
    if (target.error !== undefined) {
      reject(new TypeError("fetch failed", { cause: target.error }));
      return;
    }
    head = `${method} ${target.path} HTTP/1.1\r\nhost: ${host ?? target.host}\r\n${head}`;
    // A header value with obs-text (U+0080..U+00FF) goes out as one byte each, as fetch sends a
    // ByteString; the body is UTF-8. Head and body leave in one write.
    let bytes;
    if (body === undefined) {
      head += "\r\n";
      bytes = latin1 ? Buffer.from(head, "latin1") : head;
    } else {
      head += `content-length: ${Buffer.byteLength(body)}\r\n\r\n`;
      bytes = latin1 ? Buffer.concat([Buffer.from(head, "latin1"), Buffer.from(body)]) : head + body;
    }
    const exchange = new Exchange(method, controller, maxBuffered, resolve, reject);
    const conn = take(target) ?? new Conn(target);
    controller.target = conn;
    conn.send(exchange, bytes);
  });
}

/** Parsed request targets by URL (the pool sends to a few URLs many times). */
const targets = new Map();

/** Where `url` goes: { key (the origin), secure, hostname, port, host (for the Host header), path } or { error }. */
function origin(url) {
  let target = targets.get(url);
  if (target !== undefined) return target;
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      return { error: new Error(`unsupported URL scheme ${u.protocol}`) };
    }
    const secure = u.protocol === "https:";
    const port = u.port === "" ? (secure ? 443 : 80) : Number(u.port);
    // An IPv6 literal is bracketed in a URL, and not in a socket address.
    const hostname = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
    target = { key: `${u.protocol}//${u.host}`, secure, hostname, port, host: u.host, path: `${u.pathname}${u.search}` };
  } catch (e) {
    return { error: e };
  }
  if (targets.size >= 256) targets.clear();
  targets.set(url, target);
  return target;
}

/** The last TLS session of each https origin, to resume. */
const tlsSessions = new Map();

/** Idle keep-alive connections by origin key, the most recently used last. */
const idle = new Map();

function take(target) {
  const list = idle.get(target.key);
  if (list === undefined) return null;
  let conn = null;
  while (conn === null && list.length > 0) {
    conn = list.pop();
    // Destroyed, its 'close' not yet emitted.
    if (conn.socket.destroyed) conn = null;
  }
  if (list.length === 0) idle.delete(target.key);
  if (conn !== null) conn.wake();
  return conn;
}

function park(conn) {
  const list = idle.get(conn.key);
  if (list === undefined) idle.set(conn.key, [conn]);
  else list.push(conn);
}

function unpark(conn) {
  const list = idle.get(conn.key);
  if (list === undefined) return;
  const i = list.indexOf(conn);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) idle.delete(conn.key);
}

/** One request in flight: its head promise, then the body it feeds. */
class Exchange {
  constructor(method, controller, maxBuffered, resolve, reject) {
    this.method = method;
    this.controller = controller;
    this.maxBuffered = maxBuffered;
    this.resolve = resolve;
    this.reject = reject;
    /** The response body once the head came. */
    this.body = null;
    /** Whether the head was handed to the caller (or is waiting for its body to be collected). */
    this.answered = false;
  }

  /** The request failed: before its head as `fetch failed`, after it as a cut body. */
  fail(e) {
    if (this.body === null) {
      if (this.answered) return;
      this.answered = true;
      this.reject(isAbort(e) ? e : new TypeError("fetch failed", { cause: e }));
    } else this.body.fail(e);
  }
}

/** A connection: writes requests one at a time and parses their responses. */
class Conn {
  constructor(target) {
    this.key = target.key;
    const options = { host: target.hostname, port: target.port };
    if (target.secure) {
      const servername = net.isIP(target.hostname) ? undefined : target.hostname;
      // TLS sessions are resumed per origin, as node:https's agent does.
      this.socket = tls.connect({ ...options, servername, ALPNProtocols: ["http/1.1"], session: tlsSessions.get(this.key) });
      this.socket.on("session", (session) => {
        if (tlsSessions.size >= 256) tlsSessions.clear();
        tlsSessions.set(this.key, session);
      });
    } else this.socket = net.connect(options);
    this.socket.setNoDelay(true);
    /** The exchange in flight, or null while idle. */
    this.exchange = null;
    this.parser = new ResponseParser(this);
    this.idle = false;
    this.socket.on("data", (chunk) => this.data(chunk));
    this.socket.on("end", () => this.ended());
    this.socket.on("error", (e) => this.broken(e));
    this.socket.on("close", () => this.broken(new Error("other side closed")));
    this.socket.on("timeout", () => this.broken(new Error("idle timeout")));
  }

  /** Takes this idle connection back into use. */
  wake() {
    this.idle = false;
    this.socket.setTimeout(0);
    this.socket.ref();
  }

  send(exchange, bytes) {
    this.exchange = exchange;
    this.parser.start(exchange.method);
    this.socket.write(bytes);
  }

  data(chunk) {
    if (this.exchange === null) {
      // Nothing was asked: a server that talks out of turn loses the connection.
      this.broken(new Error("the server sent bytes while no request was in flight"));
      return;
    }
    this.parser.feed(chunk);
  }

  /** The server closed its side: the end of a body read to the close, else a broken exchange. */
  ended() {
    if (this.exchange !== null && this.parser.untilClose()) this.parser.finish();
    this.broken(new Error("other side closed"));
  }

  broken(e) {
    if (this.idle) unpark(this);
    this.idle = false;
    const exchange = this.exchange;
    this.exchange = null;
    if (!this.socket.destroyed) this.socket.destroy();
    if (exchange === null) return;
    // Never sent again, not even when a kept-alive connection closed before any byte of an
    // answer: the server may have run the request (a tools/call runs at most once).
    if (exchange.controller.target === this) exchange.controller.target = null;
    exchange.fail(e);
  }

  /** Called by `Abort.abort()`, and by a body cancelled before its end (`exchange`: only if still in flight). */
  abort(e, exchange = this.exchange) {
    if (exchange !== null && exchange === this.exchange) this.broken(e);
  }

  /** The response ended: the connection goes idle, or closes if either side does not keep it. */
  done(reusable) {
    const exchange = this.exchange;
    this.exchange = null;
    if (exchange !== null && exchange.controller.target === this) exchange.controller.target = null;
    if (!reusable || this.socket.destroyed) {
      this.socket.destroy();
      return;
    }
    // The last bytes may have filled the body's queue: the body no longer reads from here.
    if (this.socket.isPaused()) this.socket.resume();
    this.idle = true;
    this.socket.setTimeout(IDLE_SOCKET_MS);
    this.socket.unref();
    park(this);
  }

  /** Stops reading while `exchange`'s body is full. */
  pause(exchange) {
    if (exchange === this.exchange) this.socket.pause();
  }

  resume(exchange) {
    if (exchange === this.exchange) this.socket.resume();
  }
}

/** Parses the responses of one connection, one exchange at a time. */
class ResponseParser {
  constructor(conn) {
    this.conn = conn;
    this.start("GET");
  }

  start(method) {
    this.method = method;
    /** "head", "length" (`remaining` bytes), "chunk-size", "chunk-data", "chunk-end", "trailer", "close" or "done". */
    this.state = "head";
    this.remaining = 0;
    /** The bytes of a head that came in pieces (`headLength` of them), else null. */
    this.head = null;
    this.headLength = 0;
    this.line = "";
    this.keepAlive = true;
    this.body = null;
    this.sink = null;
    this.handOver = false;
  }

  untilClose() {
    return this.state === "close";
  }

  /** Appends `bytes` to the head received so far; returns the head's bytes. */
  appendHead(bytes) {
    const length = this.head === null ? 0 : this.headLength;
    if (this.head === null || length + bytes.length > this.head.length) {
      const grown = Buffer.allocUnsafe(Math.max(256, 2 * (length + bytes.length)));
      if (this.head !== null) this.head.copy(grown, 0, 0, length);
      this.head = grown;
    }
    bytes.copy(this.head, length);
    this.headLength = length + bytes.length;
    return this.head.subarray(0, this.headLength);
  }

  feed(chunk) {
    try {
      this.parse(chunk);
    } catch (e) {
      this.conn.broken(e);
    }
    if (this.handOver) {
      this.handOver = false;
      this.answer();
    }
  }

  parse(chunk) {
    let at = 0;
    while (at < chunk.length) {
      switch (this.state) {
        case "head": {
          let data = chunk.subarray(at);
          let from = 0;
          if (this.head !== null) {
            // A head in pieces: append to one growing buffer and search only where the new bytes
            // can complete "\r\n\r\n", so a head sent byte by byte costs linear time.
            from = Math.max(0, this.headLength - 3);
            data = this.appendHead(data);
          }
          const end = data.indexOf("\r\n\r\n", from);
          // The limit holds for a head that arrives whole in one chunk as for one in pieces.
          if ((end < 0 ? data.length : end) > MAX_HEAD_BYTES) throw new Error("the response head is too large");
          if (end < 0) {
            if (this.head === null) this.appendHead(data);
            return;
          }
          const rest = data.subarray(end + 4);
          this.head = null;
          this.onHead(data.toString("latin1", 0, end));
          chunk = rest;
          at = 0;
          break;
        }
        case "length": {
          const n = Math.min(this.remaining, chunk.length - at);
          this.push(chunk.subarray(at, at + n));
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) this.finish();
          break;
        }
        case "close":
          this.push(chunk.subarray(at));
          return;
        case "chunk-data": {
          const n = Math.min(this.remaining, chunk.length - at);
          this.push(chunk.subarray(at, at + n));
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = "chunk-end";
          break;
        }
        case "chunk-size":
        case "chunk-end":
        case "trailer": {
          const nl = chunk.indexOf(10, at);
          const piece = chunk.toString("latin1", at, nl < 0 ? chunk.length : nl + 1);
          at = nl < 0 ? chunk.length : nl + 1;
          this.line += piece;
          if (this.line.length > MAX_LINE_BYTES) throw new Error("a chunk line is too long");
          if (nl >= 0) {
            const line = this.line.endsWith("\r\n") ? this.line.slice(0, -2) : this.line.slice(0, -1);
            this.line = "";
            this.onLine(line);
          }
          break;
        }
        default:
          // "done": bytes after the end of the response.
          throw new Error("the server sent more than its response");
      }
    }
  }

  onLine(line) {
    if (this.state === "chunk-end") {
      if (line !== "") throw new Error("a chunk does not end with CRLF");
      this.state = "chunk-size";
    } else if (this.state === "chunk-size") {
      const size = line.split(";", 1)[0].trim();
      if (!/^[0-9a-fA-F]{1,8}$/.test(size)) throw new Error(`a bad chunk size: ${JSON.stringify(size.slice(0, 20))}`);
      this.remaining = parseInt(size, 16);
      this.state = this.remaining === 0 ? "trailer" : "chunk-data";
    } else if (line === "") this.finish();
  }

  onHead(text) {
    const lines = text.split("\r\n");
    const status = /^HTTP\/1\.([01]) ([0-9]{3})(?: |$)/.exec(lines[0]);
    if (status === null) throw new Error(`not an HTTP/1.1 response: ${JSON.stringify(lines[0].slice(0, 40))}`);
    const code = Number(status[2]);
    const fields = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(":");
      if (colon <= 0 || line[0] === " " || line[0] === "\t") throw new Error("a malformed response header line");
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      fields[key] = key in fields ? `${fields[key]}, ${value}` : value;
    }
    if (code < 200) {
      // 100 Continue, 103 Early Hints: the real head follows. A 101 switch is never asked for.
      if (code === 101) throw new Error("the server switched protocols");
      return;
    }
    const connection = (fields.connection ?? "").toLowerCase();
    this.keepAlive = status[1] === "1" ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    const exchange = this.conn.exchange;
    const type = fields["content-type"] ?? null;
    const head = [code, type, fields["mcp-session-id"] ?? null, fields["www-authenticate"] ?? null, fields.location ?? null,
      null, null, null, fields["dpop-nonce"] ?? null];
    const body = new Body(this.conn, exchange.maxBuffered, head, type !== null && EVENT_STREAM.test(type));
    exchange.body = body;
    this.body = body;
    this.sink = body;
    const decode = DECODERS[(fields["content-encoding"] ?? "").trim().toLowerCase()];
    if (decode !== undefined) this.decodeInto(decode(), body);
    this.handOver = true;
    const transfer = fields["transfer-encoding"];
    if (this.method === "HEAD" || code === 204 || code === 304) this.finish();
    else if (transfer !== undefined) {
      // Transfer codings other than chunked (gzip, chunked) are not asked for (no TE header).
      if (!/^\s*chunked\s*$/i.test(transfer)) throw new Error(`an unsupported transfer-encoding: ${transfer}`);
      // With a content-length as well, the message is ambiguous: read it as chunked, never reuse the connection.
      if (fields["content-length"] !== undefined) this.keepAlive = false;
      this.state = "chunk-size";
    } else if (fields["content-length"] !== undefined) {
      if (!/^[0-9]{1,15}$/.test(fields["content-length"])) throw new Error("a bad content-length");
      this.remaining = Number(fields["content-length"]);
      this.state = "length";
      if (this.remaining === 0) this.finish();
    } else {
      this.keepAlive = false;
      this.state = "close";
    }
  }

  /** Feeds the body through `decoder` (gzip, deflate, br) first. */
  decodeInto(decoder, body) {
    this.sink = { push: (chunk) => decoder.write(chunk), end: () => decoder.end() };
    decoder.on("data", (chunk) => body.push(chunk));
    decoder.on("end", () => body.end());
    const conn = this.conn;
    decoder.on("error", (e) => {
      body.fail(e);
      conn.abort(e, body.exchange);
    });
    body.source = {
      pause(exchange) {
        decoder.pause();
        conn.pause(exchange);
      },
      resume(exchange) {
        decoder.resume();
        conn.resume(exchange);
      },
      abort(e, exchange) {
        decoder.destroy();
        conn.abort(e, exchange);
      },
    };
  }

  push(chunk) {
    if (chunk.length > 0) this.sink.push(chunk);
  }

  /** The response is complete: end the body, free the connection. */
  finish() {
    this.state = "done";
    const sink = this.sink;
    this.sink = null;
    this.conn.done(this.keepAlive);
    if (sink !== null) sink.end();
  }

  /** Hands the head to the caller once the chunk that completed it is parsed. */
  answer() {
    const body = this.body;
    if (body !== null && !body.answering) body.answer();
  }
}

/**
 * A response body as a `ReadableStreamDefaultReader` (`read`, `cancel`): chunks queue as they
 * come, and the connection stops reading while more than `high` bytes wait.
 */
class Body {
  constructor(conn, high, head, stream) {
    this.conn = conn;
    this.exchange = conn.exchange;
    this.source = conn;
    this.high = high;
    this.head = head;
    this.stream = stream;
    this.queue = [];
    this.bytes = 0;
    this.paused = false;
    this.ended = false;
    this.error = null;
    this.notify = null;
    this.answering = false;
  }

  push(chunk) {
    if (this.ended || this.error !== null) return;
    this.queue.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes > this.high && !this.paused) {
      this.paused = true;
      this.source.pause(this.exchange);
    }
    this.changed();
  }

  end() {
    if (this.error !== null) return;
    this.ended = true;
    this.changed();
  }

  fail(e) {
    if (this.error !== null || this.ended) return;
    this.error = isAbort(e) ? e : new TypeError("terminated", { cause: e });
    this.changed();
  }

  changed() {
    const notify = this.notify;
    if (notify !== null) {
      this.notify = null;
      notify();
    }
  }

  /**
   * Answers the head: an event stream at once, with what came so far; any other body once it
   * ended, failed, or passed `high` bytes (the rest through this reader).
   */
  answer() {
    this.answering = true;
    const check = () => {
      if (this.stream || this.ended || this.error !== null || this.bytes > this.high) this.handOver();
      else this.notify = check;
    };
    check();
  }

  handOver() {
    const head = this.head;
    this.head = null;
    if (this.queue.length > 0) head[5] = this.queue;
    this.queue = [];
    this.bytes = 0;
    if (this.error !== null) head[7] = this.error;
    else if (!this.ended) head[6] = this;
    this.resume();
    this.exchange.answered = true;
    this.exchange.resolve(head);
  }

  resume() {
    if (this.paused && this.bytes <= this.high) {
      this.paused = false;
      this.source.resume(this.exchange);
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
    if (!this.ended && this.error === null) {
      this.ended = true;
      this.queue = [];
      this.source.abort(abortError(), this.exchange);
    }
    return Promise.resolve();
  }
}
