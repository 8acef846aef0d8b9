#if canImport(Glibc)
    import CGlibcMalloc
#endif

/// glibc's allocator settings for a process that copies without end (`ferry relay`).
///
/// By default glibc gives each thread that allocates its own arena (up to 8 per core) and raises
/// its mmap threshold every time a large block is freed, so freed memory stays resident: a relay
/// copying 1,000,000 events peaked about 35 MiB higher than with two arenas and a fixed
/// threshold (BENCHMARKS.md, "Relay memory"). An operator's own `GLIBC_TUNABLES` or
/// `MALLOC_*` variables are left alone.
enum MallocTuning {
    static func forLongRunningCopy(environment: [String: String]) {
        #if canImport(Glibc)
            guard !environment.keys.contains(where: { $0 == "GLIBC_TUNABLES" || $0.hasPrefix("MALLOC_") }) else { return }
            mallopt(M_ARENA_MAX, 2)
            mallopt(M_MMAP_THRESHOLD, 128 * 1024)
        #endif
    }
}
