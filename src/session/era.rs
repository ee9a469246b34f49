//! Protocol eras, and which dialect a server speaks.
//!
//! The session era (2025-03-26 to 2025-11-25) opens with `initialize` and keeps an
//! `Mcp-Session-Id`. The stateless era (2026-07-28) has neither: the client asks
//! `server/discover` once and then stamps every request with `_meta` and routing headers.
//! Unless an era is pinned, the first session of a server tries the session era's handshake
//! first: what servers speak today, and what servers of both eras answer too, so the common case
//! costs nothing extra. Only a refused handshake (an HTTP error status, a JSON-RPC error) asks
//! `server/discover`; a server that is neither falls back to HTTP+SSE (see `probe`). The verdict
//! of a successful open is kept per server, so later sessions go straight to their dialect.

use std::cell::RefCell;
use std::rc::Rc;

use futures_channel::oneshot;

use super::{Dialect, Session, Snapshot};
use crate::error::Error;
use crate::json::{self, Map, RawValue, Value};
use crate::jsonrpc;
use crate::options::{EraPolicy, TransportMode};
use crate::protocol::{self, meta_keys, methods, Implementation, InitializeResult};

/// What is known of one server, shared by all of its sessions.
#[derive(Debug, Default)]
pub struct EraMemory {
    /// The era the server answered in (set by the first successful open).
    pub known: Option<Dialect>,
    /// The last `server/discover` result, reusable within its `ttlMs`.
    discovery: Option<Discovery>,
    /// A session of this server is probing: others wait for its verdict (one probe, not one
    /// per concurrent open).
    probing: bool,
    waiting: Vec<oneshot::Sender<()>>,
    /// Which arguments of each tool go into `Mcp-Param-*` headers (learnt from `tools/list`).
    pub(super) tool_headers: super::routing::ToolHeaders,
}

/// Ends a probe: lets the sessions waiting for its verdict go on, also when the probe was
/// dropped half-way (its open timed out).
struct ProbeGuard<'a>(&'a EraSlot);

impl Drop for ProbeGuard<'_> {
    fn drop(&mut self) {
        let waiting = {
            let mut memory = self.0.borrow_mut();
            memory.probing = false;
            std::mem::take(&mut memory.waiting)
        };
        for tx in waiting {
            let _ = tx.send(());
        }
    }
}

#[derive(Debug, Clone)]
struct Discovery {
    result: Rc<InitializeResult>,
    fetched_ms: u64,
    ttl_ms: u64,
}

/// One server's [`EraMemory`], shared by the clones of its session config.
pub type EraSlot = Rc<RefCell<EraMemory>>;

/// The wire shape of a `server/discover` result (other fields are kept in the converted result).
/// What the probe found.
enum Probe {
    Modern(Rc<InitializeResult>, u64),
    Legacy,
}

impl Session {
    /// Opens the session in the era the server speaks (probing once per server unless pinned).
    pub(super) async fn open(&self) -> Result<(), Error> {
        let config = &self.inner.config;
        let era = &self.inner.link.era;
        let policy = config.era;
        // Wait while another session of the server probes; then its verdict is known (or it
        // failed, and this one probes).
        loop {
            let wait = {
                let mut memory = era.borrow_mut();
                if policy != EraPolicy::Auto || memory.known.is_some() || !memory.probing {
                    break;
                }
                let (tx, rx) = oneshot::channel();
                memory.waiting.push(tx);
                rx
            };
            let _ = wait.await;
        }
        let known = era.borrow().known;
        let _probe = (policy == EraPolicy::Auto && known.is_none()).then(|| {
            era.borrow_mut().probing = true;
            ProbeGuard(era)
        });
        if config.transport == TransportMode::Sse {
            return self.initialize_sse(None).await;
        }
        match (policy, known) {
            (EraPolicy::Legacy, _)
            | (EraPolicy::Auto, Some(Dialect::Stateful | Dialect::HttpSse)) => {
                self.initialize().await
            }
            (EraPolicy::Modern, _) | (EraPolicy::Auto, Some(Dialect::Stateless)) => {
                self.open_stateless(policy).await
            }
            (EraPolicy::Auto, None) => self.probe().await,
        }
    }

    /// The first open of a server whose era is unknown. The session era first: it is what
    /// servers speak today (servers of both eras answer it too), so the common case costs no
    /// extra request and nothing is refused (a browser logs every refused request). Only when
    /// the handshake is refused (an HTTP error status or a JSON-RPC error) is `server/discover`
    /// asked; when that is no modern answer either, a `400`/`404`/`405` to `initialize` falls
    /// back to HTTP+SSE (with `transport: auto`). A successful open's verdict is remembered.
    async fn probe(&self) -> Result<(), Error> {
        let refused = match self.handshake(false).await {
            Ok(()) => {
                self.remember(self.dialect());
                return Ok(());
            }
            Err(e) if refuses_handshake(&e) => e,
            Err(e) => return Err(e),
        };
        match self.discover_with_retry().await {
            Ok(Probe::Modern(result, ttl)) => return self.adopt_discovered(result, ttl),
            Err(e) if ends_open(&e) => return Err(e),
            Err(Error::Rpc { code, data, .. })
                if code == protocol::UNSUPPORTED_PROTOCOL_VERSION_CODE
                    && !offers_legacy(data.as_ref()) =>
            {
                return Err(Error::UnsupportedProtocolVersion {
                    server: self.server().to_owned(),
                    version: "it offers only stateless versions this client does not speak"
                        .to_owned(),
                });
            }
            _ => {}
        }
        let status = refused.http_status();
        if self.inner.config.transport == TransportMode::Auto
            && matches!(status, Some(400 | 404 | 405))
        {
            self.initialize_sse(Some(refused)).await?;
            self.remember(self.dialect());
            return Ok(());
        }
        Err(refused)
    }

    /// Remembers what the server speaks, for its later sessions.
    fn remember(&self, dialect: Dialect) {
        self.inner.link.era.borrow_mut().known = Some(dialect);
    }

    /// A stateless open: the pinned era, or the verdict of an earlier probe. A server that no
    /// longer offers the era gets the handshake (unless the era is pinned).
    async fn open_stateless(&self, policy: EraPolicy) -> Result<(), Error> {
        if let Some(result) = self.fresh_discovery() {
            return self.adopt(result);
        }
        match self.discover_with_retry().await {
            Ok(Probe::Modern(result, ttl)) => self.adopt_discovered(result, ttl),
            Err(e) if ends_open(&e) => Err(e),
            other if policy == EraPolicy::Modern => {
                let mut why =
                    String::from("it does not offer 2026-07-28, and the era is pinned to modern");
                if let Err(e) = other {
                    why.push_str(": ");
                    why.push_str(&e.to_string());
                }
                Err(Error::UnsupportedProtocolVersion {
                    server: self.server().to_owned(),
                    version: crate::error::snippet(&why, 200),
                })
            }
            Err(Error::Rpc { code, data, .. })
                if code == protocol::UNSUPPORTED_PROTOCOL_VERSION_CODE
                    && !offers_legacy(data.as_ref()) =>
            {
                Err(Error::UnsupportedProtocolVersion {
                    server: self.server().to_owned(),
                    version: "it offers only stateless versions this client does not speak"
                        .to_owned(),
                })
            }
            // The server changed era: the handshake, and its verdict.
            _ => {
                self.initialize().await?;
                self.remember(self.dialect());
                Ok(())
            }
        }
    }

    /// `server/discover`, once more when the server refused the attempt but names our version
    /// among the supported ones (SEP-2575 asks for one retry).
    async fn discover_with_retry(&self) -> Result<Probe, Error> {
        let found = self.discover().await;
        match &found {
            Err(Error::Rpc { code, data, .. })
                if *code == protocol::UNSUPPORTED_PROTOCOL_VERSION_CODE
                    && offers_modern(data.as_ref()) =>
            {
                self.discover().await
            }
            _ => found,
        }
    }

    /// Sends `server/discover` (also the modern era's health check) and reads the answer.
    async fn discover(&self) -> Result<Probe, Error> {
        let id = self.next_id();
        let params = self.stamped(None)?;
        let body = jsonrpc::encode_request(id, methods::DISCOVER, Some(&params));
        let snap = Snapshot::modern(self.inner.state.borrow().generation);
        let route = super::routing::route(methods::DISCOVER, None);
        let response = self
            .post_routed(body.into(), Some(&snap), false, &route)
            .await?;
        let raw = self.read_answer(response, id, &snap).await?;
        Ok(self.parse_discovery(&raw))
    }

    /// A modern answer, or [`Probe::Legacy`] for anything else.
    fn parse_discovery(&self, raw: &RawValue) -> Probe {
        // Read through the object map (no derive: its `flatten` would cost the .wasm a buffering
        // deserializer); a field of the wrong type makes the answer not a modern one.
        let Ok(mut extra) = json::parse_object(raw.get()) else {
            return Probe::Legacy;
        };
        let versions: Vec<String> = match extra.remove("supportedVersions") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut versions = Vec::with_capacity(items.len());
                for item in items {
                    let Value::String(version) = item else {
                        return Probe::Legacy;
                    };
                    versions.push(version);
                }
                versions
            }
            Some(_) => return Probe::Legacy,
        };
        if !versions.iter().any(|v| protocol::is_modern(v)) {
            return Probe::Legacy;
        }
        let capabilities = extra.remove("capabilities").unwrap_or_default();
        let instructions = match extra.remove("instructions") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text),
            Some(_) => return Probe::Legacy,
        };
        let ttl = match extra.remove("ttlMs") {
            None | Some(Value::Null) => 0,
            Some(v) => match v.as_u64() {
                Some(ttl) => ttl,
                None => return Probe::Legacy,
            },
        };
        let meta = match extra.remove("_meta") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(meta)) => meta,
            Some(_) => return Probe::Legacy,
        };
        let server_info = meta
            .get(meta_keys::SERVER_INFO)
            .and_then(Implementation::from_value)
            .unwrap_or_else(|| Implementation::new(self.server(), ""));
        extra.insert("supportedVersions".into(), Value::from(versions));
        if !meta.is_empty() {
            extra.insert("_meta".into(), Value::Object(meta));
        }
        extra.insert("ttlMs".into(), Value::from(ttl));
        let result = InitializeResult {
            protocol_version: protocol::MODERN_VERSION.to_owned(),
            capabilities,
            server_info,
            instructions,
            extra,
        };
        Probe::Modern(Rc::new(result), ttl)
    }

    /// A cached discovery result still within its `ttlMs`.
    fn fresh_discovery(&self) -> Option<Rc<InitializeResult>> {
        let memory = self.inner.link.era.borrow();
        let found = memory.discovery.as_ref()?;
        let age = self
            .inner
            .rt
            .clock
            .now_ms()
            .saturating_sub(found.fetched_ms);
        (age < found.ttl_ms).then(|| found.result.clone())
    }

    fn adopt_discovered(&self, result: Rc<InitializeResult>, ttl_ms: u64) -> Result<(), Error> {
        {
            let mut memory = self.inner.link.era.borrow_mut();
            memory.known = Some(Dialect::Stateless);
            memory.discovery = Some(Discovery {
                result: result.clone(),
                fetched_ms: self.inner.rt.clock.now_ms(),
                ttl_ms,
            });
        }
        self.adopt(result)
    }

    /// Makes this a stateless-era session with `result` as its server description.
    fn adopt(&self, result: Rc<InitializeResult>) -> Result<(), Error> {
        {
            let mut state = self.inner.state.borrow_mut();
            if state.closed {
                return Err(self.closed_error());
            }
            state.dialect = Dialect::Stateless;
            state.protocol_version = Some(protocol::MODERN_VERSION.to_owned());
            state.session_id = None;
            state.init = Some(result);
            state.generation += 1;
        }
        self.mark_ok();
        Ok(())
    }

    /// The modern era's health check: a `server/discover` that must still offer the era.
    pub(super) async fn discover_alive(&self) -> Result<(), Error> {
        match self.discover().await? {
            Probe::Modern(result, ttl) => {
                let mut memory = self.inner.link.era.borrow_mut();
                memory.discovery = Some(Discovery {
                    result,
                    fetched_ms: self.inner.rt.clock.now_ms(),
                    ttl_ms: ttl,
                });
                Ok(())
            }
            Probe::Legacy => Err(self.protocol_error(
                "server/discover no longer offers 2026-07-28 (the server changed era)",
            )),
        }
    }
}

impl Snapshot {
    /// The snapshot of a stateless-era request.
    pub(super) fn modern(generation: u64) -> Snapshot {
        Snapshot {
            dialect: Dialect::Stateless,
            session_id: None,
            protocol_version: Some(protocol::MODERN_VERSION.to_owned()),
            generation,
            failed_reinits: 0,
        }
    }
}

/// True when `e` is the server refusing the session-era handshake (an HTTP error status or a
/// JSON-RPC error, also a version this client does not speak), rather than not being reached.
fn refuses_handshake(e: &Error) -> bool {
    matches!(
        e,
        Error::Http { .. } | Error::Rpc { .. } | Error::UnsupportedProtocolVersion { .. }
    )
}

/// Probe failures that end the open: the session was closed or the caller gave up. Anything
/// else tries the handshake, even a network failure: in a browser a server whose CORS rules do
/// not allow the stateless era's headers (`Mcp-Method`) fails the probe exactly like an
/// unreachable one, and still speaks the session era. Only a successful open is remembered.
fn ends_open(e: &Error) -> bool {
    matches!(e, Error::SessionClosed { .. } | Error::Aborted)
}

/// True when a `-32022` error's `data.supported` names the stateless version we speak.
fn offers_modern(data: Option<&Value>) -> bool {
    supported_list(data).is_some_and(|list| names_any(list, protocol::is_modern))
}

/// True when a `-32022` error's `data.supported` names a session-era version we speak (or
/// names nothing: then the handshake is worth a try).
fn offers_legacy(data: Option<&Value>) -> bool {
    supported_list(data).map_or(true, |list| names_any(list, protocol::is_supported))
}

/// The `supported` list of a `-32022` error's `data`.
fn supported_list(data: Option<&Value>) -> Option<&Vec<Value>> {
    data?.get("supported")?.as_array()
}

/// True when a string of `list` satisfies `accepts` (a plain loop: one copy for both uses).
fn names_any(list: &[Value], accepts: fn(&str) -> bool) -> bool {
    for value in list {
        if value.as_str().is_some_and(accepts) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn policy_spellings() {
        assert_eq!(EraPolicy::parse("auto"), Some(EraPolicy::Auto));
        assert_eq!(EraPolicy::parse("legacy"), Some(EraPolicy::Legacy));
        assert_eq!(EraPolicy::parse("modern"), Some(EraPolicy::Modern));
        assert_eq!(EraPolicy::parse("2026-07-28"), Some(EraPolicy::Modern));
        assert_eq!(EraPolicy::parse("2025-11-25"), None);
    }

    #[test]
    fn unsupported_version_data() {
        assert!(offers_legacy(None));
        assert!(offers_legacy(Some(&json!({"supported": ["2025-06-18"]}))));
        assert!(!offers_legacy(Some(&json!({"supported": ["2027-01-01"]}))));
        assert!(offers_modern(Some(&json!({"supported": ["2026-07-28"]}))));
        assert!(!offers_modern(Some(&json!({"supported": ["2025-11-25"]}))));
        assert!(!offers_modern(None));
    }
}
