//! How a process running the engine allocates. Its steps run on tokio's worker threads, and
//! glibc's malloc gives each thread that allocates an arena of its own, up to eight per core.
//! What a step frees stays in the arena of the thread it ran on, and steps move between threads,
//! so every arena grows towards the peak. Held to one arena per core, a node running 1,000
//! sessions held about 38 MiB less (80 rather than 118 KiB per session, `BENCH_SCENARIOS=rss
//! BENCH_CONCURRENT=1000 cargo bench -p spectask-orchestrator`), its CPU per session unchanged.
//! Allocators that keep freed pages for a while (jemalloc, mimalloc) held more, not less.

/// Holds glibc's malloc to one arena per core. Call it first in `main`, before any thread
/// starts: arenas already made stay. Nothing where the C library is not glibc; where glibc
/// refuses, its default stays, which costs only memory.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt sets one of malloc's parameters, and M_ARENA_MAX takes any positive count.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}
