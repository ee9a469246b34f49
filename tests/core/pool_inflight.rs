//! The in-flight caps: never more HTTP requests in flight than `max_concurrent_requests`
//! (pool-wide) or `max_concurrent_requests_per_server`; the excess queues FIFO under the
//! requests' own timeouts; short messages (notifications, answers) never queue.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::support::{FakeServer, Harness, URL};
use futures_util::future::LocalBoxFuture;
use mcp_edge_pool::RequestOptions;
use mcp_edge_pool::{
    Error, HttpRequest, HttpResponse, HttpTransport, Pool, PoolOptions, ResponseBody, Runtime,
    ServerOptions, TransportError,
};
use serde_json::json;

/// Counts requests in flight (sent, body not finished) on the way to the fake server.
#[derive(Clone)]
struct Counting {
    server: FakeServer,
    now: Rc<Cell<usize>>,
    max: Rc<Cell<usize>>,
    order: Rc<RefCell<Vec<String>>>,
}

struct CountedBody {
    inner: Box<dyn ResponseBody>,
    now: Option<Rc<Cell<usize>>>,
}

impl CountedBody {
    fn end(&mut self) {
        if let Some(now) = self.now.take() {
            now.set(now.get() - 1);
        }
    }
}

impl ResponseBody for CountedBody {
    fn next_chunk(&mut self) -> LocalBoxFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        Box::pin(async move {
            let chunk = self.inner.next_chunk().await;
            if !matches!(chunk, Ok(Some(_))) {
                self.end();
            }
            chunk
        })
    }
}

impl Drop for CountedBody {
    fn drop(&mut self) {
        self.end();
    }
}

impl HttpTransport for Counting {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        let me = self.clone();
        if request.urgent {
            // Notifications and answers bypass the caps by design: not counted.
            return me.server.send(request);
        }
        if let Some(body) = &request.body {
            let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
            let label = v["params"]["arguments"]["message"]
                .as_str()
                .unwrap_or_else(|| v["method"].as_str().unwrap_or(""));
            me.order.borrow_mut().push(label.to_owned());
        }
        Box::pin(async move {
            me.now.set(me.now.get() + 1);
            me.max.set(me.max.get().max(me.now.get()));
            match me.server.send(request).await {
                Ok(response) => Ok(HttpResponse {
                    status: response.status,
                    headers: response.headers,
                    body: Box::new(CountedBody {
                        inner: response.body,
                        now: Some(me.now.clone()),
                    }),
                }),
                Err(e) => {
                    me.now.set(me.now.get() - 1);
                    Err(e)
                }
            }
        })
    }
}

fn setup(h: &Harness, options: PoolOptions) -> (Pool, Counting) {
    let counting = Counting {
        server: h.server.clone(),
        now: Rc::default(),
        max: Rc::default(),
        order: Rc::default(),
    };
    let base = h.runtime();
    let rt = Runtime::new(
        Rc::new(counting.clone()),
        base.clock.clone(),
        base.spawner.clone(),
    );
    let pool = Pool::new(options, rt).expect("pool");
    pool.register_http("a", URL, ServerOptions::default())
        .expect("a");
    pool.register_http("b", URL, ServerOptions::default())
        .expect("b");
    (pool, counting)
}

/// Spawns `get(server)` then a `slow` call labelled `label` taking `ms`.
fn spawn_slow(
    h: &Harness,
    pool: &Pool,
    server: &'static str,
    label: String,
    ms: u64,
    timeout_ms: Option<u64>,
) -> crate::support::TaskHandle<Result<String, Error>> {
    let pool = pool.clone();
    h.exec.spawn_task(async move {
        let lease = pool.get(server).await?;
        let args = crate::support::tree(json!({"ms": ms, "message": label}));
        let options = RequestOptions {
            timeout_ms,
            cancel: None,
            progress: None,
        };
        let result = lease.call_tool("slow", args, options).await?;
        Ok(result.content[0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    })
}

fn options(total: usize, per_server: Option<usize>) -> PoolOptions {
    PoolOptions {
        max_concurrent_requests: total,
        max_concurrent_requests_per_server: per_server,
        health_check_interval_ms: 0,
        ..PoolOptions::default()
    }
}

#[test]
fn never_more_in_flight_than_the_pool_cap_and_fifo_beyond_it() {
    let mut h = Harness::new();
    let (pool, counting) = setup(&h, options(2, None));
    // Open both sessions first so that only tool calls compete.
    let warm = h.block_on({
        let p = pool.clone();
        async move { (p.get("a").await.is_ok(), p.get("b").await.is_ok()) }
    });
    assert_eq!(warm, (true, true));
    counting.order.borrow_mut().clear();
    let calls: Vec<_> = (0..6)
        .map(|i| {
            spawn_slow(
                &h,
                &pool,
                if i % 2 == 0 { "a" } else { "b" },
                format!("c{i}"),
                1_000,
                None,
            )
        })
        .collect();
    h.run();
    let stats = pool.stats();
    assert_eq!((stats.in_flight_requests, stats.queued_requests), (2, 4));
    h.advance(3_000);
    for call in &calls {
        assert_eq!(call.output("call"), Ok("slow done".to_owned()));
    }
    assert_eq!(counting.max.get(), 2, "never more than the cap");
    let calls_order: Vec<String> = counting
        .order
        .borrow()
        .iter()
        .filter(|l| l.starts_with('c'))
        .cloned()
        .collect();
    assert_eq!(calls_order, ["c0", "c1", "c2", "c3", "c4", "c5"], "FIFO");
    let stats = pool.stats();
    assert_eq!((stats.in_flight_requests, stats.queued_requests), (0, 0));
}

#[test]
fn a_per_server_cap_leaves_other_servers_free() {
    let mut h = Harness::new();
    let (pool, counting) = setup(&h, options(10, Some(1)));
    let a: Vec<_> = (0..3)
        .map(|i| spawn_slow(&h, &pool, "a", format!("a{i}"), 1_000, None))
        .collect();
    let b = spawn_slow(&h, &pool, "b", "b0".into(), 1_000, None);
    h.advance(1_000);
    assert!(b.output("b").is_ok(), "b was not held up by a's queue");
    assert!(a[0].is_done() && !a[1].is_done());
    assert_eq!(
        pool.stats()
            .servers
            .get("a")
            .expect("listed")
            .queued_requests,
        1
    );
    h.advance(2_000);
    assert!(a.iter().all(|t| t.output("a").is_ok()));
    assert!(counting.max.get() <= 2);
}

#[test]
fn a_queued_request_times_out_at_its_own_deadline() {
    let mut h = Harness::new();
    let (pool, _counting) = setup(&h, options(1, None));
    let p = pool.clone();
    let lease = Rc::new(h.block_on(async move { p.get("a").await }).expect("lease"));
    let call = |label: &str, ms: u64, timeout_ms: Option<u64>| {
        let lease = lease.clone();
        let args = crate::support::tree(json!({"ms": ms, "message": label}));
        h.exec.spawn_task(async move {
            lease
                .call_tool(
                    "slow",
                    args,
                    RequestOptions {
                        timeout_ms,
                        cancel: None,
                        progress: None,
                    },
                )
                .await
                .map(|_| ())
        })
    };
    let first = call("long", 10_000, None);
    let queued = call("queued", 10, Some(500));
    h.run();
    assert_eq!(pool.stats().queued_requests, 1);
    h.advance(499);
    assert!(!queued.is_done());
    h.advance(1);
    let error = queued.output("queued").expect_err("timed out while queued");
    assert_eq!(error.code(), "REQUEST_TIMEOUT");
    assert_eq!(pool.stats().queued_requests, 0, "it left the queue");
    h.advance(10_000);
    assert!(first.output("first").is_ok());
}
