// The live Clock: the system's wall clock plus a settable offset, and the
// steady clock for durations; with a drift (a clock fault), both run fast or
// slow from the moment it is set, as an oscillator would.
#ifndef SALUDO_RUNTIME_LIVE_SYSTEM_CLOCK_H_
#define SALUDO_RUNTIME_LIVE_SYSTEM_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "runtime/clock.h"
#include "runtime/sync.h"

namespace saludo::runtime::live {

// Local time of an oscillator that has run at (1 + drift_ppb / 1e9) since it
// read `anchor_local` at true time `anchor_real` (both in ns), at true time
// `real`. Exact integer arithmetic; never decreases as `real` grows.
int64_t DriftedNanos(int64_t anchor_real, int64_t anchor_local,
                     int64_t drift_ppb, int64_t real);

class SystemClock final : public Clock {
 public:
  explicit SystemClock(absl::Duration wall_offset = absl::ZeroDuration());

  absl::Time Now() override;
  absl::Duration Monotonic() override;
  void SetWallOffset(absl::Duration offset) override;
  absl::Duration WallOffset() override;
  // Timers on this clock (TimerThread) wait for Monotonic() to reach their
  // target, so they fire by the drifted clock too (never early; late by the
  // drift of the last wait at most, e.g. 100 us for 1 s at 100 ppm).
  void SetDriftPpb(int64_t drift_ppb) override;

 private:
  // Monotonic() and the steady reading it came from.
  absl::Duration Local(int64_t* real_ns);

  std::atomic<int64_t> offset_nanos_;
  std::atomic<bool> drifted_{false};  // ever: then the anchors below apply
  runtime::Mutex mu_;
  int64_t anchor_real_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t anchor_local_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t drift_ppb_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace saludo::runtime::live

#endif  // SALUDO_RUNTIME_LIVE_SYSTEM_CLOCK_H_
