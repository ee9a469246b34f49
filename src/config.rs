//! Server name and URL checks.

use crate::error::Error;

/// Checks a server name against `^[A-Za-z0-9_-]{1,64}$`.
///
/// # Errors
/// [`Error::InvalidServerName`].
pub(crate) fn validate_server_name(name: &str) -> Result<(), Error> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidServerName {
            name: crate::error::snippet(name, 80),
        })
    }
}

/// Checks that `url` is an absolute `http`/`https` URL with a host, no credentials, no
/// whitespace and no fragment; returns it with the scheme in lower case.
///
/// # Errors
/// [`Error::InvalidUrl`] saying what is wrong (never echoing credentials).
pub(crate) fn validate_url(url: &str) -> Result<String, Error> {
    let bad = |reason: &str| {
        Err(Error::InvalidUrl {
            reason: reason.to_owned(),
        })
    };
    if url.is_empty() {
        return bad("the URL is empty");
    }
    if url.len() > 8192 {
        return bad("the URL is longer than 8192 characters");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("the URL contains whitespace or control characters");
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return bad("the URL must be absolute and start with http:// or https://");
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return bad("only http:// and https:// URLs are supported");
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if authority.contains('@') {
        return bad("credentials in the URL are not allowed; pass them in the server's headers");
    }
    if tail.contains('#') {
        return bad("the URL must not have a fragment");
    }
    let host = host_of(authority)?;
    if host.is_empty() {
        return bad("the URL has no host");
    }
    Ok(format!("{scheme}://{rest}"))
}

/// Splits `host[:port]` (or `[v6][:port]`) and checks the port; returns the host.
fn host_of(authority: &str) -> Result<&str, Error> {
    let bad = |reason: &str| {
        Err(Error::InvalidUrl {
            reason: reason.to_owned(),
        })
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((inside, after)) = v6.split_once(']') else {
            return bad("unterminated IPv6 address");
        };
        match after {
            "" => (inside, None),
            _ => match after.strip_prefix(':') {
                Some(p) => (inside, Some(p)),
                None => return bad("garbage after the IPv6 address"),
            },
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port
                .parse::<u32>()
                .map(|p| (1..=65535).contains(&p))
                .unwrap_or(false);
        if !valid {
            return bad("the port must be a number from 1 to 65535");
        }
    }
    Ok(host)
}
