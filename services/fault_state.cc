#include "services/fault_state.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/check.h"

namespace saludo::services {

FaultState::FaultState(runtime::Clock* clock, uint64_t seed)
    : clock_(clock),
      startup_offset_(clock->WallOffset()),
      hang_until_(absl::ZeroDuration()),
      random_(runtime::Random::ForComponent(seed, "fault_state")) {}

absl::Status FaultState::Validate(const control::Faults& faults) {
  const int64_t max_nanos = absl::ToInt64Nanoseconds(kMaxFaultDuration);
  if (faults.reply_delay_nanos() < 0 ||
      faults.reply_delay_nanos() > max_nanos) {
    return absl::InvalidArgumentError(
        "reply_delay_nanos must be in [0, 24h], got " +
        std::to_string(faults.reply_delay_nanos()));
  }
  if (faults.hang_nanos() < 0 || faults.hang_nanos() > max_nanos) {
    return absl::InvalidArgumentError("hang_nanos must be in [0, 24h], got " +
                                      std::to_string(faults.hang_nanos()));
  }
  const int64_t year_nanos = absl::ToInt64Nanoseconds(absl::Hours(24 * 366));
  if (faults.has_clock_offset_nanos() &&
      (faults.clock_offset_nanos() > year_nanos ||
       faults.clock_offset_nanos() < -year_nanos)) {
    return absl::InvalidArgumentError(
        "clock_offset_nanos must be within a year");
  }
  if (faults.has_clock_drift_ppb() &&
      !(faults.clock_drift_ppb() > -1000000000 &&
        faults.clock_drift_ppb() <= 1000000000)) {
    return absl::InvalidArgumentError(
        absl::StrCat("clock_drift_ppb must be in (-1e9, 1e9], got ",
                     faults.clock_drift_ppb()));
  }
  if (!(faults.error_rate() >= 0 && faults.error_rate() <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "error_rate must be in [0, 1], got ", faults.error_rate()));
  }
  if (faults.error_rate() > 0 &&
      (faults.error_code() < 1 || faults.error_code() > 16)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "error_code must be a gRPC error code in 1..16 when error_rate > 0, "
        "got ",
        faults.error_code()));
  }
  return absl::OkStatus();
}

void FaultState::Set(const control::Faults& faults) {
  SALUDO_CHECK(Validate(faults).ok());
  runtime::MutexLock lock(&mu_);
  faults_ = faults;
  hang_until_ = clock_->Monotonic() + absl::Nanoseconds(faults.hang_nanos());
  if (faults.has_clock_offset_nanos()) {
    clock_->SetWallOffset(absl::Nanoseconds(faults.clock_offset_nanos()));
  }
  if (faults.has_clock_drift_ppb()) {
    clock_->SetDriftPpb(faults.clock_drift_ppb());
    drift_ppb_ = faults.clock_drift_ppb();
  }
}

void FaultState::Clear() {
  {
    runtime::MutexLock lock(&mu_);
    faults_.Clear();
    hang_until_ = absl::ZeroDuration();
    clock_->SetWallOffset(startup_offset_);
    // Only a drift set here: one the machine has (a simulated clock fault)
    // is not this service's to clear.
    if (drift_ppb_.has_value()) clock_->SetDriftPpb(0);
    drift_ppb_.reset();
  }
  if (on_clear_) on_clear_();
}

void FaultState::SetOnClear(std::function<void()> on_clear) {
  on_clear_ = std::move(on_clear);
}

control::FaultsReport FaultState::Report() {
  runtime::MutexLock lock(&mu_);
  control::FaultsReport report;
  *report.mutable_faults() = faults_;
  report.mutable_faults()->set_clock_offset_nanos(
      absl::ToInt64Nanoseconds(clock_->WallOffset()));
  if (drift_ppb_.has_value()) {
    report.mutable_faults()->set_clock_drift_ppb(*drift_ppb_);
  }
  report.set_hang_remaining_nanos(absl::ToInt64Nanoseconds(
      std::max(absl::ZeroDuration(), hang_until_ - clock_->Monotonic())));
  report.set_calls_total(calls_total_);
  report.set_calls_failed_injected(calls_failed_injected_);
  report.set_calls_held(calls_held_);
  return report;
}

void FaultState::CountHeld(int64_t delta) {
  runtime::MutexLock lock(&mu_);
  calls_held_ += delta;
  SALUDO_CHECK(calls_held_ >= 0);
}

CallPlan FaultState::PlanCall() {
  runtime::MutexLock lock(&mu_);
  CallPlan plan;
  ++calls_total_;
  // What is left of a hang, plus the delay (each absl sum or difference
  // is a library call: skipped when there is no hang or delay).
  const absl::Duration now = clock_->Monotonic();
  if (hang_until_ > now) plan.hold = hang_until_ - now;
  if (faults_.reply_delay_nanos() != 0) {
    plan.hold += absl::Nanoseconds(faults_.reply_delay_nanos());
  }
  plan.crash = faults_.crash_on_call();
  if (faults_.error_rate() > 0 && random_.Bernoulli(faults_.error_rate())) {
    ++calls_failed_injected_;
    plan.injected_error =
        absl::Status(static_cast<absl::StatusCode>(faults_.error_code()),
                     faults_.error_message().empty() ? "injected error"
                                                     : faults_.error_message());
  }
  return plan;
}

}  // namespace saludo::services
