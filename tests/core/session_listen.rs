//! The optional standalone GET stream (`server_stream`): what the server sends outside any
//! request reaches the client (requests answered by POST, notifications routed), the stream is
//! reopened after it ends and given up on `405`, and closing the session ends it. By default it
//! opens when something would hear it: the server's handlers, or the pool's notification
//! handler; `false` refuses it.

use crate::support::{accepting_elicitation, Harness};
use mcp_edge_pool::HttpMethod;

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
    config.server_stream = Some(true);
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
    assert!(gets(&h).is_empty(), "the harness's config says Some(false)");

    let mut h = Harness::new();
    h.server.standalone_stream(vec![
        r#"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"hi"}}"#.into(),
    ]);
    let mut config = h.config();
    config.server_stream = Some(true);
    let session = h.try_connect(config).expect("connect");
    h.run();
    assert_eq!(gets(&h).len(), 1);
    let s = session.clone();
    h.block_on(async move { s.close().await });
    h.advance(60_000);
    assert_eq!(gets(&h).len(), 1, "closed: not reopened");
    assert_eq!(h.server.deletes().len(), 1);
}

#[test]
fn by_default_the_stream_opens_when_the_server_has_handlers_and_false_refuses_it() {
    // (option, handlers) -> streams opened
    for (option, handlers, opened) in [
        (None, true, 1),
        (None, false, 0),
        (Some(false), true, 0),
        (Some(true), false, 1),
    ] {
        let mut h = Harness::new();
        h.server.standalone_stream(vec![
            r#"{"jsonrpc":"2.0","id":"srv-1","method":"elicitation/create","params":{"message":"Your name?"}}"#.into(),
        ]);
        let mut config = h.config();
        config.server_stream = option;
        if handlers {
            config.handlers = accepting_elicitation();
        }
        let _session = h.try_connect(config).expect("connect");
        h.run();
        let seen = gets(&h).len();
        assert_eq!(
            seen, opened,
            "server_stream {option:?}, handlers {handlers}"
        );
        // The server's request is answered only on an open stream: by the handler, or with
        // -32601 where there is none.
        let answers = h.server.client_responses();
        assert_eq!(answers.len(), opened, "{answers:?}");
        if let Some(answer) = answers.first() {
            assert_eq!(
                answer["result"]["content"]["name"].is_string(),
                handlers,
                "{answer}"
            );
            assert_eq!(
                answer["error"]["code"].as_i64().is_some(),
                !handlers,
                "{answer}"
            );
        }
    }
}

#[test]
fn a_pool_with_a_notification_handler_opens_the_stream_by_default() {
    use crate::support::{get_now, pool_with};
    use mcp_edge_pool::PoolOptions;
    use std::cell::RefCell;
    use std::rc::Rc;

    for listening in [false, true] {
        let mut h = Harness::new();
        h.server.standalone_stream(vec![
            r#"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"hi"}}"#.into(),
        ]);
        let pool = pool_with(&h, PoolOptions::default());
        let heard = Rc::new(RefCell::new(Vec::new()));
        if listening {
            let heard = heard.clone();
            pool.set_notification_handler(Some(Rc::new(move |_server: &str, _identity, n: &_| {
                let n: &mcp_edge_pool::jsonrpc::Notification = n;
                heard.borrow_mut().push(n.method.clone());
            })));
        }
        let lease = get_now(&mut h, &pool);
        h.run();
        assert_eq!(
            gets(&h).len(),
            usize::from(listening),
            "listening {listening}"
        );
        let expected: Vec<String> = if listening {
            vec!["notifications/message".into()]
        } else {
            Vec::new()
        };
        assert_eq!(*heard.borrow(), expected);
        drop(lease);
    }
}
