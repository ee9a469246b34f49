//! A JSON object kept as its members' raw text, in wire order (read by serde_json into an
//! [`IndexMap`]): read one, take or change a member, write it back, without building a tree.

use indexmap::IndexMap;

use crate::json::{self, RawValue};

/// The members of one JSON object, each value raw, in the order they came (a member repeated on
/// the wire keeps its first place and its last value, as JSON parsers read it).
#[derive(Debug, Default)]
pub(crate) struct RawObject(IndexMap<String, RawValue>);

impl RawObject {
    /// Parses `text`, which must be a JSON object.
    ///
    /// # Errors
    /// What is malformed, or that `text` is not an object.
    pub(crate) fn parse(text: &str) -> Result<Self, json::Error> {
        serde_json::from_str(text).map(RawObject)
    }

    /// Takes member `key` out.
    pub(crate) fn remove(&mut self, key: &str) -> Option<RawValue> {
        self.0.shift_remove(key)
    }

    /// Member `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&RawValue> {
        self.0.get(key)
    }

    /// Sets member `key` to `value`: in its place if it was there, else last.
    pub(crate) fn insert(&mut self, key: &str, value: RawValue) {
        self.0.insert(key.to_owned(), value);
    }

    /// The members, in order, taken.
    pub(crate) fn into_fields(self) -> impl Iterator<Item = (String, RawValue)> {
        self.0.into_iter()
    }

    /// The object as raw JSON.
    pub(crate) fn to_raw(&self) -> RawValue {
        json::to_raw(&self.0)
    }

    /// Takes member `key` out, raw; `null` reads as absent.
    pub(crate) fn take(&mut self, key: &str) -> Option<RawValue> {
        self.remove(key).filter(|v| !json::is_null(v))
    }

    /// Takes member `key` out as a `T`; `null` reads as absent.
    ///
    /// # Errors
    /// When the member is not a `T` (the message names it).
    pub(crate) fn take_as<T: serde::de::DeserializeOwned>(
        &mut self,
        key: &str,
    ) -> Result<Option<T>, String> {
        self.take(key)
            .map(|raw| json::from_str(raw.get()).map_err(|e| format!("field `{key}`: {e}")))
            .transpose()
    }

    /// Takes string member `key` out; `null` reads as absent.
    ///
    /// # Errors
    /// When the member is not a string.
    pub(crate) fn take_str(&mut self, key: &str) -> Result<Option<String>, String> {
        self.take_as(key)
    }

    /// Takes array member `key` out, its items raw; `null` or absent reads as empty.
    ///
    /// # Errors
    /// When the member is not an array.
    pub(crate) fn take_items(&mut self, key: &str) -> Result<Vec<RawValue>, String> {
        Ok(self.take_as(key)?.unwrap_or_default())
    }
}

/// The items of a JSON array, raw.
///
/// # Errors
/// When `raw` is not an array.
pub(crate) fn items(raw: &RawValue) -> Result<Vec<RawValue>, json::Error> {
    serde_json::from_str(raw.get())
}
