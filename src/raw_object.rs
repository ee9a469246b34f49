//! A JSON object kept as its fields' raw text, in wire order: read one, change a field, write it
//! back, without building a tree (and without a map type per use: a `Vec` is all it takes).

use crate::json::scan::Scanner;
use crate::json::{self, raw_at, Error, Map, RawValue, Value};
use crate::json_object::JsonObject;

/// The fields of one JSON object, each value raw, in the order they came.
#[derive(Debug, Default)]
pub struct RawObject(Vec<(String, RawValue)>);

impl RawObject {
    /// Parses `text`, which must be a JSON object.
    ///
    /// # Errors
    /// The parser's message when `text` is not a JSON object.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut scan = Scanner::new(text);
        let object = Self::read(&mut scan)?;
        scan.end()?;
        Ok(object)
    }

    /// Reads the object at the scanner.
    pub(crate) fn read(scan: &mut Scanner<'_>) -> Result<Self, Error> {
        let mut fields = Vec::new();
        scan.object(|scan, key| {
            fields.push((key, raw_at(scan)?));
            Ok(())
        })?;
        Ok(RawObject(fields))
    }

    /// Takes field `key` out (every copy of it, the last one returned, as JSON parsers keep it).
    pub fn remove(&mut self, key: &str) -> Option<RawValue> {
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
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets field `key` to `value`, in place of any field of that name.
    pub fn insert(&mut self, key: &str, value: RawValue) {
        self.remove(key);
        self.0.push((key.to_owned(), value));
    }

    /// Whether the object has no fields.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &RawValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
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
    pub fn to_raw(&self) -> RawValue {
        RawValue::checked(&self.write(&[]))
    }

    /// Takes field `key` out, raw; `null` reads as absent.
    pub fn take(&mut self, key: &str) -> Option<RawValue> {
        self.remove(key).filter(|v| !v.is_null())
    }

    /// Takes field `key` out as a tree; `null` reads as absent.
    pub fn take_value(&mut self, key: &str) -> Option<Value> {
        self.take(key).map(|raw| tree(&raw))
    }

    /// Takes field `key` out read by `read`, which says what it must be when it fails;
    /// `null` reads as absent.
    fn take_as<T>(
        &mut self,
        key: &str,
        must_be: &str,
        read: impl FnOnce(Value) -> Option<T>,
    ) -> Result<Option<T>, String> {
        match self.take_value(key) {
            None => Ok(None),
            Some(v) => read(v)
                .map(Some)
                .ok_or_else(|| format!("field `{key}` must be {must_be}")),
        }
    }

    /// Takes string field `key` out; `null` reads as absent.
    ///
    /// # Errors
    /// When the field is not a string.
    pub fn take_str(&mut self, key: &str) -> Result<Option<String>, String> {
        self.take_as(key, "a string", |v| match v {
            Value::String(s) => Some(s),
            _ => None,
        })
    }

    /// Takes string field `key` out, which must be there.
    ///
    /// # Errors
    /// When the field is missing or not a string.
    pub fn need_str(&mut self, key: &str) -> Result<String, String> {
        self.take_str(key)?
            .ok_or_else(|| format!("missing field `{key}`"))
    }

    /// Takes integer field `key` out; `null` reads as absent.
    ///
    /// # Errors
    /// When the field is not a non-negative integer.
    pub fn take_u64(&mut self, key: &str) -> Result<Option<u64>, String> {
        self.take_as(key, "a non-negative integer", |v| v.as_u64())
    }

    /// Takes boolean field `key` out; `null` reads as absent.
    ///
    /// # Errors
    /// When the field is not a boolean.
    pub fn take_bool(&mut self, key: &str) -> Result<Option<bool>, String> {
        self.take_as(key, "a boolean", |v| v.as_bool())
    }

    /// Takes array field `key` out, its items raw; `null` or absent reads as empty.
    ///
    /// # Errors
    /// When the field is not an array.
    pub fn take_items(&mut self, key: &str) -> Result<Vec<RawValue>, String> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(raw) => items(&raw).map_err(|_| format!("field `{key}` must be an array")),
        }
    }

    /// The fields left, as trees.
    pub fn into_map(self) -> Map<String, Value> {
        let mut pairs = Vec::with_capacity(self.0.len());
        for (key, raw) in self.0 {
            pairs.push((key, tree(&raw)));
        }
        Map::from_pairs(pairs)
    }
}

/// A checked value's tree (its text is valid JSON, so the parse cannot fail).
fn tree(raw: &RawValue) -> Value {
    json::parse(raw.get()).unwrap_or_default()
}

/// The items of a JSON array, raw.
///
/// # Errors
/// When `raw` is not an array.
pub fn items(raw: &RawValue) -> Result<Vec<RawValue>, Error> {
    let mut scan = Scanner::new(raw.get());
    let mut out = Vec::new();
    scan.array(|scan| {
        out.push(raw_at(scan)?);
        Ok(())
    })?;
    scan.end()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> RawValue {
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
        assert_eq!(o.to_raw().get(), r#"{"j":true,"n":null}"#);
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
