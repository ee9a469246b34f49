//! The exported `McpClient` class: a lease, with one method per MCP request.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::abort::{from_json, on_abort, to_json};
use super::errors::{js_result, Failed};
use super::handed::Handed;
use super::options::{call_options, string_arg};
use super::task::spawn_promise;
use super::types::{CallOptionsArg, ObjectArg, PromptArgsArg};
use crate::error::Error;
use crate::json::{RawValue, ToJson};
use crate::pool::Lease;
use crate::protocol::methods;
use crate::session::{ProgressOptions, RequestOptions};
use indexmap::IndexMap;

/// A lease on a pooled MCP session. Release it with `release()` (or `pool.release(name, client)`)
/// when done; the session stays open for the next agent.
#[derive(Debug)]
#[wasm_bindgen(js_name = McpClient)]
pub struct JsClient {
    /// The lease until `release()` gives it back and drops it. JS frees this wrapper only when its
    /// garbage collector gets to it, which with thousands of get/release pairs between two
    /// collections would keep as many leases alive and push up the wasm memory's high-water mark.
    lease: RefCell<Option<Rc<Lease>>>,
    server: Rc<str>,
    id: u64,
    /// The pool's record of handed-out clients, to forget this one once released.
    handed: Weak<RefCell<Handed>>,
}

impl JsClient {
    pub(crate) fn new(lease: Rc<Lease>, id: u64, handed: Weak<RefCell<Handed>>) -> JsClient {
        JsClient {
            server: lease.server_name(),
            lease: RefCell::new(Some(lease)),
            id,
            handed,
        }
    }

    /// The lease, unless released.
    fn lease(&self) -> Option<Rc<Lease>> {
        self.lease
            .borrow()
            .as_ref()
            .filter(|lease| !lease.is_released())
            .cloned()
    }
}

/// What a call sends: a method and its params, or a paginated list.
enum Call {
    One(&'static str, Result<Option<RawValue>, Failed>),
    Any(Result<String, Failed>, Result<Option<RawValue>, Failed>),
    Pages(&'static str, &'static str),
    Tools,
}

#[wasm_bindgen(js_class = McpClient)]
impl JsClient {
    /// The server this client talks to.
    #[wasm_bindgen(getter)]
    pub fn server(&self) -> String {
        self.server.as_ref().to_owned()
    }

    /// The protocol version spoken with the server: `"2026-07-28"` in the stateless era, the
    /// negotiated one (e.g. `"2025-11-25"`) in the session era; undefined once released.
    #[wasm_bindgen(getter, js_name = protocolVersion)]
    pub fn protocol_version(&self) -> Option<String> {
        self.lease()?.session().ok()?.protocol_version()
    }

    /// The server's description: its `initialize` result, or in the stateless era its
    /// `server/discover` result (`serverInfo`, `capabilities`, `instructions`, ...); undefined once
    /// released.
    #[wasm_bindgen(getter, js_name = serverInfo, unchecked_return_type = "ServerDescription | undefined")]
    pub fn server_info(&self) -> JsValue {
        self.lease()
            .and_then(|lease| lease.session().ok().and_then(|s| s.initialize_result()))
            .and_then(|init| from_json(&init.to_json(), &self.server).ok())
            .unwrap_or(JsValue::UNDEFINED)
    }

    /// An id identifying this lease to its pool.
    #[wasm_bindgen(getter, js_name = leaseId)]
    pub fn lease_id(&self) -> f64 {
        self.id as f64
    }

    /// True once released.
    #[wasm_bindgen(getter)]
    pub fn released(&self) -> bool {
        self.lease().is_none()
    }

    /// Gives the lease back; the session stays open. Throws `LEASE_RELEASED` the second time.
    pub fn release(&self) -> Result<(), JsValue> {
        let lease = self.lease.borrow_mut().take();
        js_result(lease.map_or(Err(Error::LeaseReleased), |lease| lease.release()))?;
        if let Some(handed) = self.handed.upgrade() {
            handed.borrow_mut().remove(self.id);
        }
        Ok(())
    }

    /// Every tool of the server (all pages), as the server sent them; served from the pool's
    /// catalog when fresh (`{ fresh: true }` skips it).
    #[wasm_bindgen(js_name = listTools, unchecked_return_type = "Promise<ListToolsResult>")]
    pub fn list_tools(&self, options: Option<CallOptionsArg>) -> Promise {
        let options: JsValue = options.map(JsValue::from).unwrap_or_default();
        self.run(Call::Tools, &options)
    }

    /// Calls a tool. A tool's own failure is a result with `isError: true`.
    #[wasm_bindgen(js_name = callTool, unchecked_return_type = "Promise<CallToolResult>")]
    pub fn call_tool(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        args: Option<ObjectArg>,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        let args: JsValue = args.map(JsValue::from).unwrap_or_default();
        let options: JsValue = options.map(JsValue::from).unwrap_or_default();
        let params = string_arg(&name, "name", 1024)
            .and_then(|name| named_params("name", &name, "arguments", &args));
        self.run(Call::One(methods::TOOLS_CALL, params), &options)
    }

    /// Every resource (all pages).
    #[wasm_bindgen(js_name = listResources, unchecked_return_type = "Promise<ListResourcesResult>")]
    pub fn list_resources(&self, options: Option<CallOptionsArg>) -> Promise {
        let options: JsValue = options.map(JsValue::from).unwrap_or_default();
        self.run(Call::Pages(methods::RESOURCES_LIST, "resources"), &options)
    }

    /// Every resource template (all pages).
    #[wasm_bindgen(js_name = listResourceTemplates, unchecked_return_type = "Promise<ListResourceTemplatesResult>")]
    pub fn list_resource_templates(&self, options: Option<CallOptionsArg>) -> Promise {
        let options: JsValue = options.map(JsValue::from).unwrap_or_default();
        self.run(
            Call::Pages(methods::RESOURCES_TEMPLATES_LIST, "resourceTemplates"),
            &options,
        )
    }

    /// Reads a resource.
    #[wasm_bindgen(js_name = readResource, unchecked_return_type = "Promise<ReadResourceResult>")]
    pub fn read_resource(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] uri: JsValue,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        let options: JsValue = options.map(JsValue::from).unwrap_or_default();
        let params = string_arg(&uri, "uri", 64 * 1024)
            .map(|uri| Some(crate::json::to_raw(&serde_json::json!({ "uri": uri }))));
        self.run(Call::One(methods::RESOURCES_READ, params), &options)
    }

    /// Every prompt (all pages).
    #[wasm_bindgen(js_name = listPrompts, unchecked_return_type = "Promise<ListPromptsResult>")]
    pub fn list_prompts(&self, options: Option<CallOptionsArg>) -> Promise {
        let options: JsValue = options.map(JsValue::from).unwrap_or_default();
        self.run(Call::Pages(methods::PROMPTS_LIST, "prompts"), &options)
    }

    /// Gets a prompt.
    #[wasm_bindgen(js_name = getPrompt, unchecked_return_type = "Promise<GetPromptResult>")]
    pub fn get_prompt(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        args: Option<PromptArgsArg>,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        let args: JsValue = args.map(JsValue::from).unwrap_or_default();
        let options: JsValue = options.map(JsValue::from).unwrap_or_default();
        let params = string_arg(&name, "name", 1024)
            .and_then(|name| named_params("name", &name, "arguments", &args));
        self.run(Call::One(methods::PROMPTS_GET, params), &options)
    }

    /// `ping`: resolves to `{}` when the session is alive.
    #[wasm_bindgen(unchecked_return_type = "Promise<EmptyResult>")]
    pub fn ping(&self, options: Option<CallOptionsArg>) -> Promise {
        let options: JsValue = options.map(JsValue::from).unwrap_or_default();
        self.run(Call::One(methods::PING, Ok(None)), &options)
    }

    /// Any other request: `method` with `params` (an object, or undefined); its result as the server
    /// sent it (`unknown`: check it, or assert the type the method's schema gives).
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] method: JsValue,
        params: Option<ObjectArg>,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        let params: JsValue = params.map(JsValue::from).unwrap_or_default();
        let options: JsValue = options.map(JsValue::from).unwrap_or_default();
        let method = string_arg(&method, "method", 1024);
        let params = if params.is_undefined() || params.is_null() {
            Ok(None)
        } else {
            object_json(&params, "params").map(Some)
        };
        self.run(Call::Any(method, params), &options)
    }

    fn run(&self, call: Call, options: &JsValue) -> Promise {
        let lease = self.lease();
        let options = call_options(options);
        let server = self.server.clone();
        spawn_promise(Box::pin(async move {
            let options = options?;
            let Some(lease) = lease.filter(|lease| !lease.is_released()) else {
                return Err(Error::LeaseReleased.into());
            };
            if options.signal().is_some_and(|s| s.aborted()) {
                return Err(Error::Aborted.into());
            }
            let progress_server = server.clone();
            let progress = options.on_progress().map(|callback| ProgressOptions {
                on_progress: Rc::new(move |params: &RawValue| {
                    // A notification the engine cannot hold is not delivered.
                    if let Ok(params) = from_json(params.get(), &progress_server) {
                        let _ = callback.call1(&JsValue::UNDEFINED, &params);
                    }
                }),
                reset_timeout: options.reset_timeout_on_progress,
                max_total_timeout_ms: options.max_total_timeout_ms,
            });
            let request = RequestOptions {
                timeout_ms: options.timeout_ms,
                cancel: options.signal().as_ref().map(on_abort),
                progress,
            };
            let result = match call {
                Call::One(method, params) => {
                    let params = params?;
                    lease.request(method, params, request).await
                }
                Call::Any(method, params) => {
                    let method = method?;
                    let params = params?;
                    lease.request(&method, params, request).await
                }
                Call::Tools => {
                    lease
                        .list_tools_raw(options.fresh, options.timeout_ms)
                        .await
                }
                Call::Pages(method, key) => {
                    lease
                        .request_all_pages(method, key, None, options.timeout_ms)
                        .await
                }
            };
            from_json(result?.get(), &server)
        }))
    }
}

/// `{ "<key>": value, "<args_key>": args }` with `args` optional and an object when present.
fn named_params(
    key: &str,
    value: &str,
    args_key: &str,
    args: &JsValue,
) -> Result<Option<RawValue>, Failed> {
    let mut params: IndexMap<&str, RawValue> = IndexMap::new();
    params.insert(key, crate::json::to_raw(value));
    if !args.is_undefined() && !args.is_null() {
        params.insert(args_key, object_json(args, args_key)?);
    }
    // Sized from the start: the arguments can be megabytes (see `to_string_sized`).
    let capacity = params
        .iter()
        .map(|(k, v)| k.len() + v.get().len() + 4)
        .sum::<usize>()
        + 2;
    Ok(Some(crate::json::to_raw_sized(&params, capacity)))
}

/// JSON of a plain object argument (not an array, function or primitive).
fn object_json(value: &JsValue, argument: &str) -> Result<RawValue, Failed> {
    if !value.is_object() || js_sys::Array::is_array(value) || value.is_function() {
        return Err(Error::invalid_argument(argument, "must be a plain object").into());
    }
    to_json(value, argument)
}
