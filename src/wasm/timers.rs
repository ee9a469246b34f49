//! Time over the global `Date.now`, `setTimeout` and `clearTimeout`, bound through
//! `extern "C"` so the same build runs in a window, a worker, Cloudflare Workers and Node.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::LocalBoxFuture;
use wasm_bindgen::prelude::*;

use super::settle::{self, Pending};

use crate::time::{Clock, Spawner};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

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
        Box::pin(Timeout::new(ms, false))
    }

    fn sleep_unref(&self, ms: u64) -> LocalBoxFuture<'static, ()> {
        Box::pin(Timeout::new(ms, true))
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
    fired: Option<Pending>,
}

impl Timeout {
    /// Arms a timer; with `unref`, a Node process will not stay alive for it.
    fn new(ms: u64, unref: bool) -> Timeout {
        // A host that refuses timers (a Worker's global scope) gets a timer that never fires:
        // callers race every sleep against real work, so nothing waits on it alone forever.
        let (fired, handle) = settle::timer(ms, unref);
        Timeout {
            handle: (!handle.is_undefined()).then_some(handle),
            fired: Some(fired),
        }
    }
}

impl Future for Timeout {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(fired) = self.fired.as_mut() else {
            return Poll::Ready(());
        };
        match Pin::new(fired).poll(cx) {
            Poll::Ready(_) => {
                self.fired = None;
                self.handle = None;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            clear_timeout(&handle);
        }
    }
}
