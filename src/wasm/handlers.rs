//! JS functions as answers to the server's own requests (`handlers` of `registerHttp`).

use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::abort::{from_json, to_json};
use super::errors::Failed;
use super::read::read;
use crate::error::Error;
use crate::json::RawValue;
use crate::jsonrpc::{codes, ErrorObject};
use crate::options::{
    AuthChallenge, ClientHandlers, DpopProof, DpopRequest, ServerRequestHandler, TokenProvider,
};

/// `handlers` of `registerHttp`: each a JS function, kept as a JS value by serde.
#[derive(Deserialize)]
struct JsHandlers {
    #[serde(
        default,
        deserialize_with = "serde_wasm_bindgen::preserve::deserialize"
    )]
    elicitation: JsValue,
    #[serde(
        default,
        deserialize_with = "serde_wasm_bindgen::preserve::deserialize"
    )]
    sampling: JsValue,
    #[serde(
        default,
        deserialize_with = "serde_wasm_bindgen::preserve::deserialize"
    )]
    roots: JsValue,
}

/// Reads `{ elicitation?, sampling?, roots? }`, each a function `(params) => result | Promise`.
/// The JS handlers of `value`; each is called with the request's params and `context` (the
/// `{ identity }` of an identity's sessions, or `undefined`).
pub(crate) fn client_handlers(
    value: &JsValue,
    context: &JsValue,
) -> Result<ClientHandlers, Failed> {
    let given: JsHandlers = read(value, "handlers", &[])?;
    let one = |key: &str, f: JsValue| -> Result<Option<ServerRequestHandler>, Failed> {
        if f.is_undefined() {
            return Ok(None);
        }
        let f: Function = f
            .dyn_into()
            .map_err(|_| Error::invalid_config(&format!("handlers.{key}"), "must be a function"))?;
        Ok(Some(js_handler(f, context.clone())))
    };
    Ok(ClientHandlers {
        elicitation: one("elicitation", given.elicitation)?,
        sampling: one("sampling", given.sampling)?,
        roots: one("roots", given.roots)?,
    })
}

/// Calls `f(params)`, awaits it if it returned a promise, and sends back its JSON; a throw or
/// rejection becomes a JSON-RPC error (`-32603`, or the thrown object's numeric `code`).
fn js_handler(f: Function, context: JsValue) -> ServerRequestHandler {
    Rc::new(move |params: Option<RawValue>| {
        let f = f.clone();
        let context = context.clone();
        Box::pin(async move {
            let arg = match &params {
                None => JsValue::UNDEFINED,
                Some(params) => from_json(params.get(), "server").map_err(|e| ErrorObject {
                    code: codes::INTERNAL_ERROR,
                    message: e.to_string(),
                    data: None,
                })?,
            };
            let value = call_settled(&f, &arg, &context)
                .await
                .map_err(|e| error_object(&e))?;
            to_json(&value, "handler result").map_err(|e| ErrorObject {
                code: codes::INTERNAL_ERROR,
                message: e.to_string(),
                data: None,
            })
        })
    })
}

fn error_object(thrown: &JsValue) -> ErrorObject {
    let get =
        |key: &str| Reflect::get(thrown, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    let code = get("code")
        .as_f64()
        .filter(|c| c.fract() == 0.0)
        .map_or(codes::INTERNAL_ERROR, |c| c as i64);
    let message = get("message")
        .as_string()
        .unwrap_or_else(|| "the client's handler failed".to_owned());
    ErrorObject {
        code,
        message,
        data: None,
    }
}

/// Reads `tokenProvider`: `(challenge?) => token | Promise<token>`, where `challenge` is
/// `{ error?, scope?, resourceMetadata? }` from the server's `WWW-Authenticate` on a `401` (or a
/// `403 insufficient_scope`). Without a challenge it may return `null`/`undefined`: no token yet.
/// The JS token provider of `value`, called with the challenge (if any) and `context` (see
/// [`client_handlers`]).
pub(crate) fn token_provider(
    value: &JsValue,
    context: &JsValue,
) -> Result<Option<TokenProvider>, Failed> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let f: Function = value
        .clone()
        .dyn_into()
        .map_err(|_| Error::invalid_config("tokenProvider", "must be a function"))?;
    let context = context.clone();
    Ok(Some(Rc::new(move |challenge: Option<AuthChallenge>| {
        let arg = match challenge {
            None => JsValue::UNDEFINED,
            Some(c) => strings_object([
                ("error", c.error),
                ("scope", c.scope),
                ("resourceMetadata", c.resource_metadata),
            ]),
        };
        // null/undefined: no token (yet); allowed before the first challenge only.
        Box::pin(call_for_string(
            f.clone(),
            arg,
            context.clone(),
            true,
            "the token provider did not return a string",
        ))
    })))
}

/// `dpop` of `registerHttp`: `{ proof }`, a JS function kept as a JS value by serde.
#[derive(Deserialize)]
struct JsDpop {
    #[serde(
        default,
        deserialize_with = "serde_wasm_bindgen::preserve::deserialize"
    )]
    proof: JsValue,
}

/// Reads `dpop`: `{ proof: ({ method, url, accessToken, nonce }) => jwt | Promise<jwt> }`, called
/// for every request to the server (`accessToken` and `nonce` absent when there is none yet).
pub(crate) fn dpop(value: &JsValue) -> Result<Option<DpopProof>, Failed> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let given: JsDpop = read(value, "dpop", &[])?;
    let f: Function = given
        .proof
        .dyn_into()
        .map_err(|_| Error::invalid_config("dpop.proof", "must be a function"))?;
    Ok(Some(Rc::new(move |request: DpopRequest| {
        let arg = strings_object([
            ("method", Some(request.method.as_str().to_owned())),
            ("url", Some(request.url)),
            ("accessToken", request.access_token),
            ("nonce", request.nonce),
        ]);
        Box::pin(call_for_string(
            f.clone(),
            arg,
            JsValue::UNDEFINED,
            false,
            "the DPoP proof maker did not return a string",
        ))
    })))
}

/// A JS object of the given string fields (absent ones left out).
fn strings_object<const N: usize>(fields: [(&str, Option<String>); N]) -> JsValue {
    let o = js_sys::Object::new();
    for (key, value) in fields {
        if let Some(value) = value {
            let _ = Reflect::set(&o, &JsValue::from_str(key), &JsValue::from_str(&value));
        }
    }
    o.into()
}

/// Calls `f(arg)`, or `f(arg, context)` when there is a context, and awaits its result if it is
/// a promise; `Err` is what it threw or rejected with.
async fn call_settled(f: &Function, arg: &JsValue, context: &JsValue) -> Result<JsValue, JsValue> {
    let returned = if context.is_undefined() {
        f.call1(&JsValue::UNDEFINED, arg)?
    } else {
        f.call2(&JsValue::UNDEFINED, arg, context)?
    };
    match returned.dyn_into::<Promise>() {
        Ok(promise) => JsFuture::from(promise).await,
        Err(plain) => Ok(plain),
    }
}

/// Calls `f(arg)` for a string (`optional`: null/undefined give ""); a throw or a rejection
/// becomes its message, another value `not_string`.
async fn call_for_string(
    f: Function,
    arg: JsValue,
    context: JsValue,
    optional: bool,
    not_string: &'static str,
) -> Result<String, String> {
    let value = call_settled(&f, &arg, &context)
        .await
        .map_err(|e| error_object(&e).message)?;
    if optional && (value.is_null() || value.is_undefined()) {
        return Ok(String::new());
    }
    value.as_string().ok_or_else(|| not_string.to_owned())
}
