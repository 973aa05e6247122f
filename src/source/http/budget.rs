//! The memory budget for source bytes in flight (`--source-fetch-budget-bytes`): a
//! download reserves what it may hold (its `Content-Length`, or `--max-source-bytes` when
//! the origin does not say) before reading its body, and gives it back when it ends, so
//! that a burst of remote sources cannot exhaust the memory the renders need.

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Permits count kibibytes: a semaphore takes at most `u32::MAX` permits at once.
const UNIT: u64 = 1024;

/// Bytes that downloads may hold at once. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    permits: Arc<Semaphore>,
    total_units: u32,
}

/// A reservation; dropping it gives the bytes back.
#[derive(Debug)]
pub(crate) struct Reservation {
    _permit: OwnedSemaphorePermit,
}

impl Budget {
    /// A budget of `bytes` (at least one unit).
    pub(crate) fn new(bytes: u64) -> Self {
        let total_units = bytes.div_ceil(UNIT).clamp(1, u64::from(u32::MAX >> 3)) as u32;
        Budget {
            permits: Arc::new(Semaphore::new(total_units as usize)),
            total_units,
        }
    }

    /// Reserves `bytes`, waiting while the budget is spent. A reservation larger than
    /// the whole budget takes the whole budget (it waits until every other download has
    /// ended) rather than waiting forever. Returns whether it had to wait.
    pub(crate) async fn reserve(&self, bytes: u64) -> (Reservation, bool) {
        let units = bytes.div_ceil(UNIT).clamp(1, u64::from(self.total_units)) as u32;
        if let Ok(permit) = self.permits.clone().try_acquire_many_owned(units) {
            return (Reservation { _permit: permit }, false);
        }
        let permit = self
            .permits
            .clone()
            .acquire_many_owned(units)
            .await
            .expect("the budget's semaphore is never closed");
        (Reservation { _permit: permit }, true)
    }

    /// Bytes not reserved at the moment (in whole units).
    #[cfg(test)]
    fn available_bytes(&self) -> u64 {
        self.permits.available_permits() as u64 * UNIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn waits_while_spent_and_refills_on_drop() {
        let budget = Budget::new(10 * UNIT);
        let (a, waited) = budget.reserve(6 * UNIT).await;
        assert!(!waited);
        assert_eq!(budget.available_bytes(), 4 * UNIT);
        let b = budget.clone();
        let second = tokio::spawn(async move { b.reserve(6 * UNIT).await.1 });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!second.is_finished(), "the second reservation waits");
        drop(a);
        assert!(second.await.unwrap(), "and reports that it waited");
        assert_eq!(budget.available_bytes(), 10 * UNIT);
    }

    #[tokio::test]
    async fn a_reservation_above_the_budget_takes_the_budget() {
        let budget = Budget::new(4 * UNIT);
        let (r, _) = budget.reserve(1 << 30).await;
        assert_eq!(budget.available_bytes(), 0);
        drop(r);
        let (_r, waited) = budget.reserve(0).await;
        assert!(!waited);
        assert_eq!(budget.available_bytes(), 3 * UNIT);
    }
}
