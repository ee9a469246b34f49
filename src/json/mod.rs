//! The crate's own JSON: a small parser and writer for what MCP messages need.
//!
//! Results stay raw text ([`RawValue`]) from the wire to the caller; objects the pool reads are
//! taken member by member ([`crate::raw_object::RawObject`]); a [`Value`] tree is built only where
//! a document is looked into (schemas, discovery answers). Numbers keep their text. No serde:
//! a generic deserializer per type was most of the `.wasm`'s size that was not the pool itself.

mod raw;
pub(crate) mod scan;
mod value;
mod write;

use std::fmt;

pub(crate) use raw::raw_at;
pub use raw::RawValue;
pub(crate) use value::write_object;
pub use value::{Number, Value};
pub use write::{quote, quoted};

/// A JSON object's members, sorted by key (the last of duplicate keys wins).
pub type Map<K = String, V = Value> = crate::vecmap::VecMap<K, V>;

/// Malformed JSON: what is wrong, and at which byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: &'static str,
    offset: usize,
}

impl Error {
    pub(crate) fn new(message: &'static str, offset: usize) -> Self {
        Error { message, offset }
    }

    /// What is wrong.
    pub fn message(&self) -> &'static str {
        self.message
    }

    /// The byte offset where it was found.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

impl std::error::Error for Error {}

/// A type read from JSON text.
pub trait FromJson: Sized {
    /// Reads one from `text`.
    ///
    /// # Errors
    /// What is malformed, missing or mistyped.
    fn from_json(text: &str) -> Result<Self, String>;
}

/// A type written as JSON text.
pub trait ToJson {
    /// Compact JSON text.
    fn to_json(&self) -> String;
}

impl FromJson for Value {
    fn from_json(text: &str) -> Result<Self, String> {
        parse(text).map_err(|e| e.to_string())
    }
}

impl FromJson for RawValue {
    fn from_json(text: &str) -> Result<Self, String> {
        RawValue::from_string(text.to_owned()).map_err(|e| e.to_string())
    }
}

impl ToJson for Value {
    fn to_json(&self) -> String {
        to_string(self)
    }
}

/// Test helper: a `serde_json::json!` literal as this crate's tree.
#[cfg(test)]
macro_rules! json {
    ($($t:tt)+) => {
        $crate::json::parse(&serde_json::json!($($t)+).to_string())
            .unwrap_or_else(|e| panic!("{e}"))
    };
}
#[cfg(test)]
pub(crate) use json;

/// Parses `text` (one value, whitespace around it allowed) into a tree.
///
/// # Errors
/// What is malformed, and where.
pub fn parse(text: &str) -> Result<Value, Error> {
    let mut scan = scan::Scanner::new(text);
    let value = scan.value()?;
    scan.end()?;
    Ok(value)
}

/// Parses `text`, which must be a JSON object, into its members.
///
/// # Errors
/// What is malformed, or that it is not an object.
pub fn parse_object(text: &str) -> Result<Map<String, Value>, Error> {
    let mut scan = scan::Scanner::new(text);
    if scan.skip_ws() != Some(b'{') {
        return Err(scan.error("expected a JSON object"));
    }
    match scan.value()? {
        Value::Object(map) => {
            scan.end()?;
            Ok(map)
        }
        _ => Err(scan.error("expected a JSON object")),
    }
}

/// `value` as compact JSON text.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    value.write(&mut out);
    out
}

/// `value` as raw JSON.
pub fn to_raw(value: &Value) -> RawValue {
    RawValue::checked(&to_string(value))
}

#[cfg(test)]
mod tests;
