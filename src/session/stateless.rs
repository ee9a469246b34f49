//! Streamable HTTP without sessions (protocol 2026-07-28), chosen by the probe in `era.rs`: every request carries its own `_meta`
//! (protocol version, client info, capabilities) and routing headers (`Mcp-Method`, and
//! `Mcp-Name` for `tools/call`, `prompts/get`, `resources/read`); errors may come with an HTTP
//! status and a JSON-RPC body; and a server that needs input (elicitation, sampling, roots)
//! answers with an `InputRequiredResult` that the client fulfils and re-sends (multi round-trip
//! requests, SEP-2322). Tool arguments marked `x-mcp-header` travel as `Mcp-Param-*` headers too.

use serde::Deserialize;

use futures_util::future::LocalBoxFuture;

use super::dialect::Wire;
use super::routing::{self, route};
use super::{Session, Snapshot};
use crate::error::{snippet, Error};
use crate::json::{self, Map, RawValue, Value};
use crate::jsonrpc::{self, codes, Message, Response};
use crate::protocol::{self, meta_keys, methods};
use crate::transport::HttpResponse;

/// How many `InputRequiredResult` rounds one request may take.
const MAX_INPUT_ROUNDS: usize = 10;
/// Backoff of a round that carried only `requestState`: first wait and cap, in ms.
const STATE_ONLY_FIRST_MS: u64 = 50;
const STATE_ONLY_CAP_MS: u64 = 250;

/// The stateless dialect.
pub(super) struct Stateless;

impl Wire for Stateless {
    fn call<'a>(
        &self,
        session: &'a Session,
        id: i64,
        method: &'a str,
        params: Option<RawValue>,
    ) -> LocalBoxFuture<'a, Result<RawValue, Error>> {
        Box::pin(session.call_modern(id, method, params))
    }

    /// The stateless HTTP wire has no client notifications (a cancel is closing the request's
    /// own stream): nothing is sent.
    fn notify<'a>(
        &self,
        _session: &'a Session,
        _method: &'a str,
        _params: Option<RawValue>,
    ) -> LocalBoxFuture<'a, Result<(), Error>> {
        Box::pin(futures_util::future::ready(Ok(())))
    }

    /// There is no session on the server to forget: nothing to re-open.
    fn reopen<'a>(&self, _session: &'a Session) -> LocalBoxFuture<'a, Result<(), Error>> {
        Box::pin(futures_util::future::ready(Ok(())))
    }

    /// Nothing lives on the server: nothing to end.
    fn close<'a>(&self, _session: &'a Session, _snap: Snapshot) -> LocalBoxFuture<'a, ()> {
        Box::pin(futures_util::future::ready(()))
    }

    fn refusal<'a>(
        &self,
        session: &'a Session,
        response: HttpResponse,
        id: i64,
    ) -> LocalBoxFuture<'a, Error> {
        session.modern_error(response, id)
    }

    fn cancels_by_notification(&self) -> bool {
        false
    }

    fn has_server_stream(&self) -> bool {
        false
    }

    fn resumable(&self) -> bool {
        true
    }
}

/// The parts of an `InputRequiredResult` the client acts on.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InputRequired {
    result_type: String,
    #[serde(default)]
    input_requests: Option<Map<String, Value>>,
    #[serde(default)]
    request_state: Option<String>,
}

/// `params` as an object (none: empty).
fn object(params: Option<&RawValue>) -> Result<Map<String, Value>, Error> {
    match params {
        Some(raw) => serde_json::from_str(raw.get())
            .map_err(|_| Error::invalid_argument("params", "must be a JSON object")),
        None => Ok(Map::new()),
    }
}

/// `fields` as a raw JSON object.
fn object_raw(fields: &Map<String, Value>) -> RawValue {
    json::to_raw(fields)
}

impl Session {
    /// Adds the stateless era's `_meta` (protocol version, client info, capabilities) to `fields`.
    fn stamp(&self, fields: &mut Map<String, Value>) -> Result<(), Error> {
        let config = &self.inner.config;
        if !fields.contains_key("_meta") {
            fields.insert("_meta".into(), Value::Object(Map::new()));
        }
        let Some(Value::Object(meta)) = fields.get_mut("_meta") else {
            return Err(Error::invalid_argument("params._meta", "must be an object"));
        };
        meta.insert(
            meta_keys::PROTOCOL_VERSION.into(),
            Value::from(protocol::MODERN_VERSION),
        );
        meta.insert(meta_keys::CLIENT_INFO.into(), config.client_info.to_value());
        meta.insert(
            meta_keys::CLIENT_CAPABILITIES.into(),
            config.handlers.capabilities(),
        );
        Ok(())
    }

    /// `params` with the stateless era's `_meta` added.
    pub(super) fn stamped(&self, params: Option<&RawValue>) -> Result<RawValue, Error> {
        let mut fields = object(params)?;
        self.stamp(&mut fields)?;
        Ok(object_raw(&fields))
    }

    /// Sends a stateless-era request and returns its final result, fulfilling the server's
    /// input requests (each round a new id, the same `_meta`), at most [`MAX_INPUT_ROUNDS`].
    pub(super) async fn call_modern(
        &self,
        first_id: i64,
        method: &str,
        params: Option<RawValue>,
    ) -> Result<RawValue, Error> {
        if method == methods::PING {
            // `ping` is gone in 2026-07-28: a `server/discover` answers the same question.
            self.discover_alive().await?;
            return Ok(object_raw(&Map::new()));
        }
        let mut fields = object(params.as_ref())?;
        self.stamp(&mut fields)?;
        let mut route = route(method, Some(&fields));
        if method == methods::TOOLS_CALL {
            let memory = self.inner.link.era.borrow();
            let map = fields
                .get("name")
                .and_then(Value::as_str)
                .and_then(|name| memory.tool_headers.get(name));
            if let Some(map) = map {
                route.extend(routing::param_headers(map, fields.get("arguments")));
            }
        }
        let mut id = first_id;
        let mut state_only_ms = STATE_ONLY_FIRST_MS;
        for _ in 0..=MAX_INPUT_ROUNDS {
            if self.is_closed() {
                return Err(self.closed_error());
            }
            let params = object_raw(&fields);
            let body = jsonrpc::encode_request(id, method, Some(&params));
            let snap = self.snapshot();
            let response = self
                .post_routed(body.into(), Some(&snap), false, &route)
                .await?;
            let raw = self.read_answer(response, id, &snap).await?;
            self.mark_ok();
            let Some(asked) = input_required(&raw) else {
                if method == methods::TOOLS_LIST {
                    let mut memory = self.inner.link.era.borrow_mut();
                    if let Some(kept) = routing::absorb_tools(&raw, &mut memory.tool_headers) {
                        return Ok(kept);
                    }
                }
                return Ok(raw);
            };
            match asked.input_requests.filter(|r| !r.is_empty()) {
                Some(requests) => {
                    // Boxed: rare (input rounds only), kept out of this state machine.
                    let answers = Box::pin(self.fulfil(requests)).await?;
                    fields.insert("inputResponses".into(), Value::Object(answers));
                    state_only_ms = STATE_ONLY_FIRST_MS;
                }
                None => {
                    fields.remove("inputResponses");
                    self.inner.rt.clock.sleep(state_only_ms).await;
                    state_only_ms = (state_only_ms * 2).min(STATE_ONLY_CAP_MS);
                }
            }
            match asked.request_state {
                Some(state) => fields.insert("requestState".into(), Value::from(state)),
                None => fields.remove("requestState"),
            };
            id = self.next_id();
        }
        Err(self.protocol_error(format!(
            "the server asked for input more than {MAX_INPUT_ROUNDS} times for one '{}' request",
            snippet(method, 60)
        )))
    }

    /// Answers every input request with the handler for its method, concurrently.
    async fn fulfil(&self, requests: Map<String, Value>) -> Result<Map<String, Value>, Error> {
        let handlers = &self.inner.config.handlers;
        let mut calls = Vec::with_capacity(requests.len());
        for (key, request) in requests {
            let method = request
                .get("method")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let Some(handler) = handlers.for_method(&method).cloned() else {
                return Err(Error::Rpc {
                    server: self.server().to_owned(),
                    code: codes::METHOD_NOT_FOUND,
                    message: format!(
                        "the server needs '{}' input, and no handler for it was given",
                        snippet(&method, 60)
                    ),
                    data: None,
                });
            };
            let params = request.get("params").map(json::to_raw);
            calls.push(async move { (key, handler(params).await) });
        }
        let mut answers = Map::new();
        for (key, outcome) in futures_util::future::join_all(calls).await {
            let result = outcome.map_err(|e| self.rpc_error(e))?;
            let value =
                json::parse(result.get()).map_err(|e| self.protocol_error(e.to_string()))?;
            answers.insert(key, value);
        }
        Ok(answers)
    }

    /// A non-success reply in the stateless era: the JSON-RPC error it carries (servers map
    /// error codes to HTTP statuses), or an HTTP error.
    /// Boxed: a cold path, kept out of the state of [`Session::read_answer`].
    pub(super) fn modern_error(
        &self,
        response: HttpResponse,
        id: i64,
    ) -> LocalBoxFuture<'_, Error> {
        Box::pin(self.modern_error_unboxed(response, id))
    }

    async fn modern_error_unboxed(&self, mut response: HttpResponse, id: i64) -> Error {
        let json = response
            .header("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/json"));
        if !json || response.status == 401 || response.status == 403 {
            return self.http_error(response).await;
        }
        let status = response.status;
        let body = match self.read_body(&mut response, 64 * 1024).await {
            Ok(body) => body,
            Err(e) => return e,
        };
        if let Ok(messages) = jsonrpc::parse_messages(&body) {
            if let [Message::Response(Response {
                id: answered,
                outcome: Err(e),
            })] = messages.as_slice()
            {
                if answered.is_none() || *answered == Some(jsonrpc::RequestId::Number(id)) {
                    return self.rpc_error(e.clone());
                }
            }
        }
        self.status_error(status, snippet(body.trim(), 300))
    }
}

/// The `InputRequiredResult` in `raw`, if it is one.
fn input_required(raw: &RawValue) -> Option<InputRequired> {
    // Cheap test first: nearly every result is final.
    if !raw.get().contains("input_required") {
        return None;
    }
    // A field of the wrong type makes it not an `InputRequiredResult`.
    serde_json::from_str::<InputRequired>(raw.get())
        .ok()
        .filter(|asked| asked.result_type == "input_required")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn routes() {
        let params = json!({"name": "echo", "uri": "mem://x"});
        let params = params.as_object();
        assert_eq!(
            route("tools/call", params),
            vec![
                ("Mcp-Method".to_owned(), "tools/call".to_owned()),
                ("Mcp-Name".to_owned(), "echo".to_owned())
            ]
        );
        assert_eq!(route("resources/read", params).len(), 2);
        assert_eq!(route("tools/list", params).len(), 1);
    }

    #[test]
    fn input_required_is_recognised() {
        let raw = |v: Value| crate::json::to_raw(&v);
        assert!(input_required(&raw(json!({"content": [], "resultType": "complete"}))).is_none());
        let asked = input_required(&raw(json!({
            "resultType": "input_required",
            "inputRequests": {"a": {"method": "roots/list"}},
            "requestState": "s1"
        })));
        let asked = asked.unwrap_or_else(|| panic!("not recognised"));
        assert_eq!(asked.request_state.as_deref(), Some("s1"));
        assert_eq!(asked.input_requests.map(|r| r.len()), Some(1));
    }
}
