//! Paginated lists: follow `nextCursor` to the end and hand back one merged result.

use std::hash::{DefaultHasher, Hash, Hasher};

use super::{RequestOptions, Session};
use crate::error::{Error, SizeUnit};
use crate::json::{self, Map, RawValue, Value};
use crate::raw_object::RawObject;

/// A server that keeps sending cursors is cut off after this many pages.
const MAX_PAGES: usize = 1000;

impl Session {
    /// Requests every page of a paginated list (`tools/list`, `resources/list`, ...) and returns
    /// one result whose `items_key` array holds all items in order, with the other fields of the
    /// last page and no `nextCursor`. Items are passed through byte for byte.
    ///
    /// # Errors
    /// As [`Session::request`]; [`Error::Protocol`] when a page is malformed, a cursor repeats,
    /// or there are more than 1000 pages; [`Error::ResponseTooLarge`] when the merged items pass
    /// `max_response_bytes` or [`MAX_LIST_ITEMS`].
    pub async fn request_all_pages(
        &self,
        method: &str,
        items_key: &str,
        params: Option<Value>,
        timeout_ms: Option<u64>,
    ) -> Result<RawValue, Error> {
        let base: Map<String, Value> = match params {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map,
            Some(_) => {
                return Err(Error::invalid_argument(
                    "params",
                    "list parameters must be an object",
                ))
            }
        };
        let limit = self.inner.config.max_response_bytes;
        // The merged array, built as pages arrive (one copy of the items, not two), and bounded:
        // every page stays under the limit on its own, so the sum is what must be checked.
        let mut merged = Merged::default();
        // Cursors seen so far, by hash: a server's cursors can be large, and are not kept. At most
        // MAX_PAGES of them, so a scan is cheap.
        let mut seen_cursors: Vec<u64> = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut page_params = base.clone();
            if let Some(c) = &cursor {
                page_params.insert("cursor".to_owned(), Value::String(c.clone()));
            }
            let raw_params = if page_params.is_empty() {
                None
            } else {
                Some(json::to_raw(&Value::Object(page_params)))
            };
            let options = RequestOptions {
                timeout_ms,
                cancel: None,
                progress: None,
            };
            let page = self.request(method, raw_params, options).await?;
            let mut fields = RawObject::parse(page.get()).map_err(|e| {
                self.protocol_error(format!("{method} result is not an object: {e}"))
            })?;
            drop(page);
            if let Some(list) = fields.remove(items_key) {
                let page_items: Vec<RawValue> = crate::raw_object::items(&list).map_err(|e| {
                    self.protocol_error(format!(
                        "{method} result field '{items_key}' is not an array: {e}"
                    ))
                })?;
                drop(list);
                merged
                    .append(page_items, limit)
                    .map_err(|(limit, unit)| self.too_large_error(limit, unit))?;
            }
            let next: Option<String> = match fields.remove("nextCursor") {
                None => None,
                Some(raw) if crate::json::is_null(&raw) => None,
                Some(raw) => match json::parse(raw.get()) {
                    Ok(Value::String(next)) => Some(next),
                    _ => {
                        return Err(self.protocol_error(format!(
                            "{method} returned a nextCursor that is not a string"
                        )))
                    }
                },
            };
            match next {
                None => return self.merge(items_key, merged, fields),
                Some(next) => {
                    let mut hasher = DefaultHasher::new();
                    next.hash(&mut hasher);
                    let hash = hasher.finish();
                    if seen_cursors.contains(&hash) {
                        return Err(
                            self.protocol_error(format!("{method} repeated a cursor; stopping"))
                        );
                    }
                    seen_cursors.push(hash);
                    cursor = Some(next);
                }
            }
        }
        Err(self.protocol_error(format!("{method} returned more than {MAX_PAGES} pages")))
    }

    /// The merged result: `items_key` first, then the other fields of the last page in order.
    fn merge(&self, items_key: &str, merged: Merged, rest: RawObject) -> Result<RawValue, Error> {
        let mut out = RawObject::default();
        out.insert(items_key, json::to_raw(&merged.items));
        for (key, value) in rest.into_fields() {
            out.insert(&key, value);
        }
        Ok(out.to_raw())
    }
}

/// Most items a list merged from its pages may hold (its bytes are bounded by
/// `max_response_bytes`, like one body): a server that sends endless tiny pages is cut off with
/// [`Error::ResponseTooLarge`] before it can fill the memory of the runtime.
pub const MAX_LIST_ITEMS: usize = 100_000;

/// The items of the pages so far, raw, and their bytes.
#[derive(Default)]
struct Merged {
    items: Vec<RawValue>,
    bytes: usize,
}

impl Merged {
    /// Appends `items`, or says which limit (`max_bytes`, or [`MAX_LIST_ITEMS`]) they would pass.
    fn append(&mut self, items: Vec<RawValue>, max_bytes: usize) -> Result<(), (usize, SizeUnit)> {
        if self.items.len().saturating_add(items.len()) > MAX_LIST_ITEMS {
            return Err((MAX_LIST_ITEMS, SizeUnit::Items));
        }
        // Each item with its comma, and the brackets.
        let added: usize = items.iter().map(|i| i.get().len() + 1).sum();
        if self.bytes.saturating_add(added).saturating_add(1) > max_bytes {
            return Err((max_bytes, SizeUnit::Bytes));
        }
        self.bytes += added;
        self.items.extend(items);
        Ok(())
    }
}
