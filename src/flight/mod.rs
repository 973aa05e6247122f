//! Coalescing: requests for the same variant while its render is in flight wait for that
//! render. N identical requests, one job. A waiter that goes away only lowers the waiter
//! count; the render continues for the others, and is skipped before it starts if nobody
//! is left. A successful render stays in the map, answering every newcomer at once, until
//! its slot-cache write has landed ([`Hold`]): from the first miss until the variant is
//! readable from the cache, identical requests never start a second render.

pub(crate) mod job;
pub(crate) mod sources;

use crate::error::{AppError, SharedError};
use crate::render::Rendered;
use crate::variant::key::VariantKey;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// The result every waiter of a flight receives.
pub(crate) type Outcome = Result<Arc<Rendered>, SharedError>;

/// What the waiters and the job of one flight share.
#[derive(Debug)]
struct FlightState {
    key: VariantKey,
    waiters: AtomicUsize,
}

/// The job's end of a flight. Completing it answers every waiter; dropping it without
/// completing (a worker panicked, a job was lost) answers them with an error, so that
/// nobody ever waits forever.
#[derive(Debug)]
pub(crate) struct Flight {
    flights: Arc<Flights>,
    state: Arc<FlightState>,
    done: bool,
}

impl Flight {
    /// Whether at least one request still waits.
    pub(crate) fn has_waiters(&self) -> bool {
        self.state.waiters.load(Ordering::Acquire) > 0
    }

    /// The variant this flight renders.
    pub(crate) fn key(&self) -> VariantKey {
        self.state.key
    }

    /// Ends the flight: later requests start afresh, current waiters get `outcome`.
    pub(crate) fn complete(mut self, outcome: Outcome) {
        self.done = true;
        self.flights.finish(&self.state, outcome, false);
    }

    /// Answers the waiters with `outcome` but keeps it for later identical requests until
    /// the returned [`Hold`] is dropped (when the variant is readable from the cache, or
    /// will not be cached).
    pub(crate) fn complete_and_hold(mut self, outcome: Outcome) -> Hold {
        self.done = true;
        self.flights.finish(&self.state, outcome, true);
        Hold {
            flights: self.flights.clone(),
            state: self.state.clone(),
        }
    }
}

/// Keeps a finished render answering identical requests; dropping it ends that.
#[derive(Debug)]
pub(crate) struct Hold {
    flights: Arc<Flights>,
    state: Arc<FlightState>,
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.flights.remove(&self.state);
    }
}

impl Drop for Flight {
    fn drop(&mut self) {
        if !self.done {
            let lost = Arc::new(AppError::Internal("render job lost".into()));
            self.flights.finish(&self.state, Err(lost), false);
        }
    }
}

/// A request's place in a flight. Dropping it (the client went away) leaves the flight.
#[derive(Debug)]
pub(crate) struct Waiter {
    state: Arc<FlightState>,
    rx: watch::Receiver<Option<Outcome>>,
}

impl Waiter {
    /// Waits for the render's outcome.
    pub(crate) async fn outcome(mut self) -> Outcome {
        match self.rx.wait_for(Option::is_some).await {
            Ok(v) => v
                .clone()
                .unwrap_or_else(|| Err(Arc::new(AppError::Internal("empty outcome".into())))),
            Err(_) => Err(Arc::new(AppError::Internal("render job lost".into()))),
        }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        self.state.waiters.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Whether [`Flights::join`] started a new flight (the caller must submit a job that
/// completes it) or joined one already running.
#[derive(Debug)]
pub(crate) enum Joined {
    /// A new flight.
    Leader(Flight, Waiter),
    /// An identical render is already in flight.
    Follower(Waiter),
}

#[derive(Debug)]
struct Entry {
    state: Arc<FlightState>,
    tx: watch::Sender<Option<Outcome>>,
}

/// The map of renders in flight.
#[derive(Debug, Default)]
pub(crate) struct Flights {
    map: Mutex<HashMap<VariantKey, Entry>>,
}

impl Flights {
    /// An empty map.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<VariantKey, Entry>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Joins the flight of `key`, starting it if none runs.
    pub(crate) fn join(self: &Arc<Self>, key: VariantKey) -> Joined {
        let mut map = self.lock();
        if let Some(entry) = map.get(&key) {
            entry.state.waiters.fetch_add(1, Ordering::AcqRel);
            return Joined::Follower(Waiter {
                state: entry.state.clone(),
                rx: entry.tx.subscribe(),
            });
        }
        let state = Arc::new(FlightState {
            key,
            waiters: AtomicUsize::new(1),
        });
        let (tx, rx) = watch::channel(None);
        map.insert(
            key,
            Entry {
                state: state.clone(),
                tx,
            },
        );
        let waiter = Waiter {
            state: state.clone(),
            rx,
        };
        let flight = Flight {
            flights: self.clone(),
            state,
            done: false,
        };
        Joined::Leader(flight, waiter)
    }

    /// Joins the flight of `key` only if one is running.
    pub(crate) fn follow(&self, key: &VariantKey) -> Option<Waiter> {
        let map = self.lock();
        let entry = map.get(key)?;
        entry.state.waiters.fetch_add(1, Ordering::AcqRel);
        Some(Waiter {
            state: entry.state.clone(),
            rx: entry.tx.subscribe(),
        })
    }

    /// Answers the flight's waiters; `keep` leaves it in the map, answering newcomers
    /// with the same outcome, until [`Flights::remove`].
    fn finish(&self, state: &Arc<FlightState>, outcome: Outcome, keep: bool) {
        let mut map = self.lock();
        let same = map
            .get(&state.key)
            .is_some_and(|e| Arc::ptr_eq(&e.state, state));
        if !same {
            return;
        }
        if keep {
            // Sent under the lock: a newcomer either joins before (and is answered) or
            // finds the outcome already there.
            if let Some(entry) = map.get(&state.key) {
                entry.tx.send_replace(Some(outcome));
            }
        } else if let Some(entry) = map.remove(&state.key) {
            drop(map);
            entry.tx.send_replace(Some(outcome));
        }
    }

    /// Removes a finished flight (its hold ended).
    fn remove(&self, state: &Arc<FlightState>) {
        let mut map = self.lock();
        if map
            .get(&state.key)
            .is_some_and(|e| Arc::ptr_eq(&e.state, state))
        {
            map.remove(&state.key);
        }
    }

    /// Requests waiting on any flight.
    pub(crate) fn waiting(&self) -> usize {
        self.lock()
            .values()
            .map(|e| e.state.waiters.load(Ordering::Acquire))
            .sum()
    }

    /// Whether no flight runs.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Rendered;
    use crate::variant::Format;

    fn key(n: u8) -> VariantKey {
        VariantKey([n; 32])
    }

    fn rendered() -> Outcome {
        Ok(Arc::new(Rendered {
            bytes: vec![1, 2, 3],
            format: Format::Png,
            width: 1,
            height: 1,
            average: None,
        }))
    }

    #[tokio::test]
    async fn identical_keys_share_one_flight() {
        let flights = Flights::new();
        let Joined::Leader(flight, w1) = flights.join(key(1)) else {
            panic!("first is leader")
        };
        let Joined::Follower(w2) = flights.join(key(1)) else {
            panic!("second follows")
        };
        assert!(matches!(flights.join(key(2)), Joined::Leader(..)));
        flight.complete(rendered());
        assert_eq!(w1.outcome().await.unwrap().bytes, vec![1, 2, 3]);
        assert_eq!(w2.outcome().await.unwrap().bytes, vec![1, 2, 3]);
        // Completed flights leave the map; the next request starts a new one.
        assert!(matches!(flights.join(key(1)), Joined::Leader(..)));
    }

    #[tokio::test]
    async fn waiters_leaving_do_not_cancel_the_flight() {
        let flights = Flights::new();
        let Joined::Leader(flight, w1) = flights.join(key(1)) else {
            panic!()
        };
        let Joined::Follower(w2) = flights.join(key(1)) else {
            panic!()
        };
        drop(w1);
        assert!(flight.has_waiters());
        let probe = flight.state.clone();
        flight.complete(rendered());
        assert!(w2.outcome().await.is_ok());
        assert_eq!(probe.waiters.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn a_held_render_answers_newcomers_until_its_hold_ends() {
        // The race of issue 13: the render has finished, its cache write has not landed
        // yet; a request that missed the cache must join the render, not start another.
        let flights = Flights::new();
        let Joined::Leader(flight, w1) = flights.join(key(1)) else {
            panic!()
        };
        let hold = flight.complete_and_hold(rendered());
        assert_eq!(w1.outcome().await.unwrap().bytes, vec![1, 2, 3]);
        let late = flights
            .follow(&key(1))
            .expect("the finished render still answers");
        assert_eq!(late.outcome().await.unwrap().bytes, vec![1, 2, 3]);
        let Joined::Follower(joined) = flights.join(key(1)) else {
            panic!("a newcomer joins, it does not lead a second render")
        };
        assert!(joined.outcome().await.is_ok());
        // The write landed: the next request reads the cache, or renders afresh.
        drop(hold);
        assert!(flights.follow(&key(1)).is_none());
        assert!(matches!(flights.join(key(1)), Joined::Leader(..)));
    }

    #[tokio::test]
    async fn errors_are_not_held() {
        let flights = Flights::new();
        let Joined::Leader(flight, w) = flights.join(key(1)) else {
            panic!()
        };
        flight.complete(Err(Arc::new(AppError::Internal("x".into()))));
        assert!(w.outcome().await.is_err());
        assert!(flights.is_empty());
    }

    #[tokio::test]
    async fn a_lost_job_is_an_error_not_a_hang() {
        let flights = Flights::new();
        let Joined::Leader(flight, w) = flights.join(key(1)) else {
            panic!()
        };
        // A job that dies without completing (e.g. a codec panic) drops its flight.
        drop(flight);
        assert!(w.outcome().await.is_err());
        assert!(flights.is_empty());
    }
}
