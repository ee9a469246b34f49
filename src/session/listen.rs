//! The optional standalone `GET` stream of a stateful session (`server_stream`; by default open
//! when the server has handlers or the pool a notification handler): where a server sends what
//! belongs to no request of ours, such as an `elicitation/create` or a
//! `notifications/tools/list_changed` it decided on by itself. Requests on it are answered by
//! `POST`, notifications are routed like any other. The stream is reopened after it ends (with
//! `Last-Event-ID`, after the server's `retry:`), given up after a few failures in a row, and not
//! opened at all when the server answers `405`. It is long-lived: it does not count against the
//! in-flight caps, keeps a Node process alive until the pool is closed, and on Workers lives only
//! as long as the request that opened it.

use std::rc::Weak;

use futures_util::future::{AbortHandle, Abortable};

use super::{Inner, Session};
use crate::jsonrpc::Message;
use crate::sse::{SseEvent, SseParser};

/// Failed opens in a row after which the stream is given up.
const MAX_FAILURES: u64 = 5;
/// Wait before reopening when the server gave no `retry:`, and the step of the failure backoff.
const REOPEN_MS: u64 = 1_000;

/// Ends the stream's task when dropped (the session closed or was dropped).
pub(super) struct Listener(AbortHandle);

impl Drop for Listener {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Session {
    /// Opens the standalone stream in the background, if the server's options ask for it.
    pub(super) fn listen_if_asked(&self) {
        let config = &self.inner.config;
        let wanted = config
            .server_stream
            .unwrap_or_else(|| config.handlers.any())
            && self.dialect().wire().has_server_stream()
            && self.has_session_id();
        if !wanted || self.inner.listener.borrow().is_some() {
            return;
        }
        let (handle, registration) = AbortHandle::new_pair();
        *self.inner.listener.borrow_mut() = Some(Listener(handle));
        let task = Abortable::new(listen(std::rc::Rc::downgrade(&self.inner)), registration);
        self.inner.rt.spawner.spawn(Box::pin(async move {
            let _ = task.await;
        }));
    }

    /// Surfaces one message the server sent outside any request of ours.
    pub(super) fn on_unsolicited(&self, message: Message) {
        match message {
            Message::Notification(n) => {
                self.route_progress(&n);
                self.notify_handler(&n);
            }
            Message::Request(request) => {
                let me = self.clone();
                let snap = self.snapshot();
                self.inner.rt.spawner.spawn(Box::pin(async move {
                    me.answer_server_request(request, &snap).await;
                }));
            }
            Message::Response(_) => {}
        }
    }
}

/// Hands `events` to the session, if it still exists.
fn deliver(session: &Weak<Inner>, events: Vec<SseEvent>) -> bool {
    let Some(inner) = session.upgrade() else {
        return false;
    };
    // The HTTP+SSE reader's dispatch, without a channel: responses have no request to go to.
    Session { inner }.dispatch(None, events);
    true
}

/// The stream's task: open, read until it ends, wait, reopen; holds the session weakly between
/// reads, so a dropped session ends it.
async fn listen(session: Weak<Inner>) {
    let mut last_event_id: Option<String> = None;
    let mut retry_ms: Option<u64> = None;
    let mut failures = 0u64;
    loop {
        let Some(inner) = session.upgrade() else {
            return;
        };
        let me = Session { inner };
        if me.is_closed() {
            return;
        }
        let clock = me.inner.rt.clock.clone();
        let snap = me.snapshot();
        let url = me.inner.config.url.clone();
        let mut parser = SseParser::new(me.inner.config.max_response_bytes);
        let opened = me
            .get_stream(&url, Some(&snap), last_event_id.as_deref(), true)
            .await;
        let response = match opened {
            Ok(r) if (200..300).contains(&r.status) && super::media::is_event_stream(&r) => {
                failures = 0;
                Some(r)
            }
            // The server offers no standalone stream.
            Ok(r) if r.status == 405 => {
                me.drain(r).await;
                return;
            }
            Ok(r) => {
                me.drain(r).await;
                None
            }
            Err(_) => None,
        };
        drop(me);
        if let Some(mut response) = response {
            let mut events = Vec::new();
            while let Ok(Some(chunk)) = response.body.next_chunk().await {
                let pushed = parser.push(&chunk, &mut events);
                if !deliver(&session, std::mem::take(&mut events)) {
                    return;
                }
                if pushed.is_err() {
                    break;
                }
            }
            last_event_id = parser.last_event_id().map(str::to_owned).or(last_event_id);
            retry_ms = parser.retry_ms().or(retry_ms);
            clock
                .sleep_in_background(retry_ms.unwrap_or(REOPEN_MS).min(60_000))
                .await;
        } else {
            failures += 1;
            if failures >= MAX_FAILURES {
                return;
            }
            clock.sleep_in_background(REOPEN_MS * failures).await;
        }
    }
}
