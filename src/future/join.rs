//! Waiting for many futures at once, with their outputs in order: a small stand-in for
//! `futures_util::future::join_all`.
//!
//! Each future is boxed behind one non-generic driver that polls every unfinished future when
//! woken, so a new future type costs only its wrapper in the WebAssembly build (no
//! `FuturesOrdered`, binary heap or task queue per type). The pool joins a handful of futures at
//! a time (one per server or per idle session).

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::task::Poll;

use crate::future::LocalBoxFuture;

/// Runs `futures` concurrently; returns their outputs in the order of `futures`.
pub(crate) async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let outputs: RefCell<Vec<Option<F::Output>>> = RefCell::new(Vec::new());
    let mut tasks: Vec<Option<LocalBoxFuture<'_, ()>>> = Vec::new();
    for (at, future) in futures.into_iter().enumerate() {
        outputs.borrow_mut().push(None);
        let outputs = &outputs;
        tasks.push(Some(Box::pin(async move {
            let output = future.await;
            if let Some(slot) = outputs.borrow_mut().get_mut(at) {
                *slot = Some(output);
            }
        })));
    }
    drive(tasks).await;
    outputs.into_inner().into_iter().flatten().collect()
}

/// Polls every unfinished task on each wake until all are done.
async fn drive(mut tasks: Vec<Option<LocalBoxFuture<'_, ()>>>) {
    poll_fn(|cx| {
        let mut pending = false;
        for task in tasks.iter_mut() {
            if let Some(future) = task {
                if future.as_mut().poll(cx).is_ready() {
                    *task = None;
                } else {
                    pending = true;
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use crate::future::oneshot;
    use futures_executor::LocalPool;
    use futures_util::task::LocalSpawnExt;

    use super::join_all;

    #[test]
    fn no_futures_is_an_empty_list() {
        let out: Vec<u8> =
            futures_executor::block_on(join_all(Vec::<std::future::Ready<u8>>::new()));
        assert!(out.is_empty());
    }

    #[test]
    fn outputs_keep_the_order_of_the_futures_not_of_completion() {
        let mut pool = LocalPool::new();
        let (txs, rxs): (Vec<_>, Vec<_>) = (0..4).map(|_| oneshot::channel::<u32>()).unzip();
        let result = Rc::new(Cell::new(None));
        let out = result.clone();
        pool.spawner()
            .spawn_local(async move {
                let all = join_all(rxs.into_iter().map(|rx| async move { rx.await.ok() })).await;
                out.set(Some(all));
            })
            .unwrap();
        pool.run_until_stalled();
        // Completed in reverse order, one at a time, with the join waiting in between.
        for (i, tx) in txs.into_iter().enumerate().rev() {
            assert!(result.take().is_none(), "not done before every future is");
            tx.send(i as u32 * 10).unwrap();
            pool.run_until_stalled();
        }
        assert_eq!(
            result.take(),
            Some(vec![Some(0), Some(10), Some(20), Some(30)])
        );
    }

    #[test]
    fn ready_futures_finish_at_once_and_run_concurrently() {
        let started = Rc::new(Cell::new(0));
        let (tx, rx) = oneshot::channel::<()>();
        let mut pool = LocalPool::new();
        let done = Rc::new(Cell::new(false));
        let flag = done.clone();
        let counter = started.clone();
        pool.spawner()
            .spawn_local(async move {
                let waits = vec![Some(rx), None, None];
                let all = join_all(waits.into_iter().map(|wait| {
                    let counter = counter.clone();
                    async move {
                        counter.set(counter.get() + 1);
                        if let Some(rx) = wait {
                            let _ = rx.await;
                        }
                        "done"
                    }
                }))
                .await;
                assert_eq!(all, ["done"; 3]);
                flag.set(true);
            })
            .unwrap();
        pool.run_until_stalled();
        // All three started while the first was still waiting.
        assert_eq!(started.get(), 3);
        assert!(!done.get());
        tx.send(()).unwrap();
        pool.run_until_stalled();
        assert!(done.get());
    }
}
