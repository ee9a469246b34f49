//! Snapshots: what a new process or Worker isolate needs to start warm (sessions it can resume
//! without a handshake), never headers or tokens.

use std::rc::Rc;

use super::catalog::Catalog;
use super::{Pool, PoolInner, PoolState};
use crate::error::Error;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::json::RawValue;
use crate::session::{Session, SessionSnapshot};

/// The current snapshot format.
pub const SNAPSHOT_VERSION: u32 = 1;

/// A serialisable record of a pool's sessions, per server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolSnapshot {
    /// The format version ([`SNAPSHOT_VERSION`]).
    pub version: u32,
    /// When it was taken, on the pool's clock (ms).
    pub taken_at_ms: u64,
    /// Per server name.
    pub servers: BTreeMap<String, ServerSnapshot>,
}

/// The resumable sessions of one server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerSnapshot {
    /// The server's URL: a snapshot applies only to a server registered at the same URL.
    pub url: String,
    /// Its sessions.
    pub sessions: Vec<SessionSnapshot>,
    /// Its tool catalog (`tools/list`, all pages) and how old it was when the snapshot was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<ToolsSnapshot>,
}

/// A cached tool catalog in a snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolsSnapshot {
    /// The `tools/list` result, all pages merged, as the server sent the items.
    pub result: RawValue,
    /// Its age when the snapshot was taken, in ms.
    pub age_ms: u64,
}

impl PartialEq for ToolsSnapshot {
    fn eq(&self, other: &Self) -> bool {
        self.result.get() == other.result.get() && self.age_ms == other.age_ms
    }
}

impl Pool {
    /// A snapshot of every live session, to be stored (Workers KV, Durable Object storage) and
    /// handed to [`Pool::restore`] by a new isolate. Holds no header, token or secret beyond the
    /// session ids themselves.
    pub fn snapshot(&self) -> PoolSnapshot {
        let now = self.inner.rt.clock.now_ms();
        let state = self.inner.state.borrow();
        let servers = state
            .servers
            .iter()
            .map(|(name, server)| {
                let sessions = server
                    .conns
                    .iter()
                    .filter(|c| !c.broken)
                    .filter_map(|c| {
                        let mut session = c.session.export()?;
                        session.identity = c.identity.as_deref().map(str::to_owned);
                        Some(session)
                    })
                    .collect();
                let tools = server.catalog.cached.as_ref().and_then(|c| {
                    let result = crate::json::raw(c.tools.to_string()).ok()?;
                    Some(ToolsSnapshot {
                        result,
                        age_ms: now.saturating_sub(c.fetched_at_ms),
                    })
                });
                let url = server.config.url.clone();
                (
                    name.clone(),
                    ServerSnapshot {
                        url,
                        sessions,
                        tools,
                    },
                )
            })
            .collect();
        PoolSnapshot {
            version: SNAPSHOT_VERSION,
            taken_at_ms: now,
            servers,
        }
    }

    /// Starts from `snapshot`: each registered server (now, or when it registers later) at the
    /// snapshot's URL gets the snapshot's sessions as idle sessions, without a handshake. They are
    /// validated lazily; a server that forgot them answers `404` and they re-initialize.
    /// Returns how many sessions were resumed now.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a snapshot of another format version;
    /// [`Error::PoolClosed`].
    pub fn restore(&self, snapshot: PoolSnapshot) -> Result<usize, Error> {
        if snapshot.version != SNAPSHOT_VERSION {
            return Err(Error::invalid_argument(
                "snapshot",
                format!(
                    "format version {} is not {SNAPSHOT_VERSION}",
                    snapshot.version
                ),
            ));
        }
        let mut state = self.inner.state.borrow_mut();
        if state.closed {
            return Err(Error::PoolClosed);
        }
        let mut resumed = 0;
        for (name, server) in snapshot.servers {
            if state.servers.contains_key(&name) {
                resumed += self.inner.resume_into(&mut state, &name, &server);
            } else {
                state.pending_restore.insert(name, server);
            }
        }
        Ok(resumed)
    }
}

impl PoolInner {
    /// Resumes `snapshot`'s sessions into the registered server `name` (same URL only, up to its
    /// session cap); returns how many.
    pub(super) fn resume_into(
        self: &Rc<Self>,
        state: &mut PoolState,
        name: &str,
        snapshot: &ServerSnapshot,
    ) -> usize {
        let now = self.rt.clock.now_ms();
        let mut ids = Vec::new();
        for _ in &snapshot.sessions {
            ids.push(state.next_id());
        }
        let Some(server) = state.servers.get_mut(name) else {
            return 0;
        };
        if server.config.url != snapshot.url {
            return 0;
        }
        if let Some(tools) = &snapshot.tools {
            if tools.age_ms < self.options.tools_cache_ttl_ms {
                server.catalog.cached = Some(Catalog::restored(
                    &tools.result,
                    now.saturating_sub(tools.age_ms),
                ));
            }
        }
        let mut resumed = 0;
        for (session, id) in snapshot.sessions.iter().zip(ids) {
            if server.conns.len() + server.opening.len() >= server.limits.max_connections {
                break;
            }
            let identity: super::identity::Identity = match &session.identity {
                Some(identity) if super::identity::check_identity(identity).is_err() => continue,
                identity => identity.as_deref().map(Rc::from),
            };
            let Ok(opener) = server.opener_for(&identity) else {
                continue;
            };
            let Ok(resumed_session) = Session::resume_via(
                (*opener.config).clone(),
                opener.link,
                server.rt.clone(),
                Some(self.forwarding_handler(identity.clone())),
                session,
            ) else {
                continue;
            };
            server.push_idle(id, resumed_session, identity, now);
            server.counters.restored_connections += 1;
            resumed += 1;
        }
        resumed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{FromJson, ToJson};

    const TEXT: &str = r#"{"version":1,"takenAtMs":5,"servers":{"s":{"url":"https://x.test/mcp",
        "sessions":[{"sessionId":"abc","protocolVersion":"2025-06-18","initializeResult":
        {"protocolVersion":"2025-06-18","serverInfo":{"name":"n","version":"1"}}}],
        "tools":{"result":{"tools":[]},"ageMs":7}}}}"#;

    #[test]
    fn round_trips_through_json() {
        let snapshot = PoolSnapshot::from_json(TEXT).unwrap();
        let server = snapshot.servers.get("s").unwrap();
        assert_eq!(server.sessions[0].session_id.as_deref(), Some("abc"));
        assert_eq!(
            server.tools.as_ref().map(|t| (t.result.get(), t.age_ms)),
            Some((r#"{"tools":[]}"#, 7))
        );
        assert_eq!(PoolSnapshot::from_json(&snapshot.to_json()), Ok(snapshot));
    }

    #[test]
    fn refuses_what_is_not_a_snapshot() {
        let with =
            |server: &str| format!(r#"{{"version":1,"takenAtMs":1,"servers":{{"s":{server}}}}}"#);
        for (text, needle) in [
            ("[]".to_owned(), "object"),
            (r#"{"takenAtMs":1,"servers":{}}"#.to_owned(), "version"),
            (r#"{"version":1,"servers":{}}"#.to_owned(), "takenAtMs"),
            (r#"{"version":1,"takenAtMs":1}"#.to_owned(), "servers"),
            (
                r#"{"version":-1,"takenAtMs":1,"servers":{}}"#.to_owned(),
                "version",
            ),
            (with(r#"{"sessions":[]}"#), "url"),
            (with(r#"{"url":"u"}"#), "sessions"),
            (with(r#"{"url":"u","sessions":[{}]}"#), "protocolVersion"),
            (with(r#"{"url":"u","sessions":[3]}"#), "session"),
            (
                with(r#"{"url":"u","sessions":[],"tools":{"ageMs":1}}"#),
                "result",
            ),
        ] {
            let Err(e) = PoolSnapshot::from_json(&text) else {
                panic!("{text} was accepted");
            };
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
