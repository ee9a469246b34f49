//! The HTTP boundary: the only way the core reaches a server.
//!
//! A transport performs one HTTP exchange and hands back the status, the headers the core needs
//! and a body that is read chunk by chunk. Classifying the reply (202 / JSON / SSE) and parsing
//! it happens in the core ([`crate::session`]), so the wasm face stays a thin binding of `fetch`.
//! Dropping any future or body returned here must abort the underlying request.

use std::fmt;
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;

/// A request's JSON body, shared rather than copied by everything that may send it again (a
/// redirect, a token or DPoP retry, a session's recovery): one copy of a large argument in the
/// wasm memory, whose size only ever grows, instead of one per layer.
pub type Body = Rc<String>;

/// HTTP methods the MCP Streamable HTTP transport uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// Every client-to-server JSON-RPC message.
    Post,
    /// The optional server-to-client stream.
    Get,
    /// Session termination.
    Delete,
}

impl HttpMethod {
    /// The method's name as it goes on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Post => "POST",
            HttpMethod::Get => "GET",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// One outgoing HTTP request.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: HttpMethod,
    /// The absolute URL of the server's MCP endpoint.
    pub url: String,
    /// Header names and values, in order. Values may hold secrets: never print them.
    pub headers: Vec<(String, String)>,
    /// The JSON body of a `POST`.
    pub body: Option<Body>,
    /// A short message (a notification, an answer to a server's request, a `DELETE`) that
    /// must not queue for a concurrency permit behind long requests.
    pub urgent: bool,
}

impl HttpRequest {
    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("header_names", &names)
            .field("body_len", &self.body.as_ref().map(|b| b.len()))
            .field("urgent", &self.urgent)
            .finish()
    }
}

/// The head of an HTTP response and its body stream.
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Response headers (names in any case). The core reads `content-type`, `mcp-session-id`
    /// and `www-authenticate`.
    pub headers: Vec<(String, String)>,
    /// The body, read incrementally.
    pub body: Box<dyn ResponseBody>,
}

impl HttpResponse {
    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("header_names", &names)
            .finish_non_exhaustive()
    }
}

/// A response body delivered in chunks of any size.
pub trait ResponseBody {
    /// The next chunk, or `None` at the end of the body.
    ///
    /// # Errors
    /// A [`TransportError`] when the connection fails mid-body.
    fn next_chunk(&mut self) -> LocalBoxFuture<'_, Result<Option<Vec<u8>>, TransportError>>;
}

/// Performs HTTP exchanges. Single-threaded: no `Send` bounds.
pub trait HttpTransport {
    /// Sends `request` and resolves once the response head has arrived.
    ///
    /// # Errors
    /// A [`TransportError`] when no response arrived (connection refused, DNS, CORS, abort).
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>>;
}

/// What went wrong below HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// Which kind of failure.
    pub kind: TransportErrorKind,
    /// A human-readable description (never contains header values).
    pub message: String,
}

/// Kinds of [`TransportError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// The request never reached the server: it provably was not processed (connection refused).
    Refused,
    /// The connection failed after the request may have been sent.
    Network,
    /// The request or body was aborted by the caller.
    Aborted,
}

impl TransportError {
    /// A failure after which the request may or may not have reached the server.
    pub fn network(message: impl Into<String>) -> Self {
        TransportError {
            kind: TransportErrorKind::Network,
            message: message.into(),
        }
    }

    /// A failure before the request left: safe to retry anything.
    pub fn refused(message: impl Into<String>) -> Self {
        TransportError {
            kind: TransportErrorKind::Refused,
            message: message.into(),
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A body that is already in memory, delivered as one chunk. Useful for transports and fakes.
#[derive(Debug, Default)]
pub struct BufferedBody {
    chunks: std::collections::VecDeque<Vec<u8>>,
}

impl BufferedBody {
    /// A body delivered as the given chunks, in order.
    pub fn from_chunks(chunks: impl IntoIterator<Item = Vec<u8>>) -> Self {
        BufferedBody {
            chunks: chunks.into_iter().collect(),
        }
    }
}

impl ResponseBody for BufferedBody {
    fn next_chunk(&mut self) -> LocalBoxFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        let chunk = self.chunks.pop_front();
        Box::pin(async move { Ok(chunk) })
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
