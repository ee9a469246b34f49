//! The bundle of outside-world capabilities the core is given: HTTP, time and task spawning.

use std::fmt;
use std::rc::Rc;

use crate::time::{Clock, Spawner};
use crate::transport::HttpTransport;

/// What a pool needs from its host: an HTTP transport, a clock and a spawner.
///
/// The wasm face builds one over `fetch`, `setTimeout` and its own per-task executor; native tests build one
/// over a scripted transport and a manual clock.
#[derive(Clone)]
pub struct Runtime {
    /// Performs HTTP exchanges.
    pub transport: Rc<dyn HttpTransport>,
    /// Reads time and makes timers.
    pub clock: Rc<dyn Clock>,
    /// Runs background tasks.
    pub spawner: Rc<dyn Spawner>,
}

impl Runtime {
    /// Bundles the three capabilities.
    pub fn new(
        transport: Rc<dyn HttpTransport>,
        clock: Rc<dyn Clock>,
        spawner: Rc<dyn Spawner>,
    ) -> Self {
        Runtime {
            transport,
            clock,
            spawner,
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}
