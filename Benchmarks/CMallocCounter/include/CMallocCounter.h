#ifndef CMALLOCCOUNTER_H
#define CMALLOCCOUNTER_H
#include <stdint.h>

/// Heap allocations made by this process so far (malloc, calloc, realloc, the aligned ones),
/// counted by replacing glibc's allocator entry points with ones that count and forward.
uint64_t ferry_bench_allocations(void);

#endif
