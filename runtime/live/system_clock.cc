#include "runtime/live/system_clock.h"

#include <chrono>

#include "absl/time/clock.h"
#include "runtime/check.h"

namespace saludo::runtime::live {
namespace {

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int64_t DriftedNanos(int64_t anchor_real, int64_t anchor_local,
                     int64_t drift_ppb, int64_t real) {
  const __int128 elapsed = static_cast<__int128>(real) - anchor_real;
  const __int128 local =
      anchor_local + elapsed + elapsed * drift_ppb / 1000000000;
  return static_cast<int64_t>(local);
}

SystemClock::SystemClock(absl::Duration wall_offset)
    : offset_nanos_(absl::ToInt64Nanoseconds(wall_offset)) {}

absl::Duration SystemClock::Local(int64_t* real_ns) {
  *real_ns = SteadyNanos();
  if (!drifted_.load(std::memory_order_acquire)) {
    return absl::Nanoseconds(*real_ns);
  }
  runtime::MutexLock lock(&mu_);
  return absl::Nanoseconds(
      DriftedNanos(anchor_real_, anchor_local_, drift_ppb_, *real_ns));
}

absl::Time SystemClock::Now() {
  const absl::Time wall = absl::Now();
  int64_t real = 0;
  const absl::Duration local = Local(&real);
  // The oscillator's gain over true time shows on the wall clock too.
  return wall + absl::Nanoseconds(offset_nanos_.load()) +
         (local - absl::Nanoseconds(real));
}

absl::Duration SystemClock::Monotonic() {
  int64_t real = 0;
  return Local(&real);
}

void SystemClock::SetWallOffset(absl::Duration offset) {
  offset_nanos_.store(absl::ToInt64Nanoseconds(offset));
}

absl::Duration SystemClock::WallOffset() {
  return absl::Nanoseconds(offset_nanos_.load());
}

void SystemClock::SetDriftPpb(int64_t drift_ppb) {
  SALUDO_CHECK(drift_ppb > -1000000000 && drift_ppb <= 1000000000);
  runtime::MutexLock lock(&mu_);
  const int64_t real = SteadyNanos();
  const int64_t local =
      drifted_.load()
          ? DriftedNanos(anchor_real_, anchor_local_, drift_ppb_, real)
          : real;
  anchor_real_ = real;
  anchor_local_ = local;
  drift_ppb_ = drift_ppb;
  drifted_.store(true, std::memory_order_release);
}

}  // namespace saludo::runtime::live
