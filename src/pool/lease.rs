//! A lease: a counted reference to one pooled session.

use std::cell::Cell;
use std::fmt;
use std::rc::{Rc, Weak};

use super::PoolInner;
use crate::error::Error;
use crate::json::{self, FromJson, RawValue, Value};
use crate::protocol::{
    methods, CallToolResult, CompleteResult, GetPromptResult, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, ReadResourceResult,
};
use crate::session::{RequestOptions, Session};

/// A lease on a pooled MCP session, handed out by [`crate::Pool::get`].
///
/// Releasing it (explicitly with [`Lease::release`] or by dropping it) never closes the
/// session: it drops one reference, and the session goes back to the pool when none are left.
/// Several leases may share one session when the pool allows it. Every request method fails with
/// [`Error::LeaseReleased`] once the lease is released.
pub struct Lease {
    pub(super) pool: Weak<PoolInner>,
    pub(super) pool_id: u64,
    pub(super) server: Rc<str>,
    pub(super) server_id: u64,
    pub(super) conn_id: u64,
    pub(super) session: Session,
    pub(super) released: Cell<bool>,
}

impl Lease {
    /// The name of the server this lease is for.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The name of the server this lease is for, shared.
    pub fn server_name(&self) -> Rc<str> {
        Rc::clone(&self.server)
    }

    /// True once released.
    pub fn is_released(&self) -> bool {
        self.released.get()
    }

    /// The underlying session.
    ///
    /// # Errors
    /// [`Error::LeaseReleased`].
    pub fn session(&self) -> Result<&Session, Error> {
        if self.released.get() {
            Err(Error::LeaseReleased)
        } else {
            Ok(&self.session)
        }
    }

    /// Gives the lease back. The session stays open for the next getter.
    ///
    /// # Errors
    /// [`Error::LeaseReleased`] when it was already released.
    pub fn release(&self) -> Result<(), Error> {
        if self.released.replace(true) {
            return Err(Error::LeaseReleased);
        }
        if let Some(pool) = self.pool.upgrade() {
            pool.release_conn(self.server_id, self.conn_id);
        }
        Ok(())
    }

    /// Sends any request; returns the raw JSON result exactly as the server sent it.
    ///
    /// # Errors
    /// [`Error::LeaseReleased`], or any error of [`Session::request`].
    pub async fn request(
        &self,
        method: &str,
        params: Option<RawValue>,
        options: RequestOptions,
    ) -> Result<RawValue, Error> {
        let session = self.session()?.clone();
        let result = session.request(method, params, options).await;
        self.observe(&result);
        result
    }

    /// Like [`Lease::request`] with JSON params, decoding the result into `T`.
    ///
    /// # Errors
    /// As [`Lease::request`]; [`Error::Protocol`] when the result does not decode.
    pub async fn request_typed<T: FromJson>(
        &self,
        method: &str,
        params: Option<Value>,
        options: RequestOptions,
    ) -> Result<T, Error> {
        let params = params.as_ref().map(json::to_raw);
        let raw = self.request(method, params, options).await?;
        self.typed(method, &raw)
    }

    /// Requests every page of a paginated list; see [`Session::request_all_pages`].
    ///
    /// # Errors
    /// As [`Lease::request`].
    pub async fn request_all_pages(
        &self,
        method: &str,
        items_key: &str,
        params: Option<Value>,
        timeout_ms: Option<u64>,
    ) -> Result<RawValue, Error> {
        let session = self.session()?.clone();
        let result = session
            .request_all_pages(method, items_key, params, timeout_ms)
            .await;
        self.observe(&result);
        result
    }

    async fn all_pages_typed<T: FromJson>(
        &self,
        method: &str,
        items_key: &str,
    ) -> Result<T, Error> {
        let raw = self
            .request_all_pages(method, items_key, None, None)
            .await?;
        self.typed(method, &raw)
    }

    /// A result read as a `T`, or a protocol error naming the method.
    fn typed<T: FromJson>(&self, method: &str, raw: &RawValue) -> Result<T, Error> {
        T::from_json(raw.get())
            .map_err(|e| Error::protocol(&self.server, format!("malformed {method} result: {e}")))
    }

    /// `ping`.
    ///
    /// # Errors
    /// As [`Lease::request`].
    pub async fn ping(&self) -> Result<(), Error> {
        self.request(methods::PING, None, RequestOptions::default())
            .await
            .map(|_| ())
    }

    /// Every tool of the server (all pages), from the pool's catalog when fresh.
    ///
    /// # Errors
    /// As [`Lease::request`].
    pub async fn list_tools(&self) -> Result<ListToolsResult, Error> {
        let raw = self.list_tools_raw(false, None).await?;
        self.typed(crate::protocol::methods::TOOLS_LIST, &raw)
    }

    /// Calls a tool. A tool's own failure is a result with `is_error`, not an `Err`.
    ///
    /// # Errors
    /// As [`Lease::request`].
    pub async fn call_tool(
        &self,
        name: &str,
        arguments: Value,
        options: RequestOptions,
    ) -> Result<CallToolResult, Error> {
        self.request_typed(
            methods::TOOLS_CALL,
            Some(two("name", &Value::from(name), "arguments", &arguments)),
            options,
        )
        .await
    }

    /// Every resource (all pages).
    ///
    /// # Errors
    /// As [`Lease::request`].
    pub async fn list_resources(&self) -> Result<ListResourcesResult, Error> {
        self.all_pages_typed(methods::RESOURCES_LIST, "resources")
            .await
    }

    /// Every resource template (all pages).
    ///
    /// # Errors
    /// As [`Lease::request`].
    pub async fn list_resource_templates(&self) -> Result<ListResourceTemplatesResult, Error> {
        self.all_pages_typed(methods::RESOURCES_TEMPLATES_LIST, "resourceTemplates")
            .await
    }

    /// Reads a resource.
    ///
    /// # Errors
    /// As [`Lease::request`].
    pub async fn read_resource(&self, uri: &str) -> Result<ReadResourceResult, Error> {
        self.request_typed(
            methods::RESOURCES_READ,
            Some(Value::Object(
                [("uri".to_owned(), Value::from(uri))].into_iter().collect(),
            )),
            RequestOptions::default(),
        )
        .await
    }

    /// Every prompt (all pages).
    ///
    /// # Errors
    /// As [`Lease::request`].
    pub async fn list_prompts(&self) -> Result<ListPromptsResult, Error> {
        self.all_pages_typed(methods::PROMPTS_LIST, "prompts").await
    }

    /// Gets a prompt with its arguments.
    ///
    /// # Errors
    /// As [`Lease::request`].
    pub async fn get_prompt(&self, name: &str, arguments: Value) -> Result<GetPromptResult, Error> {
        let params = two("name", &Value::from(name), "arguments", &arguments);
        self.request_typed(
            methods::PROMPTS_GET,
            Some(params),
            RequestOptions::default(),
        )
        .await
    }

    /// Asks for argument completions (`completion/complete`).
    ///
    /// # Errors
    /// As [`Lease::request`].
    pub async fn complete(
        &self,
        reference: Value,
        argument: Value,
    ) -> Result<CompleteResult, Error> {
        let params = two("ref", &reference, "argument", &argument);
        self.request_typed(
            methods::COMPLETION_COMPLETE,
            Some(params),
            RequestOptions::default(),
        )
        .await
    }

    /// Marks the session broken in the pool when a request failed in a way that says the
    /// session (not just the request) is unusable.
    fn observe<T>(&self, result: &Result<T, Error>) {
        let fatal = matches!(
            result,
            Err(Error::Network { .. } | Error::ConnectFailed { .. } | Error::SessionClosed { .. })
        );
        if fatal {
            if let Some(pool) = self.pool.upgrade() {
                pool.mark_broken(self.server_id, self.conn_id);
            }
        }
    }
}

/// `{a: x, b: y}`.
fn two(a: &str, x: &Value, b: &str, y: &Value) -> Value {
    let mut map = json::Map::new();
    map.insert(a.to_owned(), x.clone());
    map.insert(b.to_owned(), y.clone());
    Value::Object(map)
}

impl Drop for Lease {
    fn drop(&mut self) {
        if !self.released.get() {
            let _ = self.release();
        }
    }
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("server", &self.server)
            .field("conn_id", &self.conn_id)
            .field("released", &self.released.get())
            .finish_non_exhaustive()
    }
}
