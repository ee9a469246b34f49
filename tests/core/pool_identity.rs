//! Identity partitions: a session opened for one identity never serves another; each identity's
//! sessions carry its own credentials; the server's cap stays the total, with a cap per identity
//! and another identity's idle session making room at the cap; identities with nothing left are
//! forgotten; snapshots give each session back to its identity only.

use std::cell::RefCell;
use std::rc::Rc;

use crate::support::{pool_with, Harness, NAME, URL};
use futures_util::FutureExt;
use mcp_edge_pool::HttpMethod;
use mcp_edge_pool::{
    EraPolicy, Error, GetOptions, IdentityOptions, Lease, Pool, PoolOptions, ServerOptions,
    TokenProvider,
};

fn options(max_connections: usize) -> PoolOptions {
    PoolOptions {
        max_connections_per_server: max_connections,
        max_leases_per_connection: Some(1),
        ..PoolOptions::default()
    }
}

fn get_as(h: &mut Harness, pool: &Pool, identity: Option<&str>) -> Result<Lease, Error> {
    let pool = pool.clone();
    let options = GetOptions {
        identity: identity.map(str::to_owned),
        ..GetOptions::default()
    };
    h.block_on(async move { pool.get_with(NAME, options).await })
}

/// The session id each initialize of the log opened, and the header `name` it carried.
fn opened_with(h: &Harness, name: &str) -> Vec<Option<String>> {
    h.server
        .requests("initialize")
        .iter()
        .map(|l| l.header(name).map(str::to_owned))
        .collect()
}

#[test]
fn a_session_of_one_identity_never_serves_another() {
    let mut h = Harness::new();
    let pool = pool_with(&h, options(5));
    let a = get_as(&mut h, &pool, Some("alice")).expect("alice");
    let a_session = a.session().expect("live").clone();
    a.release().expect("released");
    let b = get_as(&mut h, &pool, Some("bob")).expect("bob");
    assert!(
        !b.session().expect("live").ptr_eq(&a_session),
        "bob got a session of his own"
    );
    let shared = get_as(&mut h, &pool, None).expect("no identity");
    assert!(!shared.session().expect("live").ptr_eq(&a_session));
    b.release().expect("released");
    shared.release().expect("released");
    let again = get_as(&mut h, &pool, Some("alice")).expect("alice again");
    assert!(
        again.session().expect("live").ptr_eq(&a_session),
        "alice's idle session is hers again"
    );
    assert_eq!(h.server.count("initialize"), 3);
    assert_eq!(pool.stats().servers[NAME].partitions, 2);
}

#[test]
fn each_identity_opens_with_its_own_headers_and_token() {
    let mut h = Harness::new();
    let pool = Pool::new(options(5), h.runtime()).expect("pool");
    let asked: Rc<RefCell<Vec<String>>> = Rc::default();
    let seen = asked.clone();
    let hook = Rc::new(move |identity: &str| {
        let who = identity.to_owned();
        let seen = seen.clone();
        let provider: TokenProvider = Rc::new(move |_challenge| {
            seen.borrow_mut().push(who.clone());
            let token = format!("token-of-{who}");
            async move { Ok(token) }.boxed_local()
        });
        Ok(IdentityOptions {
            headers: vec![("X-User".to_owned(), identity.to_owned())],
            token_provider: Some(provider),
            handlers: None,
        })
    });
    let server = ServerOptions {
        headers: vec![("X-Team".into(), "blue".into())],
        identity: Some(hook),
        era: EraPolicy::Legacy,
        ..ServerOptions::default()
    };
    pool.register_http(NAME, URL, server).expect("registered");
    for who in ["alice", "bob", "alice"] {
        let lease = get_as(&mut h, &pool, Some(who)).expect("lease");
        let session = lease.session().expect("live").clone();
        h.call_echo(&session).expect("call");
        lease.release().expect("released");
    }
    assert_eq!(
        opened_with(&h, "x-user"),
        [Some("alice".into()), Some("bob".into())]
    );
    assert_eq!(
        opened_with(&h, "x-team"),
        [Some("blue".into()), Some("blue".into())]
    );
    assert_eq!(
        opened_with(&h, "authorization"),
        [
            Some("Bearer token-of-alice".into()),
            Some("Bearer token-of-bob".into())
        ]
    );
    for call in h.server.requests("tools/call") {
        let user = call.header("x-user").expect("x-user");
        assert_eq!(
            call.header("authorization"),
            Some(format!("Bearer token-of-{user}").as_str()),
            "every call carries its own identity's token"
        );
    }
    assert_eq!(*asked.borrow(), ["alice", "bob"], "one token per identity");
}

fn deletes(h: &Harness) -> usize {
    h.server
        .log()
        .iter()
        .filter(|l| l.http == HttpMethod::Delete)
        .count()
}

#[test]
fn at_the_cap_another_identitys_least_recently_used_idle_session_makes_room() {
    let mut h = Harness::new();
    let pool = pool_with(&h, options(2));
    for who in ["alice", "bob"] {
        get_as(&mut h, &pool, Some(who))
            .expect("lease")
            .release()
            .expect("released");
        h.advance(10);
    }
    let carol = get_as(&mut h, &pool, Some("carol")).expect("carol gets a session");
    h.run();
    assert_eq!(h.server.count("initialize"), 3);
    assert_eq!(
        deletes(&h),
        1,
        "alice's idle session (the older) was closed"
    );
    let stats = pool.stats();
    assert_eq!(
        stats.servers[NAME].active_connections + stats.servers[NAME].idle_connections,
        2
    );
    // Bob's idle session is still his: no new initialize.
    carol.release().expect("released");
    get_as(&mut h, &pool, Some("bob")).expect("bob");
    assert_eq!(h.server.count("initialize"), 3);
}

#[test]
fn an_identity_at_its_own_cap_waits_while_others_open() {
    let mut h = Harness::new();
    let pool = Pool::new(options(3), h.runtime()).expect("pool");
    let server = ServerOptions {
        era: EraPolicy::Legacy,
        max_connections_per_identity: Some(1),
        ..ServerOptions::default()
    };
    pool.register_http(NAME, URL, server).expect("registered");
    let first = get_as(&mut h, &pool, Some("alice")).expect("alice");
    let held = first.session().expect("live").clone();
    let p = pool.clone();
    let second = h.exec.spawn_task(async move {
        let options = GetOptions {
            identity: Some("alice".to_owned()),
            ..GetOptions::default()
        };
        p.get_with(NAME, options).await
    });
    h.run();
    assert!(!second.is_done(), "alice waits: her one session is busy");
    let bob = get_as(&mut h, &pool, Some("bob")).expect("bob opens past alice in the queue");
    assert_eq!(h.server.count("initialize"), 2);
    first.release().expect("released");
    h.run();
    let second = second.output("alice's second get").expect("lease");
    assert!(second.session().expect("live").ptr_eq(&held));
    assert_eq!(h.server.count("initialize"), 2, "no third session");
    bob.release().expect("released");
}

#[test]
fn an_identity_with_nothing_left_is_forgotten() {
    let mut h = Harness::new();
    let options = PoolOptions {
        idle_timeout_ms: 1_000,
        ..options(5)
    };
    let pool = pool_with(&h, options);
    for who in ["alice", "bob"] {
        get_as(&mut h, &pool, Some(who))
            .expect("lease")
            .release()
            .expect("released");
    }
    assert_eq!(pool.stats().servers[NAME].partitions, 2);
    h.advance(2_000);
    let p = pool.clone();
    h.block_on(async move { p.maintain().await });
    assert_eq!(pool.stats().servers[NAME].partitions, 0);
    assert_eq!(pool.stats().idle_connections, 0);
}

#[test]
fn a_snapshot_gives_each_session_back_to_its_identity_only() {
    let mut h = Harness::new();
    let old = pool_with(&h, options(5));
    get_as(&mut h, &old, Some("alice"))
        .expect("alice")
        .release()
        .expect("released");
    get_as(&mut h, &old, None)
        .expect("shared")
        .release()
        .expect("released");
    let snapshot = old.snapshot();
    let mut identities: Vec<Option<String>> = snapshot.servers[NAME]
        .sessions
        .iter()
        .map(|s| s.identity.clone())
        .collect();
    identities.sort();
    assert_eq!(identities, [None, Some("alice".to_owned())]);

    let fresh = pool_with(&h, options(5));
    assert_eq!(fresh.restore(snapshot).expect("restore"), 2);
    let before = h.server.count("initialize");
    get_as(&mut h, &fresh, Some("bob"))
        .expect("bob")
        .release()
        .expect("released");
    assert_eq!(
        h.server.count("initialize"),
        before + 1,
        "bob gets no restored session"
    );
    let alice = get_as(&mut h, &fresh, Some("alice")).expect("alice");
    let shared = get_as(&mut h, &fresh, None).expect("shared");
    assert_eq!(
        h.server.count("initialize"),
        before + 1,
        "both restored ones were reused"
    );
    assert!(!alice
        .session()
        .expect("live")
        .ptr_eq(shared.session().expect("live")));
}

#[test]
fn an_identity_must_be_1_to_1024_bytes() {
    let mut h = Harness::new();
    let pool = pool_with(&h, options(5));
    for bad in [String::new(), "x".repeat(1025)] {
        let error = get_as(&mut h, &pool, Some(&bad)).expect_err("refused");
        assert_eq!(error.code(), "INVALID_CONFIG", "{error}");
    }
    assert_eq!(h.server.count("initialize"), 0);
}

#[test]
fn a_notification_reaches_the_pool_handler_with_the_identity_of_its_session() {
    let mut h = Harness::new();
    h.server.answer_sse(true);
    h.server.sse_preamble(vec![
        r#"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"hi"}}"#
            .into(),
    ]);
    let pool = pool_with(&h, options(5));
    type Heard = Vec<(String, Option<String>)>;
    let heard: Rc<RefCell<Heard>> = Rc::default();
    let sink = heard.clone();
    pool.set_notification_handler(Some(Rc::new(move |server: &str, identity, n: &_| {
        let n: &mcp_edge_pool::jsonrpc::Notification = n;
        if n.method == "notifications/message" {
            sink.borrow_mut()
                .push((server.to_owned(), identity.map(str::to_owned)));
        }
    })));
    for who in [Some("alice"), None] {
        let lease = get_as(&mut h, &pool, who).expect("lease");
        let session = lease.session().expect("live").clone();
        h.call_echo(&session).expect("call");
        lease.release().expect("released");
    }
    let heard = heard.borrow().clone();
    assert!(
        heard.contains(&(NAME.to_owned(), Some("alice".to_owned()))),
        "{heard:?}"
    );
    assert!(heard.contains(&(NAME.to_owned(), None)), "{heard:?}");
}
