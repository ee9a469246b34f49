//! A server's sessions partitioned by identity (`GetOptions::identity`): a session opened for
//! one identity never serves another. Each identity with a session (open, opening or waited
//! for) has its partition: its configuration (the server's, with the identity's headers, token
//! provider and handlers from the server's identity hook) and its own HTTP stack (its own
//! token), which shares the server's in-flight limits and era memory. An identity with nothing
//! left is forgotten, so memory is bounded by the live identities.

use std::collections::HashMap;
use std::rc::Rc;

use crate::error::Error;
use crate::options::{check_headers, IdentityHook};
use crate::session::{ServerLink, SessionConfig};
use crate::transport::HttpTransport;

/// Who a session is for: `None` is the server's shared partition (no identity given).
pub(super) type Identity = Option<Rc<str>>;

/// The longest identity accepted, in bytes.
pub(super) const MAX_IDENTITY_BYTES: usize = 1024;

/// Checks an identity given to `get`.
pub(super) fn check_identity(identity: &str) -> Result<(), Error> {
    if identity.is_empty() || identity.len() > MAX_IDENTITY_BYTES {
        return Err(Error::invalid_config(
            "identity",
            format!("must be 1 to {MAX_IDENTITY_BYTES} bytes long"),
        ));
    }
    Ok(())
}

/// The configuration and HTTP stack of one identity's sessions.
pub(super) struct Partition {
    pub(super) config: Rc<SessionConfig>,
    pub(super) link: Rc<ServerLink>,
}

/// The partitions of one server.
pub(super) struct Partitions {
    /// Makes an identity's options (none: the server's own, in a partition of their own).
    pub(super) hook: Option<IdentityHook>,
    /// The server's transport with its in-flight limits (shared by every partition).
    pub(super) transport: Rc<dyn HttpTransport>,
    by_identity: HashMap<Rc<str>, Partition>,
}

impl Partitions {
    pub(super) fn new(hook: Option<IdentityHook>, transport: Rc<dyn HttpTransport>) -> Self {
        Partitions {
            hook,
            transport,
            by_identity: HashMap::new(),
        }
    }

    /// How many identities have a partition now.
    pub(super) fn len(&self) -> usize {
        self.by_identity.len()
    }

    /// The partition of `identity`, made on first use from the server's `config` and `link`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the identity hook gave invalid headers.
    pub(super) fn get_or_make(
        &mut self,
        identity: &Rc<str>,
        config: &SessionConfig,
        link: &ServerLink,
    ) -> Result<&Partition, Error> {
        if !self.by_identity.contains_key(identity) {
            let mut config = config.clone();
            if let Some(hook) = &self.hook {
                let options = hook(identity).map_err(|e| Error::invalid_config("identity", e))?;
                check_headers(&options.headers)?;
                for (name, value) in options.headers {
                    config
                        .headers
                        .retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
                    config.headers.push((name, value));
                }
                if options.token_provider.is_some() {
                    config.token_provider = options.token_provider;
                }
                if let Some(handlers) = options.handlers {
                    config.handlers = handlers;
                }
            }
            let link = link.beside(&config, self.transport.clone());
            self.by_identity.insert(
                identity.clone(),
                Partition {
                    config: Rc::new(config),
                    link,
                },
            );
        }
        self.by_identity
            .get(identity)
            .ok_or_else(|| Error::invalid_config("identity", "partition missing"))
    }

    /// Forgets the identities for which `live` says nothing is left.
    pub(super) fn retain(&mut self, live: impl Fn(&Rc<str>) -> bool) {
        self.by_identity.retain(|identity, _| live(identity));
    }
}
