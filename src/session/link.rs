//! One server as all of its sessions reach it: its HTTP stack (the policy layers of
//! [`crate::policy`] over the transport, built once) and what has been learnt of it (its era).
//! Configuration stays in [`SessionConfig`]; what changes while the pool runs lives here and in
//! the layers (the token, the `DPoP-Nonce`).

use std::fmt;
use std::rc::Rc;

use super::{EraSlot, SessionConfig};
use crate::policy::{self, Exchange, Policy};
use crate::transport::HttpTransport;

/// The HTTP stack and the memory one server's sessions share.
pub struct ServerLink {
    pub(super) http: Rc<dyn Exchange>,
    pub(super) era: EraSlot,
}

impl ServerLink {
    /// The link of the server `config` describes, over `transport`: its token, redirect and
    /// DPoP layers as its options ask.
    pub fn new(config: &SessionConfig, transport: Rc<dyn HttpTransport>) -> Rc<ServerLink> {
        let policy = Policy {
            server: Rc::from(config.server.as_str()),
            url: config.url.clone(),
            cross_origin_redirects: config.allow_cross_origin_redirects,
            token_provider: config.token_provider.clone(),
            dpop: config.dpop.clone(),
        };
        Rc::new(ServerLink {
            http: policy::stack(policy, transport),
            era: EraSlot::default(),
        })
    }

    /// The link of another partition of the same server (another identity's credentials):
    /// its own HTTP stack over `transport`, the same memory of the server's era.
    pub(crate) fn beside(
        &self,
        config: &SessionConfig,
        transport: Rc<dyn HttpTransport>,
    ) -> Rc<ServerLink> {
        let link = ServerLink::new(config, transport);
        Rc::new(ServerLink {
            http: link.http.clone(),
            era: self.era.clone(),
        })
    }

    /// What is known of the server's era.
    pub fn era(&self) -> &EraSlot {
        &self.era
    }
}

impl fmt::Debug for ServerLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerLink")
            .field("era", &self.era.borrow().known)
            .finish_non_exhaustive()
    }
}
