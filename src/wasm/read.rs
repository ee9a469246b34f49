//! Reading one JS options object into a serde struct through serde-wasm-bindgen: an option set to
//! `undefined` or `null` is absent; a key no struct declares is an error (a typo is not ignored).

use js_sys::{Object, Reflect};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::errors::Failed;
use crate::error::Error;
use crate::options::fields_of;

/// Reads `value` (an object, `undefined` or `null`) into `T`. `also` names the keys other structs
/// read from the same object.
///
/// # Errors
/// `INVALID_ARGUMENT` when `value` (or a nested options object) is not an object;
/// `INVALID_CONFIG` naming the option for an unknown key, a wrong type or a wrong value.
pub(crate) fn read<T: DeserializeOwned>(
    value: &JsValue,
    what: &str,
    also: &[&'static str],
) -> Result<T, Failed> {
    let object = present(value, what)?;
    let own = fields_of::<T>();
    let mut given = Object::new();
    let mut copied = false;
    for key in Object::keys(&object).iter() {
        let name = key.as_string().unwrap_or_default();
        if !own.contains(&name.as_str()) && !also.contains(&name.as_str()) {
            let known: Vec<&str> = own.iter().chain(also).copied().collect();
            return Err(Error::invalid_config(
                &name,
                format!("unknown option in {what} (known: {})", known.join(", ")),
            )
            .into());
        }
        let field = Reflect::get(&object, &key).unwrap_or(JsValue::UNDEFINED);
        if field.is_undefined() || field.is_null() {
            copied = true;
        } else {
            let _ = Reflect::set(&given, &key, &field);
        }
    }
    if !copied {
        given = object;
    }
    let deserializer = serde_wasm_bindgen::Deserializer::from(JsValue::from(given));
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { what.to_owned() } else { path };
        let reason = e.into_inner().to_string();
        let reason = reason.strip_prefix("Error: ").unwrap_or(&reason);
        // serde-wasm-bindgen reads a map out of a non-object with a JS `TypeError`.
        let not_object = reason.contains("non-object") || reason.contains("expected struct");
        if not_object && NESTED.contains(&field.as_str()) {
            Error::invalid_argument(&field, "must be an object").into()
        } else if not_object {
            Error::invalid_config(&field, "must be an object").into()
        } else {
            Error::invalid_config(&field, reason).into()
        }
    })
}

/// Options objects nested in an options object: one that is not an object is a wrong argument,
/// as the outer one is (a map-valued option of the wrong type, `headers`, is a wrong option).
const NESTED: [&str; 1] = ["clientInfo"];

/// `value` as a plain object; `undefined`/`null` as an empty one.
fn present(value: &JsValue, what: &str) -> Result<Object, Failed> {
    if value.is_undefined() || value.is_null() {
        return Ok(Object::new());
    }
    value
        .dyn_ref::<Object>()
        .filter(|_| !value.is_function() && !js_sys::Array::is_array(value))
        .cloned()
        .ok_or_else(|| Error::invalid_argument(what, "must be an object").into())
}
