//! JSON objects written member by member, as text: no tree, no map to sort.
//! The wasm face writes what it hands to JS with it (statistics, the tool catalog, request
//! params), and [`crate::raw_object::RawObject`] writes its fields back with it.

use crate::json::{quote, Map, Value};

/// A JSON object being written; members appear in the order they are added.
#[derive(Debug)]
pub struct JsonObject {
    text: String,
}

impl JsonObject {
    /// An empty object.
    pub fn new() -> Self {
        JsonObject {
            text: String::from("{"),
        }
    }

    /// Starts the member `key`.
    fn key(&mut self, key: &str) -> &mut Self {
        if self.text.len() > 1 {
            self.text.push(',');
        }
        quote(&mut self.text, key);
        self.text.push(':');
        self
    }

    /// Adds `key` with JSON text `raw` as its value.
    pub fn raw(&mut self, key: &str, raw: &str) -> &mut Self {
        self.key(key).text.push_str(raw);
        self
    }

    /// Adds `key` with a string value.
    pub fn string(&mut self, key: &str, value: &str) -> &mut Self {
        quote(&mut self.key(key).text, value);
        self
    }

    /// Appends a member written from a tree.
    pub fn value(&mut self, key: &str, value: &Value) -> &mut Self {
        value.write(&mut self.key(key).text);
        self
    }

    /// Appends a string member when there is one.
    pub fn opt_string(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.string(key, value);
        }
        self
    }

    /// Appends a member written from a tree when there is one.
    pub fn opt_value(&mut self, key: &str, value: Option<&Value>) -> &mut Self {
        if let Some(value) = value {
            self.value(key, value);
        }
        self
    }

    /// Appends every member of `extra` (the fields a type keeps without knowing them).
    pub fn extra(&mut self, extra: &Map<String, Value>) -> &mut Self {
        for (key, value) in extra {
            self.value(key, value);
        }
        self
    }

    /// Adds `key` with a number value.
    pub fn number(&mut self, key: &str, value: u64) -> &mut Self {
        let text = value.to_string();
        self.raw(key, &text)
    }

    /// Adds `key` with a signed number value.
    pub fn number_i64(&mut self, key: &str, value: i64) -> &mut Self {
        let text = value.to_string();
        self.raw(key, &text)
    }

    /// Adds numbers, one member each: `keys[i]` with `values[i]`.
    pub fn numbers(&mut self, keys: &[&str], values: &[u64]) -> &mut Self {
        for (key, value) in keys.iter().zip(values) {
            self.number(key, *value);
        }
        self
    }

    /// The JSON text.
    pub fn finish(&mut self) -> String {
        let mut text = std::mem::take(&mut self.text);
        text.push('}');
        text
    }
}

impl Default for JsonObject {
    fn default() -> Self {
        JsonObject::new()
    }
}

/// JSON text of an array of the given JSON texts.
pub fn array(items: &[String]) -> String {
    format!("[{}]", items.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_in_order_with_keys_and_strings_escaped() {
        let text = JsonObject::new()
            .number("n", 7)
            .string("s\"k", "a\nb")
            .raw("r", "[1,{}]")
            .numbers(&["x", "y"], &[1, 2])
            .finish();
        assert_eq!(text, r#"{"n":7,"s\"k":"a\nb","r":[1,{}],"x":1,"y":2}"#);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["s\"k"], "a\nb");
        assert_eq!(JsonObject::default().finish(), "{}");
        assert_eq!(array(&[]), "[]");
        assert_eq!(array(&["1".into(), "{}".into()]), "[1,{}]");
    }
}
