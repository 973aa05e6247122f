//! Prints the eviction-policy table of `docs/cache.md`: hit ratios of LRU, CLOCK and
//! SIEVE on seeded skewed workloads. `cargo run --release --example cache_sim`.

fn main() {
    print!("{}", vignette::cache::sim::hit_ratio_table());
}
