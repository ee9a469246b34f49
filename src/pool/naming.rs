//! Provider-safe qualified tool names for a catalog of many servers: `^[a-zA-Z0-9_-]{1,64}$`
//! (the limit of LLM providers' function names), stable whatever order servers answer in.

/// The longest name providers accept.
pub const MAX_NAME: usize = 64;

/// FNV-1a, 32 bits: a small stable hash (not a security boundary).
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// `server__tool` with every character outside `[a-zA-Z0-9_-]` replaced by `_`. Returns the
/// name and whether it is exactly that (no character was replaced).
fn plain(server: &str, tool: &str) -> (String, bool) {
    let mut exact = true;
    let mut out = String::with_capacity(server.len() + tool.len() + 2);
    out.push_str(server);
    out.push_str("__");
    for c in tool.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            out.push(c);
        } else {
            exact = false;
            out.push('_');
        }
    }
    (out, exact)
}

/// The hashed form: a prefix of the plain name, `_`, and 8 hex digits of a hash of the exact
/// `(server, tool)` pair, at most [`MAX_NAME`] characters.
pub(super) fn hashed(server: &str, tool: &str) -> String {
    let (name, _) = plain(server, tool);
    let mut key = Vec::with_capacity(server.len() + tool.len() + 1);
    key.extend_from_slice(server.as_bytes());
    key.push(0);
    key.extend_from_slice(tool.as_bytes());
    let suffix = format!("_{:08x}", fnv1a(&key));
    let keep = MAX_NAME - suffix.len();
    let prefix: String = name.chars().take(keep).collect();
    format!("{prefix}{suffix}")
}

/// The qualified name of `tool` on `server`: `server__tool` when that is provider-safe as is,
/// else the hashed form.
pub fn qualify(server: &str, tool: &str) -> String {
    let (name, exact) = plain(server, tool);
    if exact && !tool.is_empty() && name.len() <= MAX_NAME {
        name
    } else {
        hashed(server, tool)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe(name: &str) -> bool {
        (1..=MAX_NAME).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }

    #[test]
    fn plain_names_stay_readable_and_others_are_hashed_stably() {
        assert_eq!(qualify("github", "create_issue"), "github__create_issue");
        let dotted = qualify("fs", "read.file");
        assert!(
            dotted.starts_with("fs__read_file_") && safe(&dotted),
            "{dotted}"
        );
        assert_ne!(
            qualify("fs", "read.file"),
            qualify("fs", "read_file"),
            "no silent merge"
        );
        let long = qualify("server", &"t".repeat(100));
        assert!(safe(&long) && long.len() == MAX_NAME);
        assert_eq!(long, qualify("server", &"t".repeat(100)), "stable");
        assert_ne!(long, qualify("server", &"t".repeat(101)));
        assert!(safe(&qualify("s", "")));
        assert!(safe(&qualify("s", "工具")));
    }
}
