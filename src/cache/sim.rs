//! A deterministic simulation of the index under skewed workloads, to choose the
//! eviction policy by measured hit ratio. Seeded, no clock: the same command prints the
//! same table (`docs/cache.md`):
//!
//! `cargo run --release --example cache_sim`

use super::index::{Entry, Index, Reserve};
use super::policy::EvictionPolicy;
use crate::variant::Format;
use crate::variant::key::VariantKey;
use std::num::NonZeroU32;

const POLICIES: [EvictionPolicy; 3] = [
    EvictionPolicy::Lru,
    EvictionPolicy::Clock,
    EvictionPolicy::Sieve,
];

/// splitmix64: small, seeded, good enough for workloads.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(super) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Ranks 0..n drawn with probability ∝ 1 / (rank + 1)^alpha.
pub(super) struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    pub(super) fn new(n: usize, alpha: f64) -> Self {
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = (0..n)
            .map(|r| {
                acc += 1.0 / ((r + 1) as f64).powf(alpha);
                acc
            })
            .collect();
        for c in &mut cdf {
            *c /= acc;
        }
        Zipf { cdf }
    }

    pub(super) fn sample(&self, rng: &mut Rng) -> u64 {
        let u = rng.unit();
        self.cdf.partition_point(|&c| c < u) as u64
    }
}

/// A request stream.
#[derive(Clone, Copy)]
enum Workload {
    /// Zipf over a fixed catalogue.
    Zipf { alpha: f64 },
    /// Zipf, plus a share of requests for keys never seen again (crawlers, one-off
    /// sizes): the long tail of an image CDN.
    OneHitWonders { alpha: f64, share: f64 },
    /// Zipf whose popular set moves to other keys every `phase` requests (new posts).
    Drift { alpha: f64, phase: u64 },
}

impl Workload {
    fn name(self) -> String {
        match self {
            Workload::Zipf { alpha } => format!("zipf {alpha}"),
            Workload::OneHitWonders { alpha, share } => {
                format!("zipf {alpha} + {:.0}% one-hit", share * 100.0)
            }
            Workload::Drift { alpha, phase } => format!("zipf {alpha}, drift every {phase}"),
        }
    }
}

struct Run {
    catalogue: usize,
    requests: u64,
    seed: u64,
}

pub(super) fn key(id: u64) -> VariantKey {
    let mut k = [0u8; 32];
    k[..8].copy_from_slice(&id.to_le_bytes());
    VariantKey(k)
}

/// A one-byte entry for `k` written and last read at `now`.
pub(super) fn entry(k: VariantKey, now: u64) -> Entry {
    Entry {
        key: k,
        source: crate::variant::SourceId([0; 16]),
        written: now,
        etag: String::new(),
        size: 1,
        format: Format::Webp,
        last_access: now,
        hits: 0,
    }
}

/// Looks `k` up in `index`, inserting it on a miss; whether it was a hit.
pub(super) fn serve(index: &mut Index, k: VariantKey, now: u64) -> bool {
    if index.lookup(&k, now).is_some() {
        return true;
    }
    if let Reserve::Slot { slot, .. } = index.reserve(k) {
        index.commit(slot, entry(k, now));
    }
    false
}

/// Plays `workload` against an index of `slots` slots; returns the hit ratio.
fn hit_ratio(run: &Run, workload: Workload, slots: u32, policy: EvictionPolicy) -> f64 {
    let alpha = match workload {
        Workload::Zipf { alpha }
        | Workload::OneHitWonders { alpha, .. }
        | Workload::Drift { alpha, .. } => alpha,
    };
    let zipf = Zipf::new(run.catalogue, alpha);
    let mut rng = Rng(run.seed);
    let mut index = Index::new(NonZeroU32::new(slots).expect("slots > 0"), policy);
    let mut hits = 0u64;
    let mut unique = 1u64 << 40;
    for now in 0..run.requests {
        let id = match workload {
            Workload::OneHitWonders { share, .. } if rng.unit() < share => {
                unique += 1;
                unique
            }
            Workload::Drift { phase, .. } => {
                // Each phase maps ranks onto a fresh part of the key space.
                (now / phase) * run.catalogue as u64 / 2 + zipf.sample(&mut rng)
            }
            _ => zipf.sample(&mut rng),
        };
        if serve(&mut index, key(id), now) {
            hits += 1;
        }
        assert!(index.used() <= slots as usize);
    }
    hits as f64 / run.requests as f64
}

/// The full table of `docs/cache.md` as Markdown (about half a minute in release mode).
pub fn hit_ratio_table() -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let run = Run {
        catalogue: 100_000,
        requests: 2_000_000,
        seed: 42,
    };
    let workloads = [
        Workload::Zipf { alpha: 0.6 },
        Workload::Zipf { alpha: 0.8 },
        Workload::Zipf { alpha: 1.0 },
        Workload::Zipf { alpha: 1.2 },
        Workload::OneHitWonders {
            alpha: 0.8,
            share: 0.3,
        },
        Workload::Drift {
            alpha: 0.8,
            phase: 200_000,
        },
    ];
    let _ = writeln!(
        out,
        "catalogue {} keys, {} requests, seed {}\n",
        run.catalogue, run.requests, run.seed
    );
    let _ = writeln!(out, "| workload | slots | LRU | CLOCK | SIEVE |");
    let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: |");
    for workload in workloads {
        for slots in [100, 1000, 5000] {
            let ratios: Vec<String> = POLICIES
                .iter()
                .map(|&p| format!("{:.2}%", 100.0 * hit_ratio(&run, workload, slots, p)))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {slots} | {} |",
                workload.name(),
                ratios.join(" | ")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A quick guard on the choice: on a skewed workload with one-hit wonders, the
    /// default policy does at least as well as LRU.
    #[test]
    fn default_policy_beats_lru_on_a_long_tail() {
        let run = Run {
            catalogue: 10_000,
            requests: 100_000,
            seed: 7,
        };
        let workload = Workload::OneHitWonders {
            alpha: 0.8,
            share: 0.3,
        };
        let lru = hit_ratio(&run, workload, 200, EvictionPolicy::Lru);
        let default = hit_ratio(&run, workload, 200, EvictionPolicy::default());
        assert!(default >= lru, "default {default:.4} < LRU {lru:.4}");
    }
}
