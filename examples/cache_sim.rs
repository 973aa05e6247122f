//! Prints the eviction-policy table of `docs/cache.md`: hit ratios of LRU, CLOCK and
//! SIEVE on seeded skewed workloads. `cargo run --release --example cache_sim`; with
//! `-- shared`, the table of several instances on one cache instead.

fn main() {
    if std::env::args().nth(1).as_deref() == Some("shared") {
        print!("{}", vignette::testing::cache::sim_shared::shared_table());
    } else {
        print!("{}", vignette::testing::cache::sim::hit_ratio_table());
    }
}
