//! JSON-RPC 2.0 messages as MCP uses them.
//!
//! Results stay raw JSON text ([`RawValue`]) from the wire to the caller: a tool result or a
//! schema is data the caller must see unchanged, and the wasm face hands the text to `JSON.parse`
//! once instead of converting a tree across the boundary.

use crate::json::{self, RawValue, Value};
use crate::json_object::JsonObject;
use crate::raw_object::RawObject;

/// The id of a JSON-RPC request: a number or a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestId {
    /// A numeric id (what this client sends).
    Number(i64),
    /// A string id (servers may use these for their own requests).
    String(String),
}

impl RequestId {
    /// Reads an id: an integer that fits an `i64`, or a string.
    ///
    /// # Errors
    /// What else it is.
    pub fn from_json(raw: &RawValue) -> Result<Self, String> {
        match json::parse(raw.get()).map_err(|e| e.to_string())? {
            Value::String(s) => Ok(RequestId::String(s)),
            Value::Number(n) => n
                .as_i64()
                .map(RequestId::Number)
                .ok_or_else(|| String::from("request id out of range or not an integer")),
            _ => Err("must be an integer or a string".into()),
        }
    }

    /// The id as JSON text.
    pub fn to_json(&self) -> String {
        match self {
            RequestId::Number(n) => n.to_string(),
            RequestId::String(s) => json::quoted(s),
        }
    }
}

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorObject {
    /// The error code (`-32601` method not found, ...).
    pub code: i64,
    /// A short description.
    pub message: String,
    /// Extra information, passed through unchanged.
    pub data: Option<Value>,
}

impl ErrorObject {
    /// Reads an error object: `code` (an integer), `message` (a string), optional `data`.
    ///
    /// # Errors
    /// What is missing or mistyped.
    pub fn from_json(raw: &RawValue) -> Result<Self, String> {
        let mut fields = json::parse_object(raw.get()).map_err(|e| e.to_string())?;
        let code = match fields.remove("code") {
            Some(v) => v.as_i64().ok_or("field `code` must be an integer")?,
            None => return Err("missing field `code`".into()),
        };
        let message = match fields.remove("message") {
            Some(Value::String(s)) => s,
            Some(_) => return Err("field `message` must be a string".into()),
            None => return Err("missing field `message`".into()),
        };
        let data = fields.remove("data").filter(|v| !v.is_null());
        Ok(ErrorObject {
            code,
            message,
            data,
        })
    }

    /// The error object as JSON text.
    pub fn to_json(&self) -> String {
        let mut out = JsonObject::new();
        out.raw("code", &self.code.to_string())
            .string("message", &self.message);
        if let Some(data) = &self.data {
            out.raw("data", &json::to_string(data));
        }
        out.finish()
    }
}

/// Standard JSON-RPC error codes.
pub mod codes {
    /// Invalid JSON was received.
    pub const PARSE_ERROR: i64 = -32700;
    /// The JSON sent is not a valid request.
    pub const INVALID_REQUEST: i64 = -32600;
    /// The method does not exist or is not offered.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Invalid method parameters.
    pub const INVALID_PARAMS: i64 = -32602;
    /// Internal error.
    pub const INTERNAL_ERROR: i64 = -32603;
}

/// A request from the server to the client (`ping`, `sampling/createMessage`, ...).
#[derive(Debug, Clone)]
pub struct Request {
    /// Its id, to answer with.
    pub id: RequestId,
    /// The method.
    pub method: String,
    /// The parameters, raw.
    pub params: Option<RawValue>,
}

/// A notification (no id, no answer).
#[derive(Debug, Clone)]
pub struct Notification {
    /// The method, e.g. `notifications/progress`.
    pub method: String,
    /// The parameters, raw.
    pub params: Option<RawValue>,
}

/// A response to a request of ours.
#[derive(Debug, Clone)]
pub struct Response {
    /// The id of the request it answers; `None` when the server sent `null` (an error it could not
    /// attribute, such as a bad session).
    pub id: Option<RequestId>,
    /// The result, raw, or the error.
    pub outcome: Result<RawValue, ErrorObject>,
}

/// Any message a server can send.
#[derive(Debug, Clone)]
pub enum Message {
    /// A request the client must answer.
    Request(Request),
    /// A notification.
    Notification(Notification),
    /// A response to one of the client's requests.
    Response(Response),
}

/// One message's fields as sent, read through [`RawObject`] (one parser for every object the
/// crate reads, where a derive would cost the .wasm a deserializer of its own). `null` reads as
/// absent, as the derive's `Option`s read it.
struct WireMessage {
    jsonrpc: Option<String>,
    id: Option<RequestId>,
    method: Option<String>,
    params: Option<RawValue>,
    result: Option<RawValue>,
    error: Option<ErrorObject>,
}

impl WireMessage {
    fn read(mut fields: RawObject) -> Result<Self, String> {
        let mut raw = |key: &str| fields.remove(key).filter(|v| v.get() != "null");
        let (jsonrpc, id, method) = (raw("jsonrpc"), raw("id"), raw("method"));
        let (params, result, error) = (raw("params"), raw("result"), raw("error"));
        Ok(WireMessage {
            jsonrpc: match jsonrpc {
                // The common case, without a parse.
                Some(v) if v.get() == "\"2.0\"" => Some("2.0".to_owned()),
                v => typed(v, "jsonrpc", string)?,
            },
            id: typed(id, "id", RequestId::from_json)?,
            method: typed(method, "method", string)?,
            params,
            result,
            error: typed(error, "error", ErrorObject::from_json)?,
        })
    }
}

/// Field `key`'s raw value read by `read`.
fn typed<T>(
    raw: Option<RawValue>,
    key: &str,
    read: fn(&RawValue) -> Result<T, String>,
) -> Result<Option<T>, String> {
    raw.map(|v| read(&v))
        .transpose()
        .map_err(|e| format!("malformed JSON-RPC message: field '{key}': {e}"))
}

/// A JSON string's text.
fn string(raw: &RawValue) -> Result<String, String> {
    match json::parse(raw.get()).map_err(|e| e.to_string())? {
        Value::String(s) => Ok(s),
        _ => Err("must be a string".into()),
    }
}

impl WireMessage {
    fn classify(self) -> Result<Message, String> {
        if self.jsonrpc.as_deref() != Some("2.0") {
            return Err("message is not JSON-RPC 2.0 (missing \"jsonrpc\": \"2.0\")".into());
        }
        match (self.method, self.id, self.result, self.error) {
            (Some(method), Some(id), None, None) => Ok(Message::Request(Request {
                id,
                method,
                params: self.params,
            })),
            (Some(method), None, None, None) => Ok(Message::Notification(Notification {
                method,
                params: self.params,
            })),
            (None, id, Some(result), None) => Ok(Message::Response(Response {
                id,
                outcome: Ok(result),
            })),
            (None, id, None, Some(error)) => Ok(Message::Response(Response {
                id,
                outcome: Err(error),
            })),
            _ => Err("message is neither a request, a notification nor a response".into()),
        }
    }
}

/// Parses one JSON-RPC message, or a batch (a JSON array, 2025-03-26 only), from `text`.
///
/// # Errors
/// A description of what is malformed.
pub fn parse_messages(text: &str) -> Result<Vec<Message>, String> {
    let mut scan = json::scan::Scanner::new(text);
    let mut messages = Vec::new();
    if scan.skip_ws() == Some(b'[') {
        let mut batch = Vec::new();
        scan.array(|scan| {
            batch.push(RawObject::read(scan)?);
            Ok(())
        })
        .and_then(|()| scan.end())
        .map_err(|e| format!("malformed JSON-RPC batch: {e}"))?;
        for fields in batch {
            messages.push(WireMessage::read(fields)?.classify()?);
        }
    } else {
        let one = RawObject::read(&mut scan)
            .and_then(|one| scan.end().map(|()| one))
            .map_err(|e| format!("malformed JSON-RPC message: {e}"))?;
        messages.push(WireMessage::read(one)?.classify()?);
    }
    Ok(messages)
}

/// Serialises a request: `{"jsonrpc":"2.0","id":..,"method":..,"params":..}`.
pub fn encode_request(id: i64, method: &str, params: Option<&RawValue>) -> String {
    let mut out = JsonObject::new();
    out.raw("jsonrpc", "\"2.0\"")
        .raw("id", &id.to_string())
        .string("method", method);
    if let Some(params) = params {
        out.raw("params", params.get());
    }
    out.finish()
}

/// Serialises a notification: `{"jsonrpc":"2.0","method":..,"params":..}`.
pub fn encode_notification(method: &str, params: Option<&RawValue>) -> String {
    let mut out = JsonObject::new();
    out.raw("jsonrpc", "\"2.0\"").string("method", method);
    if let Some(params) = params {
        out.raw("params", params.get());
    }
    out.finish()
}

/// Serialises a response to a server's request.
pub fn encode_response(id: &RequestId, outcome: Result<&RawValue, &ErrorObject>) -> String {
    let mut out = JsonObject::new();
    out.raw("jsonrpc", "\"2.0\"").raw("id", &id.to_json());
    match outcome {
        Ok(result) => out.raw("result", result.get()),
        Err(error) => out.raw("error", &error.to_json()),
    };
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Message {
        let mut all = parse_messages(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all.len(), 1);
        all.remove(0)
    }

    #[test]
    fn request_ids_are_integers_or_strings() {
        let id = |text: &str| {
            RawValue::from_string(text.to_owned())
                .map_err(|e| e.to_string())
                .and_then(|raw| RequestId::from_json(&raw))
        };
        assert_eq!(id("7"), Ok(RequestId::Number(7)));
        assert_eq!(id("-3"), Ok(RequestId::Number(-3)));
        assert_eq!(id(r#""a""#), Ok(RequestId::String("a".into())));
        assert_eq!(id(r#""\u0041""#), Ok(RequestId::String("A".into())));
        for bad in ["1.5", "18446744073709551615", "null", "[]", "{}", "true"] {
            assert!(id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn null_fields_read_as_absent_and_mistyped_ones_are_refused() {
        match one(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"m"}}"#) {
            Message::Response(Response {
                id: None,
                outcome: Err(e),
            }) => assert_eq!(e.code, -32600),
            other => panic!("{other:?}"),
        }
        match one(r#"{"method":"notifications/x","params":null,"jsonrpc":"2.0"}"#) {
            Message::Notification(n) => assert!(n.params.is_none()),
            other => panic!("{other:?}"),
        }
        for (bad, needle) in [
            (r#"{"jsonrpc":"2.0","id":{},"result":{}}"#, "'id'"),
            (r#"{"jsonrpc":"2.0","id":1,"error":"no"}"#, "'error'"),
            (r#"{"jsonrpc":"2.0","method":7}"#, "'method'"),
            (r#"{"jsonrpc":2,"id":1,"result":{}}"#, "'jsonrpc'"),
            (r#"{"jsonrpc":"1.0","id":1,"result":{}}"#, "JSON-RPC 2.0"),
            (r#"{"jsonrpc":"2.0","id":1,"result":null}"#, "neither"),
            (r#"[{"jsonrpc":"2.0","id":1,"result":{}},3]"#, "batch"),
        ] {
            let Err(e) = parse_messages(bad) else {
                panic!("{bad} was accepted");
            };
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }

    #[test]
    fn classifies_every_kind() {
        match one(r#"{"jsonrpc":"2.0","id":7,"result":{"b":1,"a":2}}"#) {
            Message::Response(Response {
                id: Some(RequestId::Number(7)),
                outcome: Ok(raw),
            }) => {
                assert_eq!(
                    raw.get(),
                    r#"{"b":1,"a":2}"#,
                    "raw result keeps order and text"
                );
            }
            other => panic!("{other:?}"),
        }
        match one(
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}"#,
        ) {
            Message::Response(Response {
                id: None,
                outcome: Err(e),
            }) => assert_eq!(e.code, -32001),
            other => panic!("{other:?}"),
        }
        match one(r#"{"jsonrpc":"2.0","id":"s1","method":"ping"}"#) {
            Message::Request(r) => {
                assert_eq!(r.id, RequestId::String("s1".into()));
                assert_eq!(r.method, "ping");
            }
            other => panic!("{other:?}"),
        }
        match one(r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}"#)
        {
            Message::Notification(n) => assert_eq!(n.method, "notifications/progress"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_batches_and_rejects_garbage() {
        let all = parse_messages(
            r#"[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","id":1,"result":{}}]"#,
        );
        assert_eq!(all.map(|v| v.len()), Ok(2));
        assert!(parse_messages("{").is_err());
        assert!(
            parse_messages(r#"{"id":1,"result":{}}"#).is_err(),
            "jsonrpc field required"
        );
        assert!(parse_messages(
            r#"{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"x"}}"#
        )
        .is_err());
        assert!(parse_messages(r#"{"jsonrpc":"2.0"}"#).is_err());
    }

    #[test]
    fn encodes_wire_messages() {
        let params = crate::json::to_raw(&crate::json::json!({"x": 1}));
        assert_eq!(
            encode_request(3, "tools/list", Some(&params)),
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"x":1}}"#
        );
        assert_eq!(
            encode_notification("notifications/initialized", None),
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#
        );
        let err = ErrorObject {
            code: -32601,
            message: "no".into(),
            data: None,
        };
        assert_eq!(
            encode_response(&RequestId::String("a".into()), Err(&err)),
            r#"{"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"no"}}"#
        );
    }
}
