// The Berkeley algorithm, as a coordinator on the seam: sample every server's
// offset (NTP, minimum delay), average the offsets of the coordinator (0) and
// the servers that are not outliers (further than `outlier_threshold` from
// the median), and tell each server, through its control service, the
// correction that brings it to the average. Servers slew unless a step is
// allowed.
#ifndef SALUDO_CLIENT_BERKELEY_H_
#define SALUDO_CLIENT_BERKELEY_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/clock_sync.h"
#include "runtime/clock.h"
#include "runtime/rpc.h"
#include "runtime/timers.h"

namespace saludo::client {

struct BerkeleyOptions {
  int samples = 8;
  absl::Duration spacing = absl::Milliseconds(10);
  absl::Duration timeout = absl::Seconds(1);
  absl::Duration outlier_threshold = absl::Milliseconds(500);
  bool allow_step = false;
};

struct BerkeleyRound {
  std::vector<OffsetEstimate> estimates;  // per server, in channel order
  std::vector<bool> outlier;
  absl::Duration average;                   // the target, relative to us
  std::vector<absl::Duration> corrections;  // sent to each server
};

// The arithmetic of one round (exposed for tests).
BerkeleyRound PlanBerkeleyRound(const std::vector<OffsetEstimate>& estimates,
                                absl::Duration outlier_threshold);

class BerkeleyCoordinator {
 public:
  // `servers`: one channel per server (clock and control services).
  // REQUIRES: all pointers outlive this object.
  BerkeleyCoordinator(runtime::Clock* clock, runtime::Timers* timers,
                      std::vector<runtime::Channel*> servers,
                      BerkeleyOptions options);

  // One round; `done` gets what was measured and sent.
  void RunRound(std::function<void(absl::StatusOr<BerkeleyRound>)> done);

 private:
  void SampleNext(size_t i);
  void SendCorrection(std::shared_ptr<BerkeleyRound> round, size_t k);

  runtime::Clock* const clock_;
  runtime::Timers* const timers_;
  std::vector<runtime::Channel*> servers_;
  BerkeleyOptions options_;
  std::vector<std::unique_ptr<ClockSampler>> samplers_;
  std::vector<OffsetEstimate> estimates_;
  std::function<void(absl::StatusOr<BerkeleyRound>)> done_;
};

}  // namespace saludo::client

#endif  // SALUDO_CLIENT_BERKELEY_H_
