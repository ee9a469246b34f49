//! What a `WWW-Authenticate` challenge says: the `key="value"` pairs of a `Bearer` (or `DPoP`)
//! challenge. Read by the token layer (`401`, `403 insufficient_scope`), the DPoP layer
//! (`use_dpop_nonce`) and the error of a refused request.

use crate::options::AuthChallenge;

/// Parses the `key="value"` pairs of a `Bearer` (or `DPoP`) challenge.
pub fn parse_challenge(header: &str) -> AuthChallenge {
    let mut challenge = AuthChallenge::default();
    let rest = header.trim();
    let scheme_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let rest = rest
        .get(..scheme_end)
        .filter(|s| s.eq_ignore_ascii_case("bearer") || s.eq_ignore_ascii_case("dpop"))
        .map_or(rest, |_| rest.get(scheme_end..).unwrap_or(""));
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        // Plain loops, not `take_while(..).collect()` (each costs code of its own).
        let mut key = String::new();
        for c in chars.by_ref() {
            if c == '=' {
                break;
            }
            key.push(c);
        }
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() {
            break;
        }
        let value: String = if chars.peek() == Some(&'"') {
            chars.next();
            let mut v = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(c) = chars.next() {
                            v.push(c);
                        }
                    }
                    '"' => break,
                    c => v.push(c),
                }
            }
            v
        } else {
            let mut v = String::new();
            for c in chars.by_ref() {
                if c == ',' {
                    break;
                }
                v.push(c);
            }
            v.trim().to_owned()
        };
        match key.as_str() {
            "error" => challenge.error = Some(value),
            "scope" => challenge.scope = Some(value),
            "resource_metadata" => challenge.resource_metadata = Some(value),
            _ => {}
        }
    }
    challenge
}

/// The challenge of `response`, if it has one.
pub(crate) fn challenge_of(response: &crate::transport::HttpResponse) -> Option<AuthChallenge> {
    response.header("www-authenticate").map(parse_challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        let c = parse_challenge(
            r#"Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="https://h/.well-known/oauth-protected-resource""#,
        );
        assert_eq!(c.error.as_deref(), Some("insufficient_scope"));
        assert_eq!(c.scope.as_deref(), Some("files:read files:write"));
        assert_eq!(
            c.resource_metadata.as_deref(),
            Some("https://h/.well-known/oauth-protected-resource")
        );
        assert_eq!(
            parse_challenge("Bearer error=invalid_token")
                .error
                .as_deref(),
            Some("invalid_token")
        );
        let dpop =
            parse_challenge(r#"DPoP error="use_dpop_nonce", resource_metadata="https://h/m""#);
        assert_eq!(dpop.error.as_deref(), Some("use_dpop_nonce"));
        assert_eq!(dpop.resource_metadata.as_deref(), Some("https://h/m"));
        assert_eq!(parse_challenge(""), AuthChallenge::default());
        assert_eq!(
            parse_challenge(r#"Bearer realm="x\"y""#),
            AuthChallenge::default()
        );
    }
}
