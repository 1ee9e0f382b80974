#include "client/clock_sync.h"

#include <utility>

#include "proto/clock.pb.h"
#include "runtime/check.h"
#include "runtime/typed_rpc.h"
#include "services/clock_service.h"

namespace saludo::client {

OffsetEstimate Estimate(const ClockSample& s, SyncMethod method) {
  OffsetEstimate e;
  e.server_id = s.server_id;
  const absl::Duration rtt = s.t4 - s.t1;
  if (method == SyncMethod::kCristian) {
    e.offset = s.t3 + rtt / 2 - s.t4;
    e.delay = rtt;
    e.error_bound = rtt / 2;
  } else {
    e.offset = ((s.t2 - s.t1) + (s.t3 - s.t4)) / 2;
    e.delay = rtt - (s.t3 - s.t2);
    e.error_bound = e.delay / 2;
  }
  return e;
}

OffsetEstimate MinimumDelayEstimate(const std::vector<ClockSample>& samples,
                                    SyncMethod method) {
  SALUDO_CHECK(!samples.empty());
  OffsetEstimate best = Estimate(samples[0], method);
  for (const ClockSample& s : samples) {
    OffsetEstimate e = Estimate(s, method);
    if (e.delay < best.delay) best = e;
  }
  return best;
}

ClockSampler::ClockSampler(runtime::Clock* clock, runtime::Channel* channel,
                           runtime::Timers* timers)
    : clock_(clock), channel_(channel), timers_(timers) {}

void ClockSampler::Sample(
    int count, absl::Duration spacing, absl::Duration timeout,
    std::function<void(absl::StatusOr<std::vector<ClockSample>>)> done) {
  SALUDO_CHECK(count >= 1);
  remaining_ = count;
  spacing_ = spacing;
  timeout_ = timeout;
  samples_.clear();
  last_error_ = absl::OkStatus();
  done_ = std::move(done);
  TakeOne();
}

void ClockSampler::TakeOne() {
  runtime::CallOptions options;
  options.timeout = timeout_;
  // Intervals come from the monotonic clock, so a wall-clock step during
  // the call cannot distort the round trip.
  const absl::Time t1 = clock_->Now();
  const absl::Duration m1 = clock_->Monotonic();
  runtime::CallUnary<clock::ReadReply>(
      *channel_, services::kClockReadMethod, clock::ReadRequest(), options,
      [this, t1, m1](absl::Status status, clock::ReadReply reply) {
        if (status.ok()) {
          ClockSample s;
          s.t1 = t1;
          s.t4 = t1 + (clock_->Monotonic() - m1);
          s.t2 = absl::FromUnixNanos(reply.receive_unix_nanos());
          s.t3 = absl::FromUnixNanos(reply.transmit_unix_nanos());
          s.server_id = reply.server_id();
          samples_.push_back(s);
        } else {
          last_error_ = status;
        }
        if (--remaining_ > 0) {
          timers_->RunAfter(spacing_, [this] { TakeOne(); });
          return;
        }
        auto done = std::move(done_);
        if (samples_.empty()) {
          done(last_error_);
        } else {
          done(std::move(samples_));
        }
      });
}

}  // namespace saludo::client
