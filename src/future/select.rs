//! The first of two futures to finish.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// One of two values: which of the two futures of a [`select`] finished.
#[derive(Debug)]
pub(crate) enum Either<A, B> {
    /// The first finished.
    Left(A),
    /// The second finished.
    Right(B),
}

/// Waits for the first of `a` and `b`; returns its output and the other, unfinished future.
/// `a` is polled first, so it wins a tie.
pub(crate) fn select<A, B>(a: A, b: B) -> Select<A, B>
where
    A: Future + Unpin,
    B: Future + Unpin,
{
    Select {
        inner: Some((a, b)),
    }
}

/// The future of [`select`].
#[derive(Debug)]
pub(crate) struct Select<A, B> {
    inner: Option<(A, B)>,
}

impl<A, B> Future for Select<A, B>
where
    A: Future + Unpin,
    B: Future + Unpin,
{
    type Output = Either<(A::Output, B), (B::Output, A)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some((a, b)) = self.inner.as_mut() else {
            return Poll::Pending;
        };
        if let Poll::Ready(out) = Pin::new(a).poll(cx) {
            return match self.inner.take() {
                Some((_, b)) => Poll::Ready(Either::Left((out, b))),
                None => Poll::Pending,
            };
        }
        if let Poll::Ready(out) = Pin::new(b).poll(cx) {
            return match self.inner.take() {
                Some((a, _)) => Poll::Ready(Either::Right((out, a))),
                None => Poll::Pending,
            };
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::future::{pending, LocalBoxFuture};
    use futures_executor::block_on;

    #[test]
    fn the_first_ready_wins_and_left_wins_a_tie() {
        let ready = |n: u8| -> LocalBoxFuture<'static, u8> { Box::pin(async move { n }) };
        assert!(matches!(
            block_on(select(ready(1), ready(2))),
            Either::Left((1, _))
        ));
        // The loser comes back unfinished, to be awaited or dropped.
        let Either::Right((2, loser)) = block_on(select(pending::<u8>(), ready(2))) else {
            panic!("the second future should have won");
        };
        assert!(matches!(
            block_on(select(loser, ready(3))),
            Either::Right((3, _))
        ));
    }
}
