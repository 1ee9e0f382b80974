#include "tools/sim_cli/keep_freed_memory.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include "gtest/gtest.h"
#include "runtime/live/sanitizers.h"

namespace saludo::sim {
namespace {

#if defined(SALUDO_ASAN)
TEST(KeepFreedMemoryTest, ASanRefusesIt) { EXPECT_FALSE(KeepFreedMemory()); }
#elif defined(SALUDO_TSAN)
// TSan's allocator serves malloc whatever glibc's mallopt accepted.
#else
// A 16 MiB block (far above glibc's 128 KiB mmap threshold) comes from the
// heap, and once freed it stays there for the next one.
TEST(KeepFreedMemoryTest, ALargeFreedBlockStaysInTheProcess) {
  ASSERT_TRUE(KeepFreedMemory());
  constexpr size_t kBytes = size_t{16} << 20;
  char* block = static_cast<char*>(std::malloc(kBytes));
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, kBytes);  // touched, as a world's records are
  EXPECT_EQ(mallinfo2().hblkhd, 0u) << "the block was mmapped";
  std::free(block);
  EXPECT_GE(mallinfo2().fordblks, kBytes) << "the block went back";
  // The next block of that size reuses the kept memory.
  const size_t heap_bytes = mallinfo2().arena;
  char* again = static_cast<char*>(std::malloc(kBytes));
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(mallinfo2().arena, heap_bytes);
  std::free(again);
}
#endif

}  // namespace
}  // namespace saludo::sim
