//! The serde names of a struct's fields, read from its `Deserialize` impl (the `fields` it hands
//! to `deserialize_struct`). A host face uses them to refuse unknown keys where its deserializer
//! only reads the declared ones (serde-wasm-bindgen does), and the tests to check that every
//! option has its TypeScript counterpart.

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// The serde names of `T`'s fields; empty when `T` is not deserialized as a struct.
pub(crate) fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldsOf(&mut fields));
    fields
}

/// A deserializer that records the fields of the struct asked of it and then fails.
struct FieldsOf<'a>(&'a mut &'static [&'static str]);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fields read")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Stop
    }
}

impl<'de> Deserializer<'de> for FieldsOf<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Stop> {
        *self.0 = fields;
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::fields_of;
    use crate::options::{PoolOptions, ServerOptions};

    /// The TypeScript types shipped in the package's `.d.ts`.
    const TS: &str = include_str!("../wasm/types.rs");

    /// The top-level keys of `export interface <name> { ... }` in [`TS`].
    fn ts_keys(name: &str) -> BTreeSet<String> {
        let start = format!("export interface {name} {{\n");
        let body = TS.split_once(&start).map_or("", |(_, rest)| rest);
        let body = body.split_once("\n}\n").map_or("", |(body, _)| body);
        body.lines()
            .filter_map(|line| line.strip_prefix("  "))
            .filter_map(|line| line.split_once("?:"))
            .map(|(key, _)| key.to_owned())
            .filter(|key| key.chars().all(|c| c.is_ascii_alphanumeric()))
            .collect()
    }

    fn rust_keys(fields: &[&str], wasm_only: &[&str]) -> BTreeSet<String> {
        fields
            .iter()
            .chain(wasm_only)
            .map(|k| (*k).to_owned())
            .collect()
    }

    // The wasm-only keys are fields of serde structs in `wasm/options.rs` (`PoolHost`,
    // `ServerHooks`), which do not compile natively: they are named here once more.
    #[test]
    fn every_pool_option_has_its_typescript_field_and_back() {
        assert_eq!(
            ts_keys("McpPoolOptions"),
            rust_keys(fields_of::<PoolOptions>(), &["httpClient"])
        );
    }

    #[test]
    fn every_server_option_has_its_typescript_field_and_back() {
        assert_eq!(
            ts_keys("ServerOptions"),
            rust_keys(
                fields_of::<ServerOptions>(),
                &["handlers", "tokenProvider", "dpop", "identityHeaders"]
            )
        );
    }
}
