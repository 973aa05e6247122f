//! Timelines of the slot cache façade over an in-memory store that can fail, be slow
//! or be tampered with. The same behaviours against Garage and the local directory are
//! in `tests/storage/`.

use super::*;
use crate::variant::SourceId;
use crate::variant::key::VariantKey;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// Objects in a map; `down` fails every call; puts wait for `gate` permits.
#[derive(Debug)]
pub(super) struct MemoryStore {
    objects: Mutex<HashMap<String, Bytes>>,
    pub(super) down: AtomicBool,
    pub(super) gate: Semaphore,
    calls: AtomicUsize,
}

impl MemoryStore {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(MemoryStore {
            objects: Mutex::default(),
            down: AtomicBool::new(false),
            calls: AtomicUsize::new(0),
            gate: Semaphore::new(Semaphore::MAX_PERMITS),
        })
    }

    pub(super) fn gated() -> Arc<Self> {
        let store = Self::new();
        store.gate.forget_permits(Semaphore::MAX_PERMITS);
        store
    }

    fn etag(bytes: &[u8]) -> String {
        blake3::hash(bytes).to_hex()[..16].to_owned()
    }

    fn check(&self) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("down".into()));
        }
        Ok(())
    }

    pub(super) fn raw(&self, name: &str) -> Option<Bytes> {
        self.objects.lock().unwrap().get(name).cloned()
    }

    pub(super) fn set_raw(&self, name: &str, bytes: &[u8]) {
        let bytes = Bytes::copy_from_slice(bytes);
        self.objects.lock().unwrap().insert(name.to_owned(), bytes);
    }

    pub(super) fn slot_objects(&self) -> usize {
        self.names("slot-").len()
    }

    /// The names of the objects starting with `start`, sorted.
    pub(super) fn names(&self, start: &str) -> Vec<String> {
        let objects = self.objects.lock().unwrap();
        let mut names: Vec<String> = objects
            .keys()
            .filter(|k| k.starts_with(start))
            .cloned()
            .collect();
        names.sort();
        names
    }
}

impl SlotStore for MemoryStore {
    fn put<'a>(&'a self, name: &'a str, bytes: Bytes) -> BoxFuture<'a, Result<String, StoreError>> {
        Box::pin(async move {
            self.gate.acquire().await.expect("open").forget();
            self.check()?;
            let etag = Self::etag(&bytes);
            self.objects.lock().unwrap().insert(name.to_owned(), bytes);
            Ok(etag)
        })
    }

    fn get_if_match<'a>(
        &'a self,
        name: &'a str,
        etag: &'a str,
    ) -> BoxFuture<'a, Result<Fetched, StoreError>> {
        Box::pin(async move {
            self.check()?;
            Ok(match self.raw(name) {
                None => Fetched::Missing,
                Some(b) if Self::etag(&b) == etag => Fetched::Match(b),
                Some(_) => Fetched::Mismatch,
            })
        })
    }

    fn get<'a>(
        &'a self,
        name: &'a str,
        _max: u64,
    ) -> BoxFuture<'a, Result<Option<Bytes>, StoreError>> {
        Box::pin(async move {
            self.check()?;
            Ok(self.raw(name))
        })
    }

    fn delete<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.check()?;
            self.objects.lock().unwrap().remove(name);
            Ok(())
        })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(async move {
            self.check()?;
            Ok(self.objects.lock().unwrap().keys().cloned().collect())
        })
    }
}

pub(super) fn key(n: u8) -> VariantKey {
    VariantKey([n; 32])
}

/// The source of variant `n`: variants 0, 3, 6… share one, 1, 4, 7… another.
pub(super) fn source(n: u8) -> SourceId {
    SourceId([n % 3; 16])
}

pub(super) fn settings(slots: u32) -> CacheSettings {
    CacheSettings {
        slots: NonZeroU32::new(slots).unwrap(),
        max_object_bytes: NonZeroU64::new(1000).unwrap(),
        ..CacheSettings::default()
    }
}

pub(super) async fn open(store: &Arc<MemoryStore>, slots: u32) -> SlotCache {
    let metrics = CacheMetrics::new(&prometheus::Registry::new()).unwrap();
    SlotCache::open(store.clone(), settings(slots), metrics).await
}

/// Puts and waits for the write.
pub(super) async fn put(cache: &SlotCache, n: u8) {
    assert_eq!(
        cache.put(key(n), source(n), Bytes::from(vec![n; 10]), Format::Png),
        Put::Queued
    );
    cache.settle().await;
}

#[tokio::test]
async fn put_then_get_answers_the_bytes_and_format() {
    let store = MemoryStore::new();
    let cache = open(&store, 4).await;
    assert_eq!(cache.get(&key(1)).await, None);
    put(&cache, 1).await;
    let hit = cache.get(&key(1)).await.unwrap();
    assert_eq!((&hit.bytes[..], hit.format), (&[1u8; 10][..], Format::Png));
    assert_eq!(
        cache.put(key(1), source(1), Bytes::from_static(b"x"), Format::Png),
        Put::Present
    );
    let m = cache.metrics();
    assert_eq!((m.hits(), m.misses(), m.writes("ok")), (1, 1, 1));
    assert_eq!((cache.slots_used(), cache.bytes()), (1, 10));
}

#[tokio::test]
async fn put_works_from_a_thread_outside_the_runtime() {
    let store = MemoryStore::new();
    let cache = open(&store, 4).await;
    let worker = cache.clone();
    let put = std::thread::spawn(move || {
        worker.put(key(1), source(1), Bytes::from_static(b"v"), Format::Png)
    });
    assert_eq!(put.join().unwrap(), Put::Queued);
    cache.settle().await;
    assert!(cache.get(&key(1)).await.is_some());
}

#[tokio::test]
async fn large_variants_are_not_cached() {
    let store = MemoryStore::new();
    let cache = open(&store, 4).await;
    let big = Bytes::from(vec![0; 1001]);
    assert_eq!(
        cache.put(key(1), source(1), big, Format::Jpeg),
        Put::TooLarge
    );
    assert_eq!((cache.slots_used(), store.slot_objects()), (0, 0));
}

#[tokio::test]
async fn more_keys_than_slots_never_exceed_the_slots() {
    let store = MemoryStore::new();
    let cache = open(&store, 3).await;
    for n in 0..20 {
        put(&cache, n).await;
        assert!(cache.slots_used() <= 3);
        assert!(store.slot_objects() <= 3);
    }
    assert_eq!(cache.metrics().evictions(), 17);
    assert!(cache.get(&key(19)).await.is_some());
}

#[tokio::test]
async fn an_object_changed_behind_the_index_is_a_miss_and_frees_the_slot() {
    let store = MemoryStore::new();
    let cache = open(&store, 2).await;
    put(&cache, 1).await;
    store.set_raw("slot-0", b"someone else's bytes");
    assert_eq!(cache.get(&key(1)).await, None);
    assert_eq!(cache.metrics().etag_mismatches(), 1);
    assert_eq!(cache.slots_used(), 0);
    put(&cache, 2).await;
    assert!(cache.get(&key(2)).await.is_some());
}

#[tokio::test]
async fn the_index_survives_a_restart_and_corruption_means_cold() {
    let store = MemoryStore::new();
    let cache = open(&store, 4).await;
    put(&cache, 1).await;
    put(&cache, 2).await;
    cache.flush().await.unwrap();
    let reopened = open(&store, 4).await;
    assert_eq!(reopened.slots_used(), 2);
    assert_eq!(reopened.get(&key(2)).await.unwrap().bytes, vec![2u8; 10]);

    let mut corrupt = store.raw(INDEX_NAME).unwrap().to_vec();
    corrupt[30] ^= 1;
    store.set_raw(INDEX_NAME, &corrupt);
    let cold = open(&store, 4).await;
    assert_eq!(cold.slots_used(), 0);
    assert_eq!(cold.get(&key(2)).await, None);

    store.set_raw(INDEX_NAME, b"garbage");
    assert_eq!(open(&store, 4).await.slots_used(), 0);
}

#[tokio::test]
async fn fewer_slots_after_a_restart_drop_the_extra_slot_objects() {
    let store = MemoryStore::new();
    let cache = open(&store, 4).await;
    for n in 0..4 {
        put(&cache, n).await;
    }
    cache.flush().await.unwrap();
    let smaller = open(&store, 2).await;
    assert_eq!(smaller.slots_used(), 2);
    // The deletions run in the background: poll, bounded.
    for _ in 0..1000 {
        if store.slot_objects() == 2 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(store.slot_objects(), 2);
}

#[tokio::test]
async fn a_store_outage_is_misses_and_dropped_writes_then_recovery() {
    let store = MemoryStore::new();
    let cache = open(&store, 4).await;
    put(&cache, 1).await;
    store.down.store(true, Ordering::SeqCst);
    assert_eq!(cache.get(&key(1)).await, None);
    put(&cache, 2).await;
    assert_eq!(cache.slots_used(), 1, "the failed write freed its slot");
    assert!(cache.flush().await.is_err());
    let m = cache.metrics();
    assert_eq!((m.store_errors("get"), m.store_errors("put")), (1, 1));
    assert_eq!(m.store_errors("index_flush"), 1);

    store.down.store(false, Ordering::SeqCst);
    assert!(cache.get(&key(1)).await.is_some(), "the entry was kept");
    put(&cache, 2).await;
    assert!(cache.get(&key(2)).await.is_some());
    cache.flush().await.unwrap();
}

#[tokio::test]
async fn a_store_that_keeps_failing_is_not_called_during_the_cool_down() {
    let store = MemoryStore::new();
    let cache = open(&store, 4).await;
    put(&cache, 1).await;
    store.down.store(true, Ordering::SeqCst);
    for _ in 0..3 {
        assert_eq!(cache.get(&key(1)).await, None);
    }
    let calls = store.calls.load(Ordering::SeqCst);
    assert_eq!(cache.get(&key(1)).await, None);
    let two = Bytes::from_static(b"2");
    assert_eq!(
        cache.put(key(2), source(2), two, Format::Png),
        Put::Unavailable
    );
    assert_eq!(
        store.calls.load(Ordering::SeqCst),
        calls,
        "no call while open"
    );
    let m = cache.metrics();
    assert_eq!((m.bypassed("get"), m.bypassed("put")), (1, 1));
    assert_eq!((m.store_errors("get"), m.writes("unavailable")), (3, 1));
    assert_eq!(m.misses(), 4);
}

#[tokio::test]
async fn writes_beyond_the_pending_bound_are_dropped() {
    let store = MemoryStore::gated();
    let metrics = CacheMetrics::new(&prometheus::Registry::new()).unwrap();
    let settings = CacheSettings {
        max_pending_writes: NonZeroU32::new(2).unwrap(),
        ..settings(8)
    };
    let cache = SlotCache::open(store.clone(), settings, metrics).await;
    let put = |n| cache.put(key(n), source(n), Bytes::from_static(b"v"), Format::Gif);
    assert_eq!(
        (put(1), put(2), put(3)),
        (Put::Queued, Put::Queued, Put::Dropped)
    );
    assert_eq!(cache.metrics().writes("dropped"), 1);
    assert_eq!(
        cache.get(&key(1)).await,
        None,
        "not readable before written"
    );
    store.gate.add_permits(2);
    cache.settle().await;
    assert!(cache.get(&key(1)).await.is_some());
    assert_eq!(put(3), Put::Queued);
}

#[tokio::test(start_paused = true)]
async fn the_flusher_flushes_periodically_and_at_shutdown() {
    let store = MemoryStore::new();
    let cache = open(&store, 4).await;
    let shutdown = CancellationToken::new();
    let flusher = cache.spawn_flusher(shutdown.clone());
    put(&cache, 1).await;
    assert!(store.raw(INDEX_NAME).is_none());
    tokio::time::advance(Duration::from_secs(31)).await;
    for _ in 0..100 {
        if store.raw(INDEX_NAME).is_some() {
            break;
        }
        tokio::task::yield_now().await;
    }
    let first = store.raw(INDEX_NAME).expect("flushed after one interval");
    put(&cache, 2).await;
    shutdown.cancel();
    flusher.await.unwrap();
    let last = store.raw(INDEX_NAME).unwrap();
    assert_ne!(first, last, "flushed again at shutdown");
    assert_eq!(open(&store, 4).await.slots_used(), 2);
}
