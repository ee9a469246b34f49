//! Bearer tokens from a provider: one call first, one more for any number of concurrent 401s
//! (with the server's challenge), one retry per request; failures and insufficient scope are
//! clear errors.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::support::{params, FakeServer, Harness};
use futures_util::future::LocalBoxFuture;
use mcp_edge_pool::BufferedBody;
use mcp_edge_pool::{AuthChallenge, TokenProvider};
use mcp_edge_pool::{HttpRequest, HttpResponse, HttpTransport, Session, TransportError};
use mcp_edge_pool::{Runtime, ServerLink, SessionConfig};
use serde_json::json;

/// Accepts only `Bearer <valid>`; answers 401 otherwise. With `forbid`, answers 403
/// insufficient_scope to every token but `scoped`.
struct Guarded {
    server: FakeServer,
    valid: Rc<RefCell<String>>,
    forbid: Rc<Cell<bool>>,
    scoped: Rc<RefCell<String>>,
}

impl HttpTransport for Guarded {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        let auth = request.header("authorization").unwrap_or("").to_owned();
        if self.forbid.get() {
            if auth == format!("Bearer {}", self.scoped.borrow()) {
                return self.server.send(request);
            }
            let challenge = r#"Bearer error="insufficient_scope", scope="tools:call""#;
            return reply(403, challenge);
        }
        if auth != format!("Bearer {}", self.valid.borrow()) {
            let challenge =
                r#"Bearer error="invalid_token", resource_metadata="https://auth.test/meta""#;
            return reply(401, challenge);
        }
        self.server.send(request)
    }
}

fn reply(
    status: u16,
    challenge: &str,
) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
    let response = HttpResponse {
        status,
        headers: vec![("WWW-Authenticate".into(), challenge.into())],
        body: Box::new(BufferedBody::default()),
    };
    Box::pin(async move { Ok(response) })
}

struct Setup {
    h: Harness,
    valid: Rc<RefCell<String>>,
    forbid: Rc<Cell<bool>>,
    scoped: Rc<RefCell<String>>,
    calls: Rc<RefCell<Vec<Option<AuthChallenge>>>>,
    fail: Rc<Cell<bool>>,
    /// What the session was opened with, to open another session of the same server.
    config: SessionConfig,
    rt: Runtime,
    link: Rc<ServerLink>,
}

fn setup() -> (Setup, Session) {
    setup_with(false)
}

/// `defer`: the provider answers "no token yet" (empty) when asked without a challenge.
fn setup_with(defer: bool) -> (Setup, Session) {
    let mut h = Harness::new();
    let valid = Rc::new(RefCell::new("t1".to_owned()));
    let forbid = Rc::new(Cell::new(false));
    let scoped = Rc::new(RefCell::new("none".to_owned()));
    let calls: Rc<RefCell<Vec<Option<AuthChallenge>>>> = Rc::default();
    let fail = Rc::new(Cell::new(false));
    let (c, f) = (calls.clone(), fail.clone());
    let provider: TokenProvider = Rc::new(move |challenge| {
        c.borrow_mut().push(challenge);
        let n = c.borrow().len();
        let failing = f.get();
        let first = c.borrow().last().is_some_and(Option::is_none);
        Box::pin(async move {
            if failing {
                Err("vault unreachable".into())
            } else if defer && first {
                Ok(String::new())
            } else if defer {
                Ok(format!("t{}", n - 1))
            } else {
                Ok(format!("t{n}"))
            }
        })
    });
    let transport = Guarded {
        server: h.server.clone(),
        valid: valid.clone(),
        forbid: forbid.clone(),
        scoped: scoped.clone(),
    };
    let rt = h.runtime_over(Rc::new(transport));
    let mut config = h.config();
    config.headers = vec![("Authorization".into(), "Bearer static-ignored".into())];
    config.token_provider = Some(provider);
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
            valid,
            forbid,
            scoped,
            calls,
            fail,
            config,
            rt,
            link,
        },
        session,
    )
}

#[test]
fn the_sessions_of_one_server_share_its_token_and_its_refresh() {
    let (mut s, first) = setup();
    let second =
        s.h.block_on(Session::connect_via(
            s.config.clone(),
            s.link.clone(),
            s.rt.clone(),
            None,
        ))
        .expect("second session");
    assert_eq!(s.calls.borrow().len(), 1, "one token for both sessions");
    // The server rotates its token: the first session meets the 401 and refreshes for both.
    *s.valid.borrow_mut() = "t2".to_owned();
    assert!(s.h.call_echo(&first).is_ok());
    assert_eq!(s.calls.borrow().len(), 2);
    let before = s.h.server.log().len();
    assert!(s.h.call_echo(&second).is_ok());
    assert_eq!(s.calls.borrow().len(), 2, "no refresh of its own");
    let sent = s.h.server.log();
    assert!(
        sent[before..]
            .iter()
            .all(|l| l.header("authorization") == Some("Bearer t2")),
        "the second session sent the new token at once"
    );
}

#[test]
fn the_provider_is_asked_once_before_the_first_request() {
    let (mut s, session) = setup();
    assert_eq!(s.calls.borrow().as_slice(), [None]);
    assert!(s.h.call_echo(&session).is_ok());
    assert_eq!(s.calls.borrow().len(), 1);
    let sent = s.h.server.log();
    assert!(
        sent.iter()
            .all(|l| l.header("authorization") == Some("Bearer t1")),
        "the provider's token replaces the header"
    );
}

#[test]
fn concurrent_401s_share_one_new_token_and_each_request_retries_once() {
    let (mut s, session) = setup();
    *s.valid.borrow_mut() = "t2".into();
    let calls: Vec<_> = (0..20)
        .map(|i| {
            let session = session.clone();
            s.h.exec.spawn_task(async move {
                session
                    .request(
                        "tools/call",
                        params(json!({"name": "echo", "arguments": {"message": i.to_string()}})),
                        Default::default(),
                    )
                    .await
            })
        })
        .collect();
    s.h.run();
    assert!(calls.iter().all(|c| c.output("call").is_ok()));
    let asked = s.calls.borrow().clone();
    assert_eq!(asked.len(), 2, "one refresh for twenty 401s");
    let challenge = asked[1].clone().expect("the challenge was passed on");
    assert_eq!(challenge.error.as_deref(), Some("invalid_token"));
    assert_eq!(
        challenge.resource_metadata.as_deref(),
        Some("https://auth.test/meta")
    );
}

#[test]
fn a_failing_provider_is_auth_failed_and_a_still_rejected_token_is_http_401() {
    let (mut s, session) = setup();
    s.fail.set(true);
    *s.valid.borrow_mut() = "t9".into();
    let error = s.h.call_echo(&session).expect_err("refused");
    // The server answered 401 and the provider, asked for a new token, failed.
    assert_eq!(
        (error.code(), error.http_status()),
        ("AUTH_FAILED", Some(401))
    );
    assert!(error.to_string().contains("vault unreachable"), "{error}");
    s.fail.set(false);
    let error = s.h.call_echo(&session).expect_err("t3 is not t9 either");
    assert_eq!(error.http_status(), Some(401));
    assert!(
        error.to_string().contains("https://auth.test/meta"),
        "{error}"
    );
    assert_eq!(s.calls.borrow().len(), 3, "one retry per request, no loop");
}

#[test]
fn insufficient_scope_steps_up_once_and_names_the_scope_if_still_refused() {
    let (mut s, session) = setup();
    s.forbid.set(true);
    let error = s.h.call_echo(&session).expect_err("forbidden");
    assert_eq!(error.http_status(), Some(403));
    assert!(
        error.to_string().contains("insufficient_scope")
            && error.to_string().contains("tools:call"),
        "{error}"
    );
    let asked = s.calls.borrow().clone();
    assert_eq!(asked.len(), 2, "one step-up, no loop");
    let challenge = asked[1].clone().expect("the 403's challenge");
    assert_eq!(challenge.error.as_deref(), Some("insufficient_scope"));
    assert_eq!(challenge.scope.as_deref(), Some("tools:call"));
}

#[test]
fn a_step_up_token_with_the_scope_is_used_for_the_retry() {
    let (mut s, session) = setup();
    s.forbid.set(true);
    *s.scoped.borrow_mut() = "t2".into();
    s.h.call_echo(&session).expect("stepped up");
    let last =
        s.h.server
            .log()
            .pop()
            .expect("a request reached the server");
    assert_eq!(last.header("authorization"), Some("Bearer t2"));
}

#[test]
fn a_provider_may_have_no_token_until_the_server_challenges() {
    let (mut s, session) = setup_with(true);
    let asked = s.calls.borrow().clone();
    assert_eq!(asked.len(), 2, "up front (no token), then on the 401");
    assert!(asked[0].is_none());
    let challenge = asked[1].clone().expect("challenge");
    assert_eq!(
        challenge.resource_metadata.as_deref(),
        Some("https://auth.test/meta")
    );
    s.h.call_echo(&session).expect("with the token");
    assert!(
        s.h.server
            .log()
            .iter()
            .all(|l| l.header("authorization") == Some("Bearer t1")),
        "the static Authorization header is never sent when a provider is given"
    );
}

#[test]
fn a_provider_failing_before_the_first_request_is_auth_failed_and_nothing_is_sent() {
    let mut h = Harness::new();
    let provider: TokenProvider =
        Rc::new(|_| Box::pin(async { Err("vault unreachable".to_owned()) }));
    let mut config = h.config();
    config.token_provider = Some(provider);
    let rt = h.runtime();
    let error = h
        .block_on(Session::connect(config, rt, None))
        .expect_err("no token, no session");
    assert_eq!((error.code(), error.http_status()), ("AUTH_FAILED", None));
    let text = error.to_string();
    assert!(
        text.contains("vault unreachable") && text.contains("nothing was sent"),
        "{text}"
    );
    assert!(!text.contains("answered HTTP"), "{text}");
    assert!(h.server.log().is_empty(), "nothing reached the server");
}
