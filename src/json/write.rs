//! Writing JSON text.

/// Appends `text` as a JSON string: quoted, with `"`, `\` and control characters escaped (as
/// `serde_json` and `JSON.stringify` escape them).
pub fn quote(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    let mut run = 0;
    for (i, b) in text.bytes().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(text.get(run..i).unwrap_or(""));
        run = i + 1;
        if short.is_empty() {
            let hex = |n: u8| {
                let digits = b"0123456789abcdef";
                char::from(digits.get(usize::from(n)).copied().unwrap_or(b'0'))
            };
            out.push_str("\\u00");
            out.push(hex(b >> 4));
            out.push(hex(b & 15));
        } else {
            out.push_str(short);
        }
    }
    out.push_str(text.get(run..).unwrap_or(""));
    out.push('"');
}

/// `text` as a JSON string.
pub fn quoted(text: &str) -> String {
    let mut out = String::new();
    quote(&mut out, text);
    out
}
