//! A task that can be stopped from outside: the health loop, a session's listen stream, the
//! HTTP+SSE reader.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

#[derive(Default)]
struct State {
    aborted: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// Stops the future of its [`AbortRegistration`] (see [`abortable`]).
#[derive(Clone)]
pub(crate) struct AbortHandle(Rc<State>);

/// The other half of an [`AbortHandle`], given to [`abortable`].
pub(crate) struct AbortRegistration(Rc<State>);

/// The future was stopped by its [`AbortHandle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Aborted;

impl AbortHandle {
    /// A handle and the registration it controls.
    pub(crate) fn new_pair() -> (AbortHandle, AbortRegistration) {
        let state = Rc::new(State::default());
        (AbortHandle(state.clone()), AbortRegistration(state))
    }

    /// Stops the future: it is not polled again and ends with [`Aborted`] (at once if it is
    /// waiting, so what it holds is dropped when its task next runs).
    pub(crate) fn abort(&self) {
        self.0.aborted.set(true);
        let waker = self.0.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Runs `future` until it finishes (`Ok`) or `registration`'s handle aborts it
/// (`Err(Aborted)`); an abort that came first means it is never polled.
pub(crate) async fn abortable<F: Future>(
    future: F,
    registration: AbortRegistration,
) -> Result<F::Output, Aborted> {
    let mut future = pin!(future);
    let state = registration.0;
    poll_fn(|cx| {
        if state.aborted.get() {
            return Poll::Ready(Err(Aborted));
        }
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        let mut waker = state.waker.borrow_mut();
        if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *waker = Some(cx.waker().clone());
        }
        Poll::Pending
    })
    .await
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("aborted", &self.0.aborted.get())
            .finish()
    }
}

impl fmt::Debug for AbortRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortRegistration").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::future::oneshot;
    use futures_executor::LocalPool;
    use futures_util::task::LocalSpawnExt;

    #[test]
    fn runs_to_the_end_unless_aborted() {
        let (_handle, registration) = AbortHandle::new_pair();
        let done = futures_executor::block_on(abortable(async { 7 }, registration));
        assert_eq!(done, Ok(7));
    }

    #[test]
    fn an_abort_before_the_first_poll_means_no_poll() {
        let (handle, registration) = AbortHandle::new_pair();
        handle.abort();
        let polled = Cell::new(false);
        let out = futures_executor::block_on(abortable(async { polled.set(true) }, registration));
        assert_eq!(out, Err(Aborted));
        assert!(!polled.get());
    }

    #[test]
    fn an_abort_wakes_a_waiting_task_and_drops_its_future() {
        let mut pool = LocalPool::new();
        let (handle, registration) = AbortHandle::new_pair();
        let (tx, rx) = oneshot::channel::<u8>();
        let result = Rc::new(RefCell::new(None));
        let out = result.clone();
        pool.spawner()
            .spawn_local(async move {
                *out.borrow_mut() = Some(abortable(rx, registration).await);
            })
            .unwrap();
        pool.run_until_stalled();
        assert!(result.borrow().is_none(), "still waiting for the value");
        handle.abort();
        pool.run_until_stalled();
        assert_eq!(*result.borrow(), Some(Err(Aborted)));
        // The receiver went with the aborted future: the value has nowhere to go.
        assert_eq!(tx.send(1), Err(1));
    }
}
