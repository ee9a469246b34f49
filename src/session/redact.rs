//! Secrets out of what a server says back. A server may echo the request it refused (its headers,
//! its token) in an error body or message; every error a session returns passes through
//! [`Session::redact`], which replaces each registered header value, each token its server's stack sent
//! and its session id with `[redacted]`, wherever they appear in the error's text or data.

use super::Session;
use crate::error::Error;
use crate::json::Value;

/// What a secret is replaced with.
const REDACTED: &str = "[redacted]";

/// Secrets shorter than this are left alone: replacing every `1` or `on` in a message would hide
/// it, and a value that short guards nothing.
const MIN_SECRET_CHARS: usize = 4;

impl Session {
    /// `error` with every secret of this session removed from its text and data.
    pub(super) fn redact(&self, mut error: Error) -> Error {
        let secrets = self.secrets();
        if secrets.is_empty() {
            return error;
        }
        let scrub = |text: &mut String| scrub_text(text, &secrets);
        match &mut error {
            Error::ConnectFailed { reason: text, .. }
            | Error::Network { message: text, .. }
            | Error::Http { message: text, .. }
            | Error::Protocol { message: text, .. }
            | Error::UnsupportedProtocolVersion { version: text, .. }
            | Error::AuthFailed { message: text, .. }
            | Error::CrossOriginEndpoint { origin: text, .. } => scrub(text),
            Error::Rpc { message, data, .. } => {
                scrub(message);
                if let Some(data) = data {
                    scrub_value(data, &scrub);
                }
            }
            _ => {}
        }
        error
    }

    /// The registered header values (and the credential after an auth scheme, as in
    /// `Bearer <credential>`), the tokens its server's stack sent, and its session id. Longest first,
    /// so that a secret that contains another is replaced whole.
    fn secrets(&self) -> Vec<String> {
        let mut secrets: Vec<String> = Vec::new();
        for (_, value) in &self.inner.config.headers {
            secrets.push(value.clone());
            if let Some((_, credential)) = value.trim().split_once(' ') {
                secrets.push(credential.trim().to_owned());
            }
        }
        self.inner.link.http.secrets(&mut secrets);
        if let Some(id) = &self.inner.state.borrow().session_id {
            secrets.push(id.clone());
        }
        secrets.retain(|s| s.chars().count() >= MIN_SECRET_CHARS);
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        secrets
    }
}

fn scrub_text(text: &mut String, secrets: &[String]) {
    for secret in secrets {
        if text.contains(secret.as_str()) {
            *text = text.replace(secret.as_str(), REDACTED);
        }
    }
}

/// Scrubs every string of `value`. Nesting is bounded by the JSON parser.
fn scrub_value(value: &mut Value, scrub: &impl Fn(&mut String)) {
    match value {
        Value::String(text) => scrub(text),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_value(v, scrub)),
        Value::Object(map) => map.values_mut().for_each(|v| scrub_value(v, scrub)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_copy_of_every_secret_goes_and_the_longest_first() {
        let secrets = vec!["Bearer abcdef".to_owned(), "abcdef".to_owned()];
        let mut text = "got Bearer abcdef; token abcdef, again abcdef".to_owned();
        scrub_text(&mut text, &secrets);
        assert_eq!(text, "got [redacted]; token [redacted], again [redacted]");
    }
}
