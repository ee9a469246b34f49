//! A tiny executor that polls every task in its own JS async context.
//!
//! Kept own on purpose (the one executor of the crate). Why not `wasm_bindgen_futures::spawn_local`
//! / `future_to_promise`: they share one global queue, so a task woken from Rust (a lease handed
//! over, a shared re-initialize finished) is polled in the microtask of whichever request woke it,
//! and any `fetch` it starts then belongs to that other request. In Cloudflare Workers that fetch
//! is cancelled when the other request ends, and the task hangs. Here every task is resumed only
//! through a promise reaction it registered itself, while it was running in its own context, so
//! all its I/O stays its own. The test that shows the rule: tests/workerd/workerd.test.mjs, "after
//! the server expires its sessions, concurrent calls all recover" (tests/workerd/README.md, item 1).
//! What a task awaits (`JsFuture`, the timers of [`super::timers`], channels) only calls its
//! waker; where it is polled is decided here.
//!
//! Wakers carry only a task key (they must be `Send + Sync`); the tasks live in a thread-local
//! slab, which is fine on single-threaded wasm. No `unsafe`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use futures_util::future::LocalBoxFuture;
use js_sys::{Function, Promise};
use slab::Slab;
use wasm_bindgen::prelude::*;

use super::errors::{to_js, Failed};

#[wasm_bindgen(module = "/src/wasm/host.js")]
extern "C" {
    /// A function that, when called, runs `run(slot, stamp)` in a reaction registered now.
    fn mcp_sleep(slot: usize, stamp: u32, run: &JsValue) -> Function;
    /// `Promise.resolve().then(() => run(slot, stamp))`.
    fn mcp_soon(slot: usize, stamp: u32, run: &JsValue);
}

/// Names a task: its slot in [`TASKS`] and the stamp it got when added. A waker can outlive its
/// task; the stamp keeps it from waking the task that reuses the slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    slot: usize,
    stamp: u32,
}

/// How many times a task that wakes itself while running is polled again before it yields.
const MAX_SPINS: usize = 16;

struct Task {
    /// The stamp of its [`Key`].
    stamp: u32,
    future: RefCell<Option<LocalBoxFuture<'static, ()>>>,
    /// Resolves the promise whose reaction polls this task next; set while the task sleeps.
    resume: RefCell<Option<Function>>,
    /// Woken while being polled: poll again.
    woken: Cell<bool>,
}

thread_local! {
    static TASKS: RefCell<Slab<Rc<Task>>> = const { RefCell::new(Slab::new()) };
    /// The stamp of the last task added (wrapping).
    static STAMP: Cell<u32> = const { Cell::new(0) };
    /// The one reaction that polls a task, given its key (no closure per wake-up).
    static RUN: Closure<dyn Fn(usize, u32)> =
        Closure::new(|slot: usize, stamp: u32| run(Key { slot, stamp }));
}

/// A waker that names its task.
struct TaskWaker(Key);

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let Some(task) = get(self.0) else {
            return;
        };
        let resume = task.resume.borrow_mut().take();
        match resume {
            // The reaction was registered by the task itself: it runs in the task's context.
            Some(resume) => {
                let _ = resume.call0(&JsValue::UNDEFINED);
            }
            None => task.woken.set(true),
        }
    }
}

/// Runs `future` as a task of the current JS context; it is first polled in a microtask.
pub(crate) fn spawn(future: LocalBoxFuture<'static, ()>) {
    soon(register(future));
}

/// Polls task `key` in a microtask.
fn soon(key: Key) {
    RUN.with(|r| mcp_soon(key.slot, key.stamp, r.as_ref()));
}

/// The task named `key`, unless it is done.
fn get(key: Key) -> Option<Rc<Task>> {
    TASKS.with(|t| {
        t.borrow()
            .get(key.slot)
            .filter(|task| task.stamp == key.stamp)
            .cloned()
    })
}

/// Adds a task to the table; returns its key.
fn register(future: LocalBoxFuture<'static, ()>) -> Key {
    let stamp = STAMP.with(|s| {
        s.set(s.get().wrapping_add(1));
        s.get()
    });
    let task = Rc::new(Task {
        stamp,
        future: RefCell::new(Some(future)),
        resume: RefCell::new(None),
        woken: Cell::new(false),
    });
    let slot = TASKS.with(|t| t.borrow_mut().insert(task));
    Key { slot, stamp }
}

/// Takes task `key` out of the table (it is done).
fn remove(key: Key) -> Option<Rc<Task>> {
    TASKS.with(|t| {
        let mut tasks = t.borrow_mut();
        let ours = tasks
            .get(key.slot)
            .is_some_and(|task| task.stamp == key.stamp);
        if ours {
            tasks.try_remove(key.slot)
        } else {
            None
        }
    })
}

/// An exported async method's work: its value, or the error its promise rejects with.
pub(crate) type Work = LocalBoxFuture<'static, Result<JsValue, Failed>>;

/// Runs `work` as a task and returns a promise of its outcome (the replacement of
/// `future_to_promise`). Not generic: every exported method shares this one driver.
///
/// The first poll runs now, in the caller's own context (an exported method called from JS,
/// with no Rust borrow held). Work that completes in it (a warm `get`) gets an already settled
/// promise (`Promise.resolve`/`Promise.reject`): no executor closure, no resolve and reject
/// functions kept. Only work that waits gets a promise whose functions the task settles later.
pub(crate) fn spawn_promise(work: Work) -> Promise {
    let sink = Rc::new(Settle::default());
    let key = register(Box::pin(settle_promise(work, sink.clone())));
    run(key);
    if let Some(outcome) = sink.outcome.borrow_mut().take() {
        return match outcome {
            Ok(value) => Promise::resolve(&value),
            Err(error) => Promise::reject(&error),
        };
    }
    Promise::new(&mut |resolve: Function, reject: Function| {
        *sink.settle.borrow_mut() = Some((resolve, reject));
    })
}

/// Where a task's outcome goes: its promise's functions once the promise exists, else (it
/// finished in its first poll) the outcome itself.
#[derive(Default)]
struct Settle {
    settle: RefCell<Option<(Function, Function)>>,
    outcome: RefCell<Option<Result<JsValue, JsValue>>>,
}

/// Awaits `work`, then settles its promise (an error as a JS `McpPoolError`).
async fn settle_promise(work: Work, sink: Rc<Settle>) {
    let outcome = work.await.map_err(|error| to_js(&error));
    let settle = sink.settle.borrow_mut().take();
    match (settle, outcome) {
        (Some((resolve, _)), Ok(value)) => {
            let _ = resolve.call1(&JsValue::UNDEFINED, &value);
        }
        (Some((_, reject)), Err(error)) => {
            let _ = reject.call1(&JsValue::UNDEFINED, &error);
        }
        (None, outcome) => *sink.outcome.borrow_mut() = Some(outcome),
    }
}

/// Polls task `key` until it is done or waits on something; then arms its resume promise.
fn run(key: Key) {
    let Some(task) = get(key) else {
        return;
    };
    let waker = Waker::from(Arc::new(TaskWaker(key)));
    let mut cx = Context::from_waker(&waker);
    for _ in 0..MAX_SPINS {
        task.woken.set(false);
        let done = {
            let mut slot = task.future.borrow_mut();
            match slot.as_mut() {
                Some(future) => future.as_mut().poll(&mut cx).is_ready(),
                None => true,
            }
        };
        if done {
            let finished = task.future.borrow_mut().take();
            drop(remove(key));
            drop(finished);
            return;
        }
        if !task.woken.get() {
            // Sleep: the next wake-up resolves a promise whose reaction we register now.
            let resume = RUN.with(|r| mcp_sleep(key.slot, key.stamp, r.as_ref()));
            *task.resume.borrow_mut() = Some(resume);
            return;
        }
    }
    // Woken on every poll: yield to the event loop, still in this context.
    soon(key);
}
