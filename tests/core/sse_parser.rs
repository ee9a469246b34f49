//! Table-driven tests of the incremental SSE parser: every case in one chunk, byte by byte, and
//! split at every point.

use mcp_edge_pool::sse::*;

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
    assert_eq!(p.max_event_bytes(), DEFAULT_MAX_EVENT_BYTES);
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
