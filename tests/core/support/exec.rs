//! A single-threaded executor for tests, and the spawner the core is given.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use futures_executor::{LocalPool, LocalSpawner};
use futures_util::future::LocalBoxFuture;
use futures_util::task::LocalSpawnExt;
use mcp_edge_pool::Spawner;

use super::ManualClock;

/// A `LocalPool` plus helpers to spawn tasks, read their output and move fake time.
pub struct Exec {
    pool: LocalPool,
    spawner: LocalSpawner,
}

/// The output of a task spawned with [`Exec::spawn_task`], once it finished.
pub struct TaskHandle<T> {
    slot: Rc<RefCell<Option<T>>>,
}

/// The [`Spawner`] handed to the core: background tasks run on the test's `LocalPool`.
#[derive(Clone)]
pub struct TestSpawner {
    spawner: LocalSpawner,
}

impl Exec {
    /// An empty executor.
    pub fn new() -> Self {
        let pool = LocalPool::new();
        let spawner = pool.spawner();
        Exec { pool, spawner }
    }

    /// The spawner for a `Runtime`.
    pub fn spawner(&self) -> Rc<dyn Spawner> {
        Rc::new(TestSpawner {
            spawner: self.spawner.clone(),
        })
    }

    /// Runs every task until none can make progress.
    pub fn run(&mut self) {
        self.pool.run_until_stalled();
    }

    /// Runs `fut` to completion (without moving time). Panics if it stalls.
    pub fn block_on<F: Future + 'static>(&mut self, fut: F) -> F::Output {
        let handle = self.spawn_task(fut);
        self.run();
        handle
            .take()
            .expect("the future stalled: it waits on something the test never provides")
    }

    /// Spawns `fut`; its output lands in the returned handle.
    pub fn spawn_task<F: Future + 'static>(&self, fut: F) -> TaskHandle<F::Output> {
        let slot = Rc::new(RefCell::new(None));
        let out = Rc::clone(&slot);
        self.spawner
            .spawn_local(async move {
                let value = fut.await;
                *out.borrow_mut() = Some(value);
            })
            .expect("the LocalPool is alive");
        TaskHandle { slot }
    }

    /// Advances `clock` by `ms`, stopping at every timer deadline on the way and running the
    /// woken tasks there, so that timers fire in order and at their exact time.
    pub fn advance(&mut self, clock: &ManualClock, ms: u64) {
        let target = clock.now() + ms;
        loop {
            self.run();
            let now = clock.now();
            match clock
                .deadlines()
                .into_iter()
                .find(|&d| d > now && d <= target)
            {
                Some(deadline) => clock.set(deadline),
                None => break,
            }
        }
        if clock.now() < target {
            clock.set(target);
        }
        self.run();
    }
}

impl Default for Exec {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> TaskHandle<T> {
    /// True once the task finished.
    pub fn is_done(&self) -> bool {
        self.slot.borrow().is_some()
    }

    /// The output, if the task finished (taken: a second call returns `None`).
    pub fn take(&self) -> Option<T> {
        self.slot.borrow_mut().take()
    }

    /// The output; panics with `what` if the task has not finished.
    pub fn output(&self, what: &str) -> T {
        self.take()
            .unwrap_or_else(|| panic!("{what}: the task has not finished"))
    }
}

impl Spawner for TestSpawner {
    fn spawn(&self, task: LocalBoxFuture<'static, ()>) {
        // Fails only when the LocalPool was dropped; then the task has nowhere to run anyway.
        let _ = self.spawner.spawn_local(task);
    }
}
