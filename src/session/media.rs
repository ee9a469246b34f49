//! What an HTTP message of the wire says of itself: the kind of body a reply carries, by its
//! `Content-Type`, and header pairs. Shared by every dialect below the exchange.

use crate::error::snippet;
use crate::transport::HttpResponse;

/// The kinds of body a successful POST can carry.
pub(super) enum BodyKind {
    Json,
    Sse,
    Other(String),
}

/// True when `response` carries `text/event-stream`.
pub(super) fn is_event_stream(response: &HttpResponse) -> bool {
    matches!(body_kind(response), BodyKind::Sse)
}

/// What `response` says its body is.
pub(super) fn body_kind(response: &HttpResponse) -> BodyKind {
    let raw = response.header("content-type").unwrap_or("");
    let mime = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/json" => BodyKind::Json,
        "text/event-stream" => BodyKind::Sse,
        _ => BodyKind::Other(snippet(raw, 60)),
    }
}

/// A header as the transport takes it (one copy of the code, not one a header).
#[inline(never)]
pub(super) fn header(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}
