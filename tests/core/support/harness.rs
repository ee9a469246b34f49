//! Wires the fakes into a `Runtime` and opens sessions with sensible test defaults.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use mcp_edge_pool::json::RawValue;
use mcp_edge_pool::protocol::Implementation;
use mcp_edge_pool::{EraPolicy, NotificationHandler, ServerLink, SessionConfig};
use mcp_edge_pool::{Error, Runtime, Session};
use serde_json::Value;

use super::{Exec, FakeServer, ManualClock};

/// The URL every test session talks to.
pub const URL: &str = "https://mcp.example.test/mcp";

/// A notification as the handler saw it: server name, method, params.
pub type SeenNotification = (String, String, Value);

/// An executor, a clock, a fake server and the notifications the session handler received.
pub struct Harness {
    /// Runs the tasks.
    pub exec: Exec,
    /// The fake time.
    pub clock: ManualClock,
    /// The scripted server.
    pub server: FakeServer,
    /// Every notification the handler of [`Harness::handler`] received.
    pub notifications: Rc<RefCell<Vec<SeenNotification>>>,
}

impl Harness {
    /// Fresh fakes at time 0.
    pub fn new() -> Self {
        let clock = ManualClock::new();
        let server = FakeServer::new(&clock);
        Harness {
            exec: Exec::new(),
            clock,
            server,
            notifications: Rc::default(),
        }
    }

    /// A runtime over the fake server, the manual clock and the executor.
    pub fn runtime(&self) -> Runtime {
        Runtime::new(
            Rc::new(self.server.clone()),
            Rc::new(self.clock.clone()),
            self.exec.spawner(),
        )
    }

    /// Server `fake` at [`URL`], no headers, 30 s timeout, 1 MiB responses.
    pub fn config(&self) -> SessionConfig {
        SessionConfig {
            server: "fake".into(),
            url: URL.into(),
            headers: Vec::new(),
            request_timeout_ms: 30_000,
            max_response_bytes: 1024 * 1024,
            client_info: Implementation::new("edge-pool-tests", "0.0.1"),
            allow_cross_origin_redirects: false,
            handlers: Default::default(),
            token_provider: None,
            dpop: None,
            server_stream: Some(false),
            era: EraPolicy::Legacy,
            transport: Default::default(),
        }
    }

    /// A handler that records every notification into [`Harness::notifications`].
    pub fn handler(&self) -> NotificationHandler {
        let seen = Rc::clone(&self.notifications);
        Rc::new(
            move |server: &str, n: &mcp_edge_pool::jsonrpc::Notification| {
                let params = n.params.as_ref().map(value).unwrap_or(Value::Null);
                seen.borrow_mut()
                    .push((server.to_owned(), n.method.clone(), params));
            },
        )
    }

    /// A runtime on the harness's clock and executor whose requests go to `transport` (a wrapper
    /// of the fake server, e.g. one that checks tokens).
    pub fn runtime_over(&self, transport: Rc<dyn mcp_edge_pool::HttpTransport>) -> Runtime {
        let base = self.runtime();
        Runtime::new(transport, base.clock.clone(), base.spawner.clone())
    }

    /// `tools/call echo {"message": "x"}` on `session`, run to completion.
    pub fn call_echo(&mut self, session: &Session) -> Result<(), Error> {
        let session = session.clone();
        self.block_on(async move {
            session
                .request(
                    "tools/call",
                    params(serde_json::json!({"name": "echo", "arguments": {"message": "x"}})),
                    Default::default(),
                )
                .await
        })
        .map(|_| ())
    }

    /// Connects with `config` and the recording handler; runs until the handshake finished.
    pub fn try_connect(&mut self, config: SessionConfig) -> Result<Session, Error> {
        let connecting = Session::connect(config, self.runtime(), Some(self.handler()));
        self.exec.block_on(connecting)
    }

    /// The HTTP stack and memory of the server `config` describes, over the fake server: what a
    /// pool shares between the sessions of one server.
    pub fn link(&self, config: &SessionConfig) -> Rc<ServerLink> {
        ServerLink::new(config, Rc::new(self.server.clone()))
    }

    /// [`Harness::try_connect`] through `link`, shared with other sessions of the server.
    pub fn try_connect_via(
        &mut self,
        config: SessionConfig,
        link: &Rc<ServerLink>,
    ) -> Result<Session, Error> {
        let connecting =
            Session::connect_via(config, link.clone(), self.runtime(), Some(self.handler()));
        self.exec.block_on(connecting)
    }

    /// Connects with [`Harness::config`]; panics if that fails.
    pub fn connect(&mut self) -> Session {
        let config = self.config();
        self.try_connect(config)
            .unwrap_or_else(|e| panic!("connect failed: {e}"))
    }

    /// Runs `fut` to completion without moving time.
    pub fn block_on<F: Future + 'static>(&mut self, fut: F) -> F::Output {
        self.exec.block_on(fut)
    }

    /// Runs until stalled.
    pub fn run(&mut self) {
        self.exec.run();
    }

    /// Moves fake time by `ms`, running tasks at every timer on the way.
    pub fn advance(&mut self, ms: u64) {
        self.exec.advance(&self.clock, ms);
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// Raw JSON params from a `serde_json::json!` value.
pub fn params(value: Value) -> Option<RawValue> {
    Some(raw(&value))
}

/// The crate's raw JSON from a `serde_json` value.
pub fn raw(value: &Value) -> RawValue {
    mcp_edge_pool::json::to_raw(value)
}

/// The crate's JSON tree from a `serde_json` value (for arguments of the typed API).
pub fn tree(value: Value) -> mcp_edge_pool::json::Value {
    mcp_edge_pool::json::parse(&value.to_string()).expect("serde_json writes valid JSON")
}

/// A tree of the crate's, as a `serde_json` value (to inspect typed results).
pub fn plain(value: &mcp_edge_pool::json::Value) -> Value {
    serde_json::from_str(&value.to_string()).expect("the crate writes valid JSON")
}

/// Raw JSON parsed back into a value.
pub fn value(raw: &RawValue) -> Value {
    serde_json::from_str(raw.get()).expect("raw JSON from the session is valid")
}

/// Handlers whose elicitation accepts with `{"name": "Ada"}` and echoes the question as `q`.
pub fn accepting_elicitation() -> mcp_edge_pool::ClientHandlers {
    mcp_edge_pool::ClientHandlers {
        elicitation: Some(Rc::new(|params| {
            Box::pin(async move {
                let asked = params.map(|p| value(&p)).unwrap_or_default();
                let answer = serde_json::json!({"action": "accept", "content": {"name": "Ada"}, "q": asked["message"]});
                Ok(raw(&answer))
            })
        })),
        ..Default::default()
    }
}
