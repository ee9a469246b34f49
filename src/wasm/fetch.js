// The JS half of src/wasm/fetch.rs: one request per call, so the wasm side crosses into JS once
// to start it and once more when its head (and, for a small non-SSE answer, its whole body) is in.
// Shipped by wasm-bindgen as pkg/snippets/…/src/wasm/fetch.js and imported by the glue.

/**
 * Starts `fetch`. `headers` is "name\0value\0name\0value…" (the wasm side refuses NULs, which no
 * runtime accepts in a header anyway). Returns the name of a header the runtime refused (a
 * string), or a promise of the response head:
 * [status, content-type, mcp-session-id, www-authenticate, location, bytes, reader], where
 * `bytes` is the whole body (a Uint8Array) when it declared a content-length of at most
 * `maxBuffered` and is not an event stream, else `reader` reads it (null when there is no body).
 */
export function mcp_fetch(url, method, headers, body, controller, maxBuffered) {
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
  // Redirects are the core's decision (same origin only): a browser answers an opaque redirect
  // with status 0, other runtimes with the 3xx and its Location.
  const init = { method, headers: h, signal: controller.signal, redirect: "manual" };
  if (body !== undefined) init.body = body;
  return fetch(url, init).then((r) => {
    const g = r.headers;
    const type = g.get("content-type");
    const head = [r.status, type, g.get("mcp-session-id"), g.get("www-authenticate"), g.get("location"), null, null];
    const stream = r.body;
    if (stream === null) return head;
    const length = g.get("content-length");
    if (length !== null && /^[0-9]{1,10}$/.test(length) && Number(length) <= maxBuffered
      && !(type !== null && /^\s*text\/event-stream/i.test(type))) {
      return r.arrayBuffer().then((b) => {
        head[5] = new Uint8Array(b);
        return head;
      });
    }
    head[6] = stream.getReader();
    return head;
  });
}

/** Calls `settle(id, 1, value)` or `settle(id, 0, error)` when `promise` settles. */
export function mcp_settle(promise, id, settle) {
  promise.then((v) => settle(id, 1, v), (e) => settle(id, 0, e));
}

/** Reads one chunk: `settle(id, 1, chunk)`, `settle(id, 2, undefined)` at the end, or `settle(id, 0, error)`. */
export function mcp_read(reader, id, settle) {
  reader.read().then((r) => (r.done ? settle(id, 2, undefined) : settle(id, 1, r.value)), (e) => settle(id, 0, e));
}
