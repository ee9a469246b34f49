//! Fuzzes the incremental SSE parser (`mcp_edge_pool::sse`).
//!
//! Input layout:
//! * byte 0: the per-event limit: `(b & 0x7f) * 8` bytes (0..=1016), or the 4 MiB default when
//!   the high bit is set;
//! * byte 1: `k = b % 16`, how many chunk lengths follow;
//! * the next `k` bytes: chunk lengths, used cyclically to cut the rest (a 0 pushes an empty
//!   chunk); `k == 0` means one chunk;
//! * the rest: the body.
//!
//! Invariants checked:
//! * nothing panics;
//! * the body pushed as one chunk and pushed in the chosen chunks give the same events, the same
//!   error / no error, the same `last_event_id`, and (without error) the same `retry_ms` and
//!   `has_partial`; once an error was returned every later push fails again;
//! * no event's data is larger than the limit; no field holds a CR, the event type and id hold no
//!   LF, `event`/`id` are never `Some("")`, an id never holds NUL;
//! * without an error, the result equals a small, non-incremental reference implementation of the
//!   WHATWG event stream interpretation run on the whole body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_edge_pool::sse::{SseError, SseEvent, SseParser, DEFAULT_MAX_EVENT_BYTES};

struct Outcome {
    events: Vec<SseEvent>,
    error: Option<SseError>,
    last_event_id: Option<String>,
    retry_ms: Option<u64>,
    has_partial: bool,
}

fn run<'a>(limit: usize, chunks: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut parser = SseParser::new(limit);
    assert_eq!(parser.max_event_bytes(), limit);
    let mut events = Vec::new();
    let mut error = None;
    for chunk in chunks {
        if let Err(e) = parser.push(chunk, &mut events) {
            error = Some(e);
            break;
        }
    }
    if let Some(e) = &error {
        assert_eq!(*e, SseError::EventTooLarge { limit });
        // A failed parser stays failed and reports the same error, without new events.
        let before = events.len();
        assert_eq!(parser.push(b"\n\ndata: x\n\n", &mut events), Err(e.clone()));
        assert_eq!(parser.push(b"", &mut events), Err(e.clone()));
        assert_eq!(events.len(), before);
        assert!(
            parser.has_partial(),
            "a failed parser reports a partial event"
        );
    }
    Outcome {
        events,
        error,
        last_event_id: parser.last_event_id().map(str::to_owned),
        retry_ms: parser.retry_ms(),
        has_partial: parser.has_partial(),
    }
}

/// Cuts `body` with the cyclic `lengths`; a zero length yields an empty chunk (bounded).
fn chunks<'a>(body: &'a [u8], lengths: &[u8]) -> Vec<&'a [u8]> {
    if lengths.is_empty() || lengths.iter().all(|&l| l == 0) {
        let mut out = vec![body];
        if !lengths.is_empty() {
            out.insert(0, &body[..0]);
        }
        return out;
    }
    let mut out = Vec::new();
    let mut rest = body;
    let mut i = 0;
    while !rest.is_empty() {
        let n = usize::from(lengths[i % lengths.len()]).min(rest.len());
        i += 1;
        let (head, tail) = rest.split_at(n);
        out.push(head);
        rest = tail;
    }
    out
}

/// A direct, whole-input transcription of the WHATWG rules, for differential checking.
struct Reference {
    events: Vec<SseEvent>,
    last_event_id: Option<String>,
    retry_ms: Option<u64>,
}

fn reference(body: &[u8]) -> Reference {
    let body = body.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(body);
    let mut out = Reference {
        events: Vec::new(),
        last_event_id: None,
        retry_ms: None,
    };
    let mut data = String::new();
    let mut event = String::new();
    let mut id_buffer: Option<String> = None;
    let mut i = 0;
    let mut start = 0;
    while i < body.len() {
        let b = body[i];
        if b != b'\n' && b != b'\r' {
            i += 1;
            continue;
        }
        let line = String::from_utf8_lossy(&body[start..i]).into_owned();
        i += 1;
        if b == b'\r' && body.get(i) == Some(&b'\n') {
            i += 1;
        }
        start = i;
        if line.is_empty() {
            out.last_event_id = id_buffer.clone();
            if data.is_empty() {
                event.clear();
                continue;
            }
            if data.ends_with('\n') {
                data.pop();
            }
            out.events.push(SseEvent {
                event: if event.is_empty() {
                    None
                } else {
                    Some(std::mem::take(&mut event))
                },
                data: std::mem::take(&mut data),
                id: id_buffer.clone(),
            });
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (name, value) = match line.split_once(':') {
            Some((n, v)) => (n, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_str(), ""),
        };
        match name {
            "event" => event = value.to_owned(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "id" if !value.contains('\0') => {
                id_buffer = if value.is_empty() {
                    None
                } else {
                    Some(value.to_owned())
                };
            }
            "retry" if !value.is_empty() && value.bytes().all(|c| c.is_ascii_digit()) => {
                out.retry_ms = Some(value.bytes().fold(0u64, |acc, d| {
                    acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                }));
            }
            _ => {}
        }
    }
    out
}

fuzz_target!(|input: &[u8]| {
    let Some((&limit_byte, rest)) = input.split_first() else {
        return;
    };
    let limit = if limit_byte & 0x80 != 0 {
        DEFAULT_MAX_EVENT_BYTES
    } else {
        usize::from(limit_byte & 0x7f) * 8
    };
    let (k, rest) = match rest.split_first() {
        Some((&k, rest)) => (usize::from(k % 16).min(rest.len()), rest),
        None => (0, rest),
    };
    let (lengths, body) = rest.split_at(k);

    let whole = run(limit, [body]);
    let split = run(limit, chunks(body, lengths));

    for e in whole.events.iter().chain(&split.events) {
        assert!(e.data.len() <= limit, "event data larger than the limit");
        assert!(!e.data.contains('\r'));
        assert_ne!(e.event.as_deref(), Some(""));
        assert_ne!(e.id.as_deref(), Some(""));
        for field in e.event.iter().chain(&e.id) {
            assert!(!field.contains(['\r', '\n']));
        }
        if let Some(id) = &e.id {
            assert!(!id.contains('\0'));
        }
    }

    assert_eq!(whole.events, split.events, "chunking changed the events");
    assert_eq!(whole.error, split.error, "chunking changed the error");
    assert_eq!(
        whole.last_event_id, split.last_event_id,
        "chunking changed last_event_id"
    );
    if whole.error.is_none() {
        assert_eq!(whole.retry_ms, split.retry_ms, "chunking changed retry_ms");
        assert_eq!(
            whole.has_partial, split.has_partial,
            "chunking changed has_partial"
        );
        let expected = reference(body);
        assert_eq!(whole.events, expected.events, "differs from the reference");
        assert_eq!(whole.last_event_id, expected.last_event_id);
        assert_eq!(whole.retry_ms, expected.retry_ms);
    }
});
