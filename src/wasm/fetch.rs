//! [`HttpTransport`] over the global `fetch` (through `host.js`), one `AbortController` per
//! request; or, in Node, over the package's Node client (`js/node_undici.mjs`: undici's dispatch
//! API, installed by the package's Node entry), which keeps the same contract without fetch's
//! WHATWG layers.
//!
//! Dropping the future of a request, or the body of its response, aborts the request: a timed
//! out or abandoned call leaves no connection behind. Every body is read and parsed inside the
//! call that made the fetch (Workers forbid sharing I/O objects across requests).

use futures_util::future::LocalBoxFuture;
use js_sys::{Array, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::transport::{
    HttpRequest, HttpResponse, HttpTransport, ResponseBody, TransportError, TransportErrorKind,
};

#[wasm_bindgen(module = "/src/wasm/host.js")]
extern "C" {
    /// Starts `fetch(url, { method, headers, body, signal, redirect: "manual" })`. `headers` is
    /// "name\0value\0name\0value…". Returns the name of a header the runtime refused (a
    /// string), or a promise of the response head as an array: [status, content-type,
    /// mcp-session-id, www-authenticate (on a status >= 400 only), location (on a 3xx only),
    /// chunks, reader, error, dpop-nonce]. A GET's event stream comes as `reader` alone, a
    /// POST's with its first chunk (the answer, usually all of it) read in the same call. Any
    /// other body is read in the same call, up to `max_buffered` bytes (one `arrayBuffer()`
    /// when its content-length is within that, else a read loop): `chunks` is what was read
    /// (an array of `Uint8Array`), `reader` reads the rest when the body is longer, `error` is
    /// what ended it early. All null when there is no body. With `node`, the same over the
    /// Node client (which hands both headers over on any status: the core reads them only where
    /// said).
    #[wasm_bindgen(catch)]
    fn mcp_fetch(
        url: &str,
        method: &str,
        headers: &str,
        body: Option<&str>,
        controller: &Abort,
        max_buffered: u32,
        node: bool,
    ) -> Result<JsValue, JsValue>;

    /// A new `AbortController`, or its Node client counterpart with `node`.
    #[wasm_bindgen(catch)]
    fn mcp_controller(node: bool) -> Result<Abort, JsValue>;

    /// Whether the Node entry installed the Node client.
    fn mcp_node_http_available() -> bool;

    /// An `AbortController` (or the Node client's): only `abort()` is used.
    #[derive(Clone)]
    type Abort;

    #[wasm_bindgen(method)]
    fn abort(this: &Abort);

    /// `reader.cancel()`, its rejection handled.
    fn mcp_cancel(reader: &Reader);

    /// A `ReadableStreamDefaultReader`.
    type Reader;

    /// `reader.read()`: a promise of a [`ReadResult`].
    #[wasm_bindgen(method, catch)]
    fn read(this: &Reader) -> Result<Promise, JsValue>;

    /// `{ done, value }`, what a stream read settles with.
    type ReadResult;

    #[wasm_bindgen(method, getter)]
    fn done(this: &ReadResult) -> JsValue;

    #[wasm_bindgen(method, getter)]
    fn value(this: &ReadResult) -> JsValue;
}

/// The response headers the core reads, in the order host.js hands them over (indices 1 to 4).
const READ_HEADERS: [&str; 4] = [
    "content-type",
    "mcp-session-id",
    "www-authenticate",
    "location",
];

/// Where the head holds the `DPoP-Nonce` response header (after the body slots).
const NONCE_SLOT: u32 = 8;

/// A body that is not an event stream is read in the same JS call as the head, up to this many
/// bytes (plus one chunk); the rest, if any, is streamed as before. The core applies its size
/// limit to these chunks as to any: this only bounds what is read before it looks.
const MAX_BUFFERED: u32 = 1024 * 1024;

/// Fetch-based transport (`node: false`), or based on the Node client.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FetchTransport {
    /// Send through the Node client instead of `fetch`.
    pub(crate) node: bool,
}

/// Whether this runtime has the Node client (the package's Node entry installs it).
pub(crate) fn node_http_available() -> bool {
    mcp_node_http_available()
}

impl HttpTransport for FetchTransport {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        Box::pin(send(request, self.node))
    }
}

/// Aborts its controller when dropped, unless disarmed.
struct AbortOnDrop {
    controller: Option<Abort>,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = self.controller.take() {
            controller.abort();
        }
    }
}

async fn send(request: HttpRequest, node: bool) -> Result<HttpResponse, TransportError> {
    // Headers cross as one string, NUL-separated; a NUL is refused here as the runtime would
    // refuse it (no runtime accepts one in a header).
    let mut headers = String::new();
    for (name, value) in &request.headers {
        if name.contains('\0') || value.contains('\0') {
            return Err(refused_header(name));
        }
        if !headers.is_empty() {
            headers.push('\0');
        }
        headers.push_str(name);
        headers.push('\0');
        headers.push_str(value);
    }
    let controller = mcp_controller(node).map_err(|e| js_error(&e))?;
    let mut guard = AbortOnDrop {
        controller: Some(controller.clone()),
    };
    let started = mcp_fetch(
        &request.url,
        request.method.as_str(),
        &headers,
        request.body.as_deref().map(String::as_str),
        &controller,
        MAX_BUFFERED,
        node,
    )
    .map_err(|e| js_error(&e))?;
    if let Some(name) = started.as_string() {
        return Err(refused_header(&name));
    }
    let head: Array = match JsFuture::from(started.unchecked_into::<Promise>()).await {
        Ok(head) => head.unchecked_into(),
        Err(e) => return Err(js_error(&e)),
    };
    let status = head.get(0).as_f64().map_or(0, |s| s as u16);
    let mut headers = Vec::new();
    for (i, name) in (1u32..).zip(READ_HEADERS) {
        if let Some(value) = head.get(i).as_string() {
            headers.push((name.to_owned(), value));
        }
    }
    if let Some(nonce) = head.get(NONCE_SLOT).as_string() {
        headers.push(("dpop-nonce".to_owned(), nonce));
    }
    let chunks = head.get(5);
    let reader = head.get(6);
    let error = head.get(7);
    let reader: Option<Reader> = (!reader.is_null()).then(|| reader.unchecked_into());
    if reader.is_none() {
        // Read to its end already (or failed): nothing to abort.
        guard.controller = None;
    }
    let body = FetchBody {
        chunks: (!chunks.is_null()).then(|| chunks.unchecked_into()),
        next: 0,
        error: (!error.is_null()).then_some(error),
        done: false,
        reader,
        abort: AbortOnDrop {
            controller: guard.controller.take(),
        },
    };
    Ok(HttpResponse {
        status,
        headers,
        body: Box::new(body),
    })
}

fn refused_header(name: &str) -> TransportError {
    TransportError::refused(format!("the runtime refused the header '{name}'"))
}

/// A response body: the chunks read with the head, then the error that ended it or the rest
/// through its stream's reader.
struct FetchBody {
    chunks: Option<Array>,
    next: u32,
    error: Option<JsValue>,
    reader: Option<Reader>,
    abort: AbortOnDrop,
    done: bool,
}

impl ResponseBody for FetchBody {
    fn next_chunk(&mut self) -> LocalBoxFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        Box::pin(async move {
            if let Some(chunks) = &self.chunks {
                if self.next < chunks.length() {
                    let chunk = chunks.get(self.next);
                    self.next += 1;
                    return bytes(chunk);
                }
                self.chunks = None;
            }
            if let Some(error) = self.error.take() {
                self.finish();
                return Err(js_error(&error));
            }
            let Some(reader) = self.reader.as_ref().filter(|_| !self.done) else {
                self.finish();
                return Ok(None);
            };
            let read = match reader.read() {
                Ok(read) => JsFuture::from(read).await,
                Err(e) => Err(e),
            };
            match read.map(JsCast::unchecked_into::<ReadResult>) {
                Ok(read) if read.done().is_truthy() => {
                    self.finish();
                    Ok(None)
                }
                Ok(read) => bytes(read.value()),
                Err(e) => Err(js_error(&e)),
            }
        })
    }
}

/// A chunk of a response stream, which must be bytes.
fn bytes(chunk: JsValue) -> Result<Option<Vec<u8>>, TransportError> {
    match chunk.dyn_into::<Uint8Array>() {
        Ok(bytes) => Ok(Some(bytes.to_vec())),
        Err(_) => Err(TransportError::network(
            "the response stream yielded something that is not bytes",
        )),
    }
}

impl FetchBody {
    /// The body was read to its end: nothing to abort any more.
    fn finish(&mut self) {
        self.done = true;
        self.abort.controller = None;
    }
}

impl Drop for FetchBody {
    fn drop(&mut self) {
        if !self.done {
            if let Some(reader) = self.reader.take() {
                // `cancel()` rejects when the stream already errored (the server dropped the
                // connection mid-body): host.js handles that rejection.
                mcp_cancel(&reader);
                // Cancelling a response's body stops its request (fetch's cancel algorithm, and
                // the Node client's reader): aborting the controller too did nothing more and
                // was the dearest call of a pooled call with an SSE answer in workerd (25 of
                // ~200 us per call under the profiler, bench/workerd-cpu.mjs), whose stream is
                // dropped once its answer is read. Tests: tests/node/bodies.test.mjs and
                // tests/workerd/bodies.test.mjs (an abandoned body leaves nothing open).
                self.abort.controller = None;
            }
        }
    }
}

/// Turns what `fetch` threw into a [`TransportError`], telling refused connections apart.
fn js_error(error: &JsValue) -> TransportError {
    let get = |target: &JsValue, key: &str| {
        Reflect::get(target, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
    };
    let name = get(error, "name").unwrap_or_default();
    let mut message = get(error, "message").unwrap_or_else(|| "fetch failed".to_owned());
    let cause = Reflect::get(error, &JsValue::from_str("cause")).unwrap_or(JsValue::UNDEFINED);
    let (code, why) = if cause.is_object() {
        (get(&cause, "code"), get(&cause, "message"))
    } else {
        (None, None)
    };
    // "fetch failed" says little: the cause says what failed ("connect ECONNREFUSED …", "other
    // side closed", a malformed response), and its code is what programs match on.
    if let Some(why) = why.filter(|w| !w.is_empty()) {
        message = format!("{message}: {}", crate::error::snippet(&why, 200));
    }
    if let Some(code) = &code {
        if !message.contains(code.as_str()) {
            message = format!("{message} ({code})");
        }
    }
    if message == "Failed to fetch"
        || message.starts_with("NetworkError")
        || message == "Load failed"
    {
        message.push_str(
            " (in a browser this is also how a CORS rejection looks: the server must allow this origin and the \
             request headers content-type, accept, mcp-session-id, mcp-protocol-version and authorization)",
        );
    }
    let kind = if name == "AbortError" {
        TransportErrorKind::Aborted
    } else if code.as_deref() == Some("ECONNREFUSED") {
        TransportErrorKind::Refused
    } else {
        TransportErrorKind::Network
    };
    TransportError { kind, message }
}
