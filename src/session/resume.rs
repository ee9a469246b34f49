//! Event streams opened with `GET`: the helper both transports share, and resuming the SSE
//! answer of a `POST` that dropped before its response arrived (`GET` + `Last-Event-ID`, after
//! the server's `retry:` delay, a bounded number of times).

use super::{Session, Snapshot};
use crate::error::Error;
use crate::options::MAX_TIMEOUT_MS;
use crate::sse::SseParser;
use crate::transport::{HttpMethod, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;

/// Most reconnects in a row that bring no new event (an event id not seen before resets the
/// count); the request's own timeout bounds the total time in any case.
pub(super) const MAX_RESUMES: u32 = 3;

/// What a stream told us about resuming it: the last event id, the reconnect delay, and how
/// many reconnects were made since the last new event.
#[derive(Debug, Default)]
pub(super) struct Resumption {
    last_event_id: Option<String>,
    retry_ms: Option<u64>,
    attempts: u32,
}

impl Resumption {
    /// Takes note of the id and `retry:` value `parser` has seen so far.
    pub(super) fn observe(&mut self, parser: &SseParser) {
        if let Some(id) = parser.last_event_id() {
            if self.last_event_id.as_deref() != Some(id) {
                self.last_event_id = Some(id.to_owned());
                self.attempts = 0;
            }
        }
        if let Some(ms) = parser.retry_ms() {
            self.retry_ms = Some(ms);
        }
    }
}

/// `error` with `note` appended to its message (for the kinds that carry one).
fn with_note(mut error: Error, note: &str) -> Error {
    if let Error::Network { message, .. } | Error::Protocol { message, .. } = &mut error {
        message.push_str("; ");
        message.push_str(note);
    }
    error
}

impl Session {
    /// `GET`s `url` for an event stream (`Accept: text/event-stream`) with the session headers of
    /// `snap` and, when resuming, `Last-Event-ID`.
    pub(super) async fn get_stream(
        &self,
        url: &str,
        snap: Option<&Snapshot>,
        last_event_id: Option<&str>,
        urgent: bool,
    ) -> Result<HttpResponse, Error> {
        let mut headers = vec![super::media::header("Accept", "text/event-stream")];
        headers.extend(self.headers(HttpMethod::Get, snap));
        if let Some(id) = last_event_id {
            headers.push(super::media::header("Last-Event-ID", id));
        }
        let request = HttpRequest {
            method: HttpMethod::Get,
            url: url.to_owned(),
            headers,
            body: None,
            urgent,
        };
        self.inner.link.http.send(request).await
    }

    /// After the SSE answer to a request dropped (`dropped` says how) before its response:
    /// reconnects with `GET` + `Last-Event-ID` when the server gave event ids, after waiting its
    /// `retry:` delay. Returns the resumed stream, or `dropped` (with a note) when resuming is not
    /// possible: no event id, too many attempts, or the server refused the `GET`.
    ///
    /// Boxed: a cold path, kept out of the state of the SSE reader.
    pub(super) fn resume_stream<'a>(
        &'a self,
        snap: &'a Snapshot,
        resumption: &'a mut Resumption,
        dropped: Error,
    ) -> LocalBoxFuture<'a, Result<HttpResponse, Error>> {
        Box::pin(self.resume_stream_unboxed(snap, resumption, dropped))
    }

    async fn resume_stream_unboxed(
        &self,
        snap: &Snapshot,
        resumption: &mut Resumption,
        dropped: Error,
    ) -> Result<HttpResponse, Error> {
        let Some(last_event_id) = resumption.last_event_id.clone() else {
            return Err(dropped);
        };
        if resumption.attempts >= MAX_RESUMES {
            return Err(with_note(
                dropped,
                &format!("gave up after {MAX_RESUMES} attempts to resume the stream"),
            ));
        }
        resumption.attempts += 1;
        if let Some(ms) = resumption.retry_ms {
            self.inner.rt.clock.sleep(ms.min(MAX_TIMEOUT_MS)).await;
        }
        let url = self.inner.config.url.clone();
        let response = self
            .get_stream(&url, Some(snap), Some(&last_event_id), false)
            .await?;
        let refused = if !(200..300).contains(&response.status) {
            format!(
                "resuming it with GET and Last-Event-ID got HTTP {}",
                response.status
            )
        } else if !super::media::is_event_stream(&response) {
            "resuming it with GET and Last-Event-ID got no event stream".to_owned()
        } else {
            return Ok(response);
        };
        // One drain for both refusals.
        self.drain(response).await;
        Err(with_note(dropped, &refused))
    }
}
