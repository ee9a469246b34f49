//! The few future combinators the crate needs, written for one thread.
//!
//! `futures-util` and `futures-channel` gave the same, but built for threads: atomics, locks and a
//! slab of wakers per shared future, about 11 KB of the WebAssembly build. Here each piece is
//! `Rc`/`Cell` based and small:
//! - [`select`] and [`Either`]: the first of two futures to finish;
//! - [`abortable`] and [`AbortHandle`]: a task that can be stopped from outside;
//! - [`Shared`]: one future awaited by many (single-flight re-initialize and token refresh);
//! - [`oneshot`]: a value handed from one task to another;
//! - [`join_all`]: many futures at once, outputs in order.

mod abort;
mod join;
pub(crate) mod oneshot;
mod select;
mod shared;

use std::future::Future;
use std::pin::Pin;

pub(crate) use abort::{abortable, AbortHandle};
pub(crate) use join::join_all;
pub(crate) use select::{select, Either};
pub(crate) use shared::Shared;

/// A boxed future that need not be `Send`, as everything in this single-threaded crate.
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A future that never completes.
pub(crate) fn pending<T: 'static>() -> LocalBoxFuture<'static, T> {
    Box::pin(std::future::pending())
}
