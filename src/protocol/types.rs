//! MCP types for the methods the pool speaks, with serde derives.
//!
//! Every struct keeps the fields it does not know in `extra`, so nothing a server sends is lost.
//! Field names follow the MCP schema (`camelCase` on the wire); `null` reads as absent.

use serde::{Deserialize, Serialize};

use crate::json::{Map, Value};

/// A name and version, for `clientInfo` and `serverInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Implementation {
    /// Programmatic name.
    pub name: String,
    /// Version string.
    pub version: String,
    /// Other fields (`title`, `websiteUrl`, `icons`, ...), passed through.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Implementation {
    /// A name and version with no other fields.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Implementation {
            name: name.into(),
            version: version.into(),
            extra: Map::new(),
        }
    }

    /// Reads one from a tree: `name` and `version` must be strings.
    pub fn from_value(value: &Value) -> Option<Self> {
        Implementation::deserialize(value).ok()
    }

    /// As a JSON tree.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// Parameters of `initialize`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeParams {
    /// The version the client offers.
    pub protocol_version: String,
    /// The client's capabilities.
    pub capabilities: Value,
    /// The client's name and version.
    pub client_info: Implementation,
}

/// Result of `initialize`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResult {
    /// The version the server chose.
    pub protocol_version: String,
    /// The server's capabilities (`null` when it sent none).
    #[serde(default)]
    pub capabilities: Value,
    /// The server's name and version.
    pub server_info: Implementation,
    /// Usage hints for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Other fields (`_meta`, ...), passed through.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Hints about a tool's behaviour.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolAnnotations {
    /// The tool does not change its environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_hint: Option<bool>,
    /// Calling it again with the same arguments has no further effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent_hint: Option<bool>,
    /// Other hints, passed through.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A tool as listed by `tools/list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    /// The tool's name.
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
    /// Other fields (`title`, `outputSchema`, `_meta`, ...), passed through.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `null` or absent reads as an empty list.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// Defines a paginated list result type.
macro_rules! list_result {
    ($(#[$doc:meta])* $name:ident, $field:ident, $wire:literal, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            /// The items of this page.
            #[serde(rename = $wire, default, deserialize_with = "null_as_empty")]
            pub $field: Vec<$item>,
            /// The cursor of the next page, if any.
            #[serde(rename = "nextCursor", default, skip_serializing_if = "Option::is_none")]
            pub next_cursor: Option<String>,
            /// Other fields, passed through.
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
    /// Result of `resources/list` (resources kept as JSON).
    ListResourcesResult, resources, "resources", Value
);
list_result!(
    /// Result of `resources/templates/list` (templates kept as JSON).
    ListResourceTemplatesResult, resource_templates, "resourceTemplates", Value
);
list_result!(
    /// Result of `prompts/list` (prompts kept as JSON).
    ListPromptsResult, prompts, "prompts", Value
);

/// Parameters of `tools/call`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallToolParams {
    /// The tool.
    pub name: String,
    /// Its arguments (an object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Value>,
}

/// Result of `tools/call`. A tool's own failure is a result with `is_error`, not an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallToolResult {
    /// Content blocks, kept as JSON.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub content: Vec<Value>,
    /// Structured output, if the tool has an output schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Value>,
    /// True when the tool itself failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
    /// Other fields, passed through.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Result of `resources/read`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadResourceResult {
    /// The contents, kept as JSON.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub contents: Vec<Value>,
    /// Other fields, passed through.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Result of `prompts/get`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetPromptResult {
    /// What the prompt is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The messages, kept as JSON.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub messages: Vec<Value>,
    /// Other fields, passed through.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Result of `completion/complete`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompleteResult {
    /// The completion values (`values`, `total`, `hasMore`), kept as JSON.
    pub completion: Value,
    /// Other fields, passed through.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
