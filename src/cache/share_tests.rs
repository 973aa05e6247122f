//! Timelines of two instances sharing one slot cache (one in-memory store, one prefix):
//! a variant one writes is a hit on the other after a flush and a sync, neither writes
//! the other's slots, the bound holds for both together, a slot reused by its owner is a
//! miss (never wrong bytes) on the other, a purge reaches the peer's entries, and the
//! index of a single instance is taken over at the upgrade. The same with real
//! processes and Garage is in `tests/shared_cache.rs`.

use super::tests::{MemoryStore, key, source};
use super::*;
use std::sync::Arc;

fn shared(slots: u32, instance: u32) -> CacheSettings {
    CacheSettings {
        share: Share::new(instance, 2).unwrap(),
        ..super::tests::settings(slots)
    }
}

async fn open(store: &Arc<MemoryStore>, slots: u32, instance: u32) -> SlotCache {
    let metrics = CacheMetrics::new(&prometheus::Registry::new()).unwrap();
    SlotCache::open(store.clone(), shared(slots, instance), metrics).await
}

async fn put(cache: &SlotCache, n: u8) {
    let bytes = Bytes::from(vec![n; 10]);
    assert_eq!(
        cache.put(key(n), source(n), bytes, Format::Png),
        Put::Queued
    );
    cache.settle().await;
}

#[tokio::test]
async fn a_variant_written_by_one_is_a_hit_on_the_other_after_flush_and_sync() {
    let store = MemoryStore::new();
    let a = open(&store, 4, 0).await;
    let b = open(&store, 4, 1).await;
    put(&a, 1).await;
    assert_eq!(b.get(&key(1)).await, None, "not flushed yet");
    a.flush().await.unwrap();
    assert!(store.raw("index-0").is_some() && store.raw("index").is_none());
    assert_eq!(b.sync_peers().await.unwrap(), 1);
    let hit = b.get(&key(1)).await.expect("a peer hit");
    assert_eq!(hit.bytes, Bytes::from(vec![1; 10]));
    assert_eq!(b.metrics().peer_hits(), 1);
    assert_eq!(b.slots_used(), 0, "the owner counts it, not the reader");
    // B does not write what a peer holds.
    let again = b.put(key(1), source(1), Bytes::from_static(b"x"), Format::Png);
    assert_eq!(again, Put::Present);
    // An unchanged peer index is not read again.
    assert_eq!(b.sync_peers().await.unwrap(), 1);
    assert_eq!(
        b.metrics()
            .peer_syncs
            .with_label_values(&["unchanged"])
            .get(),
        1
    );
}

#[tokio::test]
async fn each_writes_its_own_slots_and_together_they_keep_the_bound() {
    let store = MemoryStore::new();
    let a = open(&store, 4, 0).await;
    let b = open(&store, 4, 1).await;
    for n in 1..=6 {
        put(&a, n).await;
        put(&b, 10 + n).await;
    }
    // Four slots in all, two each; each evicted within its own.
    assert_eq!(
        store.names("slot-"),
        ["slot-0", "slot-1", "slot-2", "slot-3"]
    );
    assert_eq!((a.slots_used(), b.slots_used()), (2, 2));
    a.flush().await.unwrap();
    b.flush().await.unwrap();
    a.sync_peers().await.unwrap();
    b.sync_peers().await.unwrap();
    for (cache, mine, theirs) in [(&a, [5, 6], [15, 16]), (&b, [15, 16], [5, 6])] {
        for n in mine.into_iter().chain(theirs) {
            let hit = cache.get(&key(n)).await.expect("hit");
            assert_eq!(hit.bytes, Bytes::from(vec![n; 10]));
        }
    }
    assert_eq!(a.metrics().etag_mismatches(), 0);
}

#[tokio::test]
async fn a_slot_its_owner_reused_is_a_miss_on_the_peer_never_wrong_bytes() {
    let store = MemoryStore::new();
    let a = open(&store, 2, 0).await; // one slot: slot-0
    let b = open(&store, 2, 1).await;
    put(&a, 1).await;
    a.flush().await.unwrap();
    b.sync_peers().await.unwrap();
    // A evicts 1 for 2 in slot-0; B still believes slot-0 holds 1.
    put(&a, 2).await;
    assert_eq!(b.get(&key(1)).await, None);
    assert_eq!(b.metrics().etag_mismatches(), 1);
    assert_eq!(b.get(&key(1)).await, None, "forgotten: no second read");
    assert_eq!(b.metrics().etag_mismatches(), 1);
    a.flush().await.unwrap();
    b.sync_peers().await.unwrap();
    assert_eq!(
        b.get(&key(2)).await.unwrap().bytes,
        Bytes::from(vec![2; 10])
    );
}

#[tokio::test]
async fn a_purge_drops_the_peers_entries_and_deletes_their_objects() {
    let store = MemoryStore::new();
    let a = open(&store, 4, 0).await;
    let b = open(&store, 4, 1).await;
    put(&b, 3).await; // source(3) == source(0)
    b.flush().await.unwrap();
    a.sync_peers().await.unwrap();
    assert!(a.get(&key(3)).await.is_some());
    let removed = a.purge(source(3)).await.unwrap();
    assert_eq!((removed.entries, removed.objects_deleted), (0, 1));
    assert_eq!(store.slot_objects(), 0, "the peer's object is gone too");
    assert_eq!(a.get(&key(3)).await, None);
    // B learns the purge from the record; its index no longer lists the entry.
    assert_eq!(b.sync_purges().await.unwrap(), vec![source(3)]);
    assert_eq!(b.slots_used(), 0);
    b.flush().await.unwrap();
    assert_eq!(a.sync_peers().await.unwrap(), 0);
}

#[tokio::test]
async fn the_index_of_a_single_instance_is_taken_over_at_the_upgrade() {
    let store = MemoryStore::new();
    let alone = super::tests::open(&store, 4).await;
    for n in 1..=4 {
        super::tests::put(&alone, n).await;
    }
    alone.flush().await.unwrap();
    drop(alone);
    // Instance 0 keeps the entries of slots 0 and 2, instance 1 of 1 and 3; each reads
    // the other's as a peer once flushed.
    let a = open(&store, 4, 0).await;
    let b = open(&store, 4, 1).await;
    assert_eq!((a.slots_used(), b.slots_used()), (2, 2));
    // Their first flush writes their own index at once.
    a.flush().await.unwrap();
    b.flush().await.unwrap();
    assert!(store.raw("index-0").is_some() && store.raw("index-1").is_some());
    a.sync_peers().await.unwrap();
    for n in 1..=4 {
        assert!(a.get(&key(n)).await.is_some(), "{n}");
    }
    assert!(
        store.raw("index").is_some(),
        "kept for instances not upgraded yet"
    );
}
