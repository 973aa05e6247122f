//! Eviction policies of the slot cache, over dense slot numbers: LRU, CLOCK and SIEVE.
//! Each tracks the resident slots only (a slot being written is not resident) and
//! picks the victim when every slot is taken. Pure and O(1) amortised; no clock, no I/O.
//!
//! SIEVE is the default: it won the measurements in `docs/cache.md`.

/// Which slot to give up when the cache is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EvictionPolicy {
    /// Least recently used: a doubly linked list moved to the front on every hit.
    Lru,
    /// CLOCK (second chance): a hand sweeps the slots, sparing those referenced since
    /// the last sweep.
    Clock,
    /// SIEVE (Zhang et al., NSDI 2024): FIFO order with a visited bit and a hand that
    /// does not move hits, so one-hit wonders leave quickly.
    #[default]
    Sieve,
}

/// "No slot" in the intrusive lists.
const NIL: u32 = u32::MAX;

/// The state of one policy.
#[derive(Debug)]
pub(crate) enum Tracker {
    Lru(List),
    Clock(Clock),
    Sieve(Sieve),
}

impl Tracker {
    /// A tracker for `slots` slots, none resident.
    pub(crate) fn new(policy: EvictionPolicy, slots: usize) -> Self {
        match policy {
            EvictionPolicy::Lru => Tracker::Lru(List::new(slots)),
            EvictionPolicy::Clock => Tracker::Clock(Clock::new(slots)),
            EvictionPolicy::Sieve => Tracker::Sieve(Sieve::new(slots)),
        }
    }

    /// `slot` became resident (it was not).
    pub(crate) fn insert(&mut self, slot: u32) {
        match self {
            Tracker::Lru(list) => list.push_front(slot),
            Tracker::Clock(clock) => clock.insert(slot),
            Tracker::Sieve(sieve) => sieve.insert(slot),
        }
    }

    /// `slot` (resident) was read.
    pub(crate) fn touch(&mut self, slot: u32) {
        match self {
            Tracker::Lru(list) => {
                list.unlink(slot);
                list.push_front(slot);
            }
            Tracker::Clock(clock) => clock.referenced[slot as usize] = true,
            Tracker::Sieve(sieve) => sieve.visited[slot as usize] = true,
        }
    }

    /// `slot` (resident) leaves for another reason than eviction.
    pub(crate) fn remove(&mut self, slot: u32) {
        match self {
            Tracker::Lru(list) => list.unlink(slot),
            Tracker::Clock(clock) => clock.remove(slot),
            Tracker::Sieve(sieve) => sieve.remove(slot),
        }
    }

    /// Chooses a resident slot to evict and stops tracking it; `None` when no slot is
    /// resident.
    pub(crate) fn victim(&mut self) -> Option<u32> {
        match self {
            Tracker::Lru(list) => {
                let tail = list.tail;
                (tail != NIL).then(|| {
                    list.unlink(tail);
                    tail
                })
            }
            Tracker::Clock(clock) => clock.victim(),
            Tracker::Sieve(sieve) => sieve.victim(),
        }
    }
}

/// An intrusive doubly linked list of slots: `head` is the newest, `tail` the oldest.
#[derive(Debug)]
pub(crate) struct List {
    prev: Vec<u32>,
    next: Vec<u32>,
    head: u32,
    tail: u32,
}

impl List {
    fn new(slots: usize) -> Self {
        List {
            prev: vec![NIL; slots],
            next: vec![NIL; slots],
            head: NIL,
            tail: NIL,
        }
    }

    fn push_front(&mut self, slot: u32) {
        let s = slot as usize;
        self.prev[s] = NIL;
        self.next[s] = self.head;
        if self.head != NIL {
            self.prev[self.head as usize] = slot;
        } else {
            self.tail = slot;
        }
        self.head = slot;
    }

    fn unlink(&mut self, slot: u32) {
        let s = slot as usize;
        let (prev, next) = (self.prev[s], self.next[s]);
        if prev != NIL {
            self.next[prev as usize] = next;
        } else {
            self.head = next;
        }
        if next != NIL {
            self.prev[next as usize] = prev;
        } else {
            self.tail = prev;
        }
        self.prev[s] = NIL;
        self.next[s] = NIL;
    }
}

/// CLOCK over the slot array itself: the victim's replacement lands where the hand
/// just passed, so it gets a whole revolution before it is considered.
#[derive(Debug)]
pub(crate) struct Clock {
    resident: Vec<bool>,
    referenced: Vec<bool>,
    hand: usize,
    count: usize,
}

impl Clock {
    fn new(slots: usize) -> Self {
        Clock {
            resident: vec![false; slots],
            referenced: vec![false; slots],
            hand: 0,
            count: 0,
        }
    }

    fn insert(&mut self, slot: u32) {
        self.resident[slot as usize] = true;
        self.referenced[slot as usize] = false;
        self.count += 1;
    }

    fn remove(&mut self, slot: u32) {
        self.resident[slot as usize] = false;
        self.count -= 1;
    }

    fn victim(&mut self) -> Option<u32> {
        if self.count == 0 {
            return None;
        }
        // Two revolutions at most: the first clears every reference bit.
        loop {
            let s = self.hand;
            self.hand = (self.hand + 1) % self.resident.len();
            if !self.resident[s] {
                continue;
            }
            if self.referenced[s] {
                self.referenced[s] = false;
            } else {
                self.remove(s as u32);
                return Some(s as u32);
            }
        }
    }
}

/// SIEVE: insertion order, a visited bit per slot and a hand walking from the oldest
/// towards the newest.
#[derive(Debug)]
pub(crate) struct Sieve {
    list: List,
    visited: Vec<bool>,
    /// The next candidate; `NIL` means "start again from the tail".
    hand: u32,
}

impl Sieve {
    fn new(slots: usize) -> Self {
        Sieve {
            list: List::new(slots),
            visited: vec![false; slots],
            hand: NIL,
        }
    }

    fn insert(&mut self, slot: u32) {
        self.visited[slot as usize] = false;
        self.list.push_front(slot);
    }

    fn remove(&mut self, slot: u32) {
        if self.hand == slot {
            self.hand = self.list.prev[slot as usize];
        }
        self.list.unlink(slot);
    }

    fn victim(&mut self) -> Option<u32> {
        if self.list.tail == NIL {
            return None;
        }
        let mut o = if self.hand == NIL {
            self.list.tail
        } else {
            self.hand
        };
        while self.visited[o as usize] {
            self.visited[o as usize] = false;
            o = self.list.prev[o as usize];
            if o == NIL {
                o = self.list.tail;
            }
        }
        // The hand stays where the victim was: it moves on to the next newer slot.
        self.hand = o;
        self.remove(o);
        Some(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(policy: EvictionPolicy, resident: &[u32]) -> Tracker {
        let mut t = Tracker::new(policy, 8);
        for &s in resident {
            t.insert(s);
        }
        t
    }

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut t = tracker(EvictionPolicy::Lru, &[0, 1, 2]);
        t.touch(0);
        assert_eq!(t.victim(), Some(1));
        assert_eq!(t.victim(), Some(2));
        t.remove(0);
        assert_eq!(t.victim(), None);
    }

    #[test]
    fn clock_gives_referenced_slots_a_second_chance() {
        let mut t = tracker(EvictionPolicy::Clock, &[0, 1, 2]);
        t.touch(0);
        assert_eq!(t.victim(), Some(1));
        t.touch(2);
        // The hand is past 1: it clears 2, then 0 (cleared on the first pass) goes.
        assert_eq!(t.victim(), Some(0));
        assert_eq!(t.victim(), Some(2));
        assert_eq!(t.victim(), None);
    }

    #[test]
    fn sieve_keeps_visited_slots_in_place_and_evicts_new_unvisited_ones() {
        let mut t = tracker(EvictionPolicy::Sieve, &[0, 1, 2]);
        t.touch(0);
        t.touch(1);
        // The hand clears 0 and 1 (oldest first) and takes 2.
        assert_eq!(t.victim(), Some(2));
        t.insert(3);
        // The hand went round: 0 and 1 are no longer visited; 0 is the oldest.
        assert_eq!(t.victim(), Some(0));
        t.touch(3);
        assert_eq!(t.victim(), Some(1));
        assert_eq!(t.victim(), Some(3));
        assert_eq!(t.victim(), None);
    }

    #[test]
    fn sieve_hand_survives_removal_of_its_slot() {
        let mut t = tracker(EvictionPolicy::Sieve, &[0, 1, 2, 3]);
        t.touch(0);
        assert_eq!(t.victim(), Some(1));
        // The hand now points at 2; remove it behind the policy's back.
        t.remove(2);
        assert_eq!(t.victim(), Some(3));
        assert_eq!(t.victim(), Some(0));
        assert_eq!(t.victim(), None);
    }
}
