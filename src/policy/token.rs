//! The token layer: the bearer token of a server, from the app's [`TokenProvider`]. Asked once
//! before the first request (it may answer "none yet"), asked again with the server's
//! `WWW-Authenticate` challenge on a `401` or a `403 insufficient_scope` (step-up; one call for
//! any number of concurrent challenges, from any session of the server), and each request
//! retried once with the new token. With DPoP the token goes out as `DPoP <token>`.
//!
//! It sits outside the redirect layer: a request that is redirected and then challenged is
//! retried from its first URL with the new token.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures_util::future::{FutureExt, LocalBoxFuture, Shared};

use super::challenge::challenge_of;
use super::{drain, Exchange};
use crate::error::Error;
use crate::options::{AuthChallenge, TokenProvider};
use crate::transport::{HttpRequest, HttpResponse};

/// A token refresh in flight, shared by every request that hit the same `401`.
type Refresh = Shared<LocalBoxFuture<'static, Result<(), Error>>>;

/// How many of its past tokens the layer remembers, to redact them from errors.
const KEPT_TOKENS: usize = 8;

/// Puts the server's token on every request.
pub(super) struct Tokens {
    pub(super) inner: Rc<dyn Exchange>,
    pub(super) state: Rc<TokenState>,
}

/// The token of one server, shared by the refresh in flight.
pub(super) struct TokenState {
    pub(super) server: Rc<str>,
    pub(super) provider: TokenProvider,
    /// `Bearer`, or `DPoP` when the server's requests carry proofs.
    pub(super) scheme: &'static str,
    pub(super) token: RefCell<Option<String>>,
    /// The provider was asked up front and gave no token: wait for a challenge.
    pub(super) deferred: Cell<bool>,
    pub(super) generation: Cell<u64>,
    pub(super) refresh: RefCell<Option<Refresh>>,
    /// The tokens given, newest last (at most [`KEPT_TOKENS`]): a server may echo an older one,
    /// and the redaction of errors must know it.
    pub(super) given: RefCell<Vec<String>>,
}

impl TokenState {
    /// Makes `token` the current one.
    fn set_token(&self, token: String) {
        let mut given = self.given.borrow_mut();
        if given.len() == KEPT_TOKENS {
            given.remove(0);
        }
        given.push(token.clone());
        *self.token.borrow_mut() = Some(token);
        self.generation.set(self.generation.get() + 1);
    }

    /// [`Error::AuthFailed`]: the provider gave no usable token, so nothing was sent with it;
    /// `status` is the server's answer that made the client ask, if one did.
    fn error(&self, message: String, status: Option<u16>) -> Error {
        Error::AuthFailed {
            server: self.server.to_string(),
            message,
            status,
        }
    }
}

/// Gets a new token after a challenge seen with token `generation` (`None`: up front).
/// Single-flight; a request whose token was already replaced just retries.
async fn refresh(
    state: &Rc<TokenState>,
    generation: u64,
    challenge: Option<AuthChallenge>,
) -> Result<(), Error> {
    let shared = {
        if state.generation.get() != generation {
            return Ok(());
        }
        let mut slot = state.refresh.borrow_mut();
        match slot.as_ref() {
            Some(running) => running.clone(),
            None => {
                let me = state.clone();
                let up_front = challenge.is_none();
                let run = async move {
                    let result =
                        match (me.provider)(challenge).await {
                            Ok(token) if !token.is_empty() && !token.contains(['\r', '\n']) => {
                                me.set_token(token);
                                Ok(())
                            }
                            // Up front, "no token yet" is an answer: requests go out without one
                            // until the server challenges (its 401 says where to get one).
                            Ok(token) if token.is_empty() && up_front => {
                                me.deferred.set(true);
                                Ok(())
                            }
                            Ok(_) => Err("the token provider returned an empty or malformed token"
                                .to_owned()),
                            Err(e) => Err(format!("the token provider failed: {e}")),
                        };
                    *me.refresh.borrow_mut() = None;
                    result.map_err(|message| me.error(message, (!up_front).then_some(401)))
                }
                .boxed_local()
                .shared();
                *slot = Some(run.clone());
                run
            }
        }
    };
    shared.await
}

impl Tokens {
    async fn authorize(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let state = &self.state;
        if state.token.borrow().is_none() && !state.deferred.get() {
            refresh(state, state.generation.get(), None).await?;
        }
        let mut refreshed = false;
        loop {
            let generation = state.generation.get();
            let mut request = request.clone();
            // The provider's token (or none yet) replaces any static `Authorization`.
            request
                .headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
            if let Some(token) = state.token.borrow().as_deref() {
                let value = format!("{} {token}", state.scheme);
                request.headers.push(("Authorization".to_owned(), value));
            }
            let response = self.inner.send(request).await?;
            // A 401, or a 403 asking for more scope (step-up): one new token, one retry.
            let challenge = challenge_of(&response);
            let step_up = response.status == 403
                && challenge
                    .as_ref()
                    .is_some_and(|c| c.error.as_deref() == Some("insufficient_scope"));
            if (response.status == 401 || step_up) && !refreshed {
                drain(response).await;
                refresh(state, generation, challenge).await?;
                refreshed = true;
                continue;
            }
            return Ok(response);
        }
    }
}

impl Exchange for Tokens {
    fn send(&self, request: HttpRequest) -> LocalBoxFuture<'_, Result<HttpResponse, Error>> {
        Box::pin(self.authorize(request))
    }

    fn secrets(&self, into: &mut Vec<String>) {
        into.extend(self.state.given.borrow().iter().cloned());
        self.inner.secrets(into);
    }
}
