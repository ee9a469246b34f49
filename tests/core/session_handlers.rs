//! Server → client requests: given handlers answer them (and only their capabilities are
//! declared); without a handler the server gets -32601.

use std::rc::Rc;

use crate::support::{params, value, Harness};
use mcp_edge_pool::jsonrpc::ErrorObject;
use mcp_edge_pool::ClientHandlers;
use mcp_edge_pool::Session;
use serde_json::json;

fn handlers() -> ClientHandlers {
    ClientHandlers {
        elicitation: Some(Rc::new(|params| {
            Box::pin(async move {
                let asked = params.map(|p| value(&p)).unwrap_or_default();
                let answer = json!({"action": "accept", "content": {"name": "Ada"}, "echo": asked["message"]});
                Ok(crate::support::raw(&answer))
            })
        })),
        sampling: None,
        roots: Some(Rc::new(|_| {
            Box::pin(async move {
                Err(ErrorObject {
                    code: -32000,
                    message: "no roots today".into(),
                    data: None,
                })
            })
        })),
    }
}

#[test]
fn handlers_answer_their_requests_and_only_their_capabilities_are_declared() {
    let mut h = Harness::new();
    h.server.answer_sse(true);
    let mut config = h.config();
    config.handlers = handlers();
    let rt = h.runtime();
    let session = h
        .block_on(Session::connect(config, rt, None))
        .expect("connect");
    let init = h.server.requests("initialize");
    let caps = init[0]
        .body
        .as_ref()
        .map(|b| b["params"]["capabilities"].clone())
        .expect("caps");
    assert_eq!(
        caps,
        json!({"elicitation": {}, "roots": {"listChanged": false}}),
        "no sampling declared"
    );

    h.server.sse_preamble(vec![
        r#"{"jsonrpc":"2.0","id":"e1","method":"elicitation/create","params":{"message":"Your name?","requestedSchema":{"type":"object"}}}"#.into(),
        r#"{"jsonrpc":"2.0","id":"s1","method":"sampling/createMessage","params":{"messages":[],"maxTokens":1}}"#.into(),
        r#"{"jsonrpc":"2.0","id":"r1","method":"roots/list"}"#.into(),
    ]);
    let s = session.clone();
    let result = h.block_on(async move {
        s.request(
            "tools/call",
            params(json!({"name": "echo", "arguments": {"message": "done"}})),
            Default::default(),
        )
        .await
    });
    assert_eq!(
        value(&result.expect("the call completes"))["content"][0]["text"],
        "done"
    );
    let answers = h.server.client_responses();
    let by_id = |id: &str| answers.iter().find(|a| a["id"] == id).cloned().expect(id);
    assert_eq!(by_id("e1")["result"]["content"]["name"], "Ada");
    assert_eq!(
        by_id("e1")["result"]["echo"],
        "Your name?",
        "the handler saw the params"
    );
    assert_eq!(by_id("s1")["error"]["code"], -32601, "no sampling handler");
    assert_eq!(
        by_id("r1")["error"]["message"],
        "no roots today",
        "a handler's error goes back as is"
    );
}

#[test]
fn without_handlers_no_capability_is_declared() {
    let mut h = Harness::new();
    let _session = h.connect();
    let init = h.server.requests("initialize");
    assert_eq!(
        init[0]
            .body
            .as_ref()
            .map(|b| b["params"]["capabilities"].clone()),
        Some(json!({}))
    );
}
