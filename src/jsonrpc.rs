//! JSON-RPC 2.0 messages as MCP uses them.
//!
//! Results stay raw JSON text ([`RawValue`]) from the wire to the caller: a tool result or a
//! schema is data the caller must see unchanged, and the wasm face hands the text to `JSON.parse`
//! once instead of converting a tree across the boundary.

use serde::{Deserialize, Serialize};

use crate::json::{self, RawValue, Value};

/// The id of a JSON-RPC request: a number or a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
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
        serde_json::from_str(raw.get())
            .map_err(|_| "must be an integer (that fits an i64) or a string".to_owned())
    }

    /// The id as JSON text.
    pub fn to_json(&self) -> String {
        json::to_string(self)
    }
}

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    /// The error code (`-32601` method not found, ...).
    pub code: i64,
    /// A short description.
    pub message: String,
    /// Extra information, passed through unchanged (`null` reads as absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ErrorObject {
    /// Reads an error object: `code` (an integer), `message` (a string), optional `data`.
    ///
    /// # Errors
    /// What is missing or mistyped.
    pub fn from_json(raw: &RawValue) -> Result<Self, String> {
        json::from_str(raw.get())
    }

    /// The error object as JSON text.
    pub fn to_json(&self) -> String {
        json::to_string(self)
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

/// One message's members as sent, each raw (serde_json reads the object; `null` reads as
/// absent), then typed one by one so that an error names the member at fault.
#[derive(Deserialize)]
struct RawMessage {
    jsonrpc: Option<RawValue>,
    id: Option<RawValue>,
    method: Option<RawValue>,
    params: Option<RawValue>,
    result: Option<RawValue>,
    error: Option<RawValue>,
}

/// One message's members, typed.
struct WireMessage {
    jsonrpc: Option<String>,
    id: Option<RequestId>,
    method: Option<String>,
    params: Option<RawValue>,
    result: Option<RawValue>,
    error: Option<ErrorObject>,
}

impl WireMessage {
    fn read(raw: RawMessage) -> Result<Self, String> {
        Ok(WireMessage {
            jsonrpc: typed(raw.jsonrpc, "jsonrpc", string)?,
            id: typed(raw.id, "id", RequestId::from_json)?,
            method: typed(raw.method, "method", string)?,
            params: raw.params,
            result: raw.result,
            error: typed(raw.error, "error", ErrorObject::from_json)?,
        })
    }
}

/// Member `key`'s raw value read by `read`.
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
    serde_json::from_str(raw.get()).map_err(|_| "must be a string".to_owned())
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
    let raws: Vec<RawMessage> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).map_err(|e| format!("malformed JSON-RPC batch: {e}"))?
    } else {
        vec![serde_json::from_str(text).map_err(|e| format!("malformed JSON-RPC message: {e}"))?]
    };
    raws.into_iter()
        .map(|raw| WireMessage::read(raw)?.classify())
        .collect()
}

/// A message on its way to the server.
#[derive(Serialize)]
struct Outgoing<'a> {
    jsonrpc: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a RequestId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a serde_json::value::RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a serde_json::value::RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a ErrorObject>,
}

impl<'a> Outgoing<'a> {
    fn new() -> Self {
        Outgoing {
            jsonrpc: "2.0",
            id: None,
            method: None,
            params: None,
            result: None,
            error: None,
        }
    }
}

/// Serialises a request: `{"jsonrpc":"2.0","id":..,"method":..,"params":..}`.
pub fn encode_request(id: i64, method: &str, params: Option<&RawValue>) -> String {
    let id = RequestId::Number(id);
    // The envelope adds `{"jsonrpc":"2.0","id":<20 digits>,"method":"…","params":}`.
    let capacity = params.map_or(0, |p| p.get().len()) + method.len() + 64;
    json::to_string_sized(
        &Outgoing {
            id: Some(&id),
            method: Some(method),
            params: params.map(|p| &**p),
            ..Outgoing::new()
        },
        capacity,
    )
}

/// Serialises a notification: `{"jsonrpc":"2.0","method":..,"params":..}`.
pub fn encode_notification(method: &str, params: Option<&RawValue>) -> String {
    json::to_string(&Outgoing {
        method: Some(method),
        params: params.map(|p| &**p),
        ..Outgoing::new()
    })
}

/// Serialises a response to a server's request.
pub fn encode_response(id: &RequestId, outcome: Result<&RawValue, &ErrorObject>) -> String {
    let (result, error) = match outcome {
        Ok(result) => (Some(&**result), None),
        Err(error) => (None, Some(error)),
    };
    json::to_string(&Outgoing {
        id: Some(id),
        result,
        error,
        ..Outgoing::new()
    })
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
            json::raw(text.to_owned())
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
        let params = crate::json::to_raw(&serde_json::json!({"x": 1}));
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

    #[test]
    fn a_request_is_written_into_a_buffer_sized_for_it() {
        // A 1 MB argument: the envelope's buffer is the right size from the start (a buffer
        // grown by doubling would end at 2 MiB, having held 1.5 MiB and 1 MiB at once).
        let text = "x".repeat(1_000_000);
        let params = crate::json::to_raw(&serde_json::json!({ "text": text }));
        let body = encode_request(i64::MAX, "tools/call", Some(&params));
        assert!(body.ends_with(&format!(r#""params":{}}}"#, params.get())));
        assert!(
            body.capacity() < body.len() + 128,
            "capacity {} for {} bytes",
            body.capacity(),
            body.len()
        );
        let parsed: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
        let expected = serde_json::json!({
            "jsonrpc": "2.0", "id": i64::MAX, "method": "tools/call", "params": { "text": text }
        });
        assert!(parsed == expected, "the request's JSON is the request");
        assert!(body.starts_with(
            r#"{"jsonrpc":"2.0","id":9223372036854775807,"method":"tools/call","params":"#
        ));
    }
}
