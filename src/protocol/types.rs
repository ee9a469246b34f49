//! MCP types for the methods the pool speaks, read and written by hand.
//!
//! Every struct keeps the fields it does not know in `extra`, so nothing a server sends is lost.
//! Field names follow the MCP schema (`camelCase` on the wire); `null` reads as absent.

use crate::json::{FromJson, Map, ToJson, Value};
use crate::json_object::JsonObject;
use crate::raw_object::RawObject;

/// Reads `text` as an object and builds a `T` from its fields.
fn read<T>(
    text: &str,
    build: impl FnOnce(&mut RawObject) -> Result<T, String>,
) -> Result<T, String> {
    let mut fields = RawObject::parse(text).map_err(|e| e.to_string())?;
    build(&mut fields)
}

/// Takes array field `key` out as trees; `null` or absent reads as empty.
fn values(fields: &mut RawObject, key: &str) -> Result<Vec<Value>, String> {
    match fields.take_value(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(format!("field `{key}` must be an array")),
    }
}

/// Writes an array of trees.
fn array(items: &[Value]) -> String {
    crate::json::to_string(&Value::Array(items.to_vec()))
}

/// A name and version, for `clientInfo` and `serverInfo`.
#[derive(Debug, Clone, PartialEq)]
pub struct Implementation {
    /// Programmatic name.
    pub name: String,
    /// Version string.
    pub version: String,
    /// Other fields (`title`, `websiteUrl`, `icons`, ...), passed through.
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
}

impl Implementation {
    /// Reads one from a tree: `name` and `version` must be strings.
    pub fn from_value(value: &Value) -> Option<Self> {
        let mut extra = value.as_object()?.clone();
        let name = match extra.remove("name") {
            Some(Value::String(name)) => name,
            _ => return None,
        };
        let version = match extra.remove("version") {
            Some(Value::String(version)) => version,
            _ => return None,
        };
        Some(Implementation {
            name,
            version,
            extra,
        })
    }

    /// As a JSON tree.
    pub fn to_value(&self) -> Value {
        let mut map = self.extra.clone();
        map.insert("name".into(), Value::from(self.name.as_str()));
        map.insert("version".into(), Value::from(self.version.as_str()));
        Value::Object(map)
    }
}

impl FromJson for Implementation {
    fn from_json(text: &str) -> Result<Self, String> {
        read(text, |f| {
            Ok(Implementation {
                name: f.need_str("name")?,
                version: f.need_str("version")?,
                extra: std::mem::take(f).into_map(),
            })
        })
    }
}

impl ToJson for Implementation {
    fn to_json(&self) -> String {
        JsonObject::new()
            .string("name", &self.name)
            .string("version", &self.version)
            .extra(&self.extra)
            .finish()
    }
}

/// Parameters of `initialize`.
#[derive(Debug, Clone, PartialEq)]
pub struct InitializeParams {
    /// The version the client offers.
    pub protocol_version: String,
    /// The client's capabilities.
    pub capabilities: Value,
    /// The client's name and version.
    pub client_info: Implementation,
}

impl ToJson for InitializeParams {
    fn to_json(&self) -> String {
        JsonObject::new()
            .string("protocolVersion", &self.protocol_version)
            .value("capabilities", &self.capabilities)
            .raw("clientInfo", &self.client_info.to_json())
            .finish()
    }
}

/// Result of `initialize`.
#[derive(Debug, Clone, PartialEq)]
pub struct InitializeResult {
    /// The version the server chose.
    pub protocol_version: String,
    /// The server's capabilities (`null` when it sent none).
    pub capabilities: Value,
    /// The server's name and version.
    pub server_info: Implementation,
    /// Usage hints for the model.
    pub instructions: Option<String>,
    /// Other fields (`_meta`, ...), passed through.
    pub extra: Map<String, Value>,
}

impl FromJson for InitializeResult {
    fn from_json(text: &str) -> Result<Self, String> {
        read(text, |f| {
            let protocol_version = f.need_str("protocolVersion")?;
            let capabilities = f.take_value("capabilities").unwrap_or_default();
            let server_info = match f.take("serverInfo") {
                Some(raw) => Implementation::from_json(raw.get())
                    .map_err(|e| format!("field `serverInfo`: {e}"))?,
                None => return Err("missing field `serverInfo`".into()),
            };
            Ok(InitializeResult {
                protocol_version,
                capabilities,
                server_info,
                instructions: f.take_str("instructions")?,
                extra: std::mem::take(f).into_map(),
            })
        })
    }
}

impl ToJson for InitializeResult {
    fn to_json(&self) -> String {
        JsonObject::new()
            .string("protocolVersion", &self.protocol_version)
            .value("capabilities", &self.capabilities)
            .raw("serverInfo", &self.server_info.to_json())
            .opt_string("instructions", self.instructions.as_deref())
            .extra(&self.extra)
            .finish()
    }
}

/// Hints about a tool's behaviour.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolAnnotations {
    /// The tool does not change its environment.
    pub read_only_hint: Option<bool>,
    /// Calling it again with the same arguments has no further effect.
    pub idempotent_hint: Option<bool>,
    /// Other hints, passed through.
    pub extra: Map<String, Value>,
}

impl FromJson for ToolAnnotations {
    fn from_json(text: &str) -> Result<Self, String> {
        read(text, |f| {
            Ok(ToolAnnotations {
                read_only_hint: f.take_bool("readOnlyHint")?,
                idempotent_hint: f.take_bool("idempotentHint")?,
                extra: std::mem::take(f).into_map(),
            })
        })
    }
}

impl ToJson for ToolAnnotations {
    fn to_json(&self) -> String {
        let mut out = JsonObject::new();
        if let Some(hint) = self.read_only_hint {
            out.value("readOnlyHint", &Value::Bool(hint));
        }
        if let Some(hint) = self.idempotent_hint {
            out.value("idempotentHint", &Value::Bool(hint));
        }
        out.extra(&self.extra).finish()
    }
}

/// A tool as listed by `tools/list`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    /// The tool's name.
    pub name: String,
    /// What it does.
    pub description: Option<String>,
    /// JSON Schema of its arguments.
    pub input_schema: Value,
    /// Behaviour hints.
    pub annotations: Option<ToolAnnotations>,
    /// Other fields (`title`, `outputSchema`, `_meta`, ...), passed through.
    pub extra: Map<String, Value>,
}

impl FromJson for Tool {
    fn from_json(text: &str) -> Result<Self, String> {
        read(text, |f| {
            let annotations = match f.take("annotations") {
                Some(raw) => Some(
                    ToolAnnotations::from_json(raw.get())
                        .map_err(|e| format!("field `annotations`: {e}"))?,
                ),
                None => None,
            };
            Ok(Tool {
                name: f.need_str("name")?,
                description: f.take_str("description")?,
                input_schema: f.take_value("inputSchema").unwrap_or_default(),
                annotations,
                extra: std::mem::take(f).into_map(),
            })
        })
    }
}

impl ToJson for Tool {
    fn to_json(&self) -> String {
        let mut out = JsonObject::new();
        out.string("name", &self.name)
            .opt_string("description", self.description.as_deref())
            .value("inputSchema", &self.input_schema);
        if let Some(annotations) = &self.annotations {
            out.raw("annotations", &annotations.to_json());
        }
        out.extra(&self.extra).finish()
    }
}

/// Defines a paginated list result type.
macro_rules! list_result {
    ($(#[$doc:meta])* $name:ident, $field:ident, $wire:literal, $item:ty, $read:expr, $write:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            /// The items of this page.
            pub $field: Vec<$item>,
            /// The cursor of the next page, if any.
            pub next_cursor: Option<String>,
            /// Other fields, passed through.
            pub extra: Map<String, Value>,
        }

        impl FromJson for $name {
            fn from_json(text: &str) -> Result<Self, String> {
                read(text, |f| {
                    let read: fn(&mut RawObject) -> Result<Vec<$item>, String> = $read;
                    Ok($name {
                        $field: read(f)?,
                        next_cursor: f.take_str("nextCursor")?,
                        extra: std::mem::take(f).into_map(),
                    })
                })
            }
        }

        impl ToJson for $name {
            fn to_json(&self) -> String {
                let write: fn(&[$item]) -> String = $write;
                JsonObject::new()
                    .raw($wire, &write(&self.$field))
                    .opt_string("nextCursor", self.next_cursor.as_deref())
                    .extra(&self.extra)
                    .finish()
            }
        }
    };
}

list_result!(
    /// Result of `tools/list`.
    ListToolsResult, tools, "tools", Tool,
    |f| {
        let mut tools = Vec::new();
        for raw in f.take_items("tools")? {
            tools.push(Tool::from_json(raw.get()).map_err(|e| format!("a tool: {e}"))?);
        }
        Ok(tools)
    },
    |tools| crate::json_object::array(&tools.iter().map(ToJson::to_json).collect::<Vec<_>>())
);
list_result!(
    /// Result of `resources/list` (resources kept as JSON).
    ListResourcesResult, resources, "resources", Value,
    |f| values(f, "resources"),
    array
);
list_result!(
    /// Result of `resources/templates/list` (templates kept as JSON).
    ListResourceTemplatesResult, resource_templates, "resourceTemplates", Value,
    |f| values(f, "resourceTemplates"),
    array
);
list_result!(
    /// Result of `prompts/list` (prompts kept as JSON).
    ListPromptsResult, prompts, "prompts", Value,
    |f| values(f, "prompts"),
    array
);

/// Parameters of `tools/call`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallToolParams {
    /// The tool.
    pub name: String,
    /// Its arguments (an object).
    pub arguments: Option<Value>,
}

impl ToJson for CallToolParams {
    fn to_json(&self) -> String {
        JsonObject::new()
            .string("name", &self.name)
            .opt_value("arguments", self.arguments.as_ref())
            .finish()
    }
}

/// Result of `tools/call`. A tool's own failure is a result with `is_error`, not an error.
#[derive(Debug, Clone, PartialEq)]
pub struct CallToolResult {
    /// Content blocks, kept as JSON.
    pub content: Vec<Value>,
    /// Structured output, if the tool has an output schema.
    pub structured_content: Option<Value>,
    /// True when the tool itself failed.
    pub is_error: Option<bool>,
    /// Other fields, passed through.
    pub extra: Map<String, Value>,
}

impl FromJson for CallToolResult {
    fn from_json(text: &str) -> Result<Self, String> {
        read(text, |f| {
            Ok(CallToolResult {
                content: values(f, "content")?,
                structured_content: f.take_value("structuredContent"),
                is_error: f.take_bool("isError")?,
                extra: std::mem::take(f).into_map(),
            })
        })
    }
}

impl ToJson for CallToolResult {
    fn to_json(&self) -> String {
        let mut out = JsonObject::new();
        out.raw("content", &array(&self.content))
            .opt_value("structuredContent", self.structured_content.as_ref());
        if let Some(is_error) = self.is_error {
            out.value("isError", &Value::Bool(is_error));
        }
        out.extra(&self.extra).finish()
    }
}

/// Result of `resources/read`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadResourceResult {
    /// The contents, kept as JSON.
    pub contents: Vec<Value>,
    /// Other fields, passed through.
    pub extra: Map<String, Value>,
}

impl FromJson for ReadResourceResult {
    fn from_json(text: &str) -> Result<Self, String> {
        read(text, |f| {
            Ok(ReadResourceResult {
                contents: values(f, "contents")?,
                extra: std::mem::take(f).into_map(),
            })
        })
    }
}

impl ToJson for ReadResourceResult {
    fn to_json(&self) -> String {
        JsonObject::new()
            .raw("contents", &array(&self.contents))
            .extra(&self.extra)
            .finish()
    }
}

/// Result of `prompts/get`.
#[derive(Debug, Clone, PartialEq)]
pub struct GetPromptResult {
    /// What the prompt is for.
    pub description: Option<String>,
    /// The messages, kept as JSON.
    pub messages: Vec<Value>,
    /// Other fields, passed through.
    pub extra: Map<String, Value>,
}

impl FromJson for GetPromptResult {
    fn from_json(text: &str) -> Result<Self, String> {
        read(text, |f| {
            Ok(GetPromptResult {
                description: f.take_str("description")?,
                messages: values(f, "messages")?,
                extra: std::mem::take(f).into_map(),
            })
        })
    }
}

impl ToJson for GetPromptResult {
    fn to_json(&self) -> String {
        JsonObject::new()
            .opt_string("description", self.description.as_deref())
            .raw("messages", &array(&self.messages))
            .extra(&self.extra)
            .finish()
    }
}

/// Result of `completion/complete`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompleteResult {
    /// The completion values (`values`, `total`, `hasMore`), kept as JSON.
    pub completion: Value,
    /// Other fields, passed through.
    pub extra: Map<String, Value>,
}

impl FromJson for CompleteResult {
    fn from_json(text: &str) -> Result<Self, String> {
        read(text, |f| {
            Ok(CompleteResult {
                completion: f
                    .take_value("completion")
                    .ok_or("missing field `completion`")?,
                extra: std::mem::take(f).into_map(),
            })
        })
    }
}

impl ToJson for CompleteResult {
    fn to_json(&self) -> String {
        JsonObject::new()
            .value("completion", &self.completion)
            .extra(&self.extra)
            .finish()
    }
}
