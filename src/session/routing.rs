//! The stateless dialect's routing headers, so gateways can route without parsing the body:
//! `Mcp-Method` on every request, `Mcp-Name` where the method names a tool, prompt or resource,
//! and `Mcp-Param-*` for marked tool arguments. Values that are not plain printable ASCII travel
//! as `=?base64?…?=`.
//!
//! `x-mcp-header`: a tool's input schema may mark top-level-reachable string,
//! integer or boolean properties with `"x-mcp-header": "<token>"`; a `tools/call` then mirrors
//! those arguments into `Mcp-Param-<token>` headers, so gateways can route without parsing the
//! body. Tools whose annotations are invalid are dropped from listings, as the spec requires.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::json::{self, Map, RawValue, Value};
use crate::protocol::methods;

/// The annotation keyword.
const KEYWORD: &str = "x-mcp-header";
/// The header name prefix.
const PREFIX: &str = "Mcp-Param-";

/// Per tool: the argument paths to mirror and their header tokens.
pub(super) type HeaderMap = Vec<(Vec<String>, String)>;

/// Every tool's [`HeaderMap`], by tool name.
pub(super) type ToolHeaders = std::collections::BTreeMap<String, HeaderMap>;

/// Schema keywords whose values are schemas (leaving the pure `properties` chain).
const SINGLE: [&str; 11] = [
    "items",
    "contains",
    "unevaluatedItems",
    "additionalProperties",
    "propertyNames",
    "unevaluatedProperties",
    "not",
    "if",
    "then",
    "else",
    "contentSchema",
];
const LIST: [&str; 4] = ["allOf", "anyOf", "oneOf", "prefixItems"];
const MAP: [&str; 4] = [
    "patternProperties",
    "dependentSchemas",
    "$defs",
    "definitions",
];

fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The header map of `schema`, or why its annotations are invalid. The reason is a fixed text:
/// it never leaves the crate (an invalid tool is only dropped), so no formatting code for it.
pub(super) fn header_map(schema: &Value) -> Result<HeaderMap, &'static str> {
    let mut found = HeaderMap::new();
    // Header tokens seen so far, lower case.
    let mut seen: Vec<String> = Vec::new();
    // (path from the root through `properties` only; None once another keyword was crossed)
    let mut stack: Vec<(Option<Vec<String>>, &Value)> = vec![(Some(Vec::new()), schema)];
    while let Some((path, node)) = stack.pop() {
        let Value::Object(object) = node else {
            continue;
        };
        if let Some(header) = object.get(KEYWORD) {
            let path = match &path {
                Some(p) if !p.is_empty() => p.clone(),
                _ => return Err("x-mcp-header outside a pure `properties` chain"),
            };
            let Some(token) = header.as_str().filter(|t| is_token(t)) else {
                return Err("x-mcp-header value is not a header token");
            };
            let kind = object.get("type").and_then(Value::as_str).unwrap_or("");
            if !matches!(kind, "string" | "integer" | "boolean") {
                return Err(
                    "x-mcp-header is allowed on string, integer and boolean properties only",
                );
            }
            let lower = token.to_ascii_lowercase();
            if seen.contains(&lower) {
                return Err("x-mcp-header token used twice (case-insensitively)");
            }
            seen.push(lower);
            found.push((path, token.to_owned()));
        }
        for (keyword, value) in object {
            if keyword == "properties" {
                if let Value::Object(properties) = value {
                    for (name, sub) in properties {
                        let sub_path = path.as_ref().map(|p| {
                            let mut p = p.clone();
                            p.push(name.clone());
                            p
                        });
                        stack.push((sub_path, sub));
                    }
                }
            } else if SINGLE.contains(&keyword.as_str()) {
                stack.push((None, value));
            } else if LIST.contains(&keyword.as_str()) {
                if let Value::Array(items) = value {
                    for item in items {
                        stack.push((None, item));
                    }
                }
            } else if MAP.contains(&keyword.as_str()) {
                if let Value::Object(entries) = value {
                    for entry in entries.values() {
                        stack.push((None, entry));
                    }
                }
            }
        }
    }
    Ok(found)
}

/// The `Mcp-Param-*` headers of a call with `arguments` (absent and non-scalar values omitted).
pub(super) fn param_headers(map: &HeaderMap, arguments: Option<&Value>) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    for (path, token) in map {
        let mut node = arguments;
        for key in path {
            node = node.and_then(|n| n.get(key));
        }
        let rendered = match node {
            Some(Value::Bool(b)) => b.to_string(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => continue,
        };
        headers.push((format!("{PREFIX}{token}"), encode_header_value(&rendered)));
    }
    headers
}

/// Learns the header maps of a `tools/list` page, and returns the page without the tools whose
/// annotations are invalid (`None`: nothing dropped, use the page as it is).
pub(super) fn absorb_tools(page: &RawValue, known: &mut ToolHeaders) -> Option<RawValue> {
    if !page.get().contains(KEYWORD) {
        if let Ok(page) = json::parse(page.get()) {
            if let Some(tools) = page.get("tools").and_then(Value::as_array) {
                for tool in tools {
                    if let Some(name) = tool.get("name").and_then(Value::as_str) {
                        known.remove(name);
                    }
                }
            }
        }
        return None;
    }
    let mut result = json::parse_object(page.get()).ok()?;
    let Some(Value::Array(tools)) = result.remove("tools") else {
        return None;
    };
    let before = tools.len();
    let mut kept = Vec::with_capacity(before);
    for tool in tools {
        let name = tool.get("name").and_then(Value::as_str).unwrap_or_default();
        let schema = tool.get("inputSchema").unwrap_or(&Value::Null);
        match header_map(schema) {
            Ok(map) => {
                if map.is_empty() {
                    known.remove(name);
                } else {
                    known.insert(name.to_owned(), map);
                }
                kept.push(tool);
            }
            Err(_) => {
                known.remove(name);
            }
        }
    }
    if kept.len() == before {
        return None;
    }
    result.insert("tools".into(), Value::Array(kept));
    Some(json::to_raw(&Value::Object(result)))
}

/// The routing headers of a request: `Mcp-Method`, and `Mcp-Name` where the method names a
/// tool, prompt or resource.
pub(super) fn route(method: &str, params: Option<&Map<String, Value>>) -> Vec<(String, String)> {
    let mut headers = vec![("Mcp-Method".to_owned(), method.to_owned())];
    let key = match method {
        methods::TOOLS_CALL | methods::PROMPTS_GET => Some("name"),
        methods::RESOURCES_READ => Some("uri"),
        _ => None,
    };
    if let Some(name) = key
        .and_then(|k| params.and_then(|p| p.get(k)))
        .and_then(Value::as_str)
    {
        headers.push(("Mcp-Name".to_owned(), encode_header_value(name)));
    }
    headers
}

/// A header value that survives HTTP: printable ASCII without edge spaces as it is, anything
/// else as `=?base64?…?=` of its UTF-8 bytes.
pub(crate) fn encode_header_value(value: &str) -> String {
    let plain = value.bytes().all(|b| (0x20..=0x7e).contains(&b))
        && value.trim() == value
        && !(value.starts_with("=?base64?") && value.ends_with("?="));
    if plain {
        value.to_owned()
    } else {
        format!("=?base64?{}?=", STANDARD.encode(value.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn header_values_are_plain_or_base64() {
        assert_eq!(encode_header_value("echo"), "echo");
        assert_eq!(encode_header_value("file:///a b.txt"), "file:///a b.txt");
        assert_eq!(encode_header_value(" lead"), "=?base64?IGxlYWQ=?=");
        assert_eq!(encode_header_value("café"), "=?base64?Y2Fmw6k=?=");
        assert_eq!(
            encode_header_value("=?base64?x?="),
            "=?base64?PT9iYXNlNjQ/eD89?="
        );
    }

    #[test]
    fn valid_annotations_are_mapped_and_mirrored() {
        let schema = json!({"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "n": {"type": "integer", "x-mcp-header": "N"},
            "flag": {"type": "boolean", "x-mcp-header": "Flag"},
            "nested": {"type": "object", "properties": {"id": {"type": "string", "x-mcp-header": "Id"}}},
            "plain": {"type": "string"}
        }});
        let map = header_map(&schema).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(map.len(), 4);
        let args =
            json!({"region": "café", "n": 42, "flag": false, "nested": {"id": "x1"}, "plain": "p"});
        let mut headers = param_headers(&map, Some(&args));
        headers.sort();
        assert_eq!(
            headers,
            vec![
                ("Mcp-Param-Flag".to_owned(), "false".to_owned()),
                ("Mcp-Param-Id".to_owned(), "x1".to_owned()),
                ("Mcp-Param-N".to_owned(), "42".to_owned()),
                (
                    "Mcp-Param-Region".to_owned(),
                    "=?base64?Y2Fmw6k=?=".to_owned()
                ),
            ]
        );
        let sparse = json!({"region": null});
        assert!(param_headers(&map, Some(&sparse)).is_empty());
    }

    #[test]
    fn invalid_annotations_are_refused() {
        let bad = [
            json!({"properties": {"a": {"type": "string", "x-mcp-header": ""}}}),
            json!({"properties": {"a": {"type": "object", "x-mcp-header": "A"}}}),
            json!({"properties": {"a": {"type": "number", "x-mcp-header": "A"}}}),
            json!({"properties": {"a": {"type": "string", "x-mcp-header": "has space"}}}),
            json!({"properties": {"a": {"type": "string", "x-mcp-header": "A"},
                                  "b": {"type": "string", "x-mcp-header": "a"}}}),
            json!({"items": {"type": "string", "x-mcp-header": "A"}}),
            json!({"x-mcp-header": "Root", "type": "string"}),
        ];
        for schema in bad {
            assert!(header_map(&schema).is_err(), "{schema}");
        }
    }

    #[test]
    fn listings_lose_only_the_invalid_tools() {
        let page = crate::json::to_raw(&json!({"tools": [
            {"name": "good", "inputSchema": {"properties": {"r": {"type": "string", "x-mcp-header": "R"}}}},
            {"name": "bad", "inputSchema": {"properties": {"r": {"type": "array", "x-mcp-header": "R"}}}},
            {"name": "plain", "inputSchema": {"type": "object"}}
        ], "ttlMs": 0}));
        let mut known = ToolHeaders::new();
        let filtered = absorb_tools(&page, &mut known).unwrap_or_else(|| panic!("filtered"));
        let value = crate::json::parse(filtered.get()).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = value["tools"]
            .as_array()
            .map(|t| t.iter().filter_map(|t| t["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(names, ["good", "plain"]);
        assert_eq!(value["ttlMs"], 0);
        assert!(known.contains_key("good") && !known.contains_key("bad"));
    }
}
