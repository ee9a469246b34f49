//! One tool catalog for many servers: every registered server's tools under provider-safe
//! qualified names, collisions reported (never silently dropped or renamed by load order), and
//! calls routed by qualified name.

use crate::json::RawValue;
use crate::raw_object::RawObject;

use super::naming::{hashed, qualify};
use super::Pool;
use crate::error::Error;
use crate::protocol::methods;
use crate::session::RequestOptions;
use futures_util::future::join_all;
use std::collections::BTreeMap;

/// A tool in the pool-wide catalog.
#[derive(Debug, Clone)]
pub struct QualifiedTool {
    /// The provider-safe name (`^[a-zA-Z0-9_-]{1,64}$`) to give a model and to call with.
    pub name: String,
    /// The server it belongs to.
    pub server: String,
    /// The tool as the server listed it (its own `name`, schema, annotations...).
    pub tool: RawValue,
}

/// Tools whose plain qualified names collided; each got its hashed name instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    /// The plain name they shared.
    pub name: String,
    /// `(server, tool name)` of each.
    pub tools: Vec<(String, String)>,
}

/// The pool-wide catalog.
#[derive(Debug, Default)]
pub struct AllTools {
    /// Every tool of every server that answered, sorted by qualified name.
    pub tools: Vec<QualifiedTool>,
    /// Names that collided (and how they were resolved).
    pub collisions: Vec<Collision>,
    /// Servers that could not be listed, with why.
    pub errors: BTreeMap<String, Error>,
}

impl Pool {
    /// Lists every registered server's tools (from each server's catalog when fresh) under
    /// qualified names, and remembers the routes for [`Pool::call_tool`].
    pub async fn list_all_tools(&self) -> AllTools {
        let names = self.servers();
        let listings = join_all(names.iter().map(|server| async move {
            let lease = self.get(server).await?;
            let raw = lease.list_tools_raw(false, None).await?;
            let malformed =
                |e: String| Error::protocol(server, format!("malformed tools/list result: {e}"));
            RawObject::parse(raw.get())
                .map_err(|e| malformed(e.to_string()))?
                .take_items("tools")
                .map_err(malformed)
        }))
        .await;
        let mut all = AllTools::default();
        let mut entries: Vec<(String, String, RawValue)> = Vec::new();
        for (server, listing) in names.into_iter().zip(listings) {
            match listing {
                Ok(tools) => {
                    for tool in tools {
                        let name = RawObject::parse(tool.get())
                            .ok()
                            .and_then(|mut t| t.take_str("name").ok().flatten())
                            .unwrap_or_default();
                        entries.push((server.clone(), name, tool));
                    }
                }
                Err(e) => {
                    all.errors.insert(server, e);
                }
            }
        }
        // (plain qualified name, entry), sorted by name; entries of one name in listing order.
        let mut by_name: Vec<(String, usize)> = Vec::with_capacity(entries.len());
        for (i, (server, tool, _)) in entries.iter().enumerate() {
            let name = qualify(server, tool);
            let at = by_name.partition_point(|(n, _)| *n <= name);
            by_name.insert(at, (name, i));
        }
        let mut routes = BTreeMap::new();
        for members in by_name.chunk_by(|a, b| a.0 == b.0) {
            let Some((name, _)) = members.first() else {
                continue;
            };
            let collided = members.len() > 1;
            if collided {
                let tools = members
                    .iter()
                    .filter_map(|&(_, i)| entries.get(i))
                    .map(|(s, t, _)| (s.clone(), t.clone()))
                    .collect();
                all.collisions.push(Collision {
                    name: name.clone(),
                    tools,
                });
            }
            for &(_, i) in members {
                let Some((server, tool, raw)) = entries.get(i) else {
                    continue;
                };
                let qualified = if collided {
                    hashed(server, tool)
                } else {
                    name.clone()
                };
                routes.insert(qualified.clone(), (server.clone(), tool.clone()));
                // Sorted by name as they come (after any equal name: stable), with no sort code.
                let at = all.tools.partition_point(|t| t.name <= qualified);
                all.tools.insert(
                    at,
                    QualifiedTool {
                        name: qualified,
                        server: server.clone(),
                        tool: raw.clone(),
                    },
                );
            }
        }
        *self.inner.routes.borrow_mut() = routes;
        all
    }

    /// Calls the tool listed as `qualified` by the last [`Pool::list_all_tools`], on its server,
    /// with `arguments` (a JSON object, or `None`), through a lease of its own.
    ///
    /// # Errors
    /// [`Error::UnknownTool`] when no listed tool has that name; otherwise as
    /// [`Pool::get`] and [`crate::Lease::request`].
    pub async fn call_tool(
        &self,
        qualified: &str,
        arguments: Option<RawValue>,
        options: RequestOptions,
    ) -> Result<RawValue, Error> {
        let route = self.inner.routes.borrow().get(qualified).cloned();
        let Some((server, tool)) = route else {
            return Err(Error::UnknownTool {
                name: crate::error::snippet(qualified, 80),
            });
        };
        let name = crate::json::quoted(&tool);
        let params = match &arguments {
            Some(args) => format!("{{\"name\":{name},\"arguments\":{}}}", args.get()),
            None => format!("{{\"name\":{name}}}"),
        };
        let params = crate::json::raw(params)
            .map_err(|e| Error::invalid_argument("arguments", e.to_string()))?;
        let lease = self.get(&server).await?;
        lease
            .request(methods::TOOLS_CALL, Some(params), options)
            .await
    }
}
