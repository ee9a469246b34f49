//! Awaiting a JS promise without creating closures per await.
//!
//! `JsFuture` makes two wasm-bindgen closures per promise (each registered with, and later
//! unregistered from, a `FinalizationRegistry`). Here one thread-local closure receives every
//! settlement with a table key, and the outcome waits in the table until its future is polled.
//! Dropping the future forgets its entry; a late settlement then finds nothing and is ignored
//! (the rejection is still handled: `then` was given both reactions).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::slab::{Key, Table};

#[wasm_bindgen(module = "/src/wasm/host.js")]
extern "C" {
    /// `promise.then(v => settle(slot, stamp, 1, v), e => settle(slot, stamp, 0, e))`.
    fn mcp_settle(promise: &Promise, slot: u32, stamp: u32, settle: &JsValue);
    /// `reader.read()`, settling with 1 and the chunk, 2 at the end of the stream, 0 and the error.
    fn mcp_read(reader: &JsValue, slot: u32, stamp: u32, settle: &JsValue);
    /// `signal.addEventListener("abort", () => settle(slot, stamp, 1))`; returns the function
    /// that removes the listener.
    fn mcp_on_abort(signal: &AbortSignal, slot: u32, stamp: u32, settle: &JsValue) -> Function;
    /// `setTimeout(() => settle(slot, stamp, 1), ms)`, `unref()`'d in Node when asked; undefined
    /// where the host refuses timers.
    fn mcp_timer(ms: f64, slot: u32, stamp: u32, settle: &JsValue, unref: bool) -> JsValue;
}

/// How a promise settled.
pub(crate) enum Settled {
    /// Fulfilled with this value.
    Value(JsValue),
    /// A stream read found the end of the stream.
    Done,
    /// Rejected with this reason.
    Error(JsValue),
}

impl Settled {
    /// The fulfilled value (undefined for [`Settled::Done`]) or the rejection reason.
    pub(crate) fn into_result(self) -> Result<JsValue, JsValue> {
        match self {
            Settled::Value(value) => Ok(value),
            Settled::Done => Ok(JsValue::UNDEFINED),
            Settled::Error(error) => Err(error),
        }
    }
}

#[derive(Default)]
struct Slot {
    outcome: Option<Settled>,
    waker: Option<Waker>,
}

thread_local! {
    static SLOTS: RefCell<Table<Slot>> = const { RefCell::new(Table::new()) };
    static SETTLE: Closure<dyn Fn(u32, u32, u32, JsValue)> = Closure::new(settle);
}

/// The one reaction of every awaited promise: 1 = fulfilled, 2 = end of stream, else rejected.
fn settle(slot: u32, stamp: u32, kind: u32, value: JsValue) {
    let outcome = match kind {
        1 => Settled::Value(value),
        2 => Settled::Done,
        _ => Settled::Error(value),
    };
    let waker = SLOTS.with(|slots| {
        let mut slots = slots.try_borrow_mut().ok()?;
        let slot = slots.get_mut(Key { slot, stamp })?;
        // The slot's outcome is always empty here: a settlement comes once per key.
        slot.outcome = Some(outcome);
        slot.waker.take()
    });
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// A settlement to come; completes with [`Settled`].
pub(crate) struct Pending {
    key: Key,
}

fn register() -> Pending {
    let key = SLOTS.with(|slots| {
        slots
            .try_borrow_mut()
            .ok()
            .map(|mut slots| slots.insert(Slot::default()))
    });
    // A busy table (not reachable: no borrow is held across a call here) gives a key that names
    // nothing: the future then completes with an error rather than hang.
    Pending {
        key: key.unwrap_or(Key {
            slot: u32::MAX,
            stamp: 0,
        }),
    }
}

/// Awaits `promise`.
pub(crate) fn promise(promise: &Promise) -> Pending {
    let pending = register();
    let key = pending.key;
    SETTLE.with(|f| mcp_settle(promise, key.slot, key.stamp, f.as_ref()));
    pending
}

/// Awaits `reader.read()`: a chunk, or [`Settled::Done`] at the end of the stream.
pub(crate) fn read(reader: &JsValue) -> Pending {
    let pending = register();
    let key = pending.key;
    SETTLE.with(|f| mcp_read(reader, key.slot, key.stamp, f.as_ref()));
    pending
}

/// Listens for `abort` on `signal`: the settlement comes when it aborts. Returns the function
/// that stops listening.
pub(crate) fn abort(signal: &AbortSignal) -> (Pending, Function) {
    let pending = register();
    let key = pending.key;
    let stop = SETTLE.with(|f| mcp_on_abort(signal, key.slot, key.stamp, f.as_ref()));
    (pending, stop)
}

/// Arms a timer (see host.js `mcp_timer`): the settlement comes when it fires. Returns the
/// handle for `clearTimeout`, undefined where the host refuses timers (it then never fires).
pub(crate) fn timer(ms: u64, unref: bool) -> (Pending, JsValue) {
    let pending = register();
    let key = pending.key;
    let handle = SETTLE.with(|f| mcp_timer(ms as f64, key.slot, key.stamp, f.as_ref(), unref));
    (pending, handle)
}

impl Future for Pending {
    type Output = Settled;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Settled> {
        let key = self.key;
        // What leaves the table (a slot, a replaced waker) is dropped only after the borrow ends:
        // dropping a waker can drop the last reference to a task, whose futures then drop their
        // own `Pending`s, which must find the table free or their slots would never be removed.
        let (poll, released) = SLOTS.with(|slots| {
            let Ok(mut slots) = slots.try_borrow_mut() else {
                // Not reachable (no borrow is held across a poll); never hang on it: retry.
                cx.waker().wake_by_ref();
                return (Poll::Pending, None);
            };
            let Some(slot) = slots.get_mut(key) else {
                let forgotten = JsValue::from_str("the awaited promise was forgotten");
                return (Poll::Ready(Settled::Error(forgotten)), None);
            };
            match slot.outcome.take() {
                Some(outcome) => (Poll::Ready(outcome), slots.remove(key)),
                None => {
                    let old = slot.waker.replace(cx.waker().clone());
                    (
                        Poll::Pending,
                        old.map(|waker| Slot {
                            outcome: None,
                            waker: Some(waker),
                        }),
                    )
                }
            }
        });
        drop(released);
        poll
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // The slot is dropped after the borrow ends (see `poll`).
        let key = self.key;
        let removed = SLOTS.with(|slots| {
            slots
                .try_borrow_mut()
                .ok()
                .and_then(|mut slots| slots.remove(key))
        });
        drop(removed);
    }
}
