//! The thin wasm face: `fetch`, timers and spawning bound to the JS host, and the exported
//! `McpPool` and `McpClient` classes. Everything else is the portable core.

mod abort;
mod client;
mod errors;
mod fetch;
mod handed;
mod handlers;
mod options;
mod pool;
mod read;
mod task;
mod timers;
mod types;

use std::rc::Rc;

use crate::runtime::Runtime;

pub use client::JsClient;
pub use pool::JsPool;

/// The runtime of the JS host: global `fetch` (or the Node client with `node_http`), `setTimeout`, and
/// tasks that keep their own JS async context ([`task`]).
pub(crate) fn js_runtime(node_http: bool) -> Runtime {
    Runtime::new(
        Rc::new(fetch::FetchTransport { node: node_http }),
        Rc::new(timers::JsClock),
        Rc::new(timers::JsSpawner),
    )
}
