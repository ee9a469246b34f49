//! MCP types for the methods the pool speaks, with unknown fields passed through.
//!
//! Every struct keeps fields it does not know in `extra`, so nothing a server sends is lost.
//! Field names follow the MCP schema (`camelCase` on the wire).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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

/// A name and version, for `clientInfo` and `serverInfo`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Implementation {
    /// The name.
    pub name: String,
    /// The version.
    pub version: String,
    /// Other fields (`title`, `icons`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Implementation {
    /// A name and version with no extra fields.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Implementation {
            name: name.into(),
            version: version.into(),
            extra: Map::new(),
        }
    }
}

/// Parameters of `initialize`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeParams {
    /// The newest version the client speaks.
    pub protocol_version: String,
    /// What the client can handle; only what it really handles.
    pub capabilities: Value,
    /// Who the client is.
    pub client_info: Implementation,
}

/// Result of `initialize`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResult {
    /// The version the server chose.
    pub protocol_version: String,
    /// What the server offers.
    #[serde(default)]
    pub capabilities: Value,
    /// Who the server is.
    pub server_info: Implementation,
    /// Usage hints for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// `Implementation` and `InitializeResult` are read by hand, through the JSON object map the
// crate uses anyway: the derive's `flatten` would pull serde's buffering deserializer into the
// .wasm for these two types alone.

impl<'de> Deserialize<'de> for Implementation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut extra = Map::<String, Value>::deserialize(deserializer)?;
        Ok(Implementation {
            name: take_string(&mut extra, "name")?,
            version: take_string(&mut extra, "version")?,
            extra,
        })
    }
}

impl<'de> Deserialize<'de> for InitializeResult {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let mut extra = Map::<String, Value>::deserialize(deserializer)?;
        let protocol_version = take_string(&mut extra, "protocolVersion")?;
        let capabilities = extra.remove("capabilities").unwrap_or_default();
        let server_info = match extra.remove("serverInfo") {
            Some(info) => Implementation::deserialize(info).map_err(D::Error::custom)?,
            None => return Err(D::Error::missing_field("serverInfo")),
        };
        let instructions = match extra.remove("instructions") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text),
            Some(_) => return Err(D::Error::custom("field `instructions` must be a string")),
        };
        Ok(InitializeResult {
            protocol_version,
            capabilities,
            server_info,
            instructions,
            extra,
        })
    }
}

/// Takes the string field `key` out of `map`.
fn take_string<E: serde::de::Error>(
    map: &mut Map<String, Value>,
    key: &'static str,
) -> Result<String, E> {
    match map.remove(key) {
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(E::custom(format_args!("field `{key}` must be a string"))),
        None => Err(E::missing_field(key)),
    }
}

/// Hints about a tool's behaviour.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolAnnotations {
    /// The tool does not modify its environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_hint: Option<bool>,
    /// Calling it twice with the same arguments has no additional effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent_hint: Option<bool>,
    /// Other hints.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A tool as listed by `tools/list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    /// Its name.
    pub name: String,
    /// What it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of its arguments.
    #[serde(default)]
    pub input_schema: Value,
    /// Behaviour hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<ToolAnnotations>,
    /// Other fields (`title`, `outputSchema`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Defines a paginated list result type.
macro_rules! list_result {
    ($(#[$doc:meta])* $name:ident, $field:ident, $wire:literal, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            /// The items.
            #[serde(rename = $wire, default)]
            pub $field: Vec<$item>,
            /// The cursor of the next page; `None` at the end.
            #[serde(rename = "nextCursor", default, skip_serializing_if = "Option::is_none")]
            pub next_cursor: Option<String>,
            /// Other fields.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }
    };
}

list_result!(
    /// Result of `tools/list`.
    ListToolsResult, tools, "tools", Tool
);
list_result!(
    /// Result of `resources/list` (resources kept as raw JSON objects).
    ListResourcesResult, resources, "resources", Value
);
list_result!(
    /// Result of `resources/templates/list`.
    ListResourceTemplatesResult, resource_templates, "resourceTemplates", Value
);
list_result!(
    /// Result of `prompts/list`.
    ListPromptsResult, prompts, "prompts", Value
);

/// Parameters of `tools/call`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallToolParams {
    /// The tool's name.
    pub name: String,
    /// Its arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Value>,
}

/// Result of `tools/call`. A tool's own failure is a result with `is_error`, not an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallToolResult {
    /// Content blocks.
    #[serde(default)]
    pub content: Vec<Value>,
    /// Structured output, if the tool has an output schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Value>,
    /// True when the tool failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Result of `resources/read`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadResourceResult {
    /// The contents.
    #[serde(default)]
    pub contents: Vec<Value>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Result of `prompts/get`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetPromptResult {
    /// A description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The prompt's messages.
    #[serde(default)]
    pub messages: Vec<Value>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Result of `completion/complete`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompleteResult {
    /// The completion values (`values`, `total`, `hasMore`).
    pub completion: Value,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let text = r#"{"tools":[{"name":"echo","inputSchema":{"type":"object"},"title":"Echo",
            "annotations":{"readOnlyHint":true,"x-custom":1}}],"nextCursor":"c2","_meta":{"k":"v"}}"#;
        let parsed: ListToolsResult = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.next_cursor.as_deref(), Some("c2"));
        let tool = parsed.tools.first().unwrap_or_else(|| panic!("no tool"));
        assert_eq!(tool.extra.get("title"), Some(&Value::from("Echo")));
        let hints = tool.annotations.clone().unwrap_or_default();
        assert_eq!(hints.read_only_hint, Some(true));
        assert_eq!(hints.extra.get("x-custom"), Some(&Value::from(1)));
        let back: Value = serde_json::to_value(&parsed).unwrap_or_else(|e| panic!("{e}"));
        let original: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, original);
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
        let parsed: InitializeResult = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.protocol_version, "2025-06-18");
        assert_eq!(parsed.capabilities, serde_json::json!({"tools": {}}));
        assert_eq!(parsed.server_info.name, "s");
        assert_eq!(
            parsed.server_info.extra.get("title"),
            Some(&Value::from("S"))
        );
        assert_eq!(parsed.instructions.as_deref(), Some("be nice"));
        assert_eq!(parsed.extra.len(), 1, "{:?}", parsed.extra);
        let back: Value = serde_json::to_value(&parsed).unwrap_or_else(|e| panic!("{e}"));
        let original: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, original);

        let bare: InitializeResult = serde_json::from_str(
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
            (r#"[]"#, "map"),
        ] {
            let Err(e) = serde_json::from_str::<InitializeResult>(text) else {
                panic!("{text} was accepted");
            };
            assert!(e.to_string().contains(needle), "{text}: {e}");
        }
    }
}
