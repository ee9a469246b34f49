//! The parser and writer, checked against `serde_json` (a dev-dependency only) as the oracle.

use super::*;

fn oracle(text: &str) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::from_str(text)
}

/// Our tree, written, means what serde_json reads from the original.
fn same_meaning(text: &str) {
    let ours = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    let written = to_string(&ours);
    let back = oracle(&written).unwrap_or_else(|e| panic!("{written:?}: {e}"));
    let theirs = oracle(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    assert_eq!(back, theirs, "{text:?} written as {written:?}");
}

#[test]
fn reads_what_serde_json_reads() {
    for text in [
        "null",
        " true ",
        "false",
        "0",
        "-0",
        "12",
        "-3.25",
        "1e3",
        "2.5E-3",
        "18446744073709551615",
        r#""""#,
        r#""plain""#,
        r#""esc \" \\ \/ \b \f \n \r \t""#,
        r#""\u0041\u00e9\u20ac \ud83d\ude00""#,
        "\"raw é € 😀\"",
        "[]",
        "[1, [2, [3, {}]], \"x\"]",
        "{}",
        r#"{"b": 1, "a": {"c": [true, null]}, "": ""}"#,
        r#"{"k": 1, "k": 2}"#,
        "\n\t {\"sp\" :\r\n 1 } \n",
    ] {
        same_meaning(text);
    }
}

#[test]
fn refuses_what_serde_json_refuses() {
    let deep = "[".repeat(129) + &"]".repeat(129);
    for text in [
        "",
        " ",
        "{",
        "[1,]",
        r#"{"a":1,}"#,
        "[1 2]",
        r#"{"a" 1}"#,
        "{1:2}",
        "01",
        "1.",
        ".5",
        "-",
        "1e",
        "1e+",
        "+1",
        "tru",
        "nul",
        "True",
        r#""\x""#,
        r#""\u12""#,
        r#""\ud800""#,
        r#""\udc00x""#,
        r#""\ud800\u0041""#,
        "\"a\u{1}b\"",
        "\"open",
        "1 2",
        "{} x",
        "[1]]",
        &deep,
    ] {
        assert!(parse(text).is_err(), "{text:?} was accepted");
        assert!(oracle(text).is_err(), "the oracle accepts {text:?}");
        assert!(RawValue::from_string(text.to_owned()).is_err(), "{text:?}");
    }
}

#[test]
fn nesting_is_limited_without_exhausting_the_stack() {
    let ok = "[".repeat(128) + &"]".repeat(128);
    assert!(parse(&ok).is_ok());
    let hostile = "[".repeat(100_000);
    let e = parse(&hostile)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("nested too deeply"), "{e}");
    assert!(RawValue::from_string(hostile).is_err());
}

/// A small deterministic generator (no dependency, same cases every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

#[test]
fn agrees_with_serde_json_on_random_near_json_text() {
    const PIECES: [&str; 24] = [
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        " ",
        "\"",
        "\"k\"",
        "\"v\"",
        "1",
        "-",
        "0",
        ".",
        "5",
        "e",
        "true",
        "null",
        "\\",
        "\\n",
        "\\u00e9",
        "\\ud83d\\ude00",
        "é",
        "\u{1}",
    ];
    let mut rng = Lcg(7);
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..30_000 {
        let mut text = String::new();
        for _ in 0..rng.next(12) + 1 {
            text.push_str(PIECES[rng.next(PIECES.len())]);
        }
        match (parse(&text), oracle(&text)) {
            (Ok(ours), Ok(theirs)) => {
                accepted += 1;
                assert_eq!(oracle(&to_string(&ours)).ok(), Some(theirs), "{text:?}");
            }
            (Err(_), Err(_)) => refused += 1,
            // Numbers are kept as text, so a huge one is fine here; serde_json makes it an f64.
            (Ok(_), Err(e)) if e.to_string().contains("out of range") => {}
            (ours, theirs) => panic!("{text:?}: ours {ours:?}, serde_json {theirs:?}"),
        }
        assert_eq!(
            RawValue::from_string(text.clone()).is_ok(),
            parse(&text).is_ok(),
            "{text:?}"
        );
    }
    assert!(accepted > 500 && refused > 500, "{accepted} / {refused}");
}

#[test]
fn quotes_strings_as_serde_json_does() {
    for text in [
        "",
        "plain",
        "quote \" backslash \\ slash /",
        "\n\r\t\u{8}\u{c}",
        "\u{0}\u{1f}\u{7f}",
        "é € 😀",
    ] {
        let ours = quoted(text);
        assert_eq!(
            ours,
            serde_json::to_string(text).unwrap_or_default(),
            "{text:?}"
        );
        assert_eq!(parse(&ours), Ok(Value::String(text.to_owned())));
    }
}

#[test]
fn numbers_keep_their_text_and_convert_when_they_fit() {
    let n = |text: &str| match parse(text) {
        Ok(Value::Number(n)) => n,
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(n("1e400").as_str(), "1e400");
    assert_eq!(to_string(&parse("[1.50,-0,1E2]").unwrap()), "[1.50,-0,1E2]");
    assert_eq!(n("18446744073709551615").as_u64(), Some(u64::MAX));
    assert_eq!(n("18446744073709551615").as_i64(), None);
    assert_eq!(n("-9223372036854775808").as_i64(), Some(i64::MIN));
    assert_eq!(n("-1").as_u64(), None);
    assert_eq!(n("1.0").as_u64(), None);
    assert_eq!(n("1e2").as_i64(), None);
    assert_eq!(n("2.5").as_f64(), Some(2.5));
    assert_eq!(Value::from(7_u64), parse("7").unwrap());
    assert_eq!(Value::from(-7_i64).as_i64(), Some(-7));
}

#[test]
fn raw_values_are_checked_and_trimmed() {
    let raw = RawValue::from_string(" {\"a\": [1, 2]}\n".to_owned()).unwrap();
    assert_eq!(raw.get(), "{\"a\": [1, 2]}");
    assert_eq!(raw.to_string(), raw.get());
    assert!(!raw.is_null());
    assert!(RawValue::from_string(" null ".to_owned()).is_ok_and(|v| v.is_null()));
    assert!(RawValue::from_string("{} {}".to_owned()).is_err());
}

#[test]
fn trees_index_and_convert() {
    let v = parse(r#"{"a": {"b": ["x", 2, true]}, "n": null}"#).unwrap();
    assert_eq!(v["a"]["b"][0].as_str(), Some("x"));
    assert_eq!(v["a"]["b"][1].as_u64(), Some(2));
    assert_eq!(v["a"]["b"][2].as_bool(), Some(true));
    assert!(v["a"]["b"][3].is_null() && v["missing"]["deeper"].is_null());
    assert!(v["n"].is_null() && v.get("n").is_some() && v.is_object());
    assert_eq!(
        v.get("a")
            .and_then(|a| a.get("b"))
            .map(|b| b.as_array().map(Vec::len)),
        Some(Some(3))
    );
    assert_eq!(v.to_string(), r#"{"a":{"b":["x",2,true]},"n":null}"#);
    assert_eq!(format!("{:?}", Value::from(vec!["a", "b"])), r#"["a","b"]"#);
    assert!(parse_object("[1]").is_err());
    assert_eq!(parse_object(r#"{"z":1,"a":2}"#).map(|m| m.len()), Ok(2));
}

#[test]
fn errors_say_what_and_where() {
    let e = parse(r#"{"a": tru}"#).err().unwrap();
    assert_eq!((e.message(), e.offset()), ("expected a JSON value", 6));
    assert_eq!(e.to_string(), "expected a JSON value at byte 6");
}
