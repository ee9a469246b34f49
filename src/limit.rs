//! Bounded in-flight HTTP requests: a FIFO semaphore and a transport that holds a permit from
//! the moment a request is sent until its response body is finished or dropped.
//!
//! Workers allow 6 simultaneous open outbound connections per request and browsers 6 per origin
//! on HTTP/1.1; past that the runtime queues or cancels requests on its own terms. The pool
//! queues them itself instead, fairly, under the callers' own timeouts.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_util::future::LocalBoxFuture;

use crate::transport::{HttpRequest, HttpResponse, HttpTransport, ResponseBody, TransportError};

/// A FIFO counting semaphore for one thread.
pub struct Limiter {
    state: RefCell<LimiterState>,
}

struct LimiterState {
    capacity: usize,
    in_use: usize,
    /// Waiters in arrival order: (ticket, waker, granted).
    queue: VecDeque<Rc<RefCell<Ticket>>>,
}

#[derive(Default)]
struct Ticket {
    waker: Option<Waker>,
    granted: bool,
}

impl Limiter {
    /// A limiter allowing `capacity` permits at once (at least 1).
    pub fn new(capacity: usize) -> Rc<Limiter> {
        Rc::new(Limiter {
            state: RefCell::new(LimiterState { capacity: capacity.max(1), in_use: 0, queue: VecDeque::new() }),
        })
    }

    /// Permits in use.
    pub fn in_use(&self) -> usize {
        self.state.borrow().in_use
    }

    /// Callers waiting for a permit.
    pub fn waiting(&self) -> usize {
        self.state.borrow().queue.iter().filter(|t| !t.borrow().granted).count()
    }

    /// The most permits at once.
    pub fn capacity(&self) -> usize {
        self.state.borrow().capacity
    }

    /// Waits for a permit, first come first served. Dropping the future gives up the place (or
    /// the permit, if it was granted but not yet taken).
    pub fn acquire(self: &Rc<Self>) -> Acquire {
        Acquire { limiter: self.clone(), ticket: None }
    }

    fn release(&self) {
        let mut state = self.state.borrow_mut();
        state.in_use = state.in_use.saturating_sub(1);
        Self::grant(&mut state);
    }

    /// Hands free permits to the queue's head.
    fn grant(state: &mut LimiterState) {
        while state.in_use < state.capacity {
            let Some(next) = state.queue.iter().find(|t| !t.borrow().granted).cloned() else { break };
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
        f.debug_struct("Limiter").field("capacity", &state.capacity).field("in_use", &state.in_use).finish()
    }
}

/// The future of [`Limiter::acquire`].
pub struct Acquire {
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
                state.queue.push_back(ticket.clone());
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
            return Poll::Ready(Permit { limiter: Some(limiter) });
        }
        ticket.borrow_mut().waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Acquire {
    fn drop(&mut self) {
        let Some(ticket) = self.ticket.take() else { return };
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
pub struct Permit {
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
/// response body ends or is dropped.
pub struct LimitedTransport {
    inner: Rc<dyn HttpTransport>,
    limiters: Vec<Rc<Limiter>>,
}

impl LimitedTransport {
    /// Wraps `inner`; permits are taken in the order given (pool-wide first, then per server).
    pub fn new(inner: Rc<dyn HttpTransport>, limiters: Vec<Rc<Limiter>>) -> LimitedTransport {
        LimitedTransport { inner, limiters }
    }
}

impl fmt::Debug for LimitedTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LimitedTransport").field("limiters", &self.limiters).finish_non_exhaustive()
    }
}

impl HttpTransport for LimitedTransport {
    fn send(&self, request: HttpRequest) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
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
                body: Box::new(PermitBody { inner: response.body, permits: Some(permits) }),
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
