//! Answers to the server's own requests: `elicitation/create`, `sampling/createMessage` and
//! `roots/list` go to the handlers the caller gave (and only those capabilities are declared in
//! `initialize`); `ping` is answered `{}`; anything else gets `-32601`.

use crate::json::{Map, Value};
use crate::options::{ClientHandlers, ServerRequestHandler};

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

    /// True when any handler was given.
    pub(crate) fn any(&self) -> bool {
        self.elicitation.is_some() || self.sampling.is_some() || self.roots.is_some()
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
