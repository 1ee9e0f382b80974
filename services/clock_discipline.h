// A server's disciplined wall clock: the node's clock plus corrections from a
// coordinator. A correction is slewed by default (the clock runs at most
// max_slew_ppm fast or slow until it is absorbed, so it never jumps and never
// goes backward) or stepped when allowed. It is itself a runtime::Clock, so
// the services stamp replies with it.
#ifndef SALUDO_SERVICES_CLOCK_DISCIPLINE_H_
#define SALUDO_SERVICES_CLOCK_DISCIPLINE_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "runtime/clock.h"
#include "runtime/sync.h"

namespace saludo::services {

inline constexpr int64_t kDefaultMaxSlewPpm = 5000;  // 5 ms per second
// The largest correction a discipline takes (and the largest sum of steps):
// a coordinator that asks for more is wrong, not the clock.
inline constexpr absl::Duration kMaxClockCorrection = absl::Hours(24 * 366);

class ClockDiscipline final : public runtime::Clock {
 public:
  // REQUIRES: `base` outlives this object; max_slew_ppm in (0, 1e6).
  explicit ClockDiscipline(runtime::Clock* base,
                           int64_t max_slew_ppm = kDefaultMaxSlewPpm);

  // base.Now() plus the corrections absorbed so far.
  absl::Time Now() override;
  absl::Duration Monotonic() override { return base_->Monotonic(); }
  void SetWallOffset(absl::Duration offset) override {
    base_->SetWallOffset(offset);
  }
  absl::Duration WallOffset() override { return base_->WallOffset(); }
  void SetDriftPpb(int64_t drift_ppb) override {
    base_->SetDriftPpb(drift_ppb);
  }

  // Adds `correction` to the clock, at once if `step`, else by slewing. Like
  // adjtime(3), a new correction replaces whatever an earlier one had still
  // to absorb: the coordinator measured the clock as it is now.
  // INVALID_ARGUMENT, and no change, if |correction| exceeds
  // kMaxClockCorrection or the steps taken would in total.
  absl::Status Adjust(absl::Duration correction, bool step);

  // Drops every correction, absorbed or pending: the clock reads its base.
  void Reset();

  // What slewing has still to absorb.
  absl::Duration Pending();

 private:
  // Moves the slew forward to the base's monotonic `now`.
  void Advance(absl::Duration now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  runtime::Clock* const base_;
  const int64_t max_slew_ppm_;
  runtime::Mutex mu_;
  absl::Duration applied_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Duration pending_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Duration last_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
};

}  // namespace saludo::services

#endif  // SALUDO_SERVICES_CLOCK_DISCIPLINE_H_
