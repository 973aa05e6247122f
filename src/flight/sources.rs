//! How many sources may be in memory at once: one per render worker. A job holds a
//! [`Held`] from the moment it reads its source until the decode has freed it. A job that
//! runs reads at once (it never waits: a worker must never wait for a job still in the
//! queue); the read ahead of the job next in line ([`crate::pool::Job::warm`]) waits until
//! fewer sources than workers are held, i.e. until the running job's decode is done, so
//! that reading ahead overlaps the running job's resize and encode without adding a source
//! to its peak memory.
//!
//! Reads ahead take places in the order they asked for them. Otherwise a worker could wait
//! for the read ahead of the job it runs while a younger read ahead, of the job behind
//! it, had taken the only place: neither would ever run.
//!
//! The freed source's buffer is handed to the read ahead that was waiting for its place
//! ([`Held::pass_on`]): reading into memory already mapped skips the page faults of a fresh
//! buffer, which are half the cost of reading a large source (28 MB: ≈ 8 → 3 ms), short
//! enough to hide behind the running job's encode. With nobody waiting, the buffer is
//! freed: nothing is kept idle.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

#[derive(Debug, Default)]
struct State {
    held: usize,
    /// Tickets of the reads ahead waiting for a place, oldest first.
    waiting: BTreeSet<u64>,
    next_ticket: u64,
    /// A freed source's buffer, for the next read ahead to take.
    spare: Option<Vec<u8>>,
}

/// The count of sources in memory and its bound.
#[derive(Debug)]
pub(crate) struct SourceBudget {
    state: Mutex<State>,
    limit: usize,
    freed: Notify,
}

/// One source counted as in memory; dropping it frees its place.
#[derive(Debug)]
pub(crate) struct Held {
    budget: Arc<SourceBudget>,
}

/// A read ahead's place in the line, for as long as it waits (even if its task is dropped:
/// then the next in line may go).
struct Waiting<'a>(&'a SourceBudget, u64);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.0.lock().waiting.remove(&self.1) {
            self.0.freed.notify_waiters();
        }
    }
}

impl SourceBudget {
    /// A budget of `limit` sources (the number of render workers).
    pub(crate) fn new(limit: usize) -> Arc<SourceBudget> {
        Arc::new(SourceBudget {
            state: Mutex::default(),
            limit: limit.max(1),
            freed: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a source of a running job, without waiting.
    pub(crate) fn hold(self: &Arc<Self>) -> Held {
        self.lock().held += 1;
        Held {
            budget: self.clone(),
        }
    }

    /// Counts a source read ahead, once fewer than `limit` are held and the reads ahead
    /// that asked before have their place; with it, the buffer of the source whose
    /// release made room, if it was passed on.
    pub(crate) async fn hold_when_free(self: &Arc<Self>) -> (Held, Option<Vec<u8>>) {
        let ticket = {
            let mut st = self.lock();
            st.next_ticket += 1;
            let ticket = st.next_ticket;
            st.waiting.insert(ticket);
            ticket
        };
        let _waiting = Waiting(self, ticket);
        loop {
            // Registered before the check, so that a release in between is not missed.
            let freed = self.freed.notified();
            {
                let mut st = self.lock();
                if st.held < self.limit && st.waiting.first() == Some(&ticket) {
                    st.waiting.remove(&ticket);
                    st.held += 1;
                    let held = Held {
                        budget: self.clone(),
                    };
                    let spare = st.spare.take();
                    drop(st);
                    // The next in line may have a place too (several workers).
                    self.freed.notify_waiters();
                    return (held, spare);
                }
            }
            freed.await;
        }
    }

    /// Sources counted now.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.lock().held
    }
}

impl Held {
    /// Frees the place and hands `buf` (the freed source's memory) to a read ahead waiting
    /// for the place; dropped if none waits.
    pub(crate) fn pass_on(self, buf: Vec<u8>) {
        let mut st = self.budget.lock();
        if !st.waiting.is_empty() {
            st.spare = Some(buf);
        }
        // `self` drops after the lock: the place is freed and the waiters woken.
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.budget.lock().held -= 1;
        self.budget.freed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_read_ahead_waits_for_the_running_source_and_gets_its_buffer() {
        let budget = SourceBudget::new(1);
        let running = budget.hold();
        let ahead = tokio::spawn({
            let budget = budget.clone();
            async move { budget.hold_when_free().await }
        });
        // Let the waiter run until it blocks: it cannot take a place yet.
        while budget.lock().waiting.is_empty() {
            tokio::task::yield_now().await;
        }
        assert!(!ahead.is_finished());
        assert_eq!(budget.held(), 1);
        let buf = Vec::with_capacity(1000);
        let ptr = buf.as_ptr();
        running.pass_on(buf);
        let (held, spare) = ahead.await.unwrap();
        assert_eq!(
            spare.map(|b| b.as_ptr()),
            Some(ptr),
            "the same memory, passed on"
        );
        assert_eq!(budget.held(), 1, "the read ahead now holds the only place");
        // A running job never waits, even over the bound.
        let second = budget.hold();
        assert_eq!(budget.held(), 2);
        // With nobody waiting, a passed-on buffer is simply freed.
        held.pass_on(vec![0; 10]);
        drop(second);
        let st = budget.lock();
        assert_eq!(
            (st.held, st.waiting.len(), st.spare.is_none()),
            (0, 0, true)
        );
    }

    /// The deadlock this order prevents: the worker waits for the read ahead of the job it
    /// runs (the older one), woken by the release of the previous job's source but not yet
    /// run, while the read ahead of the next job, asked later, comes first.
    #[tokio::test]
    async fn reads_ahead_take_places_in_the_order_they_asked() {
        let budget = SourceBudget::new(1);
        let spawn = |budget: &Arc<SourceBudget>| {
            let budget = budget.clone();
            tokio::spawn(async move { budget.hold_when_free().await })
        };
        let running = budget.hold();
        let older = spawn(&budget);
        while budget.lock().waiting.is_empty() {
            tokio::task::yield_now().await;
        }
        drop(running);
        // The younger is polled before the older runs again: it must not take the place.
        let held = tokio::select! {
            biased;
            _ = budget.hold_when_free() => panic!("the younger read ahead overtook the older"),
            older = older => older.unwrap().0,
        };
        assert_eq!(budget.held(), 1);
        drop(held);
        // A waiter that gives up lets the next one go.
        let running = budget.hold();
        let gives_up = spawn(&budget);
        while budget.lock().waiting.is_empty() {
            tokio::task::yield_now().await;
        }
        let next = spawn(&budget);
        while budget.lock().waiting.len() < 2 {
            tokio::task::yield_now().await;
        }
        gives_up.abort();
        let _ = gives_up.await;
        drop(running);
        let (held, _) = next.await.unwrap();
        assert_eq!(budget.held(), 1);
        drop(held);
    }
}
