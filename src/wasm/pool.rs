//! The exported `McpPool` class.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect, WeakRef};
use wasm_bindgen::prelude::*;

use super::abort::{on_abort, to_json};
use super::client::JsClient;
use super::errors::{js_result, to_js, Failed};
use super::handed::Handed;
use super::options::{call_options, pool_options, server_options, string_arg};
use super::task::spawn_promise;
use super::types::{CallOptionsArg, GetOptionsArg, ObjectArg, PoolOptionsArg, ServerOptionsArg};
use crate::error::Error;
use crate::json::{FromJson, ToJson};
use crate::pool::{AllTools, GetOptions, Pool, PoolSnapshot};
use serde::Serialize;
use std::collections::BTreeMap;

/// A pool of MCP sessions shared by every agent in this JS context.
///
/// `new McpPool(options)` does no I/O and starts no timer, so it is safe at module scope in a
/// Cloudflare Worker; the health loop starts with the first `get`.
#[derive(Debug)]
#[wasm_bindgen(js_name = McpPool)]
pub struct JsPool {
    pool: Pool,
    handed: Rc<RefCell<Handed>>,
    next_lease: Rc<std::cell::Cell<u64>>,
    /// Requests go through the Node client (`js/node_undici.mjs`, on undici) rather than `fetch`.
    node_http: bool,
}

#[wasm_bindgen(js_class = McpPool)]
impl JsPool {
    /// Creates a pool. Every option is optional.
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<PoolOptionsArg>) -> Result<JsPool, JsValue> {
        let options: JsValue = options.map(JsValue::from).unwrap_or_default();
        js_result(JsPool::create(&options))
    }

    /// Registers a remote MCP server reachable over Streamable HTTP.
    #[wasm_bindgen(js_name = registerHttp)]
    pub fn register_http(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue,
        options: Option<ServerOptionsArg>,
    ) -> Result<(), JsValue> {
        let options: JsValue = options.map(JsValue::from).unwrap_or_default();
        js_result(self.register(&name, &url, &options))
    }

    /// Always throws `STDIO_UNSUPPORTED`: edge runtimes cannot spawn processes.
    #[wasm_bindgen(js_name = registerStdio)]
    pub fn register_stdio(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] _command: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string[]")] _args: JsValue,
    ) -> Result<(), JsValue> {
        let name = name.as_string().unwrap_or_default();
        js_result(self.pool.register_stdio(&name, "", &[]))
    }

    /// A lease (`McpClient`) on a live session to `name`.
    #[wasm_bindgen(unchecked_return_type = "Promise<McpClient>")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        options: Option<GetOptionsArg>,
    ) -> Promise {
        let options: JsValue = options.map(JsValue::from).unwrap_or_default();
        let pool = self.pool.clone();
        let handed = self.handed.clone();
        let next_lease = self.next_lease.clone();
        let prepared = server_name(&name).and_then(|name| Ok((name, call_options(&options)?)));
        spawn_promise(Box::pin(async move {
            let (name, options) = prepared?;
            if options.signal().is_some_and(|s| s.aborted()) {
                return Err(Error::Aborted.into());
            }
            let get = GetOptions {
                timeout_ms: options.timeout_ms,
                cancel: options.signal().as_ref().map(on_abort),
                identity: options.identity,
            };
            let lease = Rc::new(pool.get_with(&name, get).await?);
            let id = next_lease.get() + 1;
            next_lease.set(id);
            let weak = Rc::downgrade(&lease);
            let client: JsValue = JsClient::new(lease, id, Rc::downgrade(&handed)).into();
            handed
                .borrow_mut()
                .insert(id, weak, WeakRef::new(client.unchecked_ref::<Object>()));
            Ok(client)
        }))
    }

    /// Gives a client back to the pool (the session stays open). Throws `LEASE_RELEASED` the
    /// second time, `FOREIGN_LEASE` for a client of another pool or server.
    pub fn release(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        #[wasm_bindgen(unchecked_param_type = "McpClient")] client: JsValue,
    ) -> Result<(), JsValue> {
        let name = js_result(server_name(&name))?;
        let id = if client.is_object() {
            Reflect::get(&client, &JsValue::from_str("leaseId"))
                .ok()
                .and_then(|v| v.as_f64())
        } else {
            None
        };
        let Some(id) = id else {
            return Err(to_js(&Error::invalid_argument(
                "client",
                "must be an McpClient returned by get()",
            )));
        };
        let id = id as u64;
        let entry = self.handed.borrow().get(id);
        let mine =
            entry.filter(|(_, object)| object.deref().is_some_and(|o| Object::is(&o, &client)));
        let Some(lease) = mine.and_then(|(weak, _)| weak.upgrade()) else {
            // Released clients are forgotten; anything else is not one of ours.
            let released =
                Reflect::get(&client, &JsValue::from_str("released")).is_ok_and(|r| r.is_truthy());
            return Err(to_js(&if released {
                Error::LeaseReleased
            } else {
                Error::ForeignLease {
                    reason: "it was not handed out by this pool".into(),
                }
            }));
        };
        js_result(self.pool.release(&name, &lease))?;
        self.handed.borrow_mut().remove(id);
        Ok(())
    }

    /// A snapshot of the pool's statistics, totals and per server.
    #[wasm_bindgen(unchecked_return_type = "PoolStats")]
    pub fn stats(&self) -> JsValue {
        // Maps as plain objects, as JSON would give them.
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        self.pool
            .stats()
            .serialize(&serializer)
            .unwrap_or(JsValue::NULL)
    }

    /// Calls `handler(server, { method, params })` for every notification a server sends
    /// (logging, progress, list changes), with `{ identity }` as a third argument when it came on
    /// a session of an identity (`get(name, { identity })`); `null` removes it. A handler that
    /// throws is ignored.
    #[wasm_bindgen(js_name = onNotification)]
    pub fn on_notification(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "((server: string, notification: { method: string; params?: unknown }, context?: { identity: string }) => void) | null"
        )]
        handler: JsValue,
    ) -> Result<(), JsValue> {
        if handler.is_null() || handler.is_undefined() {
            self.pool.set_notification_handler(None);
            return Ok(());
        }
        let Some(function) = handler.dyn_ref::<js_sys::Function>().cloned() else {
            return Err(to_js(&Error::invalid_argument(
                "handler",
                "must be a function or null",
            )));
        };
        self.pool.set_notification_handler(Some(Rc::new(
            move |server: &str, identity: Option<&str>, n: &crate::jsonrpc::Notification| {
                let event = js_sys::Object::new();
                let _ = Reflect::set(
                    &event,
                    &JsValue::from_str("method"),
                    &JsValue::from_str(&n.method),
                );
                if let Some(params) = &n.params {
                    // A notification the engine cannot hold is not delivered.
                    let Ok(params) = super::abort::from_json(params.get(), server) else {
                        return;
                    };
                    let _ = Reflect::set(&event, &JsValue::from_str("params"), &params);
                }
                let server = JsValue::from_str(server);
                let _ = match identity {
                    None => function.call2(&JsValue::UNDEFINED, &server, &event),
                    Some(identity) => {
                        let context = js_sys::Object::new();
                        let _ = Reflect::set(
                            &context,
                            &JsValue::from_str("identity"),
                            &JsValue::from_str(identity),
                        );
                        function.call3(&JsValue::UNDEFINED, &server, &event, &context)
                    }
                };
            },
        )));
        Ok(())
    }

    /// Every registered server's tools under provider-safe qualified names
    /// (`^[a-zA-Z0-9_-]{1,64}$`), with name collisions and unreachable servers reported.
    #[wasm_bindgen(js_name = listAllTools, unchecked_return_type = "Promise<AllTools>")]
    pub fn list_all_tools(&self) -> Promise {
        let pool = self.pool.clone();
        spawn_promise(Box::pin(async move {
            let all = pool.list_all_tools().await;
            super::abort::from_json(&crate::json::to_string(&CatalogView::of(&all)), "pool")
        }))
    }

    /// Calls a tool listed by `listAllTools` by its qualified name, through a lease of its own.
    #[wasm_bindgen(js_name = callTool, unchecked_return_type = "Promise<CallToolResult>")]
    pub fn call_tool(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        args: Option<ObjectArg>,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        let pool = self.pool.clone();
        let prepared = string_arg(&name, "name", 1024).and_then(|name| {
            let args: JsValue = args.map(JsValue::from).unwrap_or_default();
            let args = if args.is_undefined() || args.is_null() {
                None
            } else {
                Some(to_json(&args, "arguments")?)
            };
            let options: JsValue = options.map(JsValue::from).unwrap_or_default();
            Ok((name, args, call_options(&options)?))
        });
        spawn_promise(Box::pin(async move {
            let (name, args, options) = prepared?;
            let request = crate::session::RequestOptions {
                timeout_ms: options.timeout_ms,
                cancel: options.signal().as_ref().map(on_abort),
                progress: None,
            };
            let raw = pool.call_tool(&name, args, request).await?;
            super::abort::from_json(raw.get(), &name)
        }))
    }

    /// A serialisable snapshot of the live sessions (session ids, versions, server info; never
    /// headers or tokens), for a new isolate to start warm with `McpPool.restore`.
    ///
    /// Throws a typed error (never a stand-in value) when the engine cannot hold it.
    #[wasm_bindgen(unchecked_return_type = "PoolSnapshot")]
    pub fn snapshot(&self) -> Result<JsValue, JsValue> {
        js_result(super::abort::from_json(
            &self.pool.snapshot().to_json(),
            "pool",
        ))
    }

    /// A new pool that resumes `snapshot`'s sessions (for servers registered at the same URL)
    /// without handshakes, validating them lazily. A `null`/`undefined` snapshot gives a plain pool.
    #[wasm_bindgen(js_name = restore)]
    pub fn restore(
        #[wasm_bindgen(unchecked_param_type = "PoolSnapshot | null | undefined")] snapshot: JsValue,
        options: Option<PoolOptionsArg>,
    ) -> Result<JsPool, JsValue> {
        let pool = JsPool::new(options)?;
        if snapshot.is_undefined() || snapshot.is_null() {
            return Ok(pool);
        }
        let raw = js_result(to_json(&snapshot, "snapshot"))?;
        let parsed = js_result(PoolSnapshot::from_json(raw.get()).map_err(|e| {
            Error::invalid_argument("snapshot", format!("is not a pool snapshot: {e}"))
        }))?;
        js_result(pool.pool.restore(parsed))?;
        Ok(pool)
    }

    /// The HTTP client this pool sends through: "node" (the package's Node client on undici, the default in
    /// Node and Deno) or "fetch" (the global `fetch`: browsers, Workers, Bun, or `httpClient: "fetch"`).
    #[wasm_bindgen(getter, js_name = httpClient, unchecked_return_type = "\"node\" | \"fetch\"")]
    pub fn http_client(&self) -> String {
        if self.node_http { "node" } else { "fetch" }.to_owned()
    }

    /// The registered server names, sorted.
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn servers(&self) -> JsValue {
        self.pool
            .servers()
            .into_iter()
            .map(JsValue::from)
            .collect::<js_sys::Array>()
            .into()
    }

    /// Removes a server and closes its sessions.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn unregister(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
    ) -> Promise {
        let pool = self.pool.clone();
        let name = server_name(&name);
        spawn_promise(Box::pin(async move {
            let name = name?;
            pool.unregister(&name).await?;
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// One health and eviction pass now; hand the promise to `ctx.waitUntil()` in a Worker.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn maintain(&self) -> Promise {
        let pool = self.pool.clone();
        spawn_promise(Box::pin(async move {
            pool.maintain().await;
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// Closes every session, rejects waiters, stops the health loop. Idempotent.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> Promise {
        // Closed now (`closed` is true, registrations refused); the promise waits for the DELETEs.
        let closing = self.pool.close();
        spawn_promise(Box::pin(async move {
            closing.await;
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// True once `close()` was called.
    #[wasm_bindgen(getter)]
    pub fn closed(&self) -> bool {
        self.pool.is_closed()
    }
}

impl JsPool {
    /// `new McpPool(options)`, its errors boxed.
    fn create(options: &JsValue) -> Result<JsPool, Failed> {
        let available = super::fetch::node_http_available();
        let (options, node_http) = pool_options(options, available)?;
        Ok(JsPool {
            pool: Pool::new(options, super::js_runtime(node_http))?,
            node_http,
            handed: Rc::default(),
            next_lease: Rc::default(),
        })
    }

    /// `registerHttp(name, url, options)`, its errors boxed.
    fn register(&self, name: &JsValue, url: &JsValue, options: &JsValue) -> Result<(), Failed> {
        let name = server_name(name)?;
        let url = string_arg(url, "url", 8192).map_err(|e| Error::InvalidUrl {
            reason: e.to_string(),
        })?;
        let options = server_options(options)?;
        Ok(self.pool.register_http(&name, &url, options)?)
    }
}

/// A server name argument: a string of 1 to 64 bytes, else `INVALID_SERVER_NAME` (shortened), or
/// `INVALID_ARGUMENT` when it is no string.
fn server_name(name: &JsValue) -> Result<String, Failed> {
    match name.as_string() {
        Some(name) if !name.is_empty() && name.len() <= 64 => Ok(name),
        Some(name) => Err(Error::InvalidServerName {
            name: crate::error::snippet(&name, 80),
        }
        .into()),
        None => Err(Error::invalid_argument("name", "must be a string").into()),
    }
}

/// `listAllTools()` as JS sees it.
#[derive(Serialize)]
struct CatalogView<'a> {
    tools: Vec<ToolView<'a>>,
    collisions: Vec<CollisionView<'a>>,
    errors: BTreeMap<&'a str, ErrorView>,
}

#[derive(Serialize)]
struct ToolView<'a> {
    name: &'a str,
    server: &'a str,
    tool: &'a serde_json::value::RawValue,
}

#[derive(Serialize)]
struct CollisionView<'a> {
    name: &'a str,
    tools: Vec<CollidingTool<'a>>,
}

#[derive(Serialize)]
struct CollidingTool<'a> {
    server: &'a str,
    tool: &'a str,
}

#[derive(Serialize)]
struct ErrorView {
    code: &'static str,
    message: String,
}

impl<'a> CatalogView<'a> {
    fn of(all: &'a AllTools) -> Self {
        CatalogView {
            tools: all
                .tools
                .iter()
                .map(|t| ToolView {
                    name: &t.name,
                    server: &t.server,
                    tool: &t.tool,
                })
                .collect(),
            collisions: all
                .collisions
                .iter()
                .map(|c| CollisionView {
                    name: &c.name,
                    tools: c
                        .tools
                        .iter()
                        .map(|(server, tool)| CollidingTool { server, tool })
                        .collect(),
                })
                .collect(),
            errors: all
                .errors
                .iter()
                .map(|(server, e)| {
                    let view = ErrorView {
                        code: e.code(),
                        message: e.to_string(),
                    };
                    (server.as_str(), view)
                })
                .collect(),
        }
    }
}
