//! Streamable HTTP with sessions (protocol 2025-03-26 to 2025-11-25): each request is its own
//! `POST` carrying the `Mcp-Session-Id` the `initialize` handshake (`handshake.rs`) gave, the
//! answer comes as JSON or as an SSE stream (`exchange.rs`), an expired session re-initializes
//! (`recovery.rs`), and `close` is a `DELETE`.

use futures_util::future::LocalBoxFuture;

use super::dialect::Wire;
use super::recovery::{Attempt, Failure};
use super::{Session, Snapshot};
use crate::error::Error;
use crate::json::RawValue;
use crate::transport::Body;

/// The stateful Streamable HTTP dialect.
pub(super) struct Stateful;

impl Attempt for Stateful {
    async fn attempt(
        &self,
        session: &Session,
        id: i64,
        body: &Body,
        snap: &Snapshot,
    ) -> Result<RawValue, Failure> {
        let response = session.post(body.clone(), Some(snap), false).await?;
        if response.status == 404 && snap.session_id.is_some() {
            return Err(Failure::Gone(snap.generation, snap.failed_reinits));
        }
        Ok(session.read_answer(response, id, snap).await?)
    }
}

impl Wire for Stateful {
    fn call<'a>(
        &self,
        session: &'a Session,
        id: i64,
        method: &'a str,
        params: Option<RawValue>,
    ) -> LocalBoxFuture<'a, Result<RawValue, Error>> {
        super::recovery::call(&Stateful, session, id, method, params)
    }

    fn reopen<'a>(&self, session: &'a Session) -> LocalBoxFuture<'a, Result<(), Error>> {
        Box::pin(session.initialize())
    }

    fn close<'a>(&self, session: &'a Session, snap: Snapshot) -> LocalBoxFuture<'a, ()> {
        Box::pin(async move {
            if snap.session_id.is_some() {
                let _ = session.send_delete(&snap).await;
            }
        })
    }

    fn cancels_by_notification(&self) -> bool {
        true
    }

    fn has_server_stream(&self) -> bool {
        true
    }

    fn resumable(&self) -> bool {
        true
    }
}
