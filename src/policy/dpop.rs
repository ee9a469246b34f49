//! The DPoP layer (RFC 9449): every request (every redirect hop: it sits inside the redirect
//! layer) carries a fresh proof made by the app's [`DpopProof`] for its method and URL, bound to
//! the access token it carries. The server's last `DPoP-Nonce` is remembered for the server, so
//! a new session's first request already carries it (a nonce is the server's, RFC 9449 section
//! 8), and a `401` asking `use_dpop_nonce` is retried once with a proof carrying the new one.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;

use super::challenge::challenge_of;
use super::{drain, Exchange};
use crate::error::Error;
use crate::options::{DpopProof, DpopRequest};
use crate::transport::{HttpRequest, HttpResponse};

/// Proves every request of one server.
pub(super) struct Dpop {
    pub(super) inner: Rc<dyn Exchange>,
    pub(super) server: Rc<str>,
    pub(super) proof: DpopProof,
    /// The server's last `DPoP-Nonce`.
    pub(super) nonce: RefCell<Option<String>>,
}

impl Dpop {
    fn error(&self, message: String) -> Error {
        Error::AuthFailed {
            server: self.server.to_string(),
            message,
            status: None,
        }
    }

    async fn prove(&self, mut request: HttpRequest) -> Result<HttpResponse, Error> {
        // The token the token layer put on the request (none after a cross-origin hop).
        let access_token = request
            .header("authorization")
            .and_then(|v| v.strip_prefix("DPoP "))
            .map(str::to_owned);
        let mut nonce_retried = false;
        loop {
            let input = DpopRequest {
                method: request.method,
                url: request.url.clone(),
                access_token: access_token.clone(),
                nonce: self.nonce.borrow().clone(),
            };
            let jwt = match (self.proof)(input).await {
                Ok(jwt) if !jwt.is_empty() && !jwt.contains(['\r', '\n']) => jwt,
                Ok(_) => {
                    return Err(self.error(
                        "the DPoP proof maker returned an empty or malformed proof".to_owned(),
                    ))
                }
                Err(e) => return Err(self.error(format!("the DPoP proof maker failed: {e}"))),
            };
            request
                .headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("dpop"));
            request.headers.push(("DPoP".to_owned(), jwt));
            let response = self.inner.send(request.clone()).await?;
            let fresh = response
                .header("dpop-nonce")
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned);
            if fresh.is_some() {
                *self.nonce.borrow_mut() = fresh;
            }
            let asks_nonce = response.status == 401
                && challenge_of(&response)
                    .is_some_and(|c| c.error.as_deref() == Some("use_dpop_nonce"));
            if asks_nonce && !nonce_retried && self.nonce.borrow().is_some() {
                drain(response).await;
                nonce_retried = true;
                continue;
            }
            return Ok(response);
        }
    }
}

impl Exchange for Dpop {
    fn send(&self, request: HttpRequest) -> LocalBoxFuture<'_, Result<HttpResponse, Error>> {
        Box::pin(self.prove(request))
    }

    fn secrets(&self, into: &mut Vec<String>) {
        self.inner.secrets(into);
    }
}
