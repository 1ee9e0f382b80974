#include "tools/sim_cli/keep_freed_memory.h"

#include <malloc.h>

namespace saludo::sim {

bool KeepFreedMemory() {
  constexpr int kMmapThresholdBytes = 64 << 20;
  constexpr int kTrimThresholdBytes = 256 << 20;
  const bool mmap_set = mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes) == 1;
  const bool trim_set = mallopt(M_TRIM_THRESHOLD, kTrimThresholdBytes) == 1;
  return mmap_set && trim_set;
}

}  // namespace saludo::sim
