//! Registration and options: every invalid input is a typed error, and nothing secret leaks.

use crate::support::{Harness, URL};
use mcp_edge_pool::{Pool, PoolOptions, ServerOptions};

fn pool(h: &Harness) -> Pool {
    Pool::new(PoolOptions::default(), h.runtime()).expect("default options are valid")
}

#[test]
fn invalid_server_names_are_refused() {
    let h = Harness::new();
    let pool = pool(&h);
    let long = "a".repeat(65);
    for name in [
        "",
        "has space",
        "dot.name",
        "slash/name",
        "ünïcode",
        "tab\t",
        long.as_str(),
    ] {
        let err = pool
            .register_http(name, URL, ServerOptions::default())
            .expect_err(name);
        assert_eq!(err.code(), "INVALID_SERVER_NAME", "{name:?}");
    }
    let max = "A-z_0".repeat(12) + "abcd";
    assert_eq!(max.len(), 64);
    pool.register_http(&max, URL, ServerOptions::default())
        .expect("64 characters are fine");
}

#[test]
fn invalid_urls_are_refused_without_echoing_credentials() {
    let h = Harness::new();
    let pool = pool(&h);
    let cases = [
        "",
        "ftp://host/mcp",
        "javascript:alert(1)",
        "/relative/mcp",
        "host:8080/mcp",
        "https://user:hunter2@host/mcp",
        "https://token@host/mcp",
        " https://host/mcp",
        "https://ho st/mcp",
        "https://host/mcp\n",
        "https:///mcp",
        "https://host:99999/mcp",
        "https://host:port/mcp",
        "https://host/mcp#frag",
        "https://[::1/mcp",
    ];
    for url in cases {
        let err = pool
            .register_http("s", url, ServerOptions::default())
            .expect_err(url);
        assert_eq!(err.code(), "INVALID_URL", "{url:?}");
        assert!(!err.to_string().contains("hunter2"));
        assert!(!format!("{err:?}").contains("hunter2"));
    }
    for url in [
        "http://127.0.0.1:3000/mcp",
        "HTTPS://Host/mcp?x=1",
        "https://[::1]:8443/mcp",
    ] {
        pool.register_http(
            &format!("ok{}", pool.servers().len()),
            url,
            ServerOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

#[test]
fn invalid_server_options_are_refused() {
    let h = Harness::new();
    let pool = pool(&h);
    let header = |name: &str, value: &str| ServerOptions {
        headers: vec![(name.to_owned(), value.to_owned())],
        ..ServerOptions::default()
    };
    let cases = [
        (
            "max_connections 0",
            ServerOptions {
                max_connections: Some(0),
                ..Default::default()
            },
        ),
        (
            "max_leases 0",
            ServerOptions {
                max_leases_per_connection: Some(0),
                ..Default::default()
            },
        ),
        (
            "request timeout 0",
            ServerOptions {
                request_timeout_ms: Some(0),
                ..Default::default()
            },
        ),
        (
            "acquire timeout huge",
            ServerOptions {
                acquire_timeout_ms: Some(u64::MAX),
                ..Default::default()
            },
        ),
        (
            "header with CRLF",
            header("Authorization", "Bearer x\r\nX-Evil: 1"),
        ),
        ("header name with space", header("Bad Name", "v")),
        ("empty header name", header("", "v")),
        (
            "reserved session header",
            header("Mcp-Session-Id", "forged"),
        ),
        (
            "reserved content type",
            header("content-type", "text/plain"),
        ),
        ("framing header", header("Content-Length", "12")),
        ("connection header", header("connection", "close")),
        (
            "transfer-encoding header",
            header("Transfer-Encoding", "chunked"),
        ),
    ];
    for (what, options) in cases {
        let err = pool.register_http("s", URL, options).expect_err(what);
        assert_eq!(err.code(), "INVALID_CONFIG", "{what}");
        assert!(
            !err.to_string().contains("Bearer x"),
            "{what}: no header value in errors"
        );
    }
    assert!(pool.servers().is_empty(), "nothing half-registered");
}

#[test]
fn duplicates_stdio_and_closed_pools_are_typed_errors() {
    let mut h = Harness::new();
    let pool = pool(&h);
    pool.register_http("s", URL, ServerOptions::default())
        .expect("first");
    let err = pool
        .register_http("s", "https://other.test/mcp", ServerOptions::default())
        .expect_err("dup");
    assert_eq!(err.code(), "DUPLICATE_SERVER");
    let err = pool
        .register_stdio("fs", "npx", &["-y".into(), "server".into()])
        .expect_err("stdio");
    assert_eq!(err.code(), "STDIO_UNSUPPORTED");
    assert!(err.to_string().contains("register_http") || err.to_string().contains("registerHttp"));
    assert_eq!(pool.servers(), ["s"]);
    let p = pool.clone();
    h.block_on(async move { p.close().await });
    let err = pool
        .register_http("t", URL, ServerOptions::default())
        .expect_err("closed");
    assert_eq!(err.code(), "POOL_CLOSED");
}

#[test]
fn invalid_pool_options_are_refused() {
    let h = Harness::new();
    let base = PoolOptions::default;
    let cases = [
        (
            "max connections 0",
            PoolOptions {
                max_connections_per_server: 0,
                ..base()
            },
        ),
        (
            "max leases 0",
            PoolOptions {
                max_leases_per_connection: Some(0),
                ..base()
            },
        ),
        (
            "interval below the floor",
            PoolOptions {
                health_check_interval_ms: 50,
                ..base()
            },
        ),
        (
            "request timeout 0",
            PoolOptions {
                request_timeout_ms: 0,
                ..base()
            },
        ),
        (
            "idle timeout beyond setTimeout",
            PoolOptions {
                idle_timeout_ms: 1 << 40,
                ..base()
            },
        ),
        (
            "tiny response limit",
            PoolOptions {
                max_response_bytes: 10,
                ..base()
            },
        ),
    ];
    for (what, options) in cases {
        let err = Pool::new(options, h.runtime()).expect_err(what);
        assert_eq!(err.code(), "INVALID_CONFIG", "{what}");
    }
}

#[test]
fn per_server_overrides_apply() {
    let mut h = Harness::new();
    let pool = pool(&h);
    let options = ServerOptions {
        max_connections: Some(1),
        max_leases_per_connection: Some(1),
        ..Default::default()
    };
    pool.register_http("one", URL, options).expect("register");
    assert_eq!(
        pool.stats()
            .servers
            .get("one")
            .expect("listed")
            .max_connections,
        1
    );
    let p = pool.clone();
    let lease = h
        .block_on(async move { p.get("one").await })
        .expect("lease");
    let p = pool.clone();
    let waiter = h.exec.spawn_task(async move { p.get("one").await });
    h.run();
    assert!(!waiter.is_done(), "cap of one session with one lease");
    drop(lease);
    h.run();
    assert!(waiter.output("waiter").is_ok());
}

#[test]
fn headers_are_sent_to_their_server_only_and_never_printed() {
    let mut h = Harness::new();
    let pool = pool(&h);
    let secret = ServerOptions {
        headers: vec![("Authorization".into(), "Bearer SECRET-TOKEN".into())],
        ..Default::default()
    };
    pool.register_http("a", URL, secret).expect("a");
    pool.register_http("b", URL, ServerOptions::default())
        .expect("b");
    let p = pool.clone();
    let (la, lb) = h.block_on(async move { (p.get("a").await, p.get("b").await) });
    let (la, lb) = (la.expect("a"), lb.expect("b"));
    let log = h.server.log();
    let with_token = log
        .iter()
        .filter(|l| l.header("authorization") == Some("Bearer SECRET-TOKEN"))
        .count();
    assert_eq!(with_token, 2, "initialize and initialized of server a");
    assert_eq!(log.len(), 4);
    let printed = format!("{pool:?} {la:?} {lb:?} {:?}", la.session());
    assert!(!printed.contains("SECRET-TOKEN"));
    assert!(!printed.contains("sid-"), "session ids are not printed");
}
