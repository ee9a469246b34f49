//! Progress: a request may ask for `notifications/progress` (`_meta.progressToken`), get them
//! delivered to its own handler, and have its timeout reset by each one, up to a hard cap.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use super::Session;
use crate::error::Error;
use crate::json::RawValue;
use crate::jsonrpc::Notification;
use crate::protocol::methods;
use crate::raw_object::RawObject;

/// Receives the params of each `notifications/progress` of one request.
pub type ProgressHandler = Rc<dyn Fn(&RawValue)>;

/// Progress options of one request.
#[derive(Clone)]
pub struct ProgressOptions {
    /// Called with each progress notification's params (`progress`, `total?`, `message?`).
    pub on_progress: ProgressHandler,
    /// Each progress notification restarts the request's timeout.
    pub reset_timeout: bool,
    /// The hard cap on the request's total time when the timeout resets, in ms.
    pub max_total_timeout_ms: Option<u64>,
}

impl fmt::Debug for ProgressOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgressOptions")
            .field("reset_timeout", &self.reset_timeout)
            .field("max_total_timeout_ms", &self.max_total_timeout_ms)
            .finish_non_exhaustive()
    }
}

/// A request waiting for progress.
pub(super) struct ProgressSink {
    handler: ProgressHandler,
    /// When the last progress notification arrived (0: none yet).
    pub(super) last_ms: Cell<u64>,
}

/// Adds `_meta.progressToken = token` to `params` (an object, or none).
pub(super) fn with_progress_token(params: Option<RawValue>, token: i64) -> Result<RawValue, Error> {
    let mut fields = match &params {
        Some(raw) => RawObject::parse(raw.get()).map_err(|_| {
            Error::invalid_argument("params", "must be an object to carry a progress token")
        })?,
        None => RawObject::default(),
    };
    let mut meta = match fields.remove("_meta") {
        Some(raw) => RawObject::parse(raw.get())
            .map_err(|_| Error::invalid_argument("params._meta", "must be an object"))?,
        None => RawObject::default(),
    };
    meta.insert("progressToken", crate::json::to_raw(&token));
    fields.insert("_meta", meta.to_raw());
    Ok(fields.to_raw())
}

impl Session {
    /// Registers the progress handler of request `token`; unregistered when the guard drops.
    pub(super) fn watch_progress(&self, token: i64, handler: ProgressHandler) -> ProgressGuard<'_> {
        let sink = Rc::new(ProgressSink {
            handler,
            last_ms: Cell::new(0),
        });
        self.inner.progress.borrow_mut().push((token, sink.clone()));
        ProgressGuard {
            session: self,
            token,
            sink,
        }
    }

    /// Delivers a `notifications/progress` to the request it belongs to, if any.
    pub(super) fn route_progress(&self, notification: &Notification) {
        if notification.method != methods::PROGRESS {
            return;
        }
        let Some(params) = &notification.params else {
            return;
        };
        // Only integer tokens are ours (see `with_progress_token`).
        let Some(token) = RawObject::parse(params.get())
            .ok()
            .and_then(|fields| fields.get("progressToken")?.get().parse::<i64>().ok())
        else {
            return;
        };
        let sink = (self.inner.progress.borrow().iter())
            .find(|(t, _)| *t == token)
            .map(|(_, sink)| sink.clone());
        if let Some(sink) = sink {
            sink.last_ms.set(self.inner.rt.clock.now_ms().max(1));
            (sink.handler)(params);
        }
    }
}

/// Unregisters a request's progress handler.
pub(super) struct ProgressGuard<'a> {
    session: &'a Session,
    token: i64,
    pub(super) sink: Rc<ProgressSink>,
}

impl Drop for ProgressGuard<'_> {
    fn drop(&mut self) {
        let mut sinks = self.session.inner.progress.borrow_mut();
        if let Some(at) = sinks.iter().position(|(t, _)| *t == self.token) {
            sinks.swap_remove(at);
        }
    }
}
