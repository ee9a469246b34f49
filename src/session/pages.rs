//! Paginated lists: follow `nextCursor` to the end and hand back one merged result.

use super::{RequestOptions, Session};
use crate::error::Error;
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
    /// or there are more than 1000 pages.
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
        let mut items: Vec<RawValue> = Vec::new();
        let mut seen_cursors: Vec<String> = Vec::new();
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
            if let Some(list) = fields.remove(items_key) {
                let mut page_items: Vec<RawValue> =
                    crate::raw_object::items(&list).map_err(|e| {
                        self.protocol_error(format!(
                            "{method} result field '{items_key}' is not an array: {e}"
                        ))
                    })?;
                items.append(&mut page_items);
            }
            let next: Option<String> = match fields.remove("nextCursor") {
                None => None,
                Some(raw) if raw.is_null() => None,
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
                None => return self.merge(items_key, &items, &fields),
                Some(next) => {
                    if seen_cursors.contains(&next) {
                        return Err(
                            self.protocol_error(format!("{method} repeated a cursor; stopping"))
                        );
                    }
                    seen_cursors.push(next.clone());
                    cursor = Some(next);
                }
            }
        }
        Err(self.protocol_error(format!("{method} returned more than {MAX_PAGES} pages")))
    }

    fn merge(
        &self,
        items_key: &str,
        items: &[RawValue],
        rest: &RawObject,
    ) -> Result<RawValue, Error> {
        let mut list =
            String::with_capacity(items.iter().map(|i| i.get().len() + 1).sum::<usize>() + 2);
        list.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                list.push(',');
            }
            list.push_str(item.get());
        }
        list.push(']');
        RawValue::from_string(rest.write(&[(items_key, &list)]))
            .map_err(|e| self.protocol_error(e.to_string()))
    }
}
