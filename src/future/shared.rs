//! One future awaited by many: the single-flight re-initialize of a session and the token refresh
//! that every request hitting the same `401` waits on.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use super::LocalBoxFuture;

/// A future that any number of clones await; each gets a clone of its output.
///
/// Whichever clone is polled drives the inner future, so it goes on when the clone that started
/// it is dropped (a caller that timed out), and it is dropped when the last clone is.
pub(crate) struct Shared<T>(Rc<Inner<T>>);

struct Inner<T> {
    state: RefCell<State<T>>,
    wakers: Arc<Wakers>,
}

enum State<T> {
    /// Not finished; `None` while a clone is polling it.
    Running(Option<LocalBoxFuture<'static, T>>),
    Done(T),
}

/// Every clone that waits: the inner future is polled with a waker that wakes them all, so a
/// wake-up reaches a clone that is still there.
#[derive(Default)]
struct Wakers(Mutex<Vec<Waker>>);

impl Wakers {
    fn add(&self, waker: &Waker) {
        let mut wakers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !wakers.iter().any(|w| w.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }
}

impl Wake for Wakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let wakers = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        for waker in wakers {
            waker.wake();
        }
    }
}

impl<T: Clone> Shared<T> {
    /// Shares `future`.
    pub(crate) fn new(future: impl Future<Output = T> + 'static) -> Self {
        Shared(Rc::new(Inner {
            state: RefCell::new(State::Running(Some(Box::pin(future)))),
            wakers: Arc::default(),
        }))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T: Clone> Future for Shared<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let inner = &self.0;
        let taken = match &mut *inner.state.borrow_mut() {
            State::Done(out) => return Poll::Ready(out.clone()),
            State::Running(future) => future.take(),
        };
        inner.wakers.add(cx.waker());
        // `None`: the inner future is polling this clone (it awaits itself); it never finishes.
        let Some(mut future) = taken else {
            return Poll::Pending;
        };
        // No borrow is held while the inner future runs: it may clone or drop this `Shared`.
        let waker = Waker::from(inner.wakers.clone());
        match future.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(out) => {
                *inner.state.borrow_mut() = State::Done(out.clone());
                inner.wakers.wake_by_ref();
                Poll::Ready(out)
            }
            Poll::Pending => {
                *inner.state.borrow_mut() = State::Running(Some(future));
                Poll::Pending
            }
        }
    }
}

impl<T> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::future::oneshot;
    use futures_executor::LocalPool;
    use futures_util::task::LocalSpawnExt;
    use std::cell::Cell;

    #[test]
    fn every_clone_gets_the_output_of_one_run() {
        let mut pool = LocalPool::new();
        let runs = Rc::new(Cell::new(0));
        let (tx, rx) = oneshot::channel::<u32>();
        let counted = runs.clone();
        let shared = Shared::new(async move {
            counted.set(counted.get() + 1);
            rx.await.unwrap_or(0)
        });
        let outputs = Rc::new(RefCell::new(Vec::new()));
        for _ in 0..3 {
            let (shared, outputs) = (shared.clone(), outputs.clone());
            pool.spawner()
                .spawn_local(async move {
                    let out = shared.await;
                    outputs.borrow_mut().push(out);
                })
                .unwrap();
        }
        pool.run_until_stalled();
        assert!(outputs.borrow().is_empty());
        tx.send(9).unwrap();
        pool.run_until_stalled();
        assert_eq!(*outputs.borrow(), vec![9, 9, 9]);
        assert_eq!(runs.get(), 1);
        // A clone polled after the end gets the output at once.
        assert_eq!(futures_executor::block_on(shared), 9);
    }

    #[test]
    fn it_goes_on_when_the_clone_that_drove_it_is_dropped() {
        let mut pool = LocalPool::new();
        let (tx, rx) = oneshot::channel::<u32>();
        let shared = Shared::new(async move { rx.await.unwrap_or(0) });
        let (first, second) = (shared.clone(), shared);
        let (stop, stopped) = oneshot::channel::<()>();
        let got = Rc::new(Cell::new(0));
        // The first waiter drives the inner future, then gives up (as a timed-out caller does).
        pool.spawner()
            .spawn_local(async move {
                let _ = crate::future::select(first, stopped).await;
            })
            .unwrap();
        pool.run_until_stalled();
        let out = got.clone();
        pool.spawner()
            .spawn_local(async move { out.set(second.await) })
            .unwrap();
        pool.run_until_stalled();
        stop.send(()).unwrap();
        pool.run_until_stalled();
        tx.send(4).unwrap();
        pool.run_until_stalled();
        assert_eq!(got.get(), 4);
    }

    #[test]
    fn dropping_every_clone_drops_the_future() {
        let alive = Rc::new(());
        let held = alive.clone();
        let shared = Shared::new(async move {
            let _held = held;
            std::future::pending::<()>().await
        });
        let mut pool = LocalPool::new();
        let clone = shared.clone();
        pool.spawner().spawn_local(clone).unwrap();
        pool.run_until_stalled();
        assert_eq!(Rc::strong_count(&alive), 2);
        drop(pool);
        drop(shared);
        assert_eq!(Rc::strong_count(&alive), 1);
    }
}
