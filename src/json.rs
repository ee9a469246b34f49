//! JSON through serde_json: trees ([`Value`]) where the pool looks into a document, raw text
//! ([`RawValue`]) where it passes data through untouched (results, schemas, `_meta`), and serde
//! derives for every type with a shape.

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use serde_json::{Map, Number, Value};

/// The text of one JSON value, checked once and passed on without being rebuilt: a tool's
/// result is never parsed into a tree and written again.
pub type RawValue = Box<serde_json::value::RawValue>;

/// Malformed JSON, or JSON of the wrong shape.
pub type Error = serde_json::Error;

/// Reads `text` as a `T`; a failure names the path of the field at fault
/// (`serverInfo.version: invalid type: integer ...`).
///
/// # Errors
/// What is malformed, missing or mistyped, and where.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let mut reader = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde says "expected struct X" for what the wire calls an object.
        let inner = if inner.contains("expected struct") {
            format!("must be a JSON object ({inner})")
        } else {
            inner
        };
        if path == "." {
            inner
        } else {
            format!("{path}: {inner}")
        }
    })?;
    reader.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// `value` as compact JSON text. Serialising the crate's types cannot fail (string keys, no
/// floats that JSON cannot hold); should it, the text is `null`.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// [`to_string`] into a buffer of `capacity` bytes from the start: for text about as long as
/// what it embeds (a request around its params), whose buffer would otherwise grow by doubling,
/// holding up to three times the text at once (in wasm the memory never shrinks back).
pub fn to_string_sized<T: Serialize + ?Sized>(value: &T, capacity: usize) -> String {
    let mut out = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut out, value) {
        // serde_json writes UTF-8 only; the check is one pass, not a copy.
        Ok(()) => String::from_utf8(out).unwrap_or_else(|_| "null".to_owned()),
        Err(_) => "null".to_owned(),
    }
}

/// [`to_raw`] through [`to_string_sized`] (the text is checked once more as it becomes raw).
pub fn to_raw_sized<T: Serialize + ?Sized>(value: &T, capacity: usize) -> RawValue {
    raw(to_string_sized(value, capacity)).unwrap_or_else(|_| null())
}

/// `value` as raw JSON (`null` should serialising fail, as for [`to_string`]).
pub fn to_raw<T: Serialize + ?Sized>(value: &T) -> RawValue {
    serde_json::value::to_raw_value(value).unwrap_or_else(|_| null())
}

/// Checks `text` and keeps it as raw JSON.
///
/// # Errors
/// What is malformed.
pub fn raw(text: String) -> Result<RawValue, Error> {
    serde_json::value::RawValue::from_string(text)
}

/// Raw JSON `null`.
pub fn null() -> RawValue {
    serde_json::value::RawValue::NULL.to_owned()
}

/// True for `null`.
pub fn is_null(raw: &serde_json::value::RawValue) -> bool {
    raw.get() == "null"
}

/// Parses `text` into a tree.
///
/// # Errors
/// What is malformed.
pub fn parse(text: &str) -> Result<Value, Error> {
    serde_json::from_str(text)
}

/// Parses `text`, which must be a JSON object, into its members.
///
/// # Errors
/// What is malformed, or that it is not an object.
pub fn parse_object(text: &str) -> Result<Map<String, Value>, Error> {
    serde_json::from_str(text)
}

/// `text` as a JSON string literal.
pub fn quoted(text: &str) -> String {
    to_string(text)
}

/// Reading any serde type from JSON text, with [`from_str`]'s errors: `T::from_json(text)`.
pub trait FromJson: DeserializeOwned {
    /// Reads one from `text`.
    ///
    /// # Errors
    /// What is malformed, missing or mistyped, and where.
    fn from_json(text: &str) -> Result<Self, String> {
        from_str(text)
    }
}

impl<T: DeserializeOwned> FromJson for T {}

/// Writing any serde type as compact JSON text, as [`to_string`]: `value.to_json()`.
pub trait ToJson: Serialize {
    /// Compact JSON text.
    fn to_json(&self) -> String {
        to_string(self)
    }
}

impl<T: Serialize + ?Sized> ToJson for T {}
