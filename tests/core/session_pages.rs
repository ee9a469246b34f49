//! Paginated lists: every page fetched with its cursor and merged into one result.

use crate::support::{value, Harness};
use mcp_edge_pool::{Error, Session, SizeUnit, MAX_LIST_ITEMS};
use serde_json::{json, Value};

fn all_pages(
    h: &mut Harness,
    session: &Session,
    method: &'static str,
    key: &'static str,
    params: Option<Value>,
) -> Result<Value, Error> {
    let s = session.clone();
    h.block_on(async move {
        s.request_all_pages(method, key, params.map(crate::support::tree), None)
            .await
    })
    .map(|raw| value(&raw))
}

fn names(result: &Value) -> Vec<String> {
    result["tools"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| t["name"].as_str().unwrap_or("?").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn seven_tools_in_pages_of_three_are_merged_in_order() {
    let mut h = Harness::new();
    h.server.tools(7);
    h.server.page_size(3);
    let session = h.connect();
    let result = all_pages(&mut h, &session, "tools/list", "tools", None).expect("all pages");

    assert_eq!(
        names(&result),
        ["tool-0", "tool-1", "tool-2", "tool-3", "tool-4", "tool-5", "tool-6"]
    );
    assert!(result.get("nextCursor").is_none(), "{result}");
    assert_eq!(
        result["tools"][6]["inputSchema"],
        json!({"type": "object"}),
        "items pass through whole"
    );
    let cursors: Vec<Value> = h
        .server
        .requests("tools/list")
        .iter()
        .map(|l| {
            l.body
                .as_ref()
                .map(|b| b["params"]["cursor"].clone())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(cursors, [Value::Null, json!("page-2"), json!("page-3")]);
}

#[test]
fn the_caller_params_go_on_every_page() {
    let mut h = Harness::new();
    h.server.tools(4);
    h.server.page_size(2);
    let session = h.connect();
    let meta = json!({"_meta": {"trace": "t-1"}});
    let result = all_pages(&mut h, &session, "tools/list", "tools", Some(meta)).expect("all pages");

    assert_eq!(names(&result).len(), 4);
    let pages = h.server.requests("tools/list");
    assert_eq!(pages.len(), 2);
    for page in &pages {
        assert_eq!(
            page.body
                .as_ref()
                .map(|b| b["params"]["_meta"]["trace"].clone()),
            Some(json!("t-1"))
        );
    }
}

#[test]
fn a_single_page_is_one_request() {
    let mut h = Harness::new();
    let session = h.connect();
    let result =
        all_pages(&mut h, &session, "resources/list", "resources", None).expect("one page");

    assert_eq!(
        result,
        json!({"resources": [{"uri": "mem://readme", "name": "readme"}]})
    );
    assert_eq!(h.server.count("resources/list"), 1);
    let prompts = all_pages(&mut h, &session, "prompts/list", "prompts", None).expect("one page");
    assert_eq!(prompts["prompts"][0]["name"], "greet");
}

#[test]
fn pages_over_chunked_sse_give_the_same_result() {
    let mut h = Harness::new();
    h.server.tools(7);
    h.server.page_size(3);
    let session = h.connect();
    let plain = all_pages(&mut h, &session, "tools/list", "tools", None).expect("json");
    h.server.answer_sse(true);
    h.server.chunk_size(Some(3));
    let sse = all_pages(&mut h, &session, "tools/list", "tools", None).expect("sse");
    assert_eq!(plain, sse);
}

#[test]
fn a_repeated_cursor_is_a_protocol_error() {
    let mut h = Harness::new();
    h.server.tools(7);
    h.server.page_size(3);
    h.server.repeat_cursor(true);
    let session = h.connect();
    let error =
        all_pages(&mut h, &session, "tools/list", "tools", None).expect_err("the cursor loops");

    assert_eq!(error.code(), "PROTOCOL_ERROR");
    assert!(error.to_string().contains("repeated a cursor"), "{error}");
    assert_eq!(
        h.server.count("tools/list"),
        2,
        "stops as soon as a cursor comes back"
    );
}

#[test]
fn an_error_on_a_page_is_returned_and_bad_params_are_refused() {
    let mut h = Harness::new();
    let session = h.connect();
    let error =
        all_pages(&mut h, &session, "things/list", "things", None).expect_err("unknown method");
    assert_eq!(error.rpc_code(), Some(-32601));

    let error = all_pages(&mut h, &session, "tools/list", "tools", Some(json!([1, 2])))
        .expect_err("not an object");
    assert_ne!(
        error.code(),
        "RPC_ERROR",
        "refused before anything is sent: {error}"
    );
    assert_eq!(h.server.count("tools/list"), 0);
}

#[test]
fn a_merged_list_over_the_byte_limit_is_response_too_large_and_the_session_stays_usable() {
    // Every page fits under the limit on its own (a page of 4 tools is ~350 bytes); the merged
    // list of 40 tools (~3.4 KB) does not.
    let mut h = Harness::new();
    h.server.tools(40);
    h.server.page_size(4);
    let mut config = h.config();
    config.max_response_bytes = 2048;
    let session = h.try_connect(config).expect("the initialize answer fits");
    let error = all_pages(&mut h, &session, "tools/list", "tools", None).expect_err("too large");
    assert_eq!(
        error,
        Error::ResponseTooLarge {
            server: "fake".into(),
            limit: 2048,
            unit: SizeUnit::Bytes,
        }
    );
    assert_eq!(error.code(), "RESPONSE_TOO_LARGE");
    let pages = h.server.requests("tools/list").len();
    assert!(
        pages < 10,
        "stopped at the page that passed the limit, not at the end: {pages}"
    );
    h.server.tools(8);
    let result = all_pages(&mut h, &session, "tools/list", "tools", None).expect("usable");
    assert_eq!(names(&result).len(), 8);
}

#[test]
fn a_merged_list_over_the_item_limit_is_response_too_large() {
    let mut h = Harness::new();
    h.server.tools(MAX_LIST_ITEMS + 1);
    h.server.page_size(5_000);
    let mut config = h.config();
    config.max_response_bytes = 64 * 1024 * 1024;
    let session = h.try_connect(config).expect("connects");
    let error = all_pages(&mut h, &session, "tools/list", "tools", None).expect_err("too many");
    assert_eq!(
        error,
        Error::ResponseTooLarge {
            server: "fake".into(),
            limit: MAX_LIST_ITEMS,
            unit: SizeUnit::Items,
        }
    );
    assert!(error.to_string().contains("100000 items"), "{error}");
    // Exactly the limit is fine.
    h.server.tools(MAX_LIST_ITEMS);
    let result = all_pages(&mut h, &session, "tools/list", "tools", None).expect("at the limit");
    assert_eq!(names(&result).len(), MAX_LIST_ITEMS);
}
