//! One suite, two stores: every case runs against a local directory and a Garage
//! bucket (each case under its own prefix or directory).

use crate::garage::Garage;
use bytes::Bytes;
use std::num::{NonZeroU32, NonZeroU64};
use std::sync::Arc;
use vignette::testing::cache::{
    CacheMetrics, CacheSettings, Fetched, INDEX_NAME, LocalDirStore, S3Store, SlotCache, SlotStore,
    StoreError, slot_name,
};
use vignette::testing::variant::VariantKey;
use vignette::testing::variant::{Format, SourceId};

/// Makes a fresh, empty store named `name`.
type Factory<'a> = &'a dyn Fn(&str) -> Arc<dyn SlotStore>;

fn key(n: u8) -> VariantKey {
    VariantKey([n; 32])
}

async fn open(store: Arc<dyn SlotStore>, slots: u32) -> SlotCache {
    let settings = CacheSettings {
        slots: NonZeroU32::new(slots).unwrap(),
        max_object_bytes: NonZeroU64::new(64 * 1024).unwrap(),
        ..CacheSettings::default()
    };
    let metrics = CacheMetrics::new(&prometheus::Registry::new()).unwrap();
    SlotCache::open(store, settings, metrics).await
}

fn variant(n: u8) -> Bytes {
    Bytes::from(format!("variant {n} ").repeat(50 + usize::from(n)))
}

async fn put(cache: &SlotCache, n: u8) {
    cache.put(key(n), SourceId([n; 16]), variant(n), Format::Avif);
    cache.settle().await;
}

async fn slot_objects(store: &dyn SlotStore) -> usize {
    let names = store.list().await.unwrap();
    names.iter().filter(|n| n.starts_with("slot-")).count()
}

async fn store_conformance(store: Arc<dyn SlotStore>) {
    let s = &*store;
    assert_eq!(s.get("slot-0", 100).await.unwrap(), None);
    assert_eq!(
        s.get_if_match("slot-0", "x").await.unwrap(),
        Fetched::Missing
    );
    let a = Bytes::from_static(b"first bytes");
    let etag_a = s.put("slot-0", a.clone()).await.unwrap();
    assert_eq!(
        s.get_if_match("slot-0", &etag_a).await.unwrap(),
        Fetched::Match(a.clone())
    );
    assert_eq!(
        s.get_if_match("slot-0", "\"other\"").await.unwrap(),
        Fetched::Mismatch
    );
    assert_eq!(s.get("slot-0", 100).await.unwrap(), Some(a.clone()));
    assert!(matches!(
        s.get("slot-0", 3).await,
        Err(StoreError::TooLarge { .. })
    ));

    let b = Bytes::from_static(b"second bytes");
    let etag_b = s.put("slot-0", b.clone()).await.unwrap();
    assert_ne!(etag_a, etag_b);
    assert_eq!(
        s.get_if_match("slot-0", &etag_a).await.unwrap(),
        Fetched::Mismatch
    );
    assert_eq!(
        s.get_if_match("slot-0", &etag_b).await.unwrap(),
        Fetched::Match(b)
    );

    let empty = s.put("slot-1", Bytes::new()).await.unwrap();
    assert_eq!(
        s.get_if_match("slot-1", &empty).await.unwrap(),
        Fetched::Match(Bytes::new())
    );
    s.put(INDEX_NAME, Bytes::from_static(b"idx")).await.unwrap();
    let mut names = s.list().await.unwrap();
    names.sort();
    assert_eq!(names, ["index", "slot-0", "slot-1"]);
    s.delete("slot-0").await.unwrap();
    s.delete("slot-0").await.unwrap();
    assert_eq!(
        s.get_if_match("slot-0", &etag_a).await.unwrap(),
        Fetched::Missing
    );
    assert_eq!(slot_objects(s).await, 1);
}

async fn index_round_trip(store: Arc<dyn SlotStore>) {
    let cache = open(store.clone(), 8).await;
    for n in 1..=3 {
        put(&cache, n).await;
    }
    cache.flush().await.unwrap();
    let reopened = open(store, 8).await;
    assert_eq!(reopened.slots_used(), 3);
    for n in 1..=3 {
        let hit = reopened.get(&key(n)).await.expect("hit after reload");
        assert_eq!((hit.bytes, hit.format), (variant(n), Format::Avif));
    }
}

async fn bad_index_is_cold(store: Arc<dyn SlotStore>) {
    let cache = open(store.clone(), 8).await;
    put(&cache, 1).await;
    cache.flush().await.unwrap();
    let mut corrupt = store
        .get(INDEX_NAME, 1 << 20)
        .await
        .unwrap()
        .unwrap()
        .to_vec();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    store.put(INDEX_NAME, corrupt.into()).await.unwrap();
    let cold = open(store.clone(), 8).await;
    assert_eq!((cold.slots_used(), cold.get(&key(1)).await), (0, None));
    store.delete(INDEX_NAME).await.unwrap();
    assert_eq!(open(store.clone(), 8).await.slots_used(), 0);
    // A cold cache works: it overwrites the old slots.
    put(&cold, 2).await;
    assert!(cold.get(&key(2)).await.is_some());
}

async fn overwritten_slot_is_never_served(store: Arc<dyn SlotStore>) {
    let cache = open(store.clone(), 4).await;
    put(&cache, 1).await;
    // Someone else writes the slot object (the cache does not know).
    store
        .put(&slot_name(0), Bytes::from_static(b"not a variant"))
        .await
        .unwrap();
    assert_eq!(cache.get(&key(1)).await, None);
    assert_eq!(cache.metrics().etag_mismatches(), 1);
    assert_eq!(cache.slots_used(), 0, "the slot was freed");
}

async fn never_more_than_the_slots(store: Arc<dyn SlotStore>) {
    let cache = open(store.clone(), 5).await;
    for n in 0..20 {
        put(&cache, n).await;
        assert!(cache.slots_used() <= 5);
    }
    cache.flush().await.unwrap();
    assert_eq!(slot_objects(&*store).await, 5);
    assert_eq!(cache.metrics().evictions(), 15);
    // The most recent key is there and right.
    assert_eq!(cache.get(&key(19)).await.unwrap().bytes, variant(19));
}

async fn run_suite(factory: Factory<'_>) {
    store_conformance(factory("conformance")).await;
    index_round_trip(factory("round-trip")).await;
    bad_index_is_cold(factory("bad-index")).await;
    overwritten_slot_is_never_served(factory("overwritten")).await;
    never_more_than_the_slots(factory("bounded")).await;
}

#[tokio::test]
async fn local_dir_store_passes_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    run_suite(&|name| Arc::new(LocalDirStore::new(&dir.path().join(name)).unwrap())).await;
}

#[tokio::test]
async fn garage_store_passes_the_suite() {
    let garage = Garage::shared();
    let (client, _) = garage.client();
    let bucket = garage.var("VIGNETTE_CACHE_BUCKET").to_owned();
    run_suite(&|name| Arc::new(S3Store::new(client.clone(), &bucket, format!("{name}/")))).await;
}

#[tokio::test]
async fn garage_slot_overwritten_through_s3_is_never_served() {
    let garage = Garage::shared();
    let (client, _) = garage.client();
    let bucket = garage.var("VIGNETTE_CACHE_BUCKET");
    let store = Arc::new(S3Store::new(client.clone(), bucket, "c/"));
    let cache = open(store, 4).await;
    put(&cache, 1).await;
    assert!(cache.get(&key(1)).await.is_some());
    client
        .sdk()
        .put_object()
        .bucket(bucket)
        .key("c/slot-0")
        .body(b"tampered".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(cache.get(&key(1)).await, None);
    assert_eq!(cache.metrics().etag_mismatches(), 1);
    assert_eq!(cache.slots_used(), 0);
}
