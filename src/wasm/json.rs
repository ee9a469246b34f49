//! JSON text of the plain objects handed to JS (statistics, the tool catalog, request params),
//! written member by member: no `serde_json::Value` tree, no map to sort.

/// A JSON object being written; members appear in the order they are added.
pub(crate) struct JsonObject {
    text: String,
}

impl JsonObject {
    /// An empty object.
    pub(crate) fn new() -> Self {
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
    pub(crate) fn raw(&mut self, key: &str, raw: &str) -> &mut Self {
        self.key(key).text.push_str(raw);
        self
    }

    /// Adds `key` with a string value.
    pub(crate) fn string(&mut self, key: &str, value: &str) -> &mut Self {
        quote(&mut self.key(key).text, value);
        self
    }

    /// Adds `key` with a number value.
    pub(crate) fn number(&mut self, key: &str, value: u64) -> &mut Self {
        let text = value.to_string();
        self.raw(key, &text)
    }

    /// Adds numbers, one member each: `keys[i]` with `values[i]`.
    pub(crate) fn numbers(&mut self, keys: &[&str], values: &[u64]) -> &mut Self {
        for (key, value) in keys.iter().zip(values) {
            self.number(key, *value);
        }
        self
    }

    /// The JSON text.
    pub(crate) fn finish(&mut self) -> String {
        let mut text = std::mem::take(&mut self.text);
        text.push('}');
        text
    }
}

/// Appends `value` as a JSON string.
pub(crate) fn quote(out: &mut String, value: &str) {
    out.push_str(&crate::jsonrpc::to_json(&value));
}

/// JSON text of an array of the given JSON texts.
pub(crate) fn array(items: &[String]) -> String {
    format!("[{}]", items.join(","))
}
