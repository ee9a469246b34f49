//! Options of the pool and of each server, declared once: Rust types with serde derives (the
//! wasm face reads JS objects into them through serde-wasm-bindgen), their defaults and their
//! validation. A leaf: it imports nothing of the session or the pool, which import from it.
//! Per-server memory (the DPoP nonce, what is known of a server's era) is not configuration and
//! lives with the session.
//!
//! Error messages name an option by its serde name (camelCase, `rename_all`): that is the one
//! spelling an option has, in a config file read with serde and in a JS options object alike.

mod checks;
mod choices;
#[cfg(any(target_arch = "wasm32", test))]
mod fields;
mod hooks;
mod pool;
mod server;

#[cfg(target_arch = "wasm32")]
pub(crate) use checks::check_delay;
pub use checks::{
    MAX_COUNT, MAX_RESPONSE_BYTES, MAX_TIMEOUT_MS, MIN_HEALTH_INTERVAL_MS, MIN_SESSION_LIFETIME_MS,
};
pub use choices::{EraPolicy, TransportMode};
#[cfg(target_arch = "wasm32")]
pub(crate) use fields::fields_of;
pub use hooks::{
    AuthChallenge, ClientHandlers, DpopProof, DpopRequest, IdentityHook, IdentityOptions,
    ServerRequestHandler, TokenProvider,
};
pub use pool::PoolOptions;
pub(crate) use server::check_headers;
#[cfg(target_arch = "wasm32")]
pub(crate) use server::header_map;
pub use server::ServerOptions;
