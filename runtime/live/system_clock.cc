#include "runtime/live/system_clock.h"

#include <chrono>

#include "absl/time/clock.h"

namespace saludo::runtime::live {

SystemClock::SystemClock(absl::Duration wall_offset)
    : offset_nanos_(absl::ToInt64Nanoseconds(wall_offset)) {}

absl::Time SystemClock::Now() {
  return absl::Now() + absl::Nanoseconds(offset_nanos_.load());
}

absl::Duration SystemClock::Monotonic() {
  return absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

void SystemClock::SetWallOffset(absl::Duration offset) {
  offset_nanos_.store(absl::ToInt64Nanoseconds(offset));
}

absl::Duration SystemClock::WallOffset() {
  return absl::Nanoseconds(offset_nanos_.load());
}

}  // namespace saludo::runtime::live
