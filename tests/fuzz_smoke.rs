//! The short fuzzing run of CI: every fuzz target's check (`vignette::testing::fuzzing`) over
//! thousands of mutants of its committed seeds — bit flips, bytes set to boundary values,
//! insertions, deletions, duplicated ranges, truncations and splices of two seeds, stacked
//! one to four deep. Not coverage-guided (that needs a second, instrumented build of every
//! dependency: `scripts/fuzz`, `docs/security.md`), but it runs on the ordinary release build
//! in seconds and reaches the same code with the same checks, and the generator is seeded so
//! that a failure is reproducible: the input is written to `target/fuzz-smoke/` and named in
//! the message, ready to become a fixture in `tests/fixtures/fuzz/<target>/`.
//!
//! `VIGNETTE_FUZZ_SMOKE_MUTANTS` sets the mutants per target (default 100 000).

use std::path::{Path, PathBuf};
use vignette::testing::fuzzing::TARGETS;

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Values that sit on the edges parsers get wrong: zero, sign bits, all ones.
const BOUNDARY: [u8; 6] = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

/// One mutation of `data`, with `other` (another seed of the same target) for splices.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
    if data.is_empty() {
        data.push(rng.next() as u8);
        return;
    }
    let at = rng.below(data.len());
    match rng.below(7) {
        0 => data[at] ^= 1 << rng.below(8),
        1 => data[at] = BOUNDARY[rng.below(BOUNDARY.len())],
        2 => {
            let n = 1 + rng.below(16);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            data.splice(at..at, bytes);
        }
        3 => {
            let end = (at + 1 + rng.below(64)).min(data.len());
            data.drain(at..end);
        }
        4 => {
            let end = (at + 1 + rng.below(64)).min(data.len());
            let copy = data[at..end].to_vec();
            let to = rng.below(data.len());
            data.splice(to..to, copy);
        }
        5 => data.truncate(at),
        _ => {
            if !other.is_empty() {
                let from = rng.below(other.len());
                data.truncate(at);
                data.extend_from_slice(&other[from..]);
            }
        }
    }
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).expect("readable seed"))
        .collect()
}

fn mutants_per_target() -> usize {
    match std::env::var("VIGNETTE_FUZZ_SMOKE_MUTANTS") {
        Ok(v) => v
            .parse()
            .expect("VIGNETTE_FUZZ_SMOKE_MUTANTS is a number of mutants"),
        Err(_) => 100_000,
    }
}

#[test]
fn every_target_survives_mutants_of_its_seeds() {
    let per_target = mutants_per_target();
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-smoke");
    for (t, &(name, check)) in TARGETS.iter().enumerate() {
        let seeds = seeds(name);
        assert!(!seeds.is_empty(), "{name} has no seeds");
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t as u64 + 1));
        let started = std::time::Instant::now();
        for i in 0..per_target {
            let mut data = seeds[i % seeds.len()].clone();
            let other = &seeds[rng.below(seeds.len())];
            for _ in 0..1 + rng.below(4) {
                mutate(&mut rng, &mut data, other);
            }
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                std::fs::create_dir_all(&out).unwrap();
                let path = out.join(format!("{name}-{i}"));
                std::fs::write(&path, &data).unwrap();
                panic!("{name} fails on mutant {i}, written to {}", path.display());
            }
        }
        eprintln!(
            "{name}: {per_target} mutants in {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }
}

#[test]
fn mutations_change_the_input_and_stay_reproducible() {
    let seed = b"0123456789abcdef".to_vec();
    let run = |state: u64| {
        let mut rng = Rng(state);
        (0..50)
            .map(|_| {
                let mut data = seed.clone();
                mutate(&mut rng, &mut data, b"XYZ");
                data
            })
            .collect::<Vec<_>>()
    };
    let (a, b) = (run(7), run(7));
    assert_eq!(a, b, "same state, same mutants");
    let changed = a.iter().filter(|m| **m != seed).count();
    assert!(
        changed >= 45,
        "only {changed} of 50 mutants differ from the seed"
    );
    let distinct: std::collections::HashSet<_> = a.iter().collect();
    assert!(distinct.len() >= 40, "{} distinct mutants", distinct.len());
}
