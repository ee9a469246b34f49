//! Bounded in-flight HTTP requests: a FIFO semaphore and a transport that holds a permit from
//! the moment a request is sent until its response body is finished or dropped.
//!
//! Workers allow 6 simultaneous open outbound connections per request and browsers 6 per origin
//! on HTTP/1.1; past that the runtime queues or cancels requests on its own terms. The pool
//! queues them itself instead, fairly, under the callers' own timeouts.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_util::future::LocalBoxFuture;

use crate::transport::{HttpRequest, HttpResponse, HttpTransport, ResponseBody, TransportError};

/// A FIFO counting semaphore for one thread.
pub(crate) struct Limiter {
    state: RefCell<LimiterState>,
}

struct LimiterState {
    capacity: usize,
    in_use: usize,
    /// Waiters in arrival order: (ticket, waker, granted).
    queue: Vec<Rc<RefCell<Ticket>>>,
}

#[derive(Default)]
struct Ticket {
    waker: Option<Waker>,
    granted: bool,
}

impl Limiter {
    /// A limiter allowing `capacity` permits at once (at least 1).
    pub(crate) fn new(capacity: usize) -> Rc<Limiter> {
        Rc::new(Limiter {
            state: RefCell::new(LimiterState {
                capacity: capacity.max(1),
                in_use: 0,
                queue: Vec::new(),
            }),
        })
    }

    /// Permits in use.
    pub(crate) fn in_use(&self) -> usize {
        self.state.borrow().in_use
    }

    /// Callers waiting for a permit.
    pub(crate) fn waiting(&self) -> usize {
        self.state
            .borrow()
            .queue
            .iter()
            .filter(|t| !t.borrow().granted)
            .count()
    }

    /// Waits for a permit, first come first served. Dropping the future gives up the place (or
    /// the permit, if it was granted but not yet taken).
    pub(crate) fn acquire(self: &Rc<Self>) -> Acquire {
        Acquire {
            limiter: self.clone(),
            ticket: None,
        }
    }

    fn release(&self) {
        let mut state = self.state.borrow_mut();
        state.in_use = state.in_use.saturating_sub(1);
        Self::grant(&mut state);
    }

    /// Hands free permits to the queue's head.
    fn grant(state: &mut LimiterState) {
        while state.in_use < state.capacity {
            let Some(next) = state.queue.iter().find(|t| !t.borrow().granted).cloned() else {
                break;
            };
            let mut ticket = next.borrow_mut();
            ticket.granted = true;
            state.in_use += 1;
            if let Some(waker) = ticket.waker.take() {
                waker.wake();
            }
        }
    }
}

impl fmt::Debug for Limiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("Limiter")
            .field("capacity", &state.capacity)
            .field("in_use", &state.in_use)
            .finish()
    }
}

/// The future of [`Limiter::acquire`].
pub(crate) struct Acquire {
    limiter: Rc<Limiter>,
    ticket: Option<Rc<RefCell<Ticket>>>,
}

impl fmt::Debug for Acquire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire").finish_non_exhaustive()
    }
}

impl Future for Acquire {
    type Output = Permit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit> {
        let limiter = self.limiter.clone();
        let ticket = match &self.ticket {
            Some(ticket) => ticket.clone(),
            None => {
                let ticket = Rc::new(RefCell::new(Ticket::default()));
                let mut state = limiter.state.borrow_mut();
                state.queue.push(ticket.clone());
                Limiter::grant(&mut state);
                drop(state);
                self.ticket = Some(ticket.clone());
                ticket
            }
        };
        let granted = ticket.borrow().granted;
        if granted {
            let mut state = limiter.state.borrow_mut();
            state.queue.retain(|t| !Rc::ptr_eq(t, &ticket));
            drop(state);
            self.ticket = None;
            return Poll::Ready(Permit {
                limiter: Some(limiter),
            });
        }
        ticket.borrow_mut().waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Acquire {
    fn drop(&mut self) {
        let Some(ticket) = self.ticket.take() else {
            return;
        };
        let mut state = self.limiter.state.borrow_mut();
        state.queue.retain(|t| !Rc::ptr_eq(t, &ticket));
        if ticket.borrow().granted {
            // Granted but never taken: give it to the next one.
            state.in_use = state.in_use.saturating_sub(1);
            Limiter::grant(&mut state);
        }
    }
}

/// One permit; released when dropped.
pub(crate) struct Permit {
    limiter: Option<Rc<Limiter>>,
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(limiter) = self.limiter.take() {
            limiter.release();
        }
    }
}

/// A transport that takes a permit of every limiter before sending and keeps them until the
/// response body ends or is dropped. [`HttpRequest::urgent`] requests skip the limiters: an
/// answer to a server's request must never wait behind the stream that carries the request.
pub(crate) struct LimitedTransport {
    inner: Rc<dyn HttpTransport>,
    limiters: Vec<Rc<Limiter>>,
}

impl LimitedTransport {
    /// Wraps `inner`; permits are taken in the order given (pool-wide first, then per server).
    pub(crate) fn new(
        inner: Rc<dyn HttpTransport>,
        limiters: Vec<Rc<Limiter>>,
    ) -> LimitedTransport {
        LimitedTransport { inner, limiters }
    }
}

impl fmt::Debug for LimitedTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LimitedTransport")
            .field("limiters", &self.limiters)
            .finish_non_exhaustive()
    }
}

impl HttpTransport for LimitedTransport {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        if request.urgent {
            return self.inner.send(request);
        }
        let inner = self.inner.clone();
        let limiters = self.limiters.clone();
        Box::pin(async move {
            let mut permits = Vec::with_capacity(limiters.len());
            for limiter in &limiters {
                permits.push(limiter.acquire().await);
            }
            let response = inner.send(request).await?;
            Ok(HttpResponse {
                status: response.status,
                headers: response.headers,
                body: Box::new(PermitBody {
                    inner: response.body,
                    permits: Some(permits),
                }),
            })
        })
    }
}

/// A body holding permits until it ends.
struct PermitBody {
    inner: Box<dyn ResponseBody>,
    permits: Option<Vec<Permit>>,
}

impl ResponseBody for PermitBody {
    fn next_chunk(&mut self) -> LocalBoxFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        Box::pin(async move {
            let chunk = self.inner.next_chunk().await;
            if !matches!(chunk, Ok(Some(_))) {
                self.permits = None;
            }
            chunk
        })
    }
}

#[cfg(test)]
mod tests {
    use std::task::{Context, Poll};

    use futures_util::task::noop_waker;

    use super::*;

    fn poll(acquire: &mut Acquire) -> Option<Permit> {
        let waker = noop_waker();
        match Pin::new(acquire).poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(permit) => Some(permit),
            Poll::Pending => None,
        }
    }

    #[test]
    fn permits_are_granted_in_order_and_come_back_on_drop() {
        let limiter = Limiter::new(1);
        let mut a = limiter.acquire();
        let mut b = limiter.acquire();
        let mut c = limiter.acquire();
        let pa = poll(&mut a).expect("free");
        assert!(poll(&mut b).is_none());
        assert!(poll(&mut c).is_none());
        assert_eq!((limiter.in_use(), limiter.waiting()), (1, 2));
        drop(pa);
        assert!(poll(&mut c).is_none(), "c queued after b");
        let pb = poll(&mut b).expect("b is next");
        drop(pb);
        assert!(poll(&mut c).is_some());
    }

    #[test]
    fn a_granted_but_abandoned_acquire_passes_its_permit_on() {
        let limiter = Limiter::new(1);
        let mut a = limiter.acquire();
        let pa = poll(&mut a).expect("free");
        let mut b = limiter.acquire();
        let mut c = limiter.acquire();
        assert!(poll(&mut b).is_none() && poll(&mut c).is_none());
        drop(pa); // grants b, which is dropped before it takes the permit
        drop(b);
        let pc = poll(&mut c).expect("c got b's permit");
        assert_eq!((limiter.in_use(), limiter.waiting()), (1, 0));
        drop(pc);
        assert_eq!(limiter.in_use(), 0);
    }
}
