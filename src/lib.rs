//! # mcp-edge-pool
//!
//! One shared, bounded pool of MCP (Model Context Protocol) sessions to remote MCP servers over
//! Streamable HTTP, for many agents in one single-threaded process: Cloudflare Workers, browsers,
//! Node and Deno (through WebAssembly), or native Rust.
//!
//! The core is portable Rust with no JavaScript in it. It reaches the outside world only through
//! three small traits without `Send` bounds, bundled in a [`Runtime`]: [`HttpTransport`],
//! [`Clock`] and [`Spawner`]. The wasm face implements them over `fetch`, `setTimeout` and its own
//! per-task executor (each task's I/O stays in the Workers request that started it); native tests implement them with a scripted transport and a manual clock.
//!
//! - [`Pool`]: register servers by name, [`Pool::get`] a [`Lease`] on a live session (reused,
//!   opened, or waited for in a fair queue), release it (the session stays open), stats, health
//!   loop, idle eviction, [`Pool::close`].
//! - [`Session`]: one MCP session, with version negotiation, JSON and SSE answers, transparent
//!   single-flight re-initialize when the server forgot the session, timeouts and cancellation.
#![forbid(unsafe_code)]
#![deny(rust_2018_idioms)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

// The wire-format layers are public modules: what a server sends and what the pool hands back
// (JSON-RPC messages, MCP types, raw JSON, the SSE parser). Everything else is a private module
// whose public items are re-exported flat below, so the crate's layout is not part of its API.
mod config;
mod error;
pub mod json;
pub mod jsonrpc;
mod options;
mod policy;
mod pool;
pub mod protocol;
mod raw_object;
mod runtime;
mod session;
pub mod sse;
mod time;
mod transport;

pub use error::{Error, SizeUnit};
pub use futures_util::future::LocalBoxFuture;
pub use options::{
    AuthChallenge, ClientHandlers, DpopProof, DpopRequest, EraPolicy, IdentityHook,
    IdentityOptions, PoolOptions, ServerOptions, ServerRequestHandler, TokenProvider,
    TransportMode, MAX_COUNT, MAX_RESPONSE_BYTES, MAX_TIMEOUT_MS, MIN_HEALTH_INTERVAL_MS,
    MIN_SESSION_LIFETIME_MS,
};
pub use policy::parse_challenge;
pub use pool::{
    qualified_tool_name, AllTools, CircuitState, Collision, GetOptions, Lease, Pool,
    PoolNotificationHandler, PoolSnapshot, QualifiedTool, ServerSnapshot, ServerStats, Stats,
    ToolsSnapshot, MAX_TOOL_NAME, SNAPSHOT_VERSION,
};
pub use runtime::Runtime;
pub use session::{
    Dialect, EraMemory, EraSlot, NotificationHandler, ProgressHandler, ProgressOptions,
    RequestOptions, ServerLink, Session, SessionConfig, SessionSnapshot, MAX_LIST_ITEMS,
};
pub use time::{Clock, Spawner};
pub use transport::{
    Body, BufferedBody, HttpMethod, HttpRequest, HttpResponse, HttpTransport, ResponseBody,
    TransportError, TransportErrorKind,
};

#[cfg(target_arch = "wasm32")]
pub mod wasm;
