//! MCP types for the methods the pool speaks, with unknown fields passed through.
//!
//! Every struct keeps fields it does not know in `extra`, so nothing a server sends is lost.
//! Field names follow the MCP schema (`camelCase` on the wire).

/// The protocol versions of the session (legacy) era this client speaks, newest first.
pub const SUPPORTED_VERSIONS: [&str; 3] = ["2025-11-25", "2025-06-18", "2025-03-26"];

/// The version this client offers in `initialize`.
pub const LATEST_VERSION: &str = "2025-11-25";

/// True when `version` is one this client speaks.
pub fn is_supported(version: &str) -> bool {
    SUPPORTED_VERSIONS.contains(&version)
}

/// The stateless era's protocol version (no `initialize`, no session; per-request `_meta`).
pub const MODERN_VERSION: &str = "2026-07-28";

/// True when `version` belongs to the stateless (modern) era.
pub fn is_modern(version: &str) -> bool {
    version == MODERN_VERSION
}

/// Reserved request `_meta` keys of the modern era.
pub mod meta_keys {
    /// The protocol version of this request (matches the `MCP-Protocol-Version` header).
    pub const PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
    /// The client's `Implementation`.
    pub const CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
    /// The client's capabilities for this request.
    pub const CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
    /// The server's `Implementation`, in a result's `_meta`.
    pub const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
}

/// JSON-RPC error: the server does not serve the requested protocol version (`data.supported`).
pub const UNSUPPORTED_PROTOCOL_VERSION_CODE: i64 = -32022;

/// The version spoken over the older HTTP+SSE transport, offered after falling back to it.
pub const SSE_TRANSPORT_VERSION: &str = "2024-11-05";

/// True when `version` may be used over the HTTP+SSE transport: the version that transport was
/// made for, or one this client speaks (a server may answer a newer one there).
pub fn is_supported_over_sse(version: &str) -> bool {
    version == SSE_TRANSPORT_VERSION || is_supported(version)
}

/// True when requests after `initialize` must carry the `MCP-Protocol-Version` header
/// (required from 2025-06-18 on; the header did not exist before).
pub fn sends_version_header(version: &str) -> bool {
    version != "2025-03-26" && version != SSE_TRANSPORT_VERSION
}

/// Method names.
pub mod methods {
    /// The handshake.
    pub const INITIALIZE: &str = "initialize";
    /// Sent after a successful handshake.
    pub const INITIALIZED: &str = "notifications/initialized";
    /// Liveness check.
    pub const PING: &str = "ping";
    /// The modern era's capability and version discovery.
    pub const DISCOVER: &str = "server/discover";
    /// Progress of a request that asked for it.
    pub const PROGRESS: &str = "notifications/progress";
    /// Cancels an in-flight request.
    pub const CANCELLED: &str = "notifications/cancelled";
    /// The server's tool list changed: cached lists are stale.
    pub const TOOLS_LIST_CHANGED: &str = "notifications/tools/list_changed";
    /// Lists tools (paginated).
    pub const TOOLS_LIST: &str = "tools/list";
    /// Calls a tool.
    pub const TOOLS_CALL: &str = "tools/call";
    /// Lists resources (paginated).
    pub const RESOURCES_LIST: &str = "resources/list";
    /// Lists resource templates (paginated).
    pub const RESOURCES_TEMPLATES_LIST: &str = "resources/templates/list";
    /// Reads a resource.
    pub const RESOURCES_READ: &str = "resources/read";
    /// Lists prompts (paginated).
    pub const PROMPTS_LIST: &str = "prompts/list";
    /// Gets a prompt.
    pub const PROMPTS_GET: &str = "prompts/get";
    /// Argument completion.
    pub const COMPLETION_COMPLETE: &str = "completion/complete";
}

mod types;

pub use types::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{self, Value};

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let text = r#"{"tools":[{"name":"echo","inputSchema":{"type":"object"},"title":"Echo",
            "annotations":{"readOnlyHint":true,"x-custom":1}}],"nextCursor":"c2","_meta":{"k":"v"}}"#;
        let parsed = json::from_str::<ListToolsResult>(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.next_cursor.as_deref(), Some("c2"));
        let tool = parsed.tools.first().unwrap_or_else(|| panic!("no tool"));
        assert_eq!(tool.extra.get("title"), Some(&Value::from("Echo")));
        let hints = tool.annotations.clone().unwrap_or_default();
        assert_eq!(hints.read_only_hint, Some(true));
        assert_eq!(hints.extra.get("x-custom"), Some(&Value::from(1)));
        let back = json::parse(&json::to_string(&parsed)).unwrap_or_else(|e| panic!("{e}"));
        let original = json::parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, original);
    }

    #[test]
    fn numbers_in_unknown_fields_survive_a_round_trip() {
        // Found by the decode fuzzer: without serde_json's float_roundtrip, 1E-274 read and
        // written back was another double.
        let text = r#"{"tools":[],"x":[1e308,-0.0,1E-274,135678901234567890,0.1]}"#;
        let parsed = json::from_str::<ListToolsResult>(text).unwrap_or_else(|e| panic!("{e}"));
        let again = json::from_str::<ListToolsResult>(&json::to_string(&parsed))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again, parsed);
    }

    #[test]
    fn versions() {
        assert!(is_supported("2025-06-18"));
        assert!(!is_supported("2024-11-05"));
        assert!(!sends_version_header("2025-03-26"));
        assert!(sends_version_header(LATEST_VERSION));
    }

    #[test]
    fn initialize_result_reads_known_fields_and_keeps_the_rest() {
        let text = r#"{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},
            "serverInfo":{"name":"s","version":"1","title":"S"},"instructions":"be nice","x":[1]}"#;
        let parsed = json::from_str::<InitializeResult>(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.protocol_version, "2025-06-18");
        assert_eq!(parsed.capabilities, serde_json::json!({"tools": {}}));
        assert_eq!(parsed.server_info.name, "s");
        assert_eq!(
            parsed.server_info.extra.get("title"),
            Some(&Value::from("S"))
        );
        assert_eq!(parsed.instructions.as_deref(), Some("be nice"));
        assert_eq!(parsed.extra.len(), 1, "{:?}", parsed.extra);
        let back = json::parse(&json::to_string(&parsed)).unwrap_or_else(|e| panic!("{e}"));
        let original = json::parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, original);

        let bare = json::from_str::<InitializeResult>(
            r#"{"protocolVersion":"v","serverInfo":{"name":"n","version":""},"instructions":null}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((bare.capabilities, bare.instructions), (Value::Null, None));
    }

    #[test]
    fn initialize_result_refuses_missing_and_mistyped_fields() {
        for (text, needle) in [
            (
                r#"{"serverInfo":{"name":"n","version":"1"}}"#,
                "protocolVersion",
            ),
            (r#"{"protocolVersion":"v"}"#, "serverInfo"),
            (
                r#"{"protocolVersion":1,"serverInfo":{"name":"n","version":"1"}}"#,
                "protocolVersion",
            ),
            (
                r#"{"protocolVersion":"v","serverInfo":{"version":"1"}}"#,
                "name",
            ),
            (
                r#"{"protocolVersion":"v","serverInfo":{"name":"n","version":2}}"#,
                "version",
            ),
            (
                r#"{"protocolVersion":"v","serverInfo":{"name":"n","version":"1"},"instructions":3}"#,
                "instructions",
            ),
            (r#"[]"#, "object"),
        ] {
            let Err(e) = json::from_str::<InitializeResult>(text) else {
                panic!("{text} was accepted");
            };
            assert!(e.to_string().contains(needle), "{text}: {e}");
        }
    }
}
