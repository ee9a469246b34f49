//! One request: its timeout (reset by progress when asked), abort, and the
//! `notifications/cancelled` that tells the server a request was abandoned.

use std::rc::Rc;

use futures_util::future::{self, Either, FutureExt};

use super::{progress, RequestOptions, Session, CANCEL_WAIT_MS};
use crate::error::Error;
use crate::json::RawValue;
use crate::protocol::methods;

impl Session {
    /// Sends a request and returns its raw result, re-initializing once if the session expired.
    /// No error quotes a registered header value, a token or the session id (see `redact.rs`).
    ///
    /// # Errors
    /// [`Error::RequestTimeout`], [`Error::Aborted`], [`Error::Rpc`] for a JSON-RPC error,
    /// [`Error::Http`], [`Error::Network`], [`Error::Protocol`], [`Error::SessionClosed`].
    pub async fn request(
        &self,
        method: &str,
        params: Option<RawValue>,
        options: RequestOptions,
    ) -> Result<RawValue, Error> {
        if self.is_closed() {
            return Err(self.closed_error());
        }
        let id = self.next_id();
        let (params, watch) = match &options.progress {
            Some(p) => (
                Some(progress::with_progress_token(params, id)?),
                Some(self.watch_progress(id, p.on_progress.clone())),
            ),
            None => (params, None),
        };
        let timeout_ms = options
            .timeout_ms
            .unwrap_or(self.inner.config.request_timeout_ms);
        let reset = options.progress.as_ref().is_some_and(|p| p.reset_timeout);
        let cap_ms = options
            .progress
            .as_ref()
            .and_then(|p| p.max_total_timeout_ms);
        let wire = self.dialect().wire();
        let mut guard = CancelOnDrop {
            session: self,
            id,
            armed: wire.cancels_by_notification(),
        };
        let call = wire.call(self, id, method, params);
        let last_progress = watch.as_ref().filter(|_| reset).map(|w| w.sink.clone());
        let timer = Box::pin(self.deadline(timeout_ms, last_progress, cap_ms));
        let cancel = options
            .cancel
            .unwrap_or_else(|| future::pending().boxed_local());
        let (reason, outcome, abandoned) =
            match future::select(call, future::select(timer, cancel)).await {
                Either::Left((result, _)) => {
                    guard.armed = false;
                    return result.map_err(|e| self.redact(e));
                }
                Either::Right((Either::Left((waited_ms, _)), call)) => {
                    let error = self.timeout_error(method, waited_ms);
                    ("request timed out", error, call)
                }
                Either::Right((Either::Right(_), call)) => {
                    ("aborted by the client", Error::Aborted, call)
                }
            };
        // Stop the request first, then tell the server before returning, in this task: work
        // spawned from a Worker request dies with it.
        drop(abandoned);
        drop(watch);
        guard.armed = false;
        if wire.cancels_by_notification() {
            self.cancel_now(id, reason).await;
        }
        Err(outcome)
    }

    /// Completes when the request's time is up, with how long it waited: `timeout_ms` after the
    /// start, or after the last progress notification when `progress` is given, but never later
    /// than `cap_ms` after the start.
    async fn deadline(
        &self,
        timeout_ms: u64,
        progress: Option<Rc<progress::ProgressSink>>,
        cap_ms: Option<u64>,
    ) -> u64 {
        let clock = &self.inner.rt.clock;
        let start = clock.now_ms();
        loop {
            let base = progress
                .as_ref()
                .map_or(start, |p| p.last_ms.get().max(start));
            let mut due = base.saturating_add(timeout_ms);
            if let Some(cap) = cap_ms {
                due = due.min(start.saturating_add(cap));
            }
            let now = clock.now_ms();
            if now >= due {
                return now.saturating_sub(start);
            }
            clock.sleep(due - now).await;
        }
    }

    fn cancelled_params(id: i64, reason: &str) -> Option<RawValue> {
        Some(crate::json::to_raw(
            &serde_json::json!({"requestId": id, "reason": reason}),
        ))
    }

    /// Sends `notifications/cancelled` for request `id` and waits for it, at most one second.
    async fn cancel_now(&self, id: i64, reason: &str) {
        let Some(params) = Self::cancelled_params(id, reason) else {
            return;
        };
        let notify = Box::pin(self.notify(methods::CANCELLED, Some(params)));
        let _ = future::select(notify, self.inner.rt.clock.sleep(CANCEL_WAIT_MS)).await;
    }

    /// Sends `notifications/cancelled` in the background (from a destructor, which cannot wait).
    fn send_cancelled(&self, id: i64, reason: &str) {
        let Some(params) = Self::cancelled_params(id, reason) else {
            return;
        };
        let me = self.clone();
        self.inner.rt.spawner.spawn(Box::pin(async move {
            let _ = me.notify(methods::CANCELLED, Some(params)).await;
        }));
    }
}

/// Sends `notifications/cancelled` for a request abandoned before its response arrived:
/// timed out, aborted, or whose future was dropped.
struct CancelOnDrop<'a> {
    session: &'a Session,
    id: i64,
    armed: bool,
}

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed && !self.session.is_closed() {
            self.session
                .send_cancelled(self.id, "abandoned by the client");
        }
    }
}
