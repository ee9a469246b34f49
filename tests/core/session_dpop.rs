//! DPoP (RFC 9449): the token goes out as `Authorization: DPoP <token>`, every request carries a
//! fresh proof from the app's proof maker (method, URL, token and the server's nonce), a `401
//! use_dpop_nonce` is retried once with the nonce and no new token, the nonce is kept for later
//! requests and for every later session of the server, and a failing proof maker is a clear AUTH_FAILED error.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::support::{FakeServer, Harness, URL};
use futures_util::future::LocalBoxFuture;
use mcp_edge_pool::{BufferedBody, HttpMethod};
use mcp_edge_pool::{DpopProof, DpopRequest, TokenProvider};
use mcp_edge_pool::{HttpRequest, HttpResponse, HttpTransport, Runtime, Session, TransportError};
use mcp_edge_pool::{ServerLink, SessionConfig};

/// Accepts only `DPoP t1` with a `DPoP` proof header; when `nonce` is set, a proof must end with
/// `.<nonce>` or the answer is `401 use_dpop_nonce` with `DPoP-Nonce: <nonce>`.
struct Guarded {
    server: FakeServer,
    nonce: Rc<RefCell<Option<String>>>,
    nonce_challenges: Rc<Cell<usize>>,
    /// A broken server: every challenge offers a nonce other than the one it then expects.
    rotate: Rc<Cell<bool>>,
}

impl HttpTransport for Guarded {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        let auth = request.header("authorization").unwrap_or("");
        let proof = request.header("dpop").unwrap_or("");
        if auth != "DPoP t1" || proof.is_empty() {
            return reply(401, r#"DPoP error="invalid_token""#, None);
        }
        let current = self.nonce.borrow().clone();
        if let Some(nonce) = current {
            if !proof.ends_with(&format!(".{nonce}")) {
                let n = self.nonce_challenges.get() + 1;
                self.nonce_challenges.set(n);
                let nonce = if self.rotate.get() {
                    *self.nonce.borrow_mut() = Some(format!("expected{n}"));
                    format!("offered{n}")
                } else {
                    nonce
                };
                return reply(401, r#"DPoP error="use_dpop_nonce""#, Some(nonce));
            }
        }
        self.server.send(request)
    }
}

fn reply(
    status: u16,
    challenge: &str,
    nonce: Option<String>,
) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
    let mut headers = vec![("WWW-Authenticate".to_owned(), challenge.to_owned())];
    headers.extend(nonce.map(|n| ("DPoP-Nonce".to_owned(), n)));
    let response = HttpResponse {
        status,
        headers,
        body: Box::new(BufferedBody::default()),
    };
    Box::pin(async move { Ok(response) })
}

struct Setup {
    h: Harness,
    nonce: Rc<RefCell<Option<String>>>,
    nonce_challenges: Rc<Cell<usize>>,
    rotate: Rc<Cell<bool>>,
    proofs: Rc<RefCell<Vec<DpopRequest>>>,
    tokens_asked: Rc<Cell<usize>>,
    fail: Rc<Cell<bool>>,
    /// What the session was opened with, to open another session of the same server.
    config: SessionConfig,
    rt: Runtime,
    /// The server's HTTP stack and memory, shared by its sessions (as in a pool).
    link: Rc<ServerLink>,
}

fn setup() -> (Setup, Session) {
    let mut h = Harness::new();
    let nonce: Rc<RefCell<Option<String>>> = Rc::default();
    let nonce_challenges = Rc::new(Cell::new(0));
    let rotate = Rc::new(Cell::new(false));
    let proofs: Rc<RefCell<Vec<DpopRequest>>> = Rc::default();
    let tokens_asked = Rc::new(Cell::new(0));
    let fail = Rc::new(Cell::new(false));
    let asked = tokens_asked.clone();
    let provider: TokenProvider = Rc::new(move |_| {
        asked.set(asked.get() + 1);
        Box::pin(async { Ok("t1".to_owned()) })
    });
    let (p, f) = (proofs.clone(), fail.clone());
    let proof: DpopProof = Rc::new(move |request: DpopRequest| {
        let jwt = format!(
            "proof{}.{}",
            p.borrow().len(),
            request.nonce.as_deref().unwrap_or("-")
        );
        p.borrow_mut().push(request);
        let failing = f.get();
        Box::pin(async move {
            if failing {
                Err("hsm offline".to_owned())
            } else {
                Ok(jwt)
            }
        })
    });
    let transport = Guarded {
        server: h.server.clone(),
        nonce: nonce.clone(),
        nonce_challenges: nonce_challenges.clone(),
        rotate: rotate.clone(),
    };
    let rt = h.runtime_over(Rc::new(transport));
    let mut config = h.config();
    config.token_provider = Some(provider);
    config.dpop = Some(proof);
    let link = ServerLink::new(&config, rt.transport.clone());
    let session = h
        .block_on(Session::connect_via(
            config.clone(),
            link.clone(),
            rt.clone(),
            None,
        ))
        .expect("connect");
    (
        Setup {
            h,
            nonce,
            nonce_challenges,
            rotate,
            proofs,
            tokens_asked,
            fail,
            config,
            rt,
            link,
        },
        session,
    )
}

#[test]
fn every_request_carries_the_dpop_scheme_and_its_own_fresh_proof() {
    let (mut s, session) = setup();
    assert!(s.h.call_echo(&session).is_ok());
    let session2 = session.clone();
    s.h.block_on(async move { session2.close().await });
    let sent = s.h.server.log();
    assert!(sent.len() >= 3, "initialize, initialized, call, delete");
    assert!(sent
        .iter()
        .all(|l| l.header("authorization") == Some("DPoP t1")));
    let mut seen: Vec<&str> = sent.iter().filter_map(|l| l.header("dpop")).collect();
    assert_eq!(seen.len(), sent.len(), "a proof on every request");
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), sent.len(), "no proof is sent twice");
    let proofs = s.proofs.borrow();
    assert_eq!(proofs.len(), sent.len(), "one proof call per request");
    for (proof, logged) in proofs.iter().zip(&sent) {
        assert_eq!(proof.method, logged.http);
        assert_eq!(proof.url, URL);
        assert_eq!(proof.access_token.as_deref(), Some("t1"));
        assert_eq!(proof.nonce, None);
    }
    assert_eq!(
        proofs.last().map(|p| p.method),
        Some(HttpMethod::Delete),
        "the DELETE has its proof too"
    );
    assert_eq!(s.tokens_asked.get(), 1);
}

#[test]
fn use_dpop_nonce_is_retried_once_with_the_nonce_and_no_new_token_and_the_nonce_is_kept() {
    let (mut s, session) = setup();
    *s.nonce.borrow_mut() = Some("n1".to_owned());
    let before = s.proofs.borrow().len();
    assert!(s.h.call_echo(&session).is_ok());
    assert_eq!(s.nonce_challenges.get(), 1, "one use_dpop_nonce challenge");
    assert_eq!(s.tokens_asked.get(), 1, "the token was not replaced");
    let nonces: Vec<Option<String>> = s.proofs.borrow()[before..]
        .iter()
        .map(|p| p.nonce.clone())
        .collect();
    assert_eq!(nonces, [None, Some("n1".to_owned())]);

    // The next request's first proof already carries the nonce: no challenge.
    assert!(s.h.call_echo(&session).is_ok());
    assert_eq!(s.nonce_challenges.get(), 1);
    assert_eq!(
        s.proofs.borrow().last().and_then(|p| p.nonce.clone()),
        Some("n1".to_owned())
    );

    // A rotated nonce: again one challenge, one retry with the new one.
    *s.nonce.borrow_mut() = Some("n2".to_owned());
    assert!(s.h.call_echo(&session).is_ok());
    assert_eq!(s.nonce_challenges.get(), 2);
    assert_eq!(
        s.proofs.borrow().last().and_then(|p| p.nonce.clone()),
        Some("n2".to_owned())
    );
    assert_eq!(s.tokens_asked.get(), 1);
}

#[test]
fn a_new_session_of_the_same_server_starts_with_the_nonce_an_earlier_one_learned() {
    let (mut s, session) = setup();
    *s.nonce.borrow_mut() = Some("n1".to_owned());
    assert!(s.h.call_echo(&session).is_ok());
    assert_eq!(
        s.nonce_challenges.get(),
        1,
        "the first session learned the nonce"
    );
    // The pool opens every session of a server through one link: its DPoP layer is shared.
    let before = s.proofs.borrow().len();
    let second =
        s.h.block_on(Session::connect_via(
            s.config.clone(),
            s.link.clone(),
            s.rt.clone(),
            None,
        ))
        .expect("second session");
    assert!(s.h.call_echo(&second).is_ok());
    assert_eq!(
        s.nonce_challenges.get(),
        1,
        "no use_dpop_nonce round trip for the second session"
    );
    let proofs = s.proofs.borrow();
    assert!(proofs.len() > before, "the second session sent proofs");
    assert!(
        proofs[before..]
            .iter()
            .all(|p| p.nonce.as_deref() == Some("n1")),
        "its initialize already carried the nonce"
    );
}

#[test]
fn a_nonce_challenge_that_persists_is_retried_once_then_once_more_after_one_refresh() {
    let (mut s, session) = setup();
    *s.nonce.borrow_mut() = Some("a".to_owned());
    s.rotate.set(true);
    let error =
        s.h.call_echo(&session)
            .expect_err("no proof can satisfy a rotating nonce");
    assert_eq!(error.http_status(), Some(401));
    // One nonce retry, one token refresh (the 401 stands), one more nonce retry: then it stops.
    assert_eq!(s.nonce_challenges.get(), 4);
    assert_eq!(s.tokens_asked.get(), 2);
}

#[test]
fn a_failing_proof_maker_is_auth_failed_and_nothing_is_sent() {
    let (mut s, session) = setup();
    s.fail.set(true);
    let sent = s.h.server.log().len();
    let error = s.h.call_echo(&session).expect_err("no proof, no request");
    assert_eq!((error.code(), error.http_status()), ("AUTH_FAILED", None));
    assert!(!error.to_string().contains("answered HTTP"), "{error}");
    assert_eq!(s.h.server.log().len(), sent, "nothing was sent");
    assert!(error.to_string().contains("hsm offline"), "{error}");
    s.fail.set(false);
    assert!(s.h.call_echo(&session).is_ok(), "it recovers");
}
