// Process memory for programs that build and drop many simulated worlds.
#ifndef SALUDO_TOOLS_SIM_CLI_KEEP_FREED_MEMORY_H_
#define SALUDO_TOOLS_SIM_CLI_KEEP_FREED_MEMORY_H_

namespace saludo::sim {

// Makes malloc keep the memory the process frees, to hand out again, instead
// of returning it to the kernel. glibc serves large blocks (a world's call
// records and the balancer's log: a megabyte for a 6,000-call seed, tens of
// megabytes for 100,000 calls) with mmap and gives freed heap tops back, so
// every world after the first paid again for fresh zeroed pages: ~1,100
// page faults a seed of a sweep, and most of the wall time of a 100,000-call
// benchmark run (docs/BENCHMARKS.md). Memory stays at the largest world's,
// as with any allocator that keeps what it frees.
//
// Blocks up to 64 MiB come from the heap; free heap tops up to 256 MiB stay.
// Returns false if malloc refused a setting (as ASan's does): nothing else
// changes then. Under TSan it returns true, but TSan's allocator serves
// malloc and ignores the settings.
// REQUIRES: called at the start of main, before any thread.
bool KeepFreedMemory();

}  // namespace saludo::sim

#endif  // SALUDO_TOOLS_SIM_CLI_KEEP_FREED_MEMORY_H_
