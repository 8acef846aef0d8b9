#ifndef CMALLOCCOUNTER_H
#define CMALLOCCOUNTER_H
#include <stdint.h>

/// Heap allocations made by this process while counting was on (malloc, calloc, realloc, the
/// aligned ones), counted by replacing glibc's allocator entry points with ones that count and
/// forward.
uint64_t ferry_bench_allocations(void);

/// Turns counting on or off. Off, an allocation costs one load more than glibc's own: counting
/// makes every thread's allocations contend for one counter, so only untimed runs count.
void ferry_bench_count_allocations(int on);

#endif
