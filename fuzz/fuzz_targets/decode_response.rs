//! Fuzzes the decoding of server responses: `jsonrpc::parse_messages` and the MCP result types
//! of `protocol`, on a JSON body and on the same text wrapped in an SSE stream.
//!
//! Input: arbitrary bytes, decoded as UTF-8 lossily. Nothing may panic, and a few cheap
//! consistency checks hold (a classified response keeps a result xor an error; a raw result is
//! valid JSON; a result that decodes as an MCP type re-serialises to JSON that decodes to the
//! same value). The JSON itself is serde_json's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_edge_pool::json::{self, FromJson, ToJson};
use mcp_edge_pool::jsonrpc::{self, Message};
use mcp_edge_pool::protocol::{
    CallToolResult, CompleteResult, GetPromptResult, InitializeResult, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, ReadResourceResult,
};
use mcp_edge_pool::sse::{SseEvent, SseParser};
/// Decodes `raw` as `T`; when that works, the value must survive a round trip through JSON.
fn try_type<T: FromJson + ToJson + PartialEq + std::fmt::Debug>(raw: &str) {
    if let Ok(value) = T::from_json(raw) {
        let text = value.to_json();
        let again = T::from_json(&text).expect("a re-serialised MCP result decodes again");
        assert_eq!(again, value, "{text}");
    }
}

fn decode_results(raw: &str) {
    try_type::<InitializeResult>(raw);
    try_type::<ListToolsResult>(raw);
    try_type::<CallToolResult>(raw);
    try_type::<ReadResourceResult>(raw);
    try_type::<GetPromptResult>(raw);
    try_type::<ListResourcesResult>(raw);
    try_type::<ListResourceTemplatesResult>(raw);
    try_type::<ListPromptsResult>(raw);
    try_type::<CompleteResult>(raw);
}

fn decode(text: &str) {
    let Ok(messages) = jsonrpc::parse_messages(text) else {
        return;
    };
    for message in messages {
        match message {
            Message::Response(r) => match &r.outcome {
                Ok(raw) => {
                    // A raw result is one JSON value on its own (by the grammar: serde_json's
                    // raw values accept a lone surrogate escape, which a `String` cannot hold,
                    // and which `JSON.parse` accepts too).
                    serde_json::from_str::<Box<serde_json::value::RawValue>>(raw.get())
                        .expect("a raw result is one JSON value");
                    decode_results(raw.get());
                }
                Err(e) => {
                    let _ = e.data.as_ref().map(json::to_string);
                    let _ = e.message.len();
                }
            },
            Message::Request(r) => {
                // The client answers server requests by echoing their id.
                let empty = json::raw("{}".to_owned()).expect("{} is JSON");
                let answer = jsonrpc::encode_response(&r.id, Ok(&empty));
                jsonrpc::parse_messages(&answer).expect("our own answer parses");
                if let Some(p) = &r.params {
                    decode_results(p.get());
                }
            }
            Message::Notification(n) => {
                if let Some(p) = &n.params {
                    let _ = json::parse(p.get());
                }
            }
        }
    }
}

/// Wraps `text` as one SSE `message` event (one `data:` line per line of text, as servers do)
/// preceded by a priming event, then parses it back and decodes every event's data.
fn decode_sse(text: &str, crlf: bool) {
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut body = format!("id: prime{eol}data:{eol}{eol}event: message{eol}");
    for line in text.split('\n') {
        body.push_str("data: ");
        body.push_str(line.strip_suffix('\r').unwrap_or(line));
        body.push_str(eol);
    }
    body.push_str(eol);
    let mut parser = SseParser::new(1 << 20);
    let mut events: Vec<SseEvent> = Vec::new();
    if parser.push(body.as_bytes(), &mut events).is_err() {
        return;
    }
    assert!(
        !parser.has_partial(),
        "a complete SSE body left a partial event"
    );
    for event in &events {
        if matches!(event.event.as_deref(), None | Some("message")) && !event.data.is_empty() {
            decode(&event.data);
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    decode(&text);
    // Bare CR in the text splits an SSE line: only the CRLF/LF wrapping is lossless.
    decode_sse(&text, input.first().is_some_and(|b| b & 1 == 1));
});
