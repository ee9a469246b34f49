//! The SSE + JSON-RPC part of reading a `tools/call` answer, exactly as the session does it
//! (`src/session/exchange.rs`, `read_sse`): bytes in chunks -> `SseParser::push` -> for each
//! `message` event `jsonrpc::parse_messages` -> the raw result text. No I/O, no JS.

use std::cell::RefCell;

use mcp_edge_pool::jsonrpc::{self, Message};
use mcp_edge_pool::sse::{SseEvent, SseParser};

/// The SSE body bench/fast_server.mjs sends for `tools/call big` (same bytes), with a result
/// text of `text_bytes` characters.
pub fn make_body(text_bytes: usize) -> Vec<u8> {
    let line = "The quick brown fox jumps over the lazy dog; 0123456789 ABCDEFG\n";
    let mut text = line.repeat(text_bytes / line.len() + 1);
    text.truncate(text_bytes);
    let result = serde_json_text(&text);
    format!(
        "event: message\ndata: {{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{{\"content\":[{{\"type\":\"text\",\"text\":{result}}}]}}}}\n\n"
    )
    .into_bytes()
}

fn serde_json_text(s: &str) -> String {
    // JSON string literal: the text only has printable ASCII and '\n'.
    let mut out = String::with_capacity(s.len() + s.len() / 32 + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Parses `body` delivered in `chunk`-byte pieces; returns the length of the result text found.
pub fn parse_once(body: &[u8], chunk: usize) -> usize {
    let mut parser = SseParser::new(16 * 1024 * 1024);
    let mut events: Vec<SseEvent> = Vec::new();
    for piece in body.chunks(chunk.max(1)) {
        if parser.push(piece, &mut events).is_err() {
            return 0;
        }
        for event in events.drain(..) {
            if event.data.is_empty() || !matches!(event.event.as_deref(), None | Some("message")) {
                continue;
            }
            let Ok(messages) = jsonrpc::parse_messages(&event.data) else {
                return 0;
            };
            for message in messages {
                if let Message::Response(r) = message {
                    if let Ok(raw) = r.outcome {
                        return raw.get().len();
                    }
                }
            }
        }
    }
    0
}

thread_local! {
    static BODY: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// wasm export: builds the body of a `text_bytes` result; returns its size in bytes.
#[no_mangle]
pub extern "C" fn bench_prepare(text_bytes: u32) -> u32 {
    let body = make_body(text_bytes as usize);
    let len = body.len() as u32;
    BODY.with(|b| *b.borrow_mut() = body);
    len
}

/// wasm export: parses the prepared body `iters` times in `chunk`-byte pieces; returns the sum of
/// the result lengths (so nothing is optimised away).
#[no_mangle]
pub extern "C" fn bench_parse(iters: u32, chunk: u32) -> u32 {
    BODY.with(|b| {
        let body = b.borrow();
        let mut sum = 0usize;
        for _ in 0..iters {
            sum = sum.wrapping_add(parse_once(&body, chunk as usize));
        }
        sum as u32
    })
}
