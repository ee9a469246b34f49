//! The hooks a server's options may carry: functions the session calls (answers to the server's
//! own requests, the bearer token, DPoP proofs). They are configuration, not data: serde cannot
//! make one, so a host face (the wasm one) builds them from its own functions.

use std::fmt;
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;

use crate::json::RawValue;
use crate::jsonrpc::ErrorObject;
use crate::transport::HttpMethod;

/// Answers one kind of server request: its params in, its result (or a JSON-RPC error) out.
pub type ServerRequestHandler =
    Rc<dyn Fn(Option<RawValue>) -> LocalBoxFuture<'static, Result<RawValue, ErrorObject>>>;

/// The server → client requests this client answers. Default: none.
#[derive(Clone, Default)]
pub struct ClientHandlers {
    /// `elicitation/create`: ask the user for input.
    pub elicitation: Option<ServerRequestHandler>,
    /// `sampling/createMessage`: ask the client's model.
    pub sampling: Option<ServerRequestHandler>,
    /// `roots/list`: the client's roots.
    pub roots: Option<ServerRequestHandler>,
}

impl fmt::Debug for ClientHandlers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientHandlers")
            .field("elicitation", &self.elicitation.is_some())
            .field("sampling", &self.sampling.is_some())
            .field("roots", &self.roots.is_some())
            .finish()
    }
}

/// What a server's `WWW-Authenticate: Bearer ...` said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthChallenge {
    /// `error` (`invalid_token`, `insufficient_scope`, ...).
    pub error: Option<String>,
    /// `scope`: the scopes the server asks for.
    pub scope: Option<String>,
    /// `resource_metadata`: where the server's OAuth protected-resource metadata is.
    pub resource_metadata: Option<String>,
}

/// Gives the bearer token for a server: called with `None` first, then with the challenge of
/// each `401`. Errors are reported to the caller as an HTTP 401.
pub type TokenProvider =
    Rc<dyn Fn(Option<AuthChallenge>) -> LocalBoxFuture<'static, Result<String, String>>>;

/// What a DPoP proof is made for: one HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopRequest {
    /// The request's method (`htm`).
    pub method: HttpMethod,
    /// The request's URL (`htu`, once its query and fragment are dropped).
    pub url: String,
    /// The access token the request carries (for `ath`), if there is one yet.
    pub access_token: Option<String>,
    /// The server's last `DPoP-Nonce`, if it sent one.
    pub nonce: Option<String>,
}

/// Makes the DPoP proof JWT of one request (the app holds the key). A new proof per call: each
/// needs its own `jti`. Errors are reported to the caller as an HTTP 401.
pub type DpopProof = Rc<dyn Fn(DpopRequest) -> LocalBoxFuture<'static, Result<String, String>>>;

/// What the sessions of one identity of a server are opened with (see
/// [`ServerOptions::identity`](crate::ServerOptions::identity)): each field replaces or extends
/// the server's own.
#[derive(Clone, Default)]
pub struct IdentityOptions {
    /// Headers for this identity's requests, after the server's (a name the server also sets
    /// is replaced). Checked as the server's `headers` are.
    pub headers: Vec<(String, String)>,
    /// This identity's token provider, instead of the server's.
    pub token_provider: Option<TokenProvider>,
    /// This identity's answers to the server's requests (an elicitation must reach its user),
    /// instead of the server's.
    pub handlers: Option<ClientHandlers>,
}

impl fmt::Debug for IdentityOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("IdentityOptions")
            .field("header_names", &names)
            .field("token_provider", &self.token_provider.is_some())
            .field("handlers", &self.handlers)
            .finish()
    }
}

/// Makes the options of one identity's sessions, given the identity. Called when the identity's
/// first session opens (again after it was forgotten: an identity with no session, open or
/// waiting, is not kept). An `Err` fails that open with `INVALID_CONFIG` and the message.
pub type IdentityHook = Rc<dyn Fn(&str) -> Result<IdentityOptions, String>>;
