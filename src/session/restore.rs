//! Exporting a session's state and resuming it in a new process or isolate without a handshake.
//!
//! What is exported is what lets a new Worker isolate skip the `initialize` round trips: the
//! session id (where the server keeps sessions), the negotiated version and the server's
//! `initialize` result. Never headers or tokens. A resumed session is validated lazily: its first
//! request (or the health loop's ping) finds out, and a `404` re-initializes as usual.

use std::rc::Rc;

use super::{NotificationHandler, ServerLink, Session, SessionConfig};
use crate::error::Error;
use serde::{Deserialize, Serialize};

use crate::json::{FromJson, RawValue};
use crate::protocol::{self, InitializeResult};
use crate::runtime::Runtime;

/// The resumable state of one session. Serialisable; holds no header or token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionSnapshot {
    /// The server's `Mcp-Session-Id`, where it keeps sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The negotiated protocol version.
    pub protocol_version: String,
    /// The server's `initialize` result, as it sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initialize_result: Option<RawValue>,
    /// Who the session was opened for (a pool's identity partition), if anyone: a restored
    /// session goes back to its identity only. The app's own key; never a credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
}

impl PartialEq for SessionSnapshot {
    fn eq(&self, other: &Self) -> bool {
        self.session_id == other.session_id
            && self.protocol_version == other.protocol_version
            && self.identity == other.identity
            && self.initialize_result.as_ref().map(|r| r.get())
                == other.initialize_result.as_ref().map(|r| r.get())
    }
}

impl Session {
    /// The state a new process needs to resume this session, or `None` when it has none worth
    /// keeping (closed, never initialized, or an HTTP+SSE session).
    pub fn export(&self) -> Option<SessionSnapshot> {
        let state = self.inner.state.borrow();
        // An HTTP+SSE session lives in its event stream, which no other process can take over.
        if state.closed || !state.dialect.wire().resumable() {
            return None;
        }
        let protocol_version = state.protocol_version.clone()?;
        let initialize_result = state.init.as_ref().map(|init| crate::json::to_raw(&**init));
        Some(SessionSnapshot {
            session_id: state.session_id.clone(),
            protocol_version,
            initialize_result,
            identity: None,
        })
    }

    /// Resumes a session from `snapshot` without talking to the server.
    ///
    /// # Errors
    /// [`Error::UnsupportedProtocolVersion`] when the snapshot's version is not one this client
    /// speaks (the caller then opens a fresh session); [`Error::Protocol`] when it is malformed.
    pub fn resume(
        config: SessionConfig,
        rt: Runtime,
        on_notification: Option<NotificationHandler>,
        snapshot: &SessionSnapshot,
    ) -> Result<Session, Error> {
        let link = ServerLink::new(&config, rt.transport.clone());
        Session::resume_via(config, link, rt, on_notification, snapshot)
    }

    /// [`Session::resume`] through `link` (see [`Session::connect_via`]).
    ///
    /// # Errors
    /// As [`Session::resume`].
    pub fn resume_via(
        config: SessionConfig,
        link: Rc<ServerLink>,
        rt: Runtime,
        on_notification: Option<NotificationHandler>,
        snapshot: &SessionSnapshot,
    ) -> Result<Session, Error> {
        let session = Session::blank(config, link, rt, on_notification);
        let modern = protocol::is_modern(&snapshot.protocol_version);
        let pinned_away = match session.inner.config.era {
            super::EraPolicy::Legacy => modern,
            super::EraPolicy::Modern => !modern,
            super::EraPolicy::Auto => false,
        };
        if pinned_away || (!modern && !protocol::is_supported(&snapshot.protocol_version)) {
            return Err(session.version_error(&snapshot.protocol_version));
        }
        if let Some(id) = &snapshot.session_id {
            if let Some(problem) = super::handshake::session_id_problem(id) {
                return Err(session.protocol_error(format!("in the snapshot, {problem}")));
            }
        }
        let init = match &snapshot.initialize_result {
            Some(raw) => Some(Rc::new(InitializeResult::from_json(raw.get()).map_err(
                |e| {
                    session
                        .protocol_error(format!("malformed initialize result in the snapshot: {e}"))
                },
            )?)),
            None => None,
        };
        {
            let mut state = session.inner.state.borrow_mut();
            // The snapshot says which era the server speaks: later sessions need not probe.
            let era = if modern {
                super::Dialect::Stateless
            } else {
                super::Dialect::Stateful
            };
            state.dialect = era;
            session.inner.link.era.borrow_mut().known = Some(era);
            state.session_id = snapshot.session_id.clone().filter(|_| !modern);
            state.protocol_version = Some(snapshot.protocol_version.clone());
            state.init = init;
            state.generation = 1;
        }
        session.listen_if_asked();
        Ok(session)
    }
}
