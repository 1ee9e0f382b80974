// The live Clock: the system's wall clock plus a settable offset, and the
// steady clock for durations.
#ifndef SALUDO_RUNTIME_LIVE_SYSTEM_CLOCK_H_
#define SALUDO_RUNTIME_LIVE_SYSTEM_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "runtime/clock.h"

namespace saludo::runtime::live {

class SystemClock final : public Clock {
 public:
  explicit SystemClock(absl::Duration wall_offset = absl::ZeroDuration());

  absl::Time Now() override;
  absl::Duration Monotonic() override;
  void SetWallOffset(absl::Duration offset) override;
  absl::Duration WallOffset() override;

 private:
  std::atomic<int64_t> offset_nanos_;
};

}  // namespace saludo::runtime::live

#endif  // SALUDO_RUNTIME_LIVE_SYSTEM_CLOCK_H_
