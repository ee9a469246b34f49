//! Time over the global `Date.now`, `setTimeout` and `clearTimeout`.
//!
//! The timer future is gloo-timers' `TimeoutFuture` (a `Closure::once` that sends on a
//! futures-channel oneshot, the timer cleared on drop) with two changes, each for a measured
//! rule, which is why it is kept here instead of depending on gloo-timers:
//! - Cloudflare Workers throw on `setTimeout` in global (module) scope. gloo-timers turns that
//!   throw into `unwrap_throw`, a JS exception through the Rust frames that skips every `Drop`:
//!   a `pool.get()` at module scope rejected with a plain `Error` (no `code`) and left a lease
//!   counted forever. Here host.js catches it, the timer never fires, and the call fails with its
//!   own error (`CONNECT_FAILED`, from the refused `fetch`) with the pool intact. Test:
//!   tests/workerd/global-scope.test.mjs.
//! - In Node the health loop's and the listen stream's timers must be `unref()`'d, or a process
//!   that never calls `close()` stays alive for them; gloo-timers keeps its handle to itself.
//!   Test: tests/node/process-exit.test.mjs, "a process that never calls close() exits by itself
//!   (health loop every 100 ms)".

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_channel::oneshot;
use futures_util::future::LocalBoxFuture;
use wasm_bindgen::prelude::*;

use crate::time::{Clock, Spawner};

#[wasm_bindgen(module = "/src/wasm/host.js")]
extern "C" {
    /// `setTimeout(fire, ms)`, `unref()`'d with `unref` where the host has it (Node). Returns
    /// the handle, or `undefined` where the host refuses timers.
    fn mcp_timer(ms: u32, unref: bool, fire: &JsValue) -> JsValue;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// `setTimeout`'s longest delay, 2^31 - 1 ms: hosts fire a longer one at once.
const MAX_TIMEOUT_MS: u32 = i32::MAX as u32;

/// The wall clock and timers of the JS host.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct JsClock;

impl Clock for JsClock {
    fn now_ms(&self) -> u64 {
        let now = js_sys::Date::now();
        if now.is_finite() && now > 0.0 {
            now as u64
        } else {
            0
        }
    }

    fn sleep(&self, ms: u64) -> LocalBoxFuture<'static, ()> {
        Timeout::start(ms, false)
    }

    fn sleep_in_background(&self, ms: u64) -> LocalBoxFuture<'static, ()> {
        Timeout::start(ms, true)
    }
}

/// Spawns a task of the current JS async context (see [`super::task`]).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct JsSpawner;

impl Spawner for JsSpawner {
    fn spawn(&self, task: LocalBoxFuture<'static, ()>) {
        super::task::spawn(task);
    }
}

/// A pending `setTimeout`. Dropping it clears the timer, so nothing is left behind.
struct Timeout {
    handle: Option<JsValue>,
    fired: oneshot::Receiver<()>,
    /// Sends on `fired`; kept alive for the timer, dropped with it.
    _fire: Closure<dyn FnMut()>,
}

impl Timeout {
    /// Arms a timer of `ms` (at most [`MAX_TIMEOUT_MS`]); with `unref`, Node does not stay alive
    /// for it.
    fn start(ms: u64, unref: bool) -> LocalBoxFuture<'static, ()> {
        let ms = u32::try_from(ms).map_or(MAX_TIMEOUT_MS, |ms| ms.min(MAX_TIMEOUT_MS));
        let (tx, fired) = oneshot::channel();
        let fire = Closure::once(move || {
            let _ = tx.send(());
        });
        let handle = mcp_timer(ms, unref, fire.as_ref());
        if handle.is_undefined() {
            // A host that refuses timers (a Worker's global scope) gets one that never fires:
            // callers race every sleep against real work, and the loops that sleep alone start
            // only inside a request.
            return Box::pin(std::future::pending());
        }
        Box::pin(Timeout {
            handle: Some(handle),
            fired,
            _fire: fire,
        })
    }
}

impl Future for Timeout {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // The sender lives in `_fire`, as long as this: only `Ok` comes.
        let poll = Pin::new(&mut self.fired).poll(cx);
        if poll.is_ready() {
            self.handle = None;
        }
        poll.map(drop)
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            clear_timeout(&handle);
        }
    }
}
