// Estimating a server's clock offset from the client (runs on the seam).
//
// A sample is the four timestamps of one Clock.Read call: t1 client send,
// t2 server receive, t3 server transmit, t4 client receive. With delays
// d1 (to the server) and d2 (back), both >= 0, and true offset o (server
// minus client):
//   Cristian: offset = t3 + rtt/2 - t4, rtt = t4 - t1;   error <= rtt/2
//   NTP:      offset = ((t2 - t1) + (t3 - t4)) / 2;
//             delay  = (t4 - t1) - (t3 - t2);            error <= delay/2
// and in both the error is exactly (d1 - d2)/2 (plus clock drift during the
// call): half the asymmetry, which no measurement from one side can see.
// Of several samples, the one with the smallest delay bounds the error best
// (the minimum-delay filter).
#ifndef SALUDO_CLIENT_CLOCK_SYNC_H_
#define SALUDO_CLIENT_CLOCK_SYNC_H_

#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/clock.h"
#include "runtime/rpc.h"
#include "runtime/timers.h"

namespace saludo::client {

struct ClockSample {
  absl::Time t1, t2, t3, t4;
  int server_id = 0;
};

struct OffsetEstimate {
  absl::Duration offset;       // server clock minus this client's clock
  absl::Duration error_bound;  // |true offset - offset| <= this
  absl::Duration delay;        // network round trip (server time excluded)
  int server_id = 0;
};

enum class SyncMethod { kCristian, kNtp };

OffsetEstimate Estimate(const ClockSample& sample, SyncMethod method);
// The estimate of the sample with the smallest round trip.
// REQUIRES: !samples.empty()
OffsetEstimate MinimumDelayEstimate(const std::vector<ClockSample>& samples,
                                    SyncMethod method);

// Takes samples of one server's clock, one call at a time.
class ClockSampler {
 public:
  // REQUIRES: all pointers outlive this object.
  ClockSampler(runtime::Clock* clock, runtime::Channel* channel,
               runtime::Timers* timers);

  // Takes `count` samples `spacing` apart (each call with `timeout`); `done`
  // gets the successful ones, or the last error if none succeeded.
  // REQUIRES: count >= 1; not called again before `done` ran.
  void Sample(
      int count, absl::Duration spacing, absl::Duration timeout,
      std::function<void(absl::StatusOr<std::vector<ClockSample>>)> done);

 private:
  void TakeOne();

  runtime::Clock* const clock_;
  runtime::Channel* const channel_;
  runtime::Timers* const timers_;
  int remaining_ = 0;
  absl::Duration spacing_, timeout_;
  absl::Status last_error_;
  std::vector<ClockSample> samples_;
  std::function<void(absl::StatusOr<std::vector<ClockSample>>)> done_;
};

}  // namespace saludo::client

#endif  // SALUDO_CLIENT_CLOCK_SYNC_H_
