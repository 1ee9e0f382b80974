// Clock synchronisation in the simulator, where the true offsets are known:
// how good Cristian's and the NTP-style estimates are under offset, drift and
// (a)symmetric latency, how fast an estimate goes stale under drift, and how
// close Berkeley rounds bring the servers' clocks. Used by tests and by
// //sim:clock_sync_experiments (docs/CLOCK_SYNC.md).
#ifndef SALUDO_SIM_CLOCK_SYNC_EXPERIMENT_H_
#define SALUDO_SIM_CLOCK_SYNC_EXPERIMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/clock_sync.h"
#include "sim/distribution.h"

namespace saludo::sim {

struct SyncCase {
  uint64_t seed = 1;
  Distribution to_server = Distribution::Fixed(absl::Milliseconds(1));
  Distribution to_client = Distribution::Fixed(absl::Milliseconds(1));
  std::vector<absl::Duration> server_offsets;  // one server each
  std::vector<double> server_drift_ppm;        // optional, per server
  int samples = 8;
  absl::Duration spacing = absl::Milliseconds(10);
};

struct SyncEstimate {
  int server_id;
  client::OffsetEstimate ntp, cristian;
  absl::Duration true_offset;  // when the last sample returned
  absl::Duration ntp_error() const { return ntp.offset - true_offset; }
  absl::Duration cristian_error() const {
    return cristian.offset - true_offset;
  }
};

// Experiment 1 of docs/CLOCK_SYNC.md: three servers at +250 ms, -100 ms and
// +5 s drifting +50/-20/0 ppm, latency uniform 0.2-3 ms each way.
SyncCase SymmetricJitterCase();

// Samples every server from one client; one estimate per server.
std::vector<SyncEstimate> RunSyncCase(const SyncCase& c);

// Syncs at t=0 with a server drifting `drift_ppm`, then compares that
// estimate with the true offset at each horizon: the error of a stale
// estimate.
std::vector<absl::Duration> StaleEstimateErrors(
    double drift_ppm, const std::vector<absl::Duration>& horizons);

struct BerkeleyCase {
  uint64_t seed = 1;
  std::vector<absl::Duration> server_offsets;
  Distribution latency =
      Distribution::Uniform(absl::Microseconds(200), absl::Microseconds(600));
  int rounds = 3;
  absl::Duration interval = absl::Seconds(120);  // enough to slew 600 ms
  bool allow_step = false;
  absl::Duration outlier_threshold = absl::Milliseconds(500);
};

struct BerkeleyOutcome {
  // The true spread of the servers' clocks before the first round and just
  // before each later one, and at the end. (The coordinator's own share of
  // the average is reported by the round, not applied: it has no
  // disciplined clock.)
  std::vector<absl::Duration> spread;
  // Whether any server's clock ever went backward (it must not, slewing).
  bool went_backward = false;
};

BerkeleyOutcome RunBerkeleyCase(const BerkeleyCase& c);

}  // namespace saludo::sim

#endif  // SALUDO_SIM_CLOCK_SYNC_EXPERIMENT_H_
