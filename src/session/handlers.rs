//! Answers to the server's own requests: `elicitation/create`, `sampling/createMessage` and
//! `roots/list` go to the handlers the caller gave (and only those capabilities are declared in
//! `initialize`); `ping` is answered `{}`; anything else gets `-32601`.

use std::fmt;
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;

use crate::json::{Map, RawValue, Value};
use crate::jsonrpc::ErrorObject;

/// Answers one kind of server request: its params in, its result (or a JSON-RPC error) out.
pub type ServerRequestHandler =
    Rc<dyn Fn(Option<RawValue>) -> LocalBoxFuture<'static, Result<RawValue, ErrorObject>>>;

/// The server → client requests this client answers. Default: none.
#[derive(Clone, Default)]
pub struct ClientHandlers {
    /// `elicitation/create`: ask the user for input.
    pub elicitation: Option<ServerRequestHandler>,
    /// `sampling/createMessage`: ask the client's model.
    pub sampling: Option<ServerRequestHandler>,
    /// `roots/list`: the client's roots.
    pub roots: Option<ServerRequestHandler>,
}

impl fmt::Debug for ClientHandlers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientHandlers")
            .field("elicitation", &self.elicitation.is_some())
            .field("sampling", &self.sampling.is_some())
            .field("roots", &self.roots.is_some())
            .finish()
    }
}

impl ClientHandlers {
    /// The `capabilities` to declare in `initialize`: only what a handler answers.
    pub(crate) fn capabilities(&self) -> Value {
        let mut caps = Map::new();
        if self.elicitation.is_some() {
            caps.insert("elicitation".into(), Value::Object(Map::new()));
        }
        if self.sampling.is_some() {
            caps.insert("sampling".into(), Value::Object(Map::new()));
        }
        if self.roots.is_some() {
            let mut roots = Map::new();
            roots.insert("listChanged".into(), Value::Bool(false));
            caps.insert("roots".into(), Value::Object(roots));
        }
        Value::Object(caps)
    }

    /// The handler for `method`, if one was given.
    pub(crate) fn for_method(&self, method: &str) -> Option<&ServerRequestHandler> {
        match method {
            "elicitation/create" => self.elicitation.as_ref(),
            "sampling/createMessage" => self.sampling.as_ref(),
            "roots/list" => self.roots.as_ref(),
            _ => None,
        }
    }
}
