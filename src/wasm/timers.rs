//! Time over the global `Date.now`, `setTimeout` and `clearTimeout`.
//!
//! The timer future is gloo-timers' `TimeoutFuture` (a `Closure::once` that sends on a
//! futures-channel oneshot, the timer cleared on drop) with three changes, each for a measured
//! rule, which is why it is kept here instead of depending on gloo-timers:
//! - One callback and one table of wakers for every timer, not a `Closure::once` and a oneshot
//!   per timer: every request arms a timer for its timeout, and a wasm-bindgen closure is a JS
//!   function registered with a `FinalizationRegistry` and unregistered when dropped (the closures'
//!   glue showed in the profile of 100 agents sharing a pool).
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

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_util::future::LocalBoxFuture;
use slab::Slab;
use wasm_bindgen::prelude::*;

use crate::time::{Clock, Spawner};

#[wasm_bindgen(module = "/src/wasm/host.js")]
extern "C" {
    /// `setTimeout(() => fire(slot, stamp), ms)`, `unref()`'d with `unref` where the host has it
    /// (Node). Returns the handle, or `undefined` where the host refuses timers.
    fn mcp_timer(ms: u32, unref: bool, slot: usize, stamp: u32, fire: &JsValue) -> JsValue;
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

/// A timer's state while it runs: whether it fired, and the waker of the task that awaits it.
struct Slot {
    /// Tells this timer from a later one in the same slot (a fire of a cleared timer that was
    /// already queued finds another stamp, or nothing).
    stamp: u32,
    fired: bool,
    waker: Option<Waker>,
}

thread_local! {
    /// The running timers, by slot: one shared table and one callback for every timer, not a
    /// closure and a channel per timer (every request arms one for its timeout).
    static TIMERS: RefCell<Slab<Slot>> = const { RefCell::new(Slab::new()) };
    /// The stamp of the last timer armed (wrapping).
    static STAMP: Cell<u32> = const { Cell::new(0) };
    /// What every timer calls when it fires, with its slot and stamp.
    static FIRE: Closure<dyn Fn(usize, u32)> = Closure::new(fire);
}

/// Marks timer `(slot, stamp)` fired and wakes its task, if it is still armed.
fn fire(slot: usize, stamp: u32) {
    let waker = TIMERS.with(|t| {
        let mut timers = t.borrow_mut();
        match timers.get_mut(slot) {
            Some(timer) if timer.stamp == stamp => {
                timer.fired = true;
                timer.waker.take()
            }
            _ => None,
        }
    });
    // Woken outside the table's borrow.
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// A pending `setTimeout`. Dropping it clears the timer, so nothing is left behind.
struct Timeout {
    slot: usize,
    stamp: u32,
    /// The host's handle, until the timer fired.
    handle: Option<JsValue>,
}

impl Timeout {
    /// Arms a timer of `ms` (at most [`MAX_TIMEOUT_MS`]); with `unref`, Node does not stay alive
    /// for it.
    fn start(ms: u64, unref: bool) -> LocalBoxFuture<'static, ()> {
        let ms = u32::try_from(ms).map_or(MAX_TIMEOUT_MS, |ms| ms.min(MAX_TIMEOUT_MS));
        let stamp = STAMP.with(|s| {
            s.set(s.get().wrapping_add(1));
            s.get()
        });
        let slot = TIMERS.with(|t| {
            t.borrow_mut().insert(Slot {
                stamp,
                fired: false,
                waker: None,
            })
        });
        let handle = FIRE.with(|fire| mcp_timer(ms, unref, slot, stamp, fire.as_ref()));
        if handle.is_undefined() {
            // A host that refuses timers (a Worker's global scope) gets one that never fires:
            // callers race every sleep against real work, and the loops that sleep alone start
            // only inside a request.
            forget(slot, stamp);
            return Box::pin(std::future::pending());
        }
        Box::pin(Timeout {
            slot,
            stamp,
            handle: Some(handle),
        })
    }
}

/// Takes timer `(slot, stamp)` out of the table, if it is still there.
fn forget(slot: usize, stamp: u32) {
    TIMERS.with(|t| {
        let mut timers = t.borrow_mut();
        if timers.get(slot).is_some_and(|timer| timer.stamp == stamp) {
            timers.remove(slot);
        }
    });
}

impl Future for Timeout {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.handle.is_none() {
            return Poll::Ready(());
        }
        let fired = TIMERS.with(|t| {
            let mut timers = t.borrow_mut();
            match timers.get_mut(self.slot) {
                Some(timer) if timer.stamp == self.stamp => {
                    if !timer.fired {
                        match &timer.waker {
                            Some(waker) if waker.will_wake(cx.waker()) => {}
                            _ => timer.waker = Some(cx.waker().clone()),
                        }
                    }
                    timer.fired
                }
                // Not reachable: the slot is ours until this is dropped.
                _ => true,
            }
        });
        if fired {
            self.handle = None;
            forget(self.slot, self.stamp);
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            clear_timeout(&handle);
            forget(self.slot, self.stamp);
        }
    }
}
