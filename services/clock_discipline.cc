#include "services/clock_discipline.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "runtime/check.h"

namespace saludo::services {

ClockDiscipline::ClockDiscipline(runtime::Clock* base, int64_t max_slew_ppm)
    : base_(base), max_slew_ppm_(max_slew_ppm), last_(base->Monotonic()) {
  SALUDO_CHECK(max_slew_ppm > 0 && max_slew_ppm < 1000000);
}

void ClockDiscipline::Advance(absl::Duration now) {
  if (now <= last_) return;
  if (pending_ == absl::ZeroDuration()) {  // nothing to slew (most calls)
    last_ = now;
    return;
  }
  const absl::Duration elapsed = now - last_;
  last_ = now;
  // At most max_slew_ppm of the elapsed time, in whole nanoseconds.
  const absl::Duration budget = absl::Nanoseconds(
      absl::ToInt64Nanoseconds(elapsed) * max_slew_ppm_ / 1000000);
  const absl::Duration step = pending_ > absl::ZeroDuration()
                                  ? std::min(pending_, budget)
                                  : std::max(pending_, -budget);
  applied_ += step;
  pending_ -= step;
}

absl::Time ClockDiscipline::Now() {
  runtime::MutexLock lock(&mu_);
  Advance(base_->Monotonic());
  const absl::Time now = base_->Now();
  return applied_ == absl::ZeroDuration() ? now : now + applied_;
}

absl::Status ClockDiscipline::Adjust(absl::Duration correction, bool step) {
  runtime::MutexLock lock(&mu_);
  Advance(base_->Monotonic());
  if (absl::AbsDuration(correction) > kMaxClockCorrection ||
      (step && absl::AbsDuration(applied_ + correction) > kMaxClockCorrection)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a clock correction (and the sum of steps) must be within ",
        absl::FormatDuration(kMaxClockCorrection), ", got ",
        absl::FormatDuration(correction)));
  }
  if (step) {
    applied_ += correction;
    pending_ = absl::ZeroDuration();
  } else {
    pending_ = correction;
  }
  return absl::OkStatus();
}

void ClockDiscipline::Reset() {
  runtime::MutexLock lock(&mu_);
  Advance(base_->Monotonic());
  applied_ = absl::ZeroDuration();
  pending_ = absl::ZeroDuration();
}

absl::Duration ClockDiscipline::Pending() {
  runtime::MutexLock lock(&mu_);
  Advance(base_->Monotonic());
  return pending_;
}

}  // namespace saludo::services
