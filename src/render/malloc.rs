//! One call into glibc's allocator, so that a render's large buffers go back to the
//! system when the render ends.
//!
//! Why: glibc serves allocations above `M_MMAP_THRESHOLD` with `mmap` and unmaps them on
//! free, but raises that threshold to the size of each large block freed (up to 32 MiB),
//! and its trim threshold to twice that. After the first render, a 28 MB source and the
//! decode buffers come from the heap instead and stay resident when freed, per arena.
//! Measured under `k6/stress.js` (50 clients, random sizes of the 36 MP photo and the web
//! files, one worker): peak RSS 265 MB with the dynamic threshold, 158 MB with a fixed
//! 1 MiB one (docs/performance.md). Fixing the threshold turns the adjustment off.
//!
//! The cost: a large buffer is mapped afresh for every render, so its pages fault in
//! again: reading the 28 MB photo into a new buffer takes ≈ 19 ms instead of ≈ 7 ms
//! (`bench read`), ≈ 4 % of its render. An operator who prefers that trade the other way
//! sets glibc's own `MALLOC_MMAP_THRESHOLD_` (any value), which this then leaves alone.
//!
//! Elsewhere than Linux with glibc this does nothing.
#![allow(unsafe_code)]

/// Buffers at least this large are mapped and unmapped on their own.
const MMAP_THRESHOLD: i32 = 1 << 20;

/// Makes large buffers return to the system when freed, unless `MALLOC_MMAP_THRESHOLD_`
/// is set. Call once, early in `main`.
pub fn release_large_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        // SAFETY: mallopt only changes allocator parameters; it is thread-safe and takes
        // plain integers. A refusal (return value 0) leaves the defaults, which is harmless.
        let _ = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) };
    }
}
