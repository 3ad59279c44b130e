//! Process-wide allocator settings for programs that encode large outputs.
//!
//! glibc's `malloc` serves every request above its *mmap threshold* (which it adapts, up to
//! 32 MiB) with a fresh `mmap`, and unmaps it again on `free`. A program that encodes one large
//! output after another (a 40 MB Arrow file, a 64 MiB Zarr chunk) therefore gets brand-new
//! memory every time, and the kernel zeroes and maps it one 4 KiB page fault at a time: for
//! T1 as Arrow IPC into a growing `Vec` that is about two thirds of the time, more than the
//! encoding itself. pyarrow sidesteps the same cost with its own memory pool, which keeps freed
//! pages. [`retain_freed_memory`] asks glibc to do likewise: blocks up to 256 MiB come from the
//! heap and are reused, and up to 256 MiB of free memory at the top of the heap is kept rather
//! than returned to the kernel. Peak memory is unchanged; what a program frees is kept for its next request.
//!
//! It is a decision for a program, not a library: the `tessera` server calls it first thing,
//! and so do the benches, so that they measure the encoders as the server runs them.
//!
//! ```
//! // On glibc the settings are applied; elsewhere nothing happens and `false` says so.
//! let applied = tessera_core::memory::retain_freed_memory();
//! assert_eq!(applied, cfg!(all(target_os = "linux", target_env = "gnu")));
//! ```

/// Allocations up to this size are served from the heap (and reused) instead of fresh mappings.
pub const MMAP_THRESHOLD: usize = 256 << 20;

/// Free memory at the top of the heap up to this size is kept for reuse.
pub const TRIM_THRESHOLD: usize = 256 << 20;

/// Keeps freed memory for reuse instead of returning it to the kernel at once (see the
/// [module docs](self)). Returns whether the settings were applied: `true` on glibc when
/// `mallopt` accepted both, `false` on other C libraries, where it does nothing.
pub fn retain_freed_memory() -> bool {
    imp::retain_freed_memory()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    use super::{MMAP_THRESHOLD, TRIM_THRESHOLD};

    pub fn retain_freed_memory() -> bool {
        let set = |option: libc::c_int, value: usize| {
            let value = libc::c_int::try_from(value).unwrap_or(libc::c_int::MAX);
            // SAFETY: mallopt only records a tuning parameter; any value is valid input.
            unsafe { libc::mallopt(option, value) == 1 }
        };
        // Both, even when the first fails: each helps on its own.
        let mmap = set(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        let trim = set(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        mmap && trim
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    pub fn retain_freed_memory() -> bool {
        false
    }
}
