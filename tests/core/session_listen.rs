//! The optional standalone GET stream (`server_stream`): what the server sends outside any
//! request reaches the client (requests answered by POST, notifications routed), the stream is
//! reopened after it ends and given up on `405`, and closing the session ends it.

use crate::support::{accepting_elicitation, Harness};
use mcp_edge_pool::transport::HttpMethod;

fn gets(h: &Harness) -> Vec<crate::support::Logged> {
    h.server
        .log()
        .into_iter()
        .filter(|l| l.http == HttpMethod::Get)
        .collect()
}

#[test]
fn server_initiated_requests_and_notifications_arrive_on_the_standalone_stream() {
    let mut h = Harness::new();
    h.server.standalone_stream(vec![
        r#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#.into(),
        r#"{"jsonrpc":"2.0","id":"srv-1","method":"elicitation/create","params":{"message":"Your name?"}}"#.into(),
    ]);
    let mut config = h.config();
    config.server_stream = true;
    config.handlers = accepting_elicitation();
    let session = h.try_connect(config).expect("connect");
    h.run();

    let seen = h.notifications.borrow().clone();
    assert!(
        seen.iter()
            .any(|(_, m, _)| m == "notifications/tools/list_changed"),
        "{seen:?}"
    );
    let answers = h.server.client_responses();
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0]["id"], "srv-1");
    assert_eq!(answers[0]["result"]["content"]["name"], "Ada");
    assert_eq!(answers[0]["result"]["q"], "Your name?");

    // The stream ended; it is reopened after the server's retry (10 ms) with Last-Event-ID,
    // answered 405 this time, and then given up.
    h.advance(50);
    h.advance(5_000);
    let opened = gets(&h);
    assert_eq!(opened.len(), 2, "first open, one reopen: {opened:?}");
    assert!(opened
        .iter()
        .all(|g| g.session_id.as_deref() == Some("sid-1")));
    assert_eq!(opened[0].header("last-event-id"), None);
    assert_eq!(opened[1].header("last-event-id"), Some("s-2"));
    assert_eq!(opened[1].status, 405);
    h.advance(60_000);
    assert_eq!(gets(&h).len(), 2, "no more attempts after 405");
    drop(session);
}

#[test]
fn without_the_option_no_stream_is_opened_and_close_ends_an_open_one() {
    let mut h = Harness::new();
    h.try_connect(h.config()).expect("connect");
    h.run();
    assert!(gets(&h).is_empty(), "opt-in only");

    let mut h = Harness::new();
    h.server.standalone_stream(vec![
        r#"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"hi"}}"#.into(),
    ]);
    let mut config = h.config();
    config.server_stream = true;
    let session = h.try_connect(config).expect("connect");
    h.run();
    assert_eq!(gets(&h).len(), 1);
    let s = session.clone();
    h.block_on(async move { s.close().await });
    h.advance(60_000);
    assert_eq!(gets(&h).len(), 1, "closed: not reopened");
    assert_eq!(h.server.deletes().len(), 1);
}
