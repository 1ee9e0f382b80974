// The faults a server is told to inject (through the control service live, or
// by the simulator), and the decision, per arriving call, of what to do.
#ifndef SALUDO_SERVICES_FAULT_STATE_H_
#define SALUDO_SERVICES_FAULT_STATE_H_

#include <cstdint>
#include <functional>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "proto/control.pb.h"
#include "runtime/clock.h"
#include "runtime/random.h"
#include "runtime/sync.h"

namespace saludo::services {

// What to do with one arriving call.
struct CallPlan {
  // How long to hold the call before answering (hang remainder + delay).
  absl::Duration hold = absl::ZeroDuration();
  // OK, or the injected error to answer with.
  absl::Status injected_error;
  // Crash the process instead of answering (after the hold).
  bool crash = false;
};

// Hangs and delays longer than this are refused (a typo, not a test).
inline constexpr absl::Duration kMaxFaultDuration = absl::Hours(24);

// Thread-safe: live handlers and the control service run on gRPC threads.
class FaultState {
 public:
  // `clock` is the server's clock (its offset is one of the faults); `seed`
  // fixes the sequence of injected errors.
  // REQUIRES: `clock` outlives this object.
  FaultState(runtime::Clock* clock, uint64_t seed);

  // Checks that `faults` makes sense (durations in [0, kMaxFaultDuration], a
  // rate in [0, 1], a real error code when the rate is positive, an offset
  // within a year, a drift in (-1e9, 1e9] ppb).
  static absl::Status Validate(const control::Faults& faults);

  // Replaces every fault with `faults`; a hang starts now. The clock offset
  // and drift change only if `faults` has them.
  // REQUIRES: Validate(faults).ok()
  void Set(const control::Faults& faults);

  // Clears every fault; the clock offset returns to its value at startup, and
  // a drift set by Set ends (the clock runs true again).
  // Then runs the on-clear listener, if any (outside the lock).
  void Clear();

  // The service's count of calls it holds now (reported by Report).
  void CountHeld(int64_t delta);

  // What runs after every Clear (the service answers the calls a hang held).
  // REQUIRES: set before calls arrive; what it captures outlives this object.
  void SetOnClear(std::function<void()> on_clear);

  // The faults in force, remaining hang and call counters.
  control::FaultsReport Report();

  // Decides the fate of a call arriving now, and counts it.
  CallPlan PlanCall();

 private:
  runtime::Clock* const clock_;
  const absl::Duration startup_offset_;
  std::function<void()> on_clear_;
  runtime::Mutex mu_;
  control::Faults faults_ ABSL_GUARDED_BY(mu_);
  absl::Duration hang_until_ ABSL_GUARDED_BY(mu_);  // on clock_->Monotonic()
  std::optional<int64_t> drift_ppb_ ABSL_GUARDED_BY(mu_);  // as Set last set
  runtime::Random random_ ABSL_GUARDED_BY(mu_);
  int64_t calls_total_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t calls_failed_injected_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t calls_held_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace saludo::services

#endif  // SALUDO_SERVICES_FAULT_STATE_H_
