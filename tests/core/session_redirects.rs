//! Redirects: 307/308 within the origin are followed; another origin is refused (its headers
//! and session would leak there) unless allowed; 301/302/303 are errors (a POST cannot follow).

use std::cell::RefCell;
use std::rc::Rc;

use crate::support::{FakeServer, Harness, URL};
use futures_util::future::LocalBoxFuture;
use mcp_edge_pool::BufferedBody;
use mcp_edge_pool::{Body, HttpRequest, HttpResponse, HttpTransport, Runtime, TransportError};

/// Answers requests to `from` with a redirect; passes everything else to the fake server.
struct Redirector {
    server: FakeServer,
    from: String,
    status: u16,
    location: String,
    seen: Rc<RefCell<Vec<String>>>,
    /// The `Authorization` header of each request, in the same order.
    auths: Rc<RefCell<Vec<Option<String>>>>,
    /// The body of each request, in the same order.
    bodies: Rc<RefCell<Vec<Option<Body>>>>,
}

impl HttpTransport for Redirector {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        self.seen.borrow_mut().push(request.url.clone());
        let auth = request
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.clone());
        self.auths.borrow_mut().push(auth);
        self.bodies.borrow_mut().push(request.body.clone());
        if request.url == self.from {
            let response = HttpResponse {
                status: self.status,
                headers: vec![("Location".into(), self.location.clone())],
                body: Box::new(BufferedBody::default()),
            };
            return Box::pin(async move { Ok(response) });
        }
        self.server.send(request)
    }
}

/// What [`connect`] saw: the outcome, and the URL, `Authorization` header and body of each
/// request.
type Seen = (
    Result<mcp_edge_pool::Session, mcp_edge_pool::Error>,
    Vec<String>,
    Vec<Option<String>>,
    Vec<Option<Body>>,
);

/// Connects through a [`Redirector`].
fn connect(status: u16, location: &str, allow: bool) -> Seen {
    let mut h = Harness::new();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let auths = Rc::new(RefCell::new(Vec::new()));
    let bodies = Rc::new(RefCell::new(Vec::new()));
    let base = h.runtime();
    let transport = Redirector {
        server: h.server.clone(),
        from: URL.to_owned(),
        status,
        location: location.to_owned(),
        seen: seen.clone(),
        auths: auths.clone(),
        bodies: bodies.clone(),
    };
    let rt = Runtime::new(Rc::new(transport), base.clock.clone(), base.spawner.clone());
    let mut config = h.config();
    config.headers = vec![("Authorization".into(), "Bearer SECRET".into())];
    config.allow_cross_origin_redirects = allow;
    let result = h.block_on(mcp_edge_pool::Session::connect(config, rt, None));
    let seen = seen.borrow().clone();
    let auths = auths.borrow().clone();
    let bodies = bodies.borrow().clone();
    (result, seen, auths, bodies)
}

#[test]
fn same_origin_307_and_308_are_followed() {
    for status in [307, 308] {
        let (result, seen, _, _) = connect(status, "/mcp/", false);
        assert!(result.is_ok(), "{status}: {result:?}");
        assert_eq!(seen[0], URL);
        assert_eq!(
            seen[1], "https://mcp.example.test/mcp/",
            "relative Location resolved"
        );
    }
}

#[test]
fn another_origin_is_refused_unless_allowed() {
    let (result, seen, _, _) = connect(307, "https://elsewhere.test/mcp", false);
    let error = result.expect_err("refused");
    assert_eq!(error.code(), "CONNECT_FAILED");
    assert!(
        error
            .to_string()
            .contains("another origin (https://elsewhere.test)"),
        "{error}"
    );
    assert_eq!(seen.len(), 1, "nothing was sent to the other origin");
    assert!(!error.to_string().contains("SECRET"));

    let (result, seen, auths, _) = connect(307, "https://elsewhere.test/mcp", true);
    assert!(result.is_ok());
    assert_eq!(seen[1], "https://elsewhere.test/mcp");
    assert_eq!(auths[0].as_deref(), Some("Bearer SECRET"));
    assert_eq!(
        auths[1], None,
        "the Authorization header stays home on a cross-origin redirect (as in the Fetch standard)"
    );
}

#[test]
fn a_same_origin_redirect_keeps_the_authorization_header() {
    let (result, _, auths, _) = connect(307, "/mcp/", false);
    assert!(result.is_ok());
    assert_eq!(auths[0].as_deref(), Some("Bearer SECRET"));
    assert_eq!(auths[1].as_deref(), Some("Bearer SECRET"));
}

#[test]
fn a_redirect_that_would_turn_the_post_into_a_get_is_an_error() {
    for status in [301, 302, 303] {
        let (result, seen, _, _) = connect(status, "/other", false);
        let error = result.expect_err("not followed");
        assert_eq!(error.http_status(), Some(status));
        assert!(
            error.to_string().contains("register the final URL"),
            "{error}"
        );
        assert_eq!(seen.len(), 1);
    }
}

#[test]
fn a_redirect_loop_stops() {
    let (result, seen, _, _) = connect(307, URL, false);
    assert_eq!(
        result.map(|_| ()).map_err(|e| e.code()),
        Err("CONNECT_FAILED")
    );
    assert_eq!(seen.len(), 4, "the first request and three hops");
}

#[test]
fn a_redirect_sends_the_same_body_again_not_a_copy() {
    let (result, seen, _, bodies) = connect(307, "/mcp/", false);
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(
        seen[..2],
        [URL.to_owned(), "https://mcp.example.test/mcp/".to_owned()]
    );
    let (Some(first), Some(again)) = (&bodies[0], &bodies[1]) else {
        panic!("both POSTs carry a body: {bodies:?}");
    };
    assert!(
        Rc::ptr_eq(first, again),
        "the redirect re-sent the body it was given (one copy in memory, however large)"
    );
}
