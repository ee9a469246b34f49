//! Incremental Server-Sent Events (`text/event-stream`) parser.
//!
//! Implements the WHATWG EventSource
//! [event stream interpretation](https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation)
//! rules, using only `std`:
//!
//! * lines end in CRLF, LF or CR; a CR at the end of one chunk followed by an
//!   LF at the start of the next is a single line end;
//! * one leading UTF-8 byte order mark is stripped from the stream;
//! * lines starting with `:` are comments;
//! * `field:value` lines have one optional space after the colon removed; a
//!   line without a colon is a field with an empty value;
//! * the `event`, `data`, `id` and `retry` fields are interpreted, every other
//!   field is ignored;
//! * an empty line dispatches the buffered event (if it has any data).
//!
//! Bytes may arrive in any chunking: they are buffered until a line ends and
//! only then decoded (lossily) as UTF-8, so multi-byte characters split across
//! chunks decode correctly. Each [`SseParser::push`] scans only the newly
//! supplied bytes for line ends.
//!
//! Memory is bounded by a per-event limit: see [`SseParser::new`].

use std::fmt;

/// Default per-event size limit used by [`SseParser::default`]: 4 MiB.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 4 * 1024 * 1024;

/// The UTF-8 byte order mark, stripped once from the start of the stream.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field; `None` means the default type "message".
    pub event: Option<String>,
    /// The `data:` lines joined with '\n' (no trailing newline).
    pub data: String,
    /// The last-event-id in force when this event was dispatched (spec: the
    /// `id` buffer), `None` if never set / set empty.
    pub id: Option<String>,
}

/// Errors reported by [`SseParser::push`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseError {
    /// The pending line bytes plus the data buffered for the current event
    /// exceeded the parser's limit.
    EventTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SseError::EventTooLarge { limit } => write!(
                f,
                "The server-sent event is larger than the limit of {limit} bytes."
            ),
        }
    }
}

impl std::error::Error for SseError {}

/// Incremental, chunking-independent Server-Sent Events parser.
///
/// Feed body bytes with [`push`](SseParser::push); completed events are
/// appended to the caller's vector. At the end of the body,
/// [`has_partial`](SseParser::has_partial) tells whether the stream stopped in
/// the middle of an event.
#[derive(Debug)]
pub struct SseParser {
    /// Limit on pending line bytes plus the current event's data buffer.
    max_event_bytes: usize,
    /// Bytes of the current line that have not seen their line end yet.
    line: Vec<u8>,
    /// The data buffer of the current event (each data line plus '\n').
    data: String,
    /// The event type buffer; empty means the default type.
    event: String,
    /// The last event ID buffer (persists across events).
    id_buffer: Option<String>,
    /// Whether an `id` field was processed since the last dispatch.
    id_pending: bool,
    /// The last event ID string, updated at each dispatch.
    last_event_id: Option<String>,
    /// The last valid `retry:` value.
    retry_ms: Option<u64>,
    /// The previous chunk ended in a CR that terminated a line: an LF at the
    /// start of the next chunk belongs to that line end.
    skip_lf: bool,
    /// Whether the start-of-stream BOM check is finished.
    bom_done: bool,
    /// How many BOM bytes matched so far (while `bom_done` is false).
    bom_matched: usize,
    /// Set after an error: further input is rejected.
    failed: bool,
}

impl Default for SseParser {
    /// A parser with the [`DEFAULT_MAX_EVENT_BYTES`] (4 MiB) limit.
    fn default() -> Self {
        Self::new(DEFAULT_MAX_EVENT_BYTES)
    }
}

impl SseParser {
    /// Creates a parser.
    ///
    /// `max_event_bytes` bounds the memory held for one event: if the bytes
    /// of the not-yet-terminated line plus the data buffered for the current
    /// event (each data line's value plus one '\n') exceed it,
    /// [`push`](SseParser::push) fails with [`SseError::EventTooLarge`].
    pub fn new(max_event_bytes: usize) -> Self {
        SseParser {
            max_event_bytes,
            line: Vec::new(),
            data: String::new(),
            event: String::new(),
            id_buffer: None,
            id_pending: false,
            last_event_id: None,
            retry_ms: None,
            skip_lf: false,
            bom_done: false,
            bom_matched: 0,
            failed: false,
        }
    }

    /// Feeds bytes (any chunking); appends every completed event to `out`.
    ///
    /// Events completed before an error are still appended. After an error
    /// the current event is discarded and every later call returns the same
    /// error without parsing (the parser never panics).
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if self.failed {
            return Err(self.too_large());
        }
        let result = self.push_inner(bytes, out);
        if result.is_err() {
            self.failed = true;
            self.line = Vec::new();
            self.data = String::new();
            self.event = String::new();
        }
        result
    }

    /// Last event id seen (for Last-Event-ID reconnects), `None` if none /
    /// reset by an empty id.
    ///
    /// As in the spec ("last event ID string"), this is updated when an event
    /// is dispatched (an empty line), including dispatches without data such
    /// as priming events; an `id:` line not yet followed by an empty line
    /// does not count.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    /// The last valid `retry:` value in milliseconds, if any.
    ///
    /// Values too large for `u64` saturate to `u64::MAX`.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry_ms
    }

    /// True if the stream ended mid-event (bytes or fields buffered but not
    /// dispatched). Used at end of body.
    ///
    /// Also true after an error, since the event in progress was lost.
    pub fn has_partial(&self) -> bool {
        self.failed
            || !self.line.is_empty()
            || !self.data.is_empty()
            || !self.event.is_empty()
            || self.id_pending
            || (!self.bom_done && self.bom_matched > 0)
    }

    fn too_large(&self) -> SseError {
        SseError::EventTooLarge {
            limit: self.max_event_bytes,
        }
    }

    /// Fails if `extra` more line bytes would exceed the limit.
    fn check_size(&self, extra: usize) -> Result<(), SseError> {
        let total = self
            .line
            .len()
            .saturating_add(extra)
            .saturating_add(self.data.len());
        if total > self.max_event_bytes {
            Err(self.too_large())
        } else {
            Ok(())
        }
    }

    fn push_inner(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        let mut input = bytes;

        if !self.bom_done {
            input = self.strip_bom(input);
            if !self.bom_done {
                // Every byte so far was a BOM prefix; wait for more.
                return Ok(());
            }
        }

        if self.skip_lf {
            if let Some((&first, rest)) = input.split_first() {
                self.skip_lf = false;
                if first == b'\n' {
                    input = rest;
                }
            }
        }

        while !input.is_empty() {
            let Some(pos) = input.iter().position(|&b| b == b'\n' || b == b'\r') else {
                self.check_size(input.len())?;
                self.line.extend_from_slice(input);
                break;
            };
            let (content, tail) = input.split_at(pos);
            let Some((&terminator, after)) = tail.split_first() else {
                // Unreachable: `pos` indexes a line-end byte in `input`.
                break;
            };
            self.check_size(content.len())?;
            if self.line.is_empty() {
                self.process_line(content, out)?;
            } else {
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(content);
                let result = self.process_line(&line, out);
                line.clear();
                self.line = line;
                result?;
            }
            input = after;
            if terminator == b'\r' {
                match input.split_first() {
                    Some((&b'\n', rest)) => input = rest,
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
        }
        Ok(())
    }

    /// Consumes a (possibly partial) leading BOM; returns the remaining input.
    fn strip_bom<'a>(&mut self, mut input: &'a [u8]) -> &'a [u8] {
        while let Some((&b, rest)) = input.split_first() {
            if BOM.get(self.bom_matched) == Some(&b) {
                self.bom_matched += 1;
                input = rest;
                if self.bom_matched >= BOM.len() {
                    self.bom_done = true;
                    break;
                }
            } else {
                // Not a BOM: the bytes matched so far are ordinary line bytes
                // (none of them is a line end).
                self.bom_done = true;
                self.line
                    .extend_from_slice(BOM.get(..self.bom_matched).unwrap_or(&[]));
                break;
            }
        }
        input
    }

    /// Interprets one complete line (without its line end).
    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        if line.first() == Some(&b':') {
            return Ok(());
        }
        let (name, value): (&[u8], &[u8]) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let (name, rest) = line.split_at(colon);
                let value = rest.get(1..).unwrap_or(&[]);
                (name, value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[]),
        };
        match name {
            b"event" => {
                self.event.clear();
                self.event.push_str(&String::from_utf8_lossy(value));
            }
            b"data" => {
                self.data.push_str(&String::from_utf8_lossy(value));
                self.data.push('\n');
                if self.data.len() > self.max_event_bytes {
                    return Err(self.too_large());
                }
            }
            // An id containing NUL is ignored.
            b"id" if !value.contains(&0) => {
                self.id_buffer = if value.is_empty() {
                    None
                } else {
                    Some(String::from_utf8_lossy(value).into_owned())
                };
                self.id_pending = true;
            }
            // Only non-empty, all-ASCII-digit values are valid.
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                self.retry_ms = Some(parse_decimal(value));
            }
            // Unknown fields and invalid id/retry values are ignored.
            _ => {}
        }
        Ok(())
    }

    /// Handles an empty line: dispatches the buffered event, if any.
    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        self.last_event_id.clone_from(&self.id_buffer);
        self.id_pending = false;
        if self.data.is_empty() {
            self.event.clear();
            return;
        }
        if self.data.ends_with('\n') {
            self.data.pop();
        }
        let event = if self.event.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.event))
        };
        out.push(SseEvent {
            event,
            data: std::mem::take(&mut self.data),
            id: self.id_buffer.clone(),
        });
    }
}

/// Parses ASCII digits as base ten, saturating at `u64::MAX`.
fn parse_decimal(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |acc, &d| {
        acc.saturating_mul(10)
            .saturating_add(u64::from(d.wrapping_sub(b'0')))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: Option<&str>, data: &str, id: Option<&str>) -> SseEvent {
        SseEvent {
            event: event.map(str::to_owned),
            data: data.to_owned(),
            id: id.map(str::to_owned),
        }
    }

    fn msg(data: &str) -> SseEvent {
        ev(None, data, None)
    }

    struct Case {
        name: &'static str,
        input: &'static [u8],
        events: Vec<SseEvent>,
        last_id: Option<&'static str>,
        retry: Option<u64>,
        partial: bool,
    }

    fn case(
        name: &'static str,
        input: &'static [u8],
        events: Vec<SseEvent>,
        last_id: Option<&'static str>,
        retry: Option<u64>,
        partial: bool,
    ) -> Case {
        Case {
            name,
            input,
            events,
            last_id,
            retry,
            partial,
        }
    }

    fn cases() -> Vec<Case> {
        vec![
            case("lf", b"data: hello\n\n", vec![msg("hello")], None, None, false),
            case(
                "crlf",
                b"data: a\r\n\r\ndata: b\r\n\r\n",
                vec![msg("a"), msg("b")],
                None,
                None,
                false,
            ),
            case(
                "cr",
                b"data: a\r\rdata: b\r\r",
                vec![msg("a"), msg("b")],
                None,
                None,
                false,
            ),
            case(
                "mixed line ends",
                b"data: a\r\ndata: b\n\rdata: c\r\n\ndata: d\r\r\n",
                vec![msg("a\nb"), msg("c"), msg("d")],
                None,
                None,
                false,
            ),
            case(
                "crlf vs cr cr",
                b"data: a\r\n\rdata: b\r\r\n\n",
                vec![msg("a"), msg("b")],
                None,
                None,
                false,
            ),
            case(
                "multi-line data",
                b"data: a\ndata: b\ndata: c\n\n",
                vec![msg("a\nb\nc")],
                None,
                None,
                false,
            ),
            case(
                "data line with empty values inside",
                b"data: a\ndata:\ndata: b\n\n",
                vec![msg("a\n\nb")],
                None,
                None,
                false,
            ),
            case(
                "comments",
                b": hello\ndata: x\n:another: one\n:\n\n",
                vec![msg("x")],
                None,
                None,
                false,
            ),
            case("comments only", b": ping\n\n: ping\n", vec![], None, None, false),
            case("data without colon", b"data\n\n", vec![msg("")], None, None, false),
            case(
                "two data lines without colon",
                b"data\ndata\n\n",
                vec![msg("\n")],
                None,
                None,
                false,
            ),
            case("data without space", b"data:x\n\n", vec![msg("x")], None, None, false),
            case("data with space", b"data: x\n\n", vec![msg("x")], None, None, false),
            case("two spaces", b"data:  x\n\n", vec![msg(" x")], None, None, false),
            case(
                "trailing space kept",
                b"data: x \n\n",
                vec![msg("x ")],
                None,
                None,
                false,
            ),
            case(
                "colon in value",
                b"data: a:b: c\n\n",
                vec![msg("a:b: c")],
                None,
                None,
                false,
            ),
            case("empty data line", b"data:\n\n", vec![msg("")], None, None, false),
            case(
                "event name, reset after dispatch",
                b"event: update\ndata: 1\n\ndata: 2\n\n",
                vec![ev(Some("update"), "1", None), msg("2")],
                None,
                None,
                false,
            ),
            case(
                "last event name wins",
                b"event: a\nevent: b\ndata: 1\n\n",
                vec![ev(Some("b"), "1", None)],
                None,
                None,
                false,
            ),
            case(
                "empty event name is default",
                b"event: x\nevent:\ndata: 1\n\n",
                vec![msg("1")],
                None,
                None,
                false,
            ),
            case(
                "event without data is dropped with its type",
                b"event: x\n\ndata: y\n\n",
                vec![msg("y")],
                None,
                None,
                false,
            ),
            case(
                "id persists across events",
                b"id: 1\ndata: a\n\ndata: b\n\n",
                vec![ev(None, "a", Some("1")), ev(None, "b", Some("1"))],
                Some("1"),
                None,
                false,
            ),
            case(
                "id reset by empty value without colon",
                b"id: 1\ndata: a\n\nid\ndata: b\n\n",
                vec![ev(None, "a", Some("1")), msg("b")],
                None,
                None,
                false,
            ),
            case(
                "id reset by empty value with colon",
                b"id: 1\ndata: a\n\nid:\ndata: b\n\n",
                vec![ev(None, "a", Some("1")), msg("b")],
                None,
                None,
                false,
            ),
            case(
                "id with NUL ignored",
                b"id: 1\ndata: a\n\nid: 2\x00x\ndata: b\n\n",
                vec![ev(None, "a", Some("1")), ev(None, "b", Some("1"))],
                Some("1"),
                None,
                false,
            ),
            case(
                "id with spaces kept",
                b"id:  x y \ndata: a\n\n",
                vec![ev(None, "a", Some(" x y "))],
                Some(" x y "),
                None,
                false,
            ),
            case(
                "retry valid",
                b"retry: 3000\n\n",
                vec![],
                None,
                Some(3000),
                false,
            ),
            case(
                "retry last valid wins",
                b"retry: 3000\nretry:10\ndata: x\n\n",
                vec![msg("x")],
                None,
                Some(10),
                false,
            ),
            case(
                "retry invalid ignored",
                b"retry: 3000\nretry: 12a\nretry: -1\nretry:\nretry\nretry: 1.5\nretry:  5\nretry: \xd9\xa3\n\n",
                vec![],
                None,
                Some(3000),
                false,
            ),
            case(
                "retry only invalid",
                b"retry: soon\n\n",
                vec![],
                None,
                None,
                false,
            ),
            case(
                "retry huge saturates",
                b"retry: 99999999999999999999999\n",
                vec![],
                None,
                Some(u64::MAX),
                false,
            ),
            case(
                "priming event: id without data",
                b"id: prime-1\n\n",
                vec![],
                Some("prime-1"),
                None,
                false,
            ),
            case(
                "priming then event",
                b"id: p\ndata\n\n",
                vec![ev(None, "", Some("p"))],
                Some("p"),
                None,
                false,
            ),
            case(
                "unknown fields ignored, names case-sensitive",
                b"foo: bar\ndata: x\nData: y\nDATA\n data: z\n\n",
                vec![msg("x")],
                None,
                None,
                false,
            ),
            case("bom", b"\xEF\xBB\xBFdata: x\n\n", vec![msg("x")], None, None, false),
            case(
                "bom stripped only once",
                b"\xEF\xBB\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\n",
                vec![msg("a")],
                None,
                None,
                false,
            ),
            case(
                "double bom",
                b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\n",
                vec![],
                None,
                None,
                false,
            ),
            case(
                "partial bom is data",
                b"\xEF\xBB\n\ndata: x\n\n",
                vec![msg("x")],
                None,
                None,
                false,
            ),
            case("only partial bom", b"\xEF\xBB", vec![], None, None, true),
            case(
                "no trailing blank line",
                b"data: a\n\ndata: b\n",
                vec![msg("a")],
                None,
                None,
                true,
            ),
            case(
                "no trailing newline",
                b"data: a\n\ndata: b",
                vec![msg("a")],
                None,
                None,
                true,
            ),
            case(
                "trailing cr only",
                b"data: a\r",
                vec![],
                None,
                None,
                true,
            ),
            case(
                "event field pending",
                b"event: x\n",
                vec![],
                None,
                None,
                true,
            ),
            case(
                "id pending is not yet last id",
                b"id: 1\n\nid: 2\n",
                vec![],
                Some("1"),
                None,
                true,
            ),
            case(
                "ends after complete event",
                b"data: a\n\n\n\n",
                vec![msg("a")],
                None,
                None,
                false,
            ),
            case("empty input", b"", vec![], None, None, false),
            case("blank lines only", b"\n\r\n\r", vec![], None, None, false),
            case(
                "utf8 multibyte",
                "data: héllo 日本 🦀\nevent: ünï\nid: é\n\n".as_bytes(),
                vec![ev(Some("ünï"), "héllo 日本 🦀", Some("é"))],
                Some("é"),
                None,
                false,
            ),
            case(
                "invalid utf8 replaced",
                b"data: a\xFFb\xE6\x97\n\n",
                vec![msg("a\u{FFFD}b\u{FFFD}")],
                None,
                None,
                false,
            ),
            case(
                "mcp json",
                b"event: message\nid: abc\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n",
                vec![ev(
                    Some("message"),
                    r#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
                    Some("abc"),
                )],
                Some("abc"),
                None,
                false,
            ),
            case(
                "mcp stream with priming and crlf",
                b"id: s-0\r\nretry: 500\r\ndata:\r\n\r\nevent: message\r\nid: s-1\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\r\n\r\n: keepalive\r\n\r\nevent: message\r\nid: s-2\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"content\":[]}}\r\n\r\n",
                vec![
                    ev(None, "", Some("s-0")),
                    ev(
                        Some("message"),
                        r#"{"jsonrpc":"2.0","method":"notifications/progress"}"#,
                        Some("s-1"),
                    ),
                    ev(
                        Some("message"),
                        r#"{"jsonrpc":"2.0","id":7,"result":{"content":[]}}"#,
                        Some("s-2"),
                    ),
                ],
                Some("s-2"),
                Some(500),
                false,
            ),
        ]
    }

    #[derive(Debug, PartialEq, Eq)]
    struct Outcome {
        events: Vec<SseEvent>,
        last_id: Option<String>,
        retry: Option<u64>,
        partial: bool,
    }

    fn run(chunks: &[&[u8]]) -> Outcome {
        let mut parser = SseParser::new(1024);
        let mut events = Vec::new();
        for chunk in chunks {
            assert_eq!(parser.push(chunk, &mut events), Ok(()));
        }
        Outcome {
            events,
            last_id: parser.last_event_id().map(str::to_owned),
            retry: parser.retry_ms(),
            partial: parser.has_partial(),
        }
    }

    #[test]
    fn table() {
        let cases = cases();
        assert!(cases.len() >= 20);
        for c in &cases {
            let expected = Outcome {
                events: c.events.clone(),
                last_id: c.last_id.map(str::to_owned),
                retry: c.retry,
                partial: c.partial,
            };
            assert_eq!(run(&[c.input]), expected, "{}: one chunk", c.name);

            let bytes: Vec<&[u8]> = c.input.chunks(1).collect();
            assert_eq!(run(&bytes), expected, "{}: byte by byte", c.name);

            for split in 0..=c.input.len() {
                let (a, b) = c.input.split_at(split);
                assert_eq!(run(&[a, b]), expected, "{}: split at {split}", c.name);
            }

            if c.input.len() <= 64 {
                for i in 0..=c.input.len() {
                    for j in i..=c.input.len() {
                        let (ab, z) = c.input.split_at(j);
                        let (a, b) = ab.split_at(i);
                        assert_eq!(
                            run(&[a, b, &[], z]),
                            expected,
                            "{}: split at {i},{j}",
                            c.name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn cr_at_chunk_end_then_lf() {
        let mut p = SseParser::new(100);
        let mut out = Vec::new();
        assert_eq!(p.push(b"data: a\r", &mut out), Ok(()));
        assert_eq!(p.push(b"", &mut out), Ok(()));
        assert_eq!(p.push(b"\n", &mut out), Ok(()));
        assert!(out.is_empty(), "CR LF is one line end, not a blank line");
        assert!(p.has_partial());
        assert_eq!(p.push(b"\r", &mut out), Ok(()));
        assert_eq!(out, vec![msg("a")]);
        assert!(!p.has_partial());
        // A CR at chunk end followed by a non-LF byte.
        assert_eq!(p.push(b"data: b\r", &mut out), Ok(()));
        assert_eq!(p.push(b"\r", &mut out), Ok(()));
        assert_eq!(out, vec![msg("a"), msg("b")]);
    }

    #[test]
    fn events_are_delivered_as_soon_as_complete() {
        let mut p = SseParser::default();
        let mut out = Vec::new();
        assert_eq!(p.push(b"data: 1\n\ndata: 2\n", &mut out), Ok(()));
        assert_eq!(out, vec![msg("1")]);
        out.clear();
        assert_eq!(p.push(b"\n", &mut out), Ok(()));
        assert_eq!(out, vec![msg("2")]);
    }

    #[test]
    fn default_limit() {
        let p = SseParser::default();
        assert_eq!(p.max_event_bytes, DEFAULT_MAX_EVENT_BYTES);
        assert_eq!(DEFAULT_MAX_EVENT_BYTES, 4 * 1024 * 1024);
    }

    /// Feeds `input` in `chunk`-sized pieces; returns the events and the
    /// first error.
    fn feed(limit: usize, input: &[u8], chunk: usize) -> (Vec<SseEvent>, Result<(), SseError>) {
        let mut p = SseParser::new(limit);
        let mut out = Vec::new();
        for piece in input.chunks(chunk) {
            if let Err(e) = p.push(piece, &mut out) {
                return (out, Err(e));
            }
        }
        (out, Ok(()))
    }

    #[test]
    fn limit_is_inclusive() {
        // "data: 0123456789" is 16 bytes; data buffer becomes 11 bytes.
        let input = b"data: 0123456789\n\ndata: 0123456789\n\n";
        for chunk in [1, 3, input.len()] {
            let (out, res) = feed(16, input, chunk);
            assert_eq!(res, Ok(()));
            assert_eq!(out, vec![msg("0123456789"), msg("0123456789")]);
        }
    }

    #[test]
    fn too_large_single_line() {
        let mut input = b"data: ok\n\ndata: ".to_vec();
        input.extend(std::iter::repeat(b'x').take(100));
        input.extend_from_slice(b"\n\n");
        for chunk in [1, 7, input.len()] {
            let (out, res) = feed(64, &input, chunk);
            assert_eq!(
                res,
                Err(SseError::EventTooLarge { limit: 64 }),
                "chunk {chunk}"
            );
            assert_eq!(out, vec![msg("ok")]);
        }
    }

    #[test]
    fn too_large_many_small_lines() {
        let mut input = b"data: ok\n\n".to_vec();
        for _ in 0..50 {
            input.extend_from_slice(b"data: abc\n");
        }
        input.extend_from_slice(b"\n");
        for chunk in [1, 5, input.len()] {
            let (out, res) = feed(64, &input, chunk);
            assert_eq!(
                res,
                Err(SseError::EventTooLarge { limit: 64 }),
                "chunk {chunk}"
            );
            assert_eq!(out, vec![msg("ok")]);
        }
        // The same lines spread over separate events stay within the limit.
        let mut ok = Vec::new();
        for _ in 0..50 {
            ok.extend_from_slice(b"data: abc\n\n");
        }
        let (out, res) = feed(64, &ok, 3);
        assert_eq!(res, Ok(()));
        assert_eq!(out.len(), 50);
    }

    #[test]
    fn too_large_endless_line() {
        let mut p = SseParser::new(1024);
        let mut out = Vec::new();
        let chunk = [b'a'; 100];
        let mut failed_at = None;
        for i in 0..100 {
            if let Err(e) = p.push(&chunk, &mut out) {
                assert_eq!(e, SseError::EventTooLarge { limit: 1024 });
                failed_at = Some(i);
                break;
            }
        }
        assert_eq!(
            failed_at,
            Some(10),
            "fails once 1100 > 1024 bytes are pending"
        );
        assert!(out.is_empty());
    }

    #[test]
    fn errored_parser_does_not_panic() {
        let mut p = SseParser::new(8);
        let mut out = Vec::new();
        assert!(p.push(b"data: 0123456789\n\n", &mut out).is_err());
        assert!(p.has_partial());
        for input in [
            &b"data: a\n\n"[..],
            b"\r",
            b"\n",
            b"",
            b"\xEF\xBB\xBF",
            b"id: 1\nretry: 5\n\n",
            &[0xFF; 64],
        ] {
            assert_eq!(
                p.push(input, &mut out),
                Err(SseError::EventTooLarge { limit: 8 })
            );
        }
        assert!(out.is_empty());
        let _ = (p.last_event_id(), p.retry_ms(), p.has_partial());
    }

    #[test]
    fn zero_limit() {
        let (out, res) = feed(0, b"\n\n: \n", 1);
        assert_eq!(
            (out, res),
            (vec![], Err(SseError::EventTooLarge { limit: 0 }))
        );
        let (out, res) = feed(0, b"\n\r\n\r", 1);
        assert_eq!((out, res), (vec![], Ok(())));
    }

    #[test]
    fn error_display() {
        let e = SseError::EventTooLarge { limit: 10 };
        assert_eq!(
            e.to_string(),
            "The server-sent event is larger than the limit of 10 bytes."
        );
        let _: &dyn std::error::Error = &e;
    }

    /// Pseudo-random streams over an alphabet of interesting bytes: chunking
    /// never changes the outcome, and nothing panics.
    #[test]
    fn random_chunking_is_consistent() {
        const ALPHABET: &[&[u8]] = &[
            b"\n",
            b"\r",
            b"\r\n",
            b":",
            b" ",
            b"data",
            b"event",
            b"id",
            b"retry",
            b"x",
            b"7",
            b"\0",
            b"\xEF",
            b"\xBB\xBF",
            "é".as_bytes(),
            b"\xFF",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize
        };
        for _ in 0..300 {
            let mut input = Vec::new();
            for _ in 0..(next() % 60) {
                input.extend_from_slice(
                    ALPHABET
                        .get(next() % ALPHABET.len())
                        .copied()
                        .unwrap_or(b""),
                );
            }
            let whole = run(&[&input]);
            let mut chunks = Vec::new();
            let mut rest: &[u8] = &input;
            while !rest.is_empty() {
                let n = (next() % 5).min(rest.len());
                let (a, b) = rest.split_at(n);
                chunks.push(a);
                rest = b;
            }
            assert_eq!(run(&chunks), whole, "input {input:?}");
        }
    }
}
