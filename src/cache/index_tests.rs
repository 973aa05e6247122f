//! Timelines of the index: reservations, evictions, invalidations, purges, restores and
//! the slots of an instance sharing the cache.

use super::*;

fn key(n: u8) -> VariantKey {
    VariantKey([n; 32])
}

fn entry(n: u8, now: u64) -> Entry {
    Entry {
        key: key(n),
        source: SourceId([n % 2; 16]),
        written: now,
        etag: format!("etag-{n}"),
        size: 100 + u64::from(n),
        format: Format::Webp,
        last_access: now,
        hits: 0,
    }
}

fn index(slots: u32) -> Index {
    Index::new(NonZeroU32::new(slots).unwrap(), EvictionPolicy::Lru)
}

/// Reserves and commits `n` at `now`, returning the slot.
fn put(index: &mut Index, n: u8, now: u64) -> u32 {
    let Reserve::Slot { slot, .. } = index.reserve(key(n)) else {
        panic!("no slot for {n}");
    };
    assert!(index.commit(slot, entry(n, now)));
    slot
}

#[test]
fn a_reserved_slot_is_not_readable_until_committed() {
    let mut ix = index(2);
    let Reserve::Slot { slot, evicted } = ix.reserve(key(1)) else {
        panic!()
    };
    assert_eq!((slot, evicted), (0, None));
    assert_eq!(ix.lookup(&key(1), 10), None);
    assert_eq!(ix.reserve(key(1)), Reserve::Present);
    assert_eq!(ix.used(), 1);
    assert!(ix.commit(slot, entry(1, 10)));
    let hit = ix.lookup(&key(1), 11).unwrap();
    assert_eq!((hit.slot, hit.etag.as_str()), (0, "etag-1"));
    assert_eq!(ix.bytes(), 101);
}

#[test]
fn timeline_full_cache_evicts_and_never_exceeds_its_slots() {
    let mut ix = index(2);
    put(&mut ix, 1, 0);
    put(&mut ix, 2, 1);
    ix.lookup(&key(1), 2); // 2 is now the least recently used
    let Reserve::Slot { slot, evicted } = ix.reserve(key(3)) else {
        panic!()
    };
    assert_eq!((slot, evicted.map(|e| e.key)), (1, Some(key(2))));
    assert_eq!(ix.used(), 2);
    assert_eq!(ix.lookup(&key(2), 3), None);
    assert!(ix.commit(slot, entry(3, 3)));
    assert_eq!(ix.bytes(), 101 + 103);
    assert_eq!(ix.entries().count(), 2);
}

#[test]
fn timeline_writes_in_flight_are_never_evicted() {
    let mut ix = index(2);
    let Reserve::Slot { slot: a, .. } = ix.reserve(key(1)) else {
        panic!()
    };
    let Reserve::Slot { .. } = ix.reserve(key(2)) else {
        panic!()
    };
    assert_eq!(ix.reserve(key(3)), Reserve::Full);
    assert!(ix.abort(a, &key(1)));
    assert!(!ix.abort(a, &key(1)), "a second abort changes nothing");
    assert!(!ix.commit(a, entry(1, 0)), "an aborted write cannot commit");
    assert!(matches!(ix.reserve(key(3)), Reserve::Slot { slot: 0, .. }));
}

#[test]
fn timeline_etag_mismatch_frees_the_slot_once() {
    let mut ix = index(2);
    let slot = put(&mut ix, 1, 0);
    assert!(!ix.invalidate(&key(1), "other-etag"));
    assert!(ix.invalidate(&key(1), "etag-1"));
    assert!(!ix.invalidate(&key(1), "etag-1"));
    assert_eq!((ix.used(), ix.bytes()), (0, 0));
    assert_eq!(ix.lookup(&key(1), 1), None);
    assert!(matches!(ix.reserve(key(2)), Reserve::Slot { slot: s, evicted: None } if s == slot));
}

#[test]
fn a_stale_invalidation_does_not_free_the_new_owner() {
    let mut ix = index(1);
    put(&mut ix, 1, 0);
    // Key 1 is evicted and its slot is being written for key 2 while a reader of
    // key 1 sees the object change.
    assert!(matches!(ix.reserve(key(2)), Reserve::Slot { .. }));
    assert!(!ix.invalidate(&key(1), "etag-1"));
    assert!(ix.commit(0, entry(2, 1)));
    assert!(!ix.invalidate(&key(1), "etag-1"));
    assert!(ix.lookup(&key(2), 2).is_some());
}

#[test]
fn timeline_purge_holds_the_slots_of_one_source_until_released() {
    let mut ix = index(4);
    for n in 1..=4 {
        put(&mut ix, n, 0);
    }
    // Sources alternate: 1 and 3 are SourceId([1; 16]).
    let removed = ix.purge(SourceId([1; 16]));
    let keys: Vec<_> = removed.iter().map(|(_, e)| e.key).collect();
    assert_eq!(keys, vec![key(1), key(3)]);
    assert_eq!((ix.used(), ix.bytes()), (2, 102 + 104));
    assert_eq!(ix.lookup(&key(1), 1), None);
    assert!(ix.lookup(&key(2), 1).is_some());
    assert!(
        ix.purge(SourceId([1; 16])).is_empty(),
        "a second purge finds nothing"
    );
    // Held slots are neither free nor evictable: the two others are the victims.
    assert!(matches!(
        ix.reserve(key(5)),
        Reserve::Slot {
            evicted: Some(_),
            ..
        }
    ));
    assert!(matches!(
        ix.reserve(key(6)),
        Reserve::Slot {
            evicted: Some(_),
            ..
        }
    ));
    assert_eq!(ix.reserve(key(7)), Reserve::Full);
    ix.release(removed.iter().map(|(slot, _)| *slot));
    let Reserve::Slot { slot, evicted } = ix.reserve(key(7)) else {
        panic!()
    };
    assert!(
        matches!(slot, 0 | 2) && evicted.is_none(),
        "a released slot is free"
    );
    assert_eq!(
        ix.entries().count(),
        0,
        "held and writing slots are not flushed"
    );
}

#[test]
fn restore_orders_by_recency_and_rejects_duplicates() {
    let slots = NonZeroU32::new(3).unwrap();
    let entries = vec![(2, entry(1, 50)), (0, entry(2, 10)), (5, entry(3, 99))];
    let mut ix = Index::restore(slots, EvictionPolicy::Lru, Share::ALONE, entries).unwrap();
    assert_eq!(ix.used(), 2, "slot 5 is beyond the slot count");
    put(&mut ix, 4, 100);
    // Full now: the least recent (key 2, last access 10) goes first.
    let Reserve::Slot { evicted, .. } = ix.reserve(key(5)) else {
        panic!()
    };
    assert_eq!(evicted.unwrap().key, key(2));

    let dup_slot = vec![(0, entry(1, 0)), (0, entry(2, 0))];
    assert!(Index::restore(slots, EvictionPolicy::Lru, Share::ALONE, dup_slot).is_err());
    let dup_key = vec![(0, entry(1, 0)), (1, entry(1, 0))];
    assert!(Index::restore(slots, EvictionPolicy::Lru, Share::ALONE, dup_key).is_err());
}

#[test]
fn a_shared_index_reserves_and_restores_only_its_own_slots() {
    let share = Share::new(1, 2).unwrap();
    let slots = NonZeroU32::new(6).unwrap();
    let mut ix = Index::shared(slots, EvictionPolicy::Lru, share);
    let mut taken = Vec::new();
    for n in 1..=5 {
        match ix.reserve(key(n)) {
            Reserve::Slot { slot, evicted } => {
                assert!(ix.commit(slot, entry(n, u64::from(n))));
                taken.push((slot, evicted.map(|e| e.key)));
            }
            other => panic!("{other:?}"),
        }
    }
    // Slots 1, 3, 5 are this instance's; then it evicts among them, never 0, 2, 4.
    assert_eq!(
        taken,
        vec![
            (1, None),
            (3, None),
            (5, None),
            (1, Some(key(1))),
            (3, Some(key(2)))
        ]
    );
    let entries = vec![(0, entry(1, 0)), (1, entry(2, 0)), (4, entry(3, 0))];
    let ix = Index::restore(slots, EvictionPolicy::Lru, share, entries).unwrap();
    assert_eq!(ix.entries().map(|(s, _)| s).collect::<Vec<_>>(), vec![1]);
}
