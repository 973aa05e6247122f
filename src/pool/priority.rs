//! The render threads' OS priority: with `--worker-nice N`, each worker lowers its own
//! scheduling priority (Linux per-thread nice), so that on a machine with as many workers
//! as cores the threads that speak HTTP — refusals, cache hits, health checks — still get
//! a core at once when they wake. `docs/overload.md` has the measurements behind the
//! default.
//!
//! Elsewhere than Linux this does nothing.
#![allow(unsafe_code)]

/// Lowers the calling thread's priority to `nice` (0 = unchanged, 19 = lowest). Returns
/// whether the OS took it; a refusal leaves the thread as it was, which is harmless.
pub(super) fn lower_current_thread(nice: u8) -> bool {
    if nice == 0 {
        return true;
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid takes no arguments and cannot fail; setpriority only reads its
        // integer arguments. On Linux, PRIO_PROCESS with a thread id applies to that
        // thread alone (the kernel's nice is per task).
        let rc = unsafe {
            let tid = libc::gettid();
            libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice as libc::c_int)
        };
        rc == 0
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The thread's nice value as the kernel reports it.
    fn nice_of_current_thread() -> i32 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        // Fields after the parenthesised name: state is field 3, nice is field 19.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        rest.split(' ').nth(16).unwrap().parse().unwrap()
    }

    #[test]
    fn a_worker_lowers_only_its_own_priority() {
        let before = nice_of_current_thread();
        let lowered = std::thread::spawn(|| {
            assert!(lower_current_thread(10));
            nice_of_current_thread()
        })
        .join()
        .unwrap();
        assert_eq!(lowered, 10.max(before));
        assert_eq!(
            nice_of_current_thread(),
            before,
            "the spawning thread is untouched"
        );
    }
}
