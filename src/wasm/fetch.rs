//! [`HttpTransport`] over the global `fetch`, one `AbortController` per request.
//!
//! Dropping the future of a request, or the body of its response, aborts the request: a timed
//! out or abandoned call leaves no connection behind. Every body is read and parsed inside the
//! call that made the fetch (Workers forbid sharing I/O objects across requests).

use futures_util::future::LocalBoxFuture;
use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, Headers, ReadableStreamDefaultReader, RequestInit, RequestRedirect, Response,
};

use crate::transport::{
    HttpRequest, HttpResponse, HttpTransport, ResponseBody, TransportError, TransportErrorKind,
};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(input: &str, init: &RequestInit) -> Result<Promise, JsValue>;
}

/// The response headers the core reads.
const READ_HEADERS: [&str; 4] = [
    "content-type",
    "mcp-session-id",
    "www-authenticate",
    "location",
];

/// Fetch-based transport.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FetchTransport;

impl HttpTransport for FetchTransport {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        Box::pin(send(request))
    }
}

/// Aborts its controller when dropped, unless disarmed.
struct AbortOnDrop {
    controller: Option<AbortController>,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = self.controller.take() {
            controller.abort();
        }
    }
}

async fn send(request: HttpRequest) -> Result<HttpResponse, TransportError> {
    let controller = AbortController::new().map_err(|e| js_error(&e))?;
    let mut guard = AbortOnDrop {
        controller: Some(controller.clone()),
    };
    let headers = Headers::new().map_err(|e| js_error(&e))?;
    for (name, value) in &request.headers {
        headers.append(name, value).map_err(|_| {
            TransportError::refused(format!("the runtime refused the header '{name}'"))
        })?;
    }
    let init = RequestInit::new();
    init.set_method(request.method.as_str());
    init.set_headers(&headers);
    init.set_signal(Some(&controller.signal()));
    // Redirects are the core's decision (same origin only): a browser answers an opaque
    // redirect with status 0, other runtimes with the 3xx and its Location.
    init.set_redirect(RequestRedirect::Manual);
    if let Some(body) = &request.body {
        init.set_body(&JsValue::from_str(body));
    }
    let promise = global_fetch(&request.url, &init).map_err(|e| js_error(&e))?;
    let response: Response = JsFuture::from(promise)
        .await
        .map_err(|e| js_error(&e))?
        .unchecked_into();
    let response_headers = response.headers();
    let mut head = Vec::new();
    for name in READ_HEADERS {
        if let Ok(Some(value)) = response_headers.get(name) {
            head.push((name.to_owned(), value));
        }
    }
    let reader = response.body().map(|stream| {
        stream
            .get_reader()
            .unchecked_into::<ReadableStreamDefaultReader>()
    });
    let body = FetchBody {
        reader,
        abort: AbortOnDrop {
            controller: guard.controller.take(),
        },
        done: false,
    };
    Ok(HttpResponse {
        status: response.status(),
        headers: head,
        body: Box::new(body),
    })
}

/// A response body read through its stream's reader.
struct FetchBody {
    reader: Option<ReadableStreamDefaultReader>,
    abort: AbortOnDrop,
    done: bool,
}

impl ResponseBody for FetchBody {
    fn next_chunk(&mut self) -> LocalBoxFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        Box::pin(async move {
            let Some(reader) = self.reader.as_ref().filter(|_| !self.done) else {
                self.finish();
                return Ok(None);
            };
            let result = JsFuture::from(reader.read())
                .await
                .map_err(|e| js_error(&e))?;
            let done = Reflect::get(&result, &JsValue::from_str("done"))
                .map(|d| d.is_truthy())
                .unwrap_or(true);
            if done {
                self.finish();
                return Ok(None);
            }
            let value =
                Reflect::get(&result, &JsValue::from_str("value")).unwrap_or(JsValue::UNDEFINED);
            match value.dyn_into::<Uint8Array>() {
                Ok(bytes) => Ok(Some(bytes.to_vec())),
                Err(_) => Err(TransportError::network(
                    "the response stream yielded something that is not bytes",
                )),
            }
        })
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
                // connection mid-body): nobody awaits it, so handle the rejection, or Node exits
                // on an unhandled rejection and browsers and Workers log one.
                ignore_rejection(&reader.cancel());
            }
        }
    }
}

thread_local! {
    /// A rejection handler that does nothing, for promises nobody awaits.
    static IGNORE: Closure<dyn FnMut(JsValue)> = Closure::new(|_: JsValue| {});
}

/// Marks `promise`'s rejection as handled.
fn ignore_rejection(promise: &Promise) {
    IGNORE.with(|ignore| {
        let _ = promise.catch(ignore);
    });
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
    let code = if cause.is_object() {
        get(&cause, "code")
    } else {
        None
    };
    if let Some(code) = &code {
        message = format!("{message} ({code})");
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
