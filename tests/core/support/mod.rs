//! Deterministic test support: a manual clock, a single-threaded executor and a scripted MCP
//! server, plus a harness that wires them into a `Runtime`.
#![allow(dead_code, unused_imports)]

mod clock;
mod exec;
mod fake_methods;
mod fake_modern;
mod fake_server;
mod harness;
mod pool;
mod sse_server;

pub use clock::{ManualClock, Sleep};
pub use exec::{Exec, TaskHandle, TestSpawner};
pub use fake_modern::MODERN;
pub use fake_server::{FakeServer, Logged};
pub use harness::{
    accepting_elicitation, params, plain, raw, tree, value, Harness, SeenNotification, URL,
};
pub use pool::{counts, get_now, legacy, limits, pool_with, spawn_get, spawn_get_timeout, NAME};
pub use sse_server::{SseLogged, SseServer, ENDPOINT};
