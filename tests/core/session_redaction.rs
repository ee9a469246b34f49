//! A server that echoes the request it refuses: its registered header values, the provider's
//! token and the session id never reach an error's text or data (they become `[redacted]`), and
//! the session answers the next call.

use std::rc::Rc;

use crate::support::{params, FakeServer, Harness};
use futures_util::future::LocalBoxFuture;
use mcp_edge_pool::BufferedBody;
use mcp_edge_pool::TokenProvider;
use mcp_edge_pool::{Error, HttpRequest, HttpResponse, HttpTransport, Session, TransportError};
use serde_json::json;

const HEADER_SECRET: &str = "key-5f0e1d2c";
const TOKEN: &str = "tok-9a8b7c6d";

/// Passes requests to the fake server, except `tools/call` of `echo-http` (answered `500` with
/// every request header in the body) and `echo-rpc` (a JSON-RPC error quoting them, in its
/// message and its data).
struct Echoing {
    server: FakeServer,
}

impl HttpTransport for Echoing {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        let body = request.body.clone().unwrap_or_default();
        let seen: Vec<String> = request
            .headers
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect();
        let seen = seen.join("; ");
        let reply = |status: u16, content_type: &str, text: String| {
            let response = HttpResponse {
                status,
                headers: vec![("Content-Type".into(), content_type.into())],
                body: Box::new(BufferedBody::from_chunks([text.into_bytes()])),
            };
            Box::pin(async move { Ok(response) })
                as LocalBoxFuture<'static, Result<HttpResponse, TransportError>>
        };
        if body.contains("\"echo-http\"") {
            return reply(500, "text/plain", format!("refused; you sent {seen}"));
        }
        if body.contains("\"echo-rpc\"") {
            let id: serde_json::Value = serde_json::from_str::<serde_json::Value>(&body)
                .map(|v| v["id"].clone())
                .unwrap_or_default();
            let answer = json!({"jsonrpc": "2.0", "id": id, "error": {
                "code": -32000, "message": format!("bad credentials: {seen}"),
                "data": {"echo": [seen.clone()], "nested": {"again": seen}}}});
            return reply(200, "application/json", answer.to_string());
        }
        self.server.send(request)
    }
}

fn call(h: &mut Harness, session: &Session, tool: &str) -> Result<serde_json::Value, Error> {
    let s = session.clone();
    let p = params(json!({"name": tool, "arguments": {"message": "hi"}}));
    h.block_on(async move { s.request("tools/call", p, Default::default()).await })
        .map(|raw| crate::support::value(&raw))
}

#[test]
fn secrets_a_server_echoes_are_redacted_from_every_error() {
    let mut h = Harness::new();
    let transport = Echoing {
        server: h.server.clone(),
    };
    let rt = h.runtime_over(Rc::new(transport));
    let mut config = h.config();
    config.headers = vec![("X-Api-Key".into(), HEADER_SECRET.into())];
    let provider: TokenProvider = Rc::new(|_| Box::pin(async { Ok(TOKEN.to_owned()) }));
    config.token_provider = Some(provider);
    let session = h
        .block_on(Session::connect(config, rt, None))
        .expect("connects");

    let http = call(&mut h, &session, "echo-http").expect_err("500");
    let rpc = call(&mut h, &session, "echo-rpc").expect_err("rpc error");
    assert_eq!((http.code(), http.http_status()), ("HTTP_ERROR", Some(500)));
    assert_eq!(rpc.code(), "RPC_ERROR");
    let sid = h
        .server
        .log()
        .iter()
        .find_map(|l| l.header("mcp-session-id").map(str::to_owned));
    let sid = sid.expect("the session has an id");
    for error in [&http, &rpc] {
        let text = format!(
            "{error} {error:?} {}",
            error
                .rpc_data()
                .map(mcp_edge_pool::json::to_string)
                .unwrap_or_default()
        );
        for secret in [HEADER_SECRET, TOKEN, sid.as_str()] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert!(
            text.contains("[redacted]"),
            "the echo is still there, redacted: {text}"
        );
    }
    // The header names and the rest of the server's words stay.
    assert!(http.to_string().contains("X-Api-Key: [redacted]"), "{http}");
    assert!(rpc.to_string().contains("bad credentials"), "{rpc}");
    assert!(
        call(&mut h, &session, "echo").is_ok(),
        "the session answers the next call"
    );
}
