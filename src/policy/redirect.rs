//! The redirect layer: `307`/`308` followed only within the server's origin (or to any origin
//! when the server's options allow it), so one server's headers and session id never reach
//! another. Every other `3xx` is an error here: an MCP request is a `POST` and must not silently
//! turn into a `GET`. It sits outside the DPoP layer, which proves each hop's URL anew.

use std::rc::Rc;

use futures_util::future::LocalBoxFuture;

use super::Exchange;
use crate::error::{snippet, Error};
use crate::transport::{HttpRequest, HttpResponse};

/// Most redirects one request may follow.
const MAX_HOPS: usize = 3;

/// `scheme://host[:port]`, lower-cased, default ports dropped; `None` for anything else.
pub(crate) fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end)?.to_ascii_lowercase();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let default_port = if scheme == "http" { ":80" } else { ":443" };
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    Some(format!("{scheme}://{authority}"))
}

/// Resolves a `Location` header against the URL that was requested.
pub(crate) fn resolve(base: &str, location: &str) -> Option<String> {
    let location = location.trim();
    if location.contains("://") {
        return origin(location).map(|_| location.to_owned());
    }
    let base_origin = origin(base)?;
    if let Some(rest) = location.strip_prefix("//") {
        let scheme = base.split_once("://")?.0.to_ascii_lowercase();
        return Some(format!("{scheme}://{rest}"));
    }
    if location.starts_with('/') {
        return Some(format!("{base_origin}{location}"));
    }
    let path_start = base.find("://").map(|i| i + 3)?;
    let path = base.get(path_start..)?;
    let dir_end = path.find(['?', '#']).unwrap_or(path.len());
    let dir = path.get(..dir_end)?;
    let dir = dir.rfind('/').and_then(|i| dir.get(..=i)).unwrap_or("/");
    let dir = dir.find('/').and_then(|i| dir.get(i..)).unwrap_or("/");
    Some(format!("{base_origin}{dir}{location}"))
}

/// Follows redirects for the layers inside it.
pub(super) struct Redirects {
    pub(super) inner: Rc<dyn Exchange>,
    pub(super) server: Rc<str>,
    /// The origin of the server's registered URL.
    pub(super) home: Option<String>,
    /// Follow `307`/`308` to other origins too (without `Authorization`, as the Fetch standard
    /// does).
    pub(super) cross_origin: bool,
}

impl Redirects {
    fn error(&self, status: u16, message: String) -> Error {
        Error::Http {
            server: self.server.to_string(),
            status,
            message,
        }
    }

    async fn follow(&self, mut request: HttpRequest) -> Result<HttpResponse, Error> {
        for _ in 0..=MAX_HOPS {
            let response = self.inner.send(request.clone()).await?;
            let status = response.status;
            if status != 0 && !(300..400).contains(&status) {
                return Ok(response);
            }
            if status == 0 {
                return Err(self.error(
                    status,
                    "the server redirected, and the browser hides where to; register the final URL"
                        .into(),
                ));
            }
            let target = response
                .header("location")
                .and_then(|l| resolve(&request.url, l));
            // Dropped, not drained: a redirect's body is never read, and dropping it aborts it.
            drop(response);
            let Some(target) = target else {
                return Err(self.error(
                    status,
                    "the server redirected without a usable Location".into(),
                ));
            };
            let shown = snippet(&target, 200);
            if status != 307 && status != 308 {
                return Err(self.error(
                    status,
                    format!(
                        "the server redirected to {shown}; an MCP POST cannot follow a {status} (it \
                         would become a GET): register the final URL"
                    ),
                ));
            }
            let to = origin(&target);
            let same = to.is_some() && to == self.home;
            if !same && !self.cross_origin {
                return Err(self.error(
                    status,
                    format!(
                        "the server redirected to another origin ({}); refused so that this \
                         server's headers and session are not sent there (allow it in the server's \
                         options)",
                        to.unwrap_or_else(|| shown.clone())
                    ),
                ));
            }
            if !same {
                // As the Fetch standard does on a cross-origin redirect: the credentials stay home.
                request
                    .headers
                    .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
            }
            request.url = target;
        }
        Err(self.error(310, format!("more than {MAX_HOPS} redirects")))
    }
}

impl Exchange for Redirects {
    fn send(&self, request: HttpRequest) -> LocalBoxFuture<'_, Result<HttpResponse, Error>> {
        Box::pin(self.follow(request))
    }

    fn secrets(&self, into: &mut Vec<String>) {
        self.inner.secrets(into);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_normalise_case_and_default_ports() {
        assert_eq!(
            origin("HTTPS://Example.test:443/mcp").as_deref(),
            Some("https://example.test")
        );
        assert_eq!(
            origin("http://h:8080/x?y").as_deref(),
            Some("http://h:8080")
        );
        assert_eq!(origin("ftp://h/x"), None);
        assert_eq!(origin("http://u@h/x"), None);
    }

    #[test]
    fn locations_resolve_against_the_request() {
        let base = "http://h:1/a/mcp?x=1";
        assert_eq!(resolve(base, "/mcp/").as_deref(), Some("http://h:1/mcp/"));
        assert_eq!(resolve(base, "next").as_deref(), Some("http://h:1/a/next"));
        assert_eq!(
            resolve(base, "//other/x").as_deref(),
            Some("http://other/x")
        );
        assert_eq!(
            resolve(base, "https://evil.test/x").as_deref(),
            Some("https://evil.test/x")
        );
    }
}
