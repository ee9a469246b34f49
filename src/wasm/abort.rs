//! An `AbortSignal` as a future, and JSON conversions across the boundary.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_channel::oneshot;
use futures_util::future::LocalBoxFuture;
use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::errors::Failed;
use crate::error::{Error, SizeUnit};
use crate::json::RawValue;

/// Listens for `abort` on `signal`. The future completes when the signal aborts; dropping it
/// removes the listener.
pub(crate) fn on_abort(signal: &AbortSignal) -> LocalBoxFuture<'static, ()> {
    let (tx, fired) = oneshot::channel();
    let mut tx = Some(tx);
    let listener = Closure::<dyn FnMut()>::new(move || {
        if let Some(tx) = tx.take() {
            let _ = tx.send(());
        }
    });
    let added = signal.add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
    if added.is_err() {
        // Not reachable for an `AbortSignal`; without a listener it can never fire.
        return Box::pin(std::future::pending());
    }
    Box::pin(Aborted {
        signal: signal.clone(),
        listener,
        fired,
    })
}

/// The abort of a signal to come; removes its listener when dropped.
struct Aborted {
    signal: AbortSignal,
    listener: Closure<dyn FnMut()>,
    fired: oneshot::Receiver<()>,
}

impl Future for Aborted {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // The sender lives in the listener, which lives as long as this: only `Ok` comes.
        Pin::new(&mut self.fired).poll(cx).map(drop)
    }
}

impl Drop for Aborted {
    fn drop(&mut self) {
        let listener: &Function = self.listener.as_ref().unchecked_ref();
        let _ = self
            .signal
            .remove_event_listener_with_callback("abort", listener);
    }
}

#[wasm_bindgen(module = "/src/wasm/host.js")]
extern "C" {
    /// `JSON.stringify(value)` with a replacer that throws on functions and symbols.
    #[wasm_bindgen(catch)]
    fn mcp_to_json(value: &JsValue) -> Result<JsValue, JsValue>;
}

/// Serialises a JS value to JSON text, refusing cycles, `BigInt`, functions and symbols.
pub(crate) fn to_json(value: &JsValue, argument: &str) -> Result<RawValue, Failed> {
    let text = mcp_to_json(value);
    let text = match text {
        Ok(text) => text.as_string(),
        Err(e) => {
            let reason = js_sys::Reflect::get(&e, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "it cannot be serialised".to_owned());
            return Err(Box::new(Error::invalid_argument(
                argument,
                format!("is not JSON-serialisable: {reason}"),
            )));
        }
    };
    let Some(text) = text else {
        return Err(Box::new(Error::invalid_argument(
            argument,
            "is not JSON-serialisable",
        )));
    };
    crate::json::raw(text).map_err(|e| Box::new(Error::invalid_argument(argument, e.to_string())))
}

/// The longest string V8 (Node, Chromium, workerd) can make, in UTF-16 units: `2^29 - 24`.
const JS_MAX_STRING: usize = (1 << 29) - 24;

/// Parses JSON text from `server` into a plain JS value.
///
/// # Errors
/// The text is valid JSON (the core checked it), so `JSON.parse` fails only when the engine
/// cannot hold it: [`Error::ResponseTooLarge`] past the engine's longest string, else
/// [`Error::Protocol`] with the engine's words. Never a stand-in value: a `null` would pass for
/// the server's answer.
pub(crate) fn from_json(text: &str, server: &str) -> Result<JsValue, Failed> {
    js_sys::JSON::parse(text).map_err(|e| {
        Box::new(if text.len() >= JS_MAX_STRING {
            Error::ResponseTooLarge {
                server: server.to_owned(),
                limit: JS_MAX_STRING,
                unit: SizeUnit::Bytes,
            }
        } else {
            let why = js_sys::Reflect::get(&e, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_default();
            Error::protocol(
                server,
                format!(
                    "the answer could not be handed to JavaScript ({} bytes): {}",
                    text.len(),
                    crate::error::snippet(&why, 200)
                ),
            )
        })
    })
}
