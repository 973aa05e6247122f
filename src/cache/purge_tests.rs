//! Timelines of purges over the in-memory store of `tests`: one instance, two sharing
//! the store, a restart, writes in flight, old and stale indexes. The same against
//! Garage and real servers is in `tests/cache_purge.rs`.

use super::codec;
use super::tests::{MemoryStore, key, open, put, source};
use super::*;
use std::sync::atomic::Ordering;

#[tokio::test]
async fn a_purge_removes_one_source_deletes_its_objects_and_records_itself() {
    let store = MemoryStore::new();
    let cache = open(&store, 8).await;
    for n in 0..6 {
        put(&cache, n).await;
    }
    // Variants 1 and 4 are of source(1).
    let removed = cache.purge(source(1)).await.unwrap();
    assert_eq!(
        removed,
        SlotPurge {
            entries: 2,
            bytes: 20,
            objects_deleted: 2,
            delete_failures: 0
        }
    );
    assert_eq!((cache.slots_used(), store.slot_objects()), (4, 4));
    assert_eq!(cache.get(&key(1)).await, None);
    assert_eq!(cache.get(&key(4)).await, None);
    for n in [0, 2, 3, 5] {
        assert!(cache.get(&key(n)).await.is_some(), "{n} kept");
    }
    let records = store.names("purge-");
    assert_eq!(records.len(), 1);
    assert!(records[0].starts_with(&format!("purge-{}-", source(1).to_hex())));
    assert!(
        store.raw(INDEX_NAME).is_some(),
        "the index is flushed at once"
    );
    assert_eq!(cache.metrics().purges("local"), 1);
    // The freed slots are reused.
    put(&cache, 1).await;
    assert!(cache.get(&key(1)).await.is_some());
    assert_eq!(cache.purge(source(1)).await.unwrap().entries, 1);
    assert_eq!(cache.purge(source(1)).await.unwrap(), SlotPurge::default());
}

#[tokio::test]
async fn another_instance_applies_the_purge_on_its_next_sync() {
    let store = MemoryStore::new();
    let a = open(&store, 8).await;
    put(&a, 0).await;
    a.flush().await.unwrap();
    // B starts from A's index, then caches a variant A does not know of.
    let b = open(&store, 8).await;
    put(&b, 3).await;
    put(&b, 1).await;
    assert_eq!(a.purge(source(0)).await.unwrap().entries, 1);
    // Variant 0's object is gone: B misses it at once. Variant 3 (same source) is in
    // a slot A never knew: B serves it until it syncs.
    assert_eq!(b.get(&key(0)).await, None);
    assert!(b.get(&key(3)).await.is_some());
    assert_eq!(b.sync_purges().await.unwrap(), vec![source(0)]);
    assert_eq!(b.get(&key(3)).await, None);
    assert!(b.get(&key(1)).await.is_some(), "other sources stay");
    assert_eq!(b.metrics().purges("peer"), 1);
    assert!(b.sync_purges().await.unwrap().is_empty(), "applied once");
    assert!(a.sync_purges().await.unwrap().is_empty(), "A knows its own");
}

#[tokio::test]
async fn a_write_in_flight_during_a_purge_is_dropped() {
    let store = MemoryStore::gated();
    let cache = open(&store, 4).await;
    let generation = cache.generation();
    let v = Bytes::from_static(b"rendered before the purge");
    assert_eq!(
        cache.put(key(1), source(1), v.clone(), Format::Png),
        Put::Queued
    );
    // A render that began before the purge but is put after it.
    let late = cache.provenance(source(2));
    store
        .gate
        .add_permits(tokio::sync::Semaphore::MAX_PERMITS / 2);
    let purge = cache.purge(source(1)).await.unwrap();
    assert_eq!(purge.entries, 0, "the write was in flight");
    cache.settle().await;
    assert!(cache.generation() > generation);
    assert_eq!(cache.get(&key(1)).await, None, "never readable");
    assert_eq!(
        cache.put_holding(key(2), late, v, Format::Png, ()),
        Put::Purged
    );
    assert_eq!(cache.metrics().writes("purged"), 2);
    assert_eq!(cache.slots_used(), 0);
}

#[tokio::test]
async fn a_restart_applies_the_records_to_the_reloaded_index() {
    let store = MemoryStore::new();
    let a = open(&store, 8).await;
    for n in 0..4 {
        put(&a, n).await;
    }
    // Another instance (no entries of its own) purges source(0) while A still holds
    // variants 0 and 3; then A flushes them.
    let b = open(&store, 8).await;
    b.purge(source(0)).await.unwrap();
    a.inner.dirty.store(true, Ordering::Relaxed);
    a.flush().await.unwrap();
    let reopened = open(&store, 8).await;
    assert_eq!(reopened.slots_used(), 2);
    assert_eq!(reopened.get(&key(3)).await, None);
    assert!(reopened.get(&key(1)).await.is_some());
    assert!(reopened.get(&key(2)).await.is_some());
}

#[tokio::test]
async fn an_old_format_or_an_index_older_than_the_records_means_cold() {
    let store = MemoryStore::new();
    store.set_raw(INDEX_NAME, &codec::tests::version_1_index());
    assert_eq!(open(&store, 4).await.slots_used(), 0);

    let cache = open(&store, 4).await;
    put(&cache, 1).await;
    cache.flush().await.unwrap();
    assert_eq!(open(&store, 4).await.slots_used(), 1);
    let flushed = codec::decode(&store.raw(INDEX_NAME).unwrap()).unwrap();
    let entries = flushed.entries.iter().map(|(s, e)| (*s, e));
    // Flushed eight days ago: purge records may have expired since.
    let old = codec::encode(4, flushed.flushed_at - 8 * 86_400, entries);
    store.set_raw(INDEX_NAME, &old);
    assert_eq!(open(&store, 4).await.slots_used(), 0);
}

#[tokio::test]
async fn purge_records_past_their_retention_are_deleted() {
    let store = MemoryStore::new();
    let cache = open(&store, 4).await;
    let old = format!("purge-{}-1000", source(1).to_hex());
    store.set_raw(&old, b"");
    assert_eq!(
        cache.sync_purges().await.unwrap(),
        Vec::<crate::variant::SourceId>::new()
    );
    assert!(store.names("purge-").is_empty());
}

#[tokio::test]
async fn a_purge_with_the_store_down_is_local_and_says_so() {
    let store = MemoryStore::new();
    let cache = open(&store, 4).await;
    put(&cache, 1).await;
    store.down.store(true, Ordering::SeqCst);
    let err = cache.purge(source(1)).await.unwrap_err();
    assert_eq!(err.removed.entries, 1);
    assert_eq!(err.removed.delete_failures, 1);
    assert_eq!(cache.get(&key(1)).await, None);
    assert!(cache.sync_purges().await.is_err());
}
