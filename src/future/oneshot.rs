//! A value handed from one task to another, once: a lease to a queued getter, an answer to the
//! caller waiting on an HTTP+SSE stream.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

struct Inner<T> {
    value: RefCell<Option<T>>,
    waker: RefCell<Option<Waker>>,
    sender: Cell<bool>,
    receiver: Cell<bool>,
}

/// Sends the one value of a [`channel`].
pub(crate) struct Sender<T>(Rc<Inner<T>>);

/// Waits for the one value of a [`channel`]; [`Canceled`] if its sender was dropped unsent.
pub(crate) struct Receiver<T>(Rc<Inner<T>>);

/// The sender was dropped without sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Canceled;

/// A new channel.
pub(crate) fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Rc::new(Inner {
        value: RefCell::new(None),
        waker: RefCell::new(None),
        sender: Cell::new(true),
        receiver: Cell::new(true),
    });
    (Sender(inner.clone()), Receiver(inner))
}

impl<T> Inner<T> {
    fn wake(&self) {
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Sender<T> {
    /// Hands `value` to the receiver; gives it back if the receiver is gone.
    pub(crate) fn send(self, value: T) -> Result<(), T> {
        if !self.0.receiver.get() {
            return Err(value);
        }
        *self.0.value.borrow_mut() = Some(value);
        self.0.wake();
        Ok(())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.0.sender.set(false);
        self.0.wake();
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.0.receiver.set(false);
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, Canceled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &self.0;
        if let Some(value) = inner.value.borrow_mut().take() {
            return Poll::Ready(Ok(value));
        }
        if !inner.sender.get() {
            return Poll::Ready(Err(Canceled));
        }
        *inner.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::{block_on, LocalPool};
    use futures_util::task::LocalSpawnExt;

    #[test]
    fn a_sent_value_arrives() {
        let (tx, rx) = channel();
        assert_eq!(tx.send(5), Ok(()));
        assert_eq!(block_on(rx), Ok(5));
    }

    #[test]
    fn a_dropped_sender_cancels_a_waiting_receiver() {
        let mut pool = LocalPool::new();
        let (tx, rx) = channel::<u8>();
        let got = Rc::new(RefCell::new(None));
        let out = got.clone();
        pool.spawner()
            .spawn_local(async move { *out.borrow_mut() = Some(rx.await) })
            .unwrap();
        pool.run_until_stalled();
        assert!(got.borrow().is_none());
        drop(tx);
        pool.run_until_stalled();
        assert_eq!(*got.borrow(), Some(Err(Canceled)));
    }

    #[test]
    fn a_value_for_a_gone_receiver_comes_back_and_an_unread_one_is_dropped() {
        let (tx, rx) = channel::<Rc<()>>();
        drop(rx);
        let value = Rc::new(());
        assert!(tx.send(value.clone()).is_err());
        assert_eq!(
            Rc::strong_count(&value),
            1,
            "the refused value was given back and dropped"
        );

        let (tx, rx) = channel::<Rc<()>>();
        assert!(tx.send(value.clone()).is_ok());
        assert_eq!(Rc::strong_count(&value), 2);
        drop(rx);
        assert_eq!(
            Rc::strong_count(&value),
            1,
            "the unread value went with the channel"
        );
    }
}
