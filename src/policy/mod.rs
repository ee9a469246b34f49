//! A server's HTTP policy, as layers wrapped once around the transport when the server is
//! registered, and shared by all of its sessions. Outermost first:
//!
//! | layer | interprets | remembers |
//! |---|---|---|
//! | [`token`] | `401`, `403 insufficient_scope`: a new token, one retry | the token |
//! | [`redirect`] | `3xx`: `307`/`308` within the origin, else an error | — |
//! | [`dpop`] | `401 use_dpop_nonce`: one retry with the nonce | the `DPoP-Nonce` |
//! | [`limit`] | — (a permit per request, per server then pool-wide, held until the body ends) | — |
//!
//! Then the runtime's [`HttpTransport`]. The pool builds the limit layer (its pool-wide permits are
//! shared by every server) and hands it to `session::ServerLink::new`, which adds the others. A layer the server's options do not ask for is not in
//! the stack. Each layer hands every reply it does not interpret up unchanged; what reaches the
//! session (`2xx`, the `404` of a forgotten session, other errors) is its dialect's to read
//! (see `session::dialect`). A new auth scheme is a new layer here and a line in [`stack`].

mod challenge;
mod dpop;
mod limit;
mod redirect;
mod token;

pub(crate) use challenge::challenge_of;
pub use challenge::parse_challenge;
pub(crate) use limit::{LimitedTransport, Limiter};
pub(crate) use redirect::{origin, resolve};

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;

use crate::error::Error;
use crate::options::{DpopProof, TokenProvider};
use crate::transport::{HttpRequest, HttpResponse, HttpTransport};

/// One layer of a server's HTTP stack (and the stack itself): sends a request, applying its
/// policy, and resolves once a response head it does not handle itself has arrived.
pub(crate) trait Exchange {
    /// Sends `request` through this layer and the ones inside it.
    fn send(&self, request: HttpRequest) -> LocalBoxFuture<'_, Result<HttpResponse, Error>>;

    /// Adds what this layer and the ones inside it put on the wire that a server must not see
    /// echoed in an error (the tokens given).
    fn secrets(&self, _into: &mut Vec<String>) {}
}

/// What a server's options ask of its HTTP stack.
pub(crate) struct Policy {
    /// The server's registered name, for errors.
    pub(crate) server: Rc<str>,
    /// The server's registered URL (the home origin of redirects).
    pub(crate) url: String,
    /// Follow `307`/`308` to other origins too.
    pub(crate) cross_origin_redirects: bool,
    /// Gives the server's tokens.
    pub(crate) token_provider: Option<TokenProvider>,
    /// Makes a DPoP proof for every request.
    pub(crate) dpop: Option<DpopProof>,
}

/// The stack of `policy` over `transport`.
pub(crate) fn stack(policy: Policy, transport: Rc<dyn HttpTransport>) -> Rc<dyn Exchange> {
    let server = policy.server;
    let scheme = if policy.dpop.is_some() {
        "DPoP"
    } else {
        "Bearer"
    };
    let mut layer: Rc<dyn Exchange> = Rc::new(Transmit {
        transport,
        server: server.clone(),
    });
    if let Some(proof) = policy.dpop {
        layer = Rc::new(dpop::Dpop {
            inner: layer,
            server: server.clone(),
            proof,
            nonce: RefCell::new(None),
        });
    }
    layer = Rc::new(redirect::Redirects {
        inner: layer,
        server: server.clone(),
        home: origin(&policy.url),
        cross_origin: policy.cross_origin_redirects,
    });
    if let Some(provider) = policy.token_provider {
        layer = Rc::new(token::Tokens {
            inner: layer,
            state: Rc::new(token::TokenState {
                server,
                provider,
                scheme,
                token: RefCell::new(None),
                deferred: Cell::new(false),
                generation: Cell::new(0),
                refresh: RefCell::new(None),
                given: RefCell::new(Vec::new()),
            }),
        });
    }
    layer
}

/// Reads a (normally empty) body to its end, so the runtime sees a finished exchange rather than
/// an aborted one and can keep the connection alive. Bounded; errors are irrelevant here.
pub(crate) async fn drain(mut response: HttpResponse) {
    let mut left: usize = 64 * 1024;
    while let Ok(Some(chunk)) = response.body.next_chunk().await {
        left = left.saturating_sub(chunk.len());
        if left == 0 {
            break;
        }
    }
}

/// The innermost layer: the transport, its failures as the server's [`Error::Network`].
struct Transmit {
    transport: Rc<dyn HttpTransport>,
    server: Rc<str>,
}

impl Exchange for Transmit {
    fn send(&self, request: HttpRequest) -> LocalBoxFuture<'_, Result<HttpResponse, Error>> {
        let sent = self.transport.send(request);
        Box::pin(async move {
            sent.await.map_err(|e| Error::Network {
                server: self.server.to_string(),
                message: e.message,
            })
        })
    }
}
