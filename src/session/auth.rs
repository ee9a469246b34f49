//! Bearer tokens from a per-server provider: asked once before the first request (it may answer
//! "none yet"), asked again with the server's `WWW-Authenticate` challenge on a `401` or a
//! `403 insufficient_scope` (step-up; one call for any number of concurrent challenges), and each
//! request retried once with the new token.
//!
//! With DPoP (RFC 9449) the token goes out as `Authorization: DPoP <token>` and every request
//! carries a fresh proof made by the app's [`DpopProof`]; the server's last `DPoP-Nonce` is
//! remembered for every session of the server ([`NonceSlot`]), and a `401` asking
//! `use_dpop_nonce` is retried once with a proof carrying it.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use futures_util::future::{FutureExt, LocalBoxFuture, Shared};

use super::Session;
use crate::error::Error;
use crate::options::{AuthChallenge, DpopRequest};
use crate::transport::{HttpRequest, HttpResponse};

/// The last `DPoP-Nonce` a server sent, shared by all sessions of that server: a nonce is the
/// server's (RFC 9449, section 8), so a new session's first request already carries it.
pub type NonceSlot = Rc<RefCell<Option<String>>>;

/// A token refresh in flight, shared by every request that hit the same `401`.
type Refresh = Shared<LocalBoxFuture<'static, Result<(), Error>>>;

/// The token state of one session.
#[derive(Default)]
pub(super) struct AuthState {
    token: RefCell<Option<String>>,
    /// The provider was asked up front and gave no token: wait for a challenge.
    deferred: Cell<bool>,
    generation: Cell<u64>,
    refresh: RefCell<Option<Refresh>>,
    /// The tokens this session was given, newest last (at most [`KEPT_TOKENS`]): a server may
    /// echo an older one, and the redaction of errors must know it.
    given: RefCell<Vec<String>>,
}

/// How many of its past tokens a session remembers, to redact them from errors.
const KEPT_TOKENS: usize = 8;

impl AuthState {
    /// The tokens this session was given (the current one among them).
    pub(super) fn sent_tokens(&self) -> Vec<String> {
        self.given.borrow().clone()
    }

    /// Makes `token` the current one.
    fn set_token(&self, token: String) {
        let mut given = self.given.borrow_mut();
        if given.len() == KEPT_TOKENS {
            given.remove(0);
        }
        given.push(token.clone());
        *self.token.borrow_mut() = Some(token);
    }
}

impl fmt::Debug for AuthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthState")
            .field("has_token", &self.token.borrow().is_some())
            .finish_non_exhaustive()
    }
}

/// Parses the `key="value"` pairs of a `Bearer` (or `DPoP`) challenge.
pub fn parse_challenge(header: &str) -> AuthChallenge {
    let mut challenge = AuthChallenge::default();
    let rest = header.trim();
    let scheme_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let rest = rest
        .get(..scheme_end)
        .filter(|s| s.eq_ignore_ascii_case("bearer") || s.eq_ignore_ascii_case("dpop"))
        .map_or(rest, |_| rest.get(scheme_end..).unwrap_or(""));
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        // Plain loops, not `take_while(..).collect()` (each costs code of its own).
        let mut key = String::new();
        for c in chars.by_ref() {
            if c == '=' {
                break;
            }
            key.push(c);
        }
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() {
            break;
        }
        let value: String = if chars.peek() == Some(&'"') {
            chars.next();
            let mut v = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(c) = chars.next() {
                            v.push(c);
                        }
                    }
                    '"' => break,
                    c => v.push(c),
                }
            }
            v
        } else {
            let mut v = String::new();
            for c in chars.by_ref() {
                if c == ',' {
                    break;
                }
                v.push(c);
            }
            v.trim().to_owned()
        };
        match key.as_str() {
            "error" => challenge.error = Some(value),
            "scope" => challenge.scope = Some(value),
            "resource_metadata" => challenge.resource_metadata = Some(value),
            _ => {}
        }
    }
    challenge
}

impl Session {
    /// The `Authorization` header of the current token, if a provider gave one.
    pub(super) fn auth_header(&self) -> Option<(String, String)> {
        let token = self.inner.auth.token.borrow().clone()?;
        let scheme = if self.inner.config.dpop.is_some() {
            "DPoP"
        } else {
            "Bearer"
        };
        Some(("Authorization".to_owned(), format!("{scheme} {token}")))
    }

    /// Sends one request (no redirect following): with DPoP, adds a fresh proof, remembers the
    /// server's `DPoP-Nonce`, and retries once a `401` asking `use_dpop_nonce` with a new proof
    /// carrying the nonce (the token stays).
    pub(super) async fn send_once(&self, mut request: HttpRequest) -> Result<HttpResponse, Error> {
        let Some(proof) = self.inner.config.dpop.clone() else {
            return self.transmit(request).await;
        };
        let mut nonce_retried = false;
        loop {
            let input = DpopRequest {
                method: request.method,
                url: request.url.clone(),
                access_token: self.inner.auth.token.borrow().clone(),
                nonce: self.inner.config.dpop_nonce.borrow().clone(),
            };
            let jwt = match proof(input).await {
                Ok(jwt) if !jwt.is_empty() && !jwt.contains(['\r', '\n']) => jwt,
                Ok(_) => {
                    return Err(self.dpop_error(
                        "the DPoP proof maker returned an empty or malformed proof".to_owned(),
                    ))
                }
                Err(e) => return Err(self.dpop_error(format!("the DPoP proof maker failed: {e}"))),
            };
            request
                .headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("dpop"));
            request.headers.push(("DPoP".to_owned(), jwt));
            let response = self.transmit(request.clone()).await?;
            let fresh = response
                .header("dpop-nonce")
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned);
            if fresh.is_some() {
                *self.inner.config.dpop_nonce.borrow_mut() = fresh;
            }
            let asks_nonce = response.status == 401
                && response
                    .header("www-authenticate")
                    .map(parse_challenge)
                    .is_some_and(|c| c.error.as_deref() == Some("use_dpop_nonce"));
            if asks_nonce && !nonce_retried && self.inner.config.dpop_nonce.borrow().is_some() {
                self.drain(response).await;
                nonce_retried = true;
                continue;
            }
            return Ok(response);
        }
    }

    async fn transmit(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        self.inner
            .rt
            .transport
            .send(request)
            .await
            .map_err(|e| self.network_error(&e))
    }

    fn dpop_error(&self, message: String) -> Error {
        self.auth_error(message, None)
    }

    /// [`Error::AuthFailed`]: a hook gave no usable credentials, so nothing was sent with them;
    /// `status` is the server's answer that made the client ask, if one did.
    fn auth_error(&self, message: String, status: Option<u16>) -> Error {
        Error::AuthFailed {
            server: self.server().to_owned(),
            message,
            status,
        }
    }

    /// The token generation a request is sent with.
    pub(super) fn auth_generation(&self) -> u64 {
        self.inner.auth.generation.get()
    }

    /// Asks the provider for a first token, once.
    pub(super) async fn ensure_token(&self) -> Result<(), Error> {
        if self.inner.config.token_provider.is_none()
            || self.inner.auth.token.borrow().is_some()
            || self.inner.auth.deferred.get()
        {
            return Ok(());
        }
        self.refresh_token(self.auth_generation(), None).await
    }

    /// Gets a new token after a `401` seen with token `generation`. Single-flight; a request
    /// whose token was already replaced just retries.
    pub(super) async fn refresh_token(
        &self,
        generation: u64,
        challenge: Option<AuthChallenge>,
    ) -> Result<(), Error> {
        let Some(provider) = self.inner.config.token_provider.clone() else {
            return Ok(());
        };
        let shared = {
            if self.auth_generation() != generation {
                return Ok(());
            }
            let mut slot = self.inner.auth.refresh.borrow_mut();
            match slot.as_ref() {
                Some(running) => running.clone(),
                None => {
                    let me = self.clone();
                    let up_front = challenge.is_none();
                    let run = async move {
                        let result = match provider(challenge).await {
                            Ok(token) if !token.is_empty() && !token.contains(['\r', '\n']) => {
                                me.inner.auth.set_token(token);
                                me.inner.auth.generation.set(me.auth_generation() + 1);
                                Ok(())
                            }
                            // Up front, "no token yet" is an answer: requests go out without
                            // one until the server challenges (its 401 says where to get one).
                            Ok(token) if token.is_empty() && up_front => {
                                me.inner.auth.deferred.set(true);
                                Ok(())
                            }
                            Ok(_) => Err("the token provider returned an empty or malformed token"
                                .to_owned()),
                            Err(e) => Err(format!("the token provider failed: {e}")),
                        };
                        *me.inner.auth.refresh.borrow_mut() = None;
                        result.map_err(|message| me.auth_error(message, (!up_front).then_some(401)))
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        let c = parse_challenge(
            r#"Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="https://h/.well-known/oauth-protected-resource""#,
        );
        assert_eq!(c.error.as_deref(), Some("insufficient_scope"));
        assert_eq!(c.scope.as_deref(), Some("files:read files:write"));
        assert_eq!(
            c.resource_metadata.as_deref(),
            Some("https://h/.well-known/oauth-protected-resource")
        );
        assert_eq!(
            parse_challenge("Bearer error=invalid_token")
                .error
                .as_deref(),
            Some("invalid_token")
        );
        let dpop =
            parse_challenge(r#"DPoP error="use_dpop_nonce", resource_metadata="https://h/m""#);
        assert_eq!(dpop.error.as_deref(), Some("use_dpop_nonce"));
        assert_eq!(dpop.resource_metadata.as_deref(), Some("https://h/m"));
        assert_eq!(parse_challenge(""), AuthChallenge::default());
        assert_eq!(
            parse_challenge(r#"Bearer realm="x\"y""#),
            AuthChallenge::default()
        );
    }
}
