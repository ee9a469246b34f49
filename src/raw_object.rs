//! A JSON object kept as its fields' raw text, in wire order: read one, change a field, write it
//! back, without building a tree (and without a map type per use: a `Vec` is all it takes).

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::json_object::JsonObject;

/// The fields of one JSON object, each value raw, in the order they came.
#[derive(Debug, Default)]
pub struct RawObject(Vec<(String, Box<RawValue>)>);

impl RawObject {
    /// Parses `text`, which must be a JSON object.
    ///
    /// # Errors
    /// The parser's message when `text` is not a JSON object.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// Takes field `key` out (every copy of it, the last one returned, as JSON parsers keep it).
    pub fn remove(&mut self, key: &str) -> Option<Box<RawValue>> {
        let mut found = None;
        let mut i = 0;
        while i < self.0.len() {
            if self.0.get(i).is_some_and(|(k, _)| k == key) {
                found = Some(self.0.remove(i).1);
            } else {
                i += 1;
            }
        }
        found
    }

    /// Field `key` (its last copy, as JSON parsers read it).
    pub fn get(&self, key: &str) -> Option<&RawValue> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| &**v)
    }

    /// Sets field `key` to `value`, in place of any field of that name.
    pub fn insert(&mut self, key: &str, value: Box<RawValue>) {
        self.remove(key);
        self.0.push((key.to_owned(), value));
    }

    /// Whether the object has no fields.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &RawValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), &**v))
    }

    /// Writes the object as JSON text, after `leading` fields (written first, as given).
    pub fn write(&self, leading: &[(&str, &str)]) -> String {
        let mut out = JsonObject::new();
        for (key, value) in leading {
            out.raw(key, value);
        }
        for (key, value) in &self.0 {
            out.raw(key, value.get());
        }
        out.finish()
    }

    /// [`RawObject::write`] with no leading fields, as raw JSON.
    ///
    /// # Errors
    /// Never in practice (the text is built from valid JSON); the parser's message otherwise.
    pub fn to_raw(&self) -> Result<Box<RawValue>, String> {
        RawValue::from_string(self.write(&[])).map_err(|e| e.to_string())
    }
}

impl<'de> Deserialize<'de> for RawObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = RawObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    fields.push(entry);
                }
                Ok(RawObject(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn keeps_order_and_text() {
        let o = RawObject::parse(r#"{ "b" : [1, 2], "a":{"x":"y"} }"#).unwrap();
        let fields: Vec<_> = o.fields().map(|(k, v)| (k, v.get())).collect();
        assert_eq!(fields, [("b", "[1, 2]"), ("a", r#"{"x":"y"}"#)]);
        assert_eq!(o.write(&[]), r#"{"b":[1, 2],"a":{"x":"y"}}"#);
    }

    #[test]
    fn insert_replaces_and_remove_takes_every_copy() {
        let mut o = RawObject::parse(r#"{"k":1,"j":2,"k":3}"#).unwrap();
        assert_eq!(
            o.remove("k").map(|v| v.get().to_owned()).as_deref(),
            Some("3")
        );
        assert_eq!(o.write(&[]), r#"{"j":2}"#);
        assert!(o.remove("k").is_none());
        o.insert("j", raw("true"));
        o.insert("n", raw("null"));
        assert_eq!(o.to_raw().unwrap().get(), r#"{"j":true,"n":null}"#);
    }

    #[test]
    fn leading_fields_come_first_and_keys_are_escaped() {
        let o = RawObject::parse(r#"{"z":0}"#).unwrap();
        assert_eq!(o.write(&[("a\"b", "[]")]), r#"{"a\"b":[],"z":0}"#);
        assert!(RawObject::default().is_empty());
        assert_eq!(RawObject::default().write(&[]), "{}");
    }

    #[test]
    fn refuses_what_is_not_an_object() {
        for text in ["[]", "1", "\"s\"", "null", "{", r#"{"a":}"#] {
            assert!(RawObject::parse(text).is_err(), "{text}");
        }
    }
}
