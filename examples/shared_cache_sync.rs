//! Measures what several instances on one slot cache cost in store calls, against a
//! real S3 store (a Garage node from `scripts/garage start`, its env file sourced):
//! a flush of an index of `SLOTS` entries, a peer sync that finds the peer's index
//! unchanged (one HEAD), one that reads and merges it, and, for comparison, the
//! read-merge-write cycle one shared index object would need every period.
//!
//! ```text
//! dir=$(mktemp -d); scripts/garage start "$dir"; set -a; . "$dir/env"; set +a
//! cargo run --release --example shared_cache_sync
//! ```

use bytes::Bytes;
use std::num::{NonZeroU32, NonZeroU64};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vignette::testing::cache::{CacheMetrics, CacheSettings, S3Store, Share, SlotCache, SlotStore};
use vignette::testing::s3::{S3Client, S3Credentials, S3Metrics, S3Settings};
use vignette::testing::variant::{Format, SourceId, VariantKey};

const SLOTS: u32 = 1000;
const ROUNDS: u32 = 50;

fn settings(instance: u32) -> CacheSettings {
    CacheSettings {
        slots: NonZeroU32::new(SLOTS).expect("slots"),
        max_object_bytes: NonZeroU64::new(1 << 20).expect("bound"),
        max_pending_writes: NonZeroU32::new(16).expect("writes"),
        share: Share::new(instance, 2).expect("share"),
        ..CacheSettings::default()
    }
}

fn ms(d: Duration, n: u32) -> f64 {
    d.as_secs_f64() * 1000.0 / f64::from(n)
}

#[tokio::main]
async fn main() {
    let endpoint = std::env::var("VIGNETTE_S3_ENDPOINT").expect("source a Garage env file");
    let bucket = std::env::var("VIGNETTE_CACHE_BUCKET").expect("VIGNETTE_CACHE_BUCKET");
    let credentials = S3Credentials::from_env().expect("credentials");
    let registry = prometheus::Registry::new();
    let client = S3Client::new(
        &S3Settings::new(endpoint, credentials),
        S3Metrics::new(&registry).expect("metrics"),
    );
    let prefix = format!("sync-bench-{}/", std::process::id());
    let store: Arc<dyn SlotStore> = Arc::new(S3Store::new(client, bucket, prefix));
    let open = |i| {
        let metrics = CacheMetrics::new(&prometheus::Registry::new()).expect("metrics");
        SlotCache::open(store.clone(), settings(i), metrics)
    };
    let a = open(0).await;
    let b = open(1).await;
    // Fill A's half with small variants.
    let mut n = 0u64;
    while a.slots_used() < (SLOTS / 2) as usize {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&n.to_le_bytes());
        let bytes = Bytes::from(vec![(n % 251) as u8; 2000]);
        a.put(VariantKey(key), SourceId([1; 16]), bytes, Format::Webp);
        a.settle().await;
        n += 1;
    }
    println!("instance 0 holds {} entries", a.slots_used());

    let mut flush = Duration::ZERO;
    let mut read = Duration::ZERO;
    let mut unchanged = Duration::ZERO;
    let mut shared_cycle = Duration::ZERO;
    for round in 0..ROUNDS {
        // A flush after its entries changed (a hit bumps the access time: dirty).
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&u64::from(round % 10).to_le_bytes());
        let _ = a.get(&VariantKey(key)).await;
        let t = Instant::now();
        a.flush().await.expect("flush");
        flush += t.elapsed();
        // B reads the changed index, then finds it unchanged.
        let t = Instant::now();
        let known = b.sync_peers().await.expect("sync");
        read += t.elapsed();
        assert_eq!(known, SLOTS as usize / 2);
        let t = Instant::now();
        b.sync_peers().await.expect("sync");
        unchanged += t.elapsed();
        // One shared index object: read it whole, (merge), write it whole.
        let t = Instant::now();
        let bytes = store
            .get("index-0", 1 << 24)
            .await
            .expect("get")
            .expect("index");
        store.put("shared-index", bytes).await.expect("put");
        shared_cycle += t.elapsed();
    }
    let index = store
        .get("index-0", 1 << 24)
        .await
        .expect("get")
        .map_or(0, |b| b.len());
    println!("index object of {} entries: {index} bytes", SLOTS / 2);
    println!("flush (PUT of the index): {:.2} ms", ms(flush, ROUNDS));
    println!(
        "peer sync, index changed (HEAD + GET + decode + merge): {:.2} ms",
        ms(read, ROUNDS)
    );
    println!(
        "peer sync, index unchanged (HEAD): {:.2} ms",
        ms(unchanged, ROUNDS)
    );
    println!(
        "shared index read-merge-write (GET + PUT, merge not counted): {:.2} ms",
        ms(shared_cycle, ROUNDS)
    );
    for name in store.list().await.expect("list") {
        let _ = store.delete(&name).await;
    }
}
