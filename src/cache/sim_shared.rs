//! A deterministic simulation of several instances behind one load balancer, to
//! compare ways of giving them a cache of `slots` slots in all (`docs/cache.md`,
//! "Several instances on one cache"):
//!
//! * **separate**: each instance its own prefix with `slots / instances` slots (the
//!   same bound), seeing only its own requests;
//! * **partitioned** (what vignette does): each instance writes its share of the slots
//!   and reads the others' entries from their index as of the last sync, `lag`
//!   requests ago; a peer entry evicted since is a miss (its ETag no longer matches);
//! * **global**: one index over all slots that every instance sees at once, no lag
//!   (one instance; or a shared index that could be kept exact for free): the ceiling.
//!
//! `cargo run --release --example cache_sim -- shared`

use super::index::{Index, Reserve};
use super::policy::EvictionPolicy;
use super::share::Share;
use super::sim::{Rng, Zipf, entry, key, serve};
use crate::variant::key::VariantKey;
use std::collections::HashSet;
use std::num::NonZeroU32;

/// One workload: Zipf `alpha` over `catalogue` keys plus a `one_hit` share of keys
/// never asked again, spread uniformly over `instances`.
#[derive(Clone, Copy)]
struct Load {
    alpha: f64,
    one_hit: f64,
    catalogue: usize,
    requests: u64,
    instances: u32,
    seed: u64,
}

/// The request stream: (instance, key) pairs, the same for every design.
fn stream(load: Load) -> impl Iterator<Item = (usize, VariantKey)> {
    let zipf = Zipf::new(load.catalogue, load.alpha);
    let mut rng = Rng(load.seed);
    let mut unique = 1u64 << 40;
    (0..load.requests).map(move |_| {
        let instance = (rng.next() % u64::from(load.instances)) as usize;
        let id = if rng.unit() < load.one_hit {
            unique += 1;
            unique
        } else {
            zipf.sample(&mut rng)
        };
        (instance, key(id))
    })
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).expect("at least 1")
}

fn separate(load: Load, slots: u32) -> f64 {
    let each = nz(slots / load.instances);
    let mut indexes: Vec<Index> = (0..load.instances)
        .map(|_| Index::new(each, EvictionPolicy::Sieve))
        .collect();
    let mut hits = 0u64;
    for (now, (i, k)) in stream(load).enumerate() {
        hits += u64::from(serve(&mut indexes[i], k, now as u64));
    }
    hits as f64 / load.requests as f64
}

fn global(load: Load, slots: u32) -> f64 {
    let mut index = Index::new(nz(slots), EvictionPolicy::Sieve);
    let mut hits = 0u64;
    for (now, (_, k)) in stream(load).enumerate() {
        hits += u64::from(serve(&mut index, k, now as u64));
    }
    hits as f64 / load.requests as f64
}

fn partitioned(load: Load, slots: u32, lag: u64) -> f64 {
    let n = load.instances;
    let mut indexes: Vec<Index> = (0..n)
        .map(|i| {
            let share = Share::new(i, n).expect("i < n");
            Index::shared(nz(slots), EvictionPolicy::Sieve, share)
        })
        .collect();
    // What each instance read of all the others at its last sync.
    let mut views: Vec<HashSet<VariantKey>> = vec![HashSet::new(); n as usize];
    let mut hits = 0u64;
    for (now, (i, k)) in stream(load).enumerate() {
        let now = now as u64;
        if now.is_multiple_of(lag.max(1)) {
            for (me, view) in views.iter_mut().enumerate() {
                *view = (0..n as usize)
                    .filter(|&j| j != me)
                    .flat_map(|j| indexes[j].entries().map(|(_, e)| e.key))
                    .collect();
            }
        }
        if indexes[i].lookup(&k, now).is_some() {
            hits += 1;
            continue;
        }
        if views[i].contains(&k) {
            let owner_has = (0..n as usize).any(|j| j != i && indexes[j].contains(&k));
            if owner_has {
                hits += 1;
                continue;
            }
            // The owner evicted it since the sync: a mismatch, forgotten, a miss.
            views[i].remove(&k);
        }
        if let Reserve::Slot { slot, .. } = indexes[i].reserve(k) {
            indexes[i].commit(slot, entry(k, now));
        }
    }
    hits as f64 / load.requests as f64
}

/// The table of `docs/cache.md`: hit ratios of the three designs, two instances.
pub fn shared_table() -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let base = Load {
        alpha: 0.8,
        one_hit: 0.0,
        catalogue: 100_000,
        requests: 1_000_000,
        instances: 2,
        seed: 42,
    };
    let _ = writeln!(
        out,
        "catalogue {} keys, {} requests, seed {}, {} instances, SIEVE\n",
        base.catalogue, base.requests, base.seed, base.instances
    );
    let _ = writeln!(
        out,
        "| workload | slots in all | separate | partitioned, lag 400 | partitioned, lag 4000 | global |"
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: |");
    for (alpha, one_hit) in [(0.8, 0.0), (1.0, 0.0), (0.8, 0.3)] {
        for slots in [1000, 5000] {
            let load = Load {
                alpha,
                one_hit,
                ..base
            };
            let name = if one_hit > 0.0 {
                format!("zipf {alpha} + {:.0}% one-hit", one_hit * 100.0)
            } else {
                format!("zipf {alpha}")
            };
            let _ = writeln!(
                out,
                "| {name} | {slots} | {:.2}% | {:.2}% | {:.2}% | {:.2}% |",
                100.0 * separate(load, slots),
                100.0 * partitioned(load, slots, 400),
                100.0 * partitioned(load, slots, 4000),
                100.0 * global(load, slots),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A quick guard on the design: sharing the slots beats splitting them.
    #[test]
    fn partitioned_beats_separate_prefixes() {
        let load = Load {
            alpha: 0.8,
            one_hit: 0.0,
            catalogue: 10_000,
            requests: 100_000,
            instances: 2,
            seed: 7,
        };
        let separate = separate(load, 400);
        let partitioned = partitioned(load, 400, 100);
        let global = global(load, 400);
        assert!(
            separate < partitioned && partitioned <= global + 0.01,
            "{separate:.4} {partitioned:.4} {global:.4}"
        );
    }
}
