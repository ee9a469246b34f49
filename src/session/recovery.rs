//! The recovery of a session the server forgot, shared by the two dialects that have sessions
//! (stateful Streamable HTTP and HTTP+SSE): when a request that carried the session gets `404`,
//! the session re-opens once (single-flight: concurrent callers that hit the same expired
//! session share one re-open) and the request is retried once.

use futures_util::future::{FutureExt, LocalBoxFuture, Shared};

use super::{Session, Snapshot};
use crate::error::Error;
use crate::json::RawValue;
use crate::jsonrpc;
use crate::transport::Body;

/// Why one attempt failed.
pub(super) enum Failure {
    /// `404` on a request that carried a session: the server forgot it. Carries the snapshot's
    /// generation and failed re-initialize count.
    Gone(u64, u64),
    /// Anything else, final.
    Fatal(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Fatal(e)
    }
}

/// A re-open in flight, awaited by every caller that hit the expired session.
pub(super) type Reinit = Shared<LocalBoxFuture<'static, Result<(), Error>>>;

/// One attempt of a request in a dialect with sessions.
pub(super) trait Attempt {
    /// Sends request `id` (encoded in `body`) under `snap` and waits for its result.
    async fn attempt(
        &self,
        session: &Session,
        id: i64,
        body: &Body,
        snap: &Snapshot,
    ) -> Result<RawValue, Failure>;
}

/// `Wire::call` of a dialect with sessions: the request encoded once, then sent through
/// `dialect` with [`Session::call_with_recovery`].
pub(super) fn call<'a, A: Attempt>(
    dialect: &'a A,
    session: &'a Session,
    id: i64,
    method: &'a str,
    params: Option<RawValue>,
) -> LocalBoxFuture<'a, Result<RawValue, Error>> {
    // Encoded once; each attempt sends this one copy (`params` is dropped here).
    let body = Body::new(jsonrpc::encode_request(id, method, params.as_ref()));
    Box::pin(async move { session.call_with_recovery(dialect, id, &body).await })
}

impl Session {
    /// Sends request `id` through `dialect`, re-opening the session once if the server forgot it.
    pub(super) async fn call_with_recovery<A: Attempt>(
        &self,
        dialect: &A,
        id: i64,
        body: &Body,
    ) -> Result<RawValue, Error> {
        match self.call_once(dialect, id, body).await {
            Ok(raw) => Ok(raw),
            Err(Failure::Fatal(e)) => Err(e),
            Err(Failure::Gone(generation, failed_reinits)) => {
                self.reinitialize(generation, failed_reinits).await?;
                match self.call_once(dialect, id, body).await {
                    Ok(raw) => Ok(raw),
                    Err(Failure::Fatal(e)) => Err(e),
                    Err(Failure::Gone(..)) => Err(self.status_error(
                        404,
                        "session not found, again right after a new initialize".into(),
                    )),
                }
            }
        }
    }

    async fn call_once<A: Attempt>(
        &self,
        dialect: &A,
        id: i64,
        body: &Body,
    ) -> Result<RawValue, Failure> {
        let snap = self.snapshot();
        if self.is_closed() {
            return Err(Failure::Fatal(self.closed_error()));
        }
        let result = dialect.attempt(self, id, body, &snap).await?;
        self.mark_ok();
        Ok(result)
    }

    /// Re-initializes after the session of `generation` expired. Single-flight: callers that
    /// arrive while one is running await the same one; callers that arrive after it finished
    /// see a newer generation and just retry.
    /// A request sent before a re-initialize failed gets that failure instead of starting another.
    async fn reinitialize(&self, generation: u64, failed_reinits: u64) -> Result<(), Error> {
        let shared = {
            {
                let state = self.inner.state.borrow();
                if state.closed {
                    return Err(self.closed_error());
                }
                if state.generation != generation {
                    return Ok(());
                }
                if state.failed_reinits > failed_reinits {
                    if let Some(error) = &state.last_reinit_error {
                        return Err(error.clone());
                    }
                }
            }
            let mut slot = self.inner.reinit.borrow_mut();
            match slot.as_ref() {
                Some(running) => running.clone(),
                None => {
                    let me = self.clone();
                    let run = async move {
                        let result = me.initialize_with_timeout().await;
                        *me.inner.reinit.borrow_mut() = None;
                        if let Err(error) = &result {
                            let mut state = me.inner.state.borrow_mut();
                            state.failed_reinits += 1;
                            state.last_reinit_error = Some(error.clone());
                        }
                        result
                    }
                    .boxed_local()
                    .shared();
                    *slot = Some(run.clone());
                    run
                }
            }
        };
        shared.await
    }

    async fn initialize_with_timeout(&self) -> Result<(), Error> {
        self.with_connect_timeout(self.dialect().wire().reopen(self))
            .await
    }
}
