//! A manual clock: time moves only when a test says so.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_util::future::LocalBoxFuture;
use mcp_edge_pool::Clock;

/// A [`Clock`] whose time only moves with [`ManualClock::advance`]. Clones share the time.
///
/// Every `sleep` registers a timer at creation and removes it when it completes or is dropped,
/// so [`ManualClock::pending_timers`] counts exactly the timers someone still waits on.
#[derive(Clone, Default)]
pub struct ManualClock {
    inner: Rc<ClockInner>,
}

#[derive(Default)]
struct ClockInner {
    now: Cell<u64>,
    next_key: Cell<u64>,
    timers: RefCell<Vec<Timer>>,
}

struct Timer {
    key: u64,
    deadline: u64,
    waker: Option<Waker>,
}

impl ManualClock {
    /// A clock at time 0 with no timers.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current time in ms.
    pub fn now(&self) -> u64 {
        self.inner.now.get()
    }

    /// Moves time forward by `ms` and wakes every timer that is due. Tests normally use
    /// [`super::Exec::advance`], which also runs the woken tasks between steps.
    pub fn advance(&self, ms: u64) {
        self.set(self.now() + ms);
    }

    /// Moves time forward to `at` (never backwards) and wakes the timers that are due.
    pub fn set(&self, at: u64) {
        assert!(at >= self.now(), "a clock must never go backwards");
        self.inner.now.set(at);
        let due: Vec<Waker> = self
            .inner
            .timers
            .borrow_mut()
            .iter_mut()
            .filter(|t| t.deadline <= at)
            .filter_map(|t| t.waker.take())
            .collect();
        // Wake outside the borrow: a waker may poll synchronously in other executors.
        due.into_iter().for_each(Waker::wake);
    }

    /// How many sleep futures are alive and not yet completed.
    pub fn pending_timers(&self) -> usize {
        self.inner.timers.borrow().len()
    }

    /// The deadlines of the alive timers, sorted.
    pub fn deadlines(&self) -> Vec<u64> {
        let mut all: Vec<u64> = self
            .inner
            .timers
            .borrow()
            .iter()
            .map(|t| t.deadline)
            .collect();
        all.sort_unstable();
        all
    }

    /// The earliest deadline of an alive timer.
    pub fn next_deadline(&self) -> Option<u64> {
        self.inner.timers.borrow().iter().map(|t| t.deadline).min()
    }

    /// A future that completes once the clock reached `now + ms`.
    pub fn sleep_for(&self, ms: u64) -> Sleep {
        let key = self.inner.next_key.get() + 1;
        self.inner.next_key.set(key);
        let deadline = self.now().saturating_add(ms);
        self.inner.timers.borrow_mut().push(Timer {
            key,
            deadline,
            waker: None,
        });
        Sleep {
            clock: Rc::clone(&self.inner),
            key,
            deadline,
            done: false,
        }
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now()
    }

    fn sleep(&self, ms: u64) -> LocalBoxFuture<'static, ()> {
        Box::pin(self.sleep_for(ms))
    }
}

impl std::fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManualClock")
            .field("now", &self.now())
            .field("deadlines", &self.deadlines())
            .finish()
    }
}

/// The future of [`ManualClock::sleep_for`]. Dropping it removes its timer.
pub struct Sleep {
    clock: Rc<ClockInner>,
    key: u64,
    deadline: u64,
    done: bool,
}

impl Sleep {
    fn remove(&mut self) {
        self.clock.timers.borrow_mut().retain(|t| t.key != self.key);
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        if self.clock.now.get() >= self.deadline {
            self.done = true;
            self.remove();
            return Poll::Ready(());
        }
        let key = self.key;
        if let Some(timer) = self
            .clock
            .timers
            .borrow_mut()
            .iter_mut()
            .find(|t| t.key == key)
        {
            timer.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if !self.done {
            self.remove();
        }
    }
}
